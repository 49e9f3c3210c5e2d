"""Service level objectives per stack (`sophia-infra:slo`) and the arithmetic every user of them
shares: burn-rate windows, thresholds, the worst-case data freshness, the canary's worst burn.

Read from the object-valued stack config key `sophia-infra:slo` (camelCase keys). The objectives
are the migration plan's success metrics (docs/slo.md): 99.99 % availability, p95 < 500 ms (as a
ratio: at least 95 % of requests within 500 ms), CDC lag, $300/day of LLM spend.

Example (Pulumi.prod.yaml):
    sophia-infra:slo:
      windowDays: 30
      runbookBaseUrl: https://runbooks.sophia.ai/slo/
      ruleLabels: {release: kube-prometheus-stack}
      availability: {objectivePercent: 99.99, page: true}
      latency: {objectivePercent: 95, thresholdSeconds: 0.5, excludeHandlers: [/ws.*]}
      freshness: {objectiveSeconds: 900, searchLagFactor: 2}
      llm: {dailyBudgetUsd: 300, weeklyPolicy: true}

The field names are stable: `jobs` and other areas (the migration soak gate) read them.

Burn-rate alerts follow the Google SRE workbook, "Alerting on SLOs", section 6 "Multiwindow,
multi-burn-rate alerts" (https://sre.google/workbook/alerting-on-slos/): page when 2 % of the
period's budget burns in 1 h (short window 5 m) or 5 % in 6 h (30 m); ticket when 10 % burns in
3 d (6 h). The burn factor is budget share x period / long window: 0.02 x 720 h / 1 h = 14.4 for
30 days, which is how Sloth derives its table for any period (slok/sloth
internal/alert/windows/google-30d.yaml and google-28d.yaml: errorBudgetPercent 2/5/10, with the
same long and short windows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from components.settings._base import CamelModel, KeyedValueError
from components.settings.cortex import CortexSettings, lag_seconds
from components.settings.estuary import EstuarySettings
from components.settings.kubernetes import CanarySettings
from components.settings.portkey import PortkeySettings

# The app's request histogram buckets: prometheus-fastapi-instrumentator 8.1.0
# (src/prometheus_fastapi_instrumentator/metrics.py, `default()`: latency_lowr_buckets
# (0.1, 0.5, 1)) on `http_request_duration_seconds{handler,method}`. A latency threshold must
# be one of them: the SLI counts the bucket `le="<threshold>"` exactly, never interpolates.
LATENCY_BUCKETS_SECONDS: tuple[float, ...] = (0.1, 0.5, 1.0)
# The alert names other code refers to (the canary analysis, the migration soak gate, docs).
AVAILABILITY_PAGE_ALERT = "SophiaApiAvailabilityBudgetBurn"
AVAILABILITY_TICKET_ALERT = "SophiaApiAvailabilityBudgetSlowBurn"
LATENCY_PAGE_ALERT = "SophiaApiLatencyBudgetBurn"
LATENCY_TICKET_ALERT = "SophiaApiLatencyBudgetSlowBurn"
FRESHNESS_ALERT = "SophiaEstuaryMaterializationStale"
# Sloth's `sloth_slo` label values (slok/sloth: one SLO name per objective).
AVAILABILITY_SLO = "availability"
LATENCY_SLO = "latency"

_RUNBOOK_URL = re.compile(r"^https://[^\s/]+(/[^\s]*)?$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")  # Prometheus label names (data model doc)


def _objective(value: float) -> float:
    # Ours: below 90 % some burn-rate alerts can never fire (factor x budget > 100 %, see
    # kcp-dev/kcp-glbc PR #287); 99.999 is the most a 30-day window can measure minute by minute.
    if not 90 <= value <= 99.999:
        raise ValueError(f"must be a percentage between 90 and 99.999; got {value}")
    return value


ObjectivePercent = Annotated[float, AfterValidator(_objective)]


class AvailabilityObjective(CamelModel):
    """Share of API requests answered without a 5xx, over the window."""

    objective_percent: ObjectivePercent = Field(99.9, description="e.g. 99.99 (prod).")
    page: bool = Field(False, description="true: the fast burn pages (severity critical).")


class LatencyObjective(CamelModel):
    """Share of API requests answered within thresholdSeconds (a ratio SLI, not a quantile)."""

    objective_percent: ObjectivePercent = Field(95.0, description="p95 < 500 ms: 95.")
    threshold_seconds: float = Field(0.5, description="A bucket edge of the app's histogram.")
    exclude_handlers: tuple[str, ...] = Field(
        ("/ws.*",),
        description="Handler regexes not counted (the WebSocket route streams for minutes).",
    )
    page: bool = Field(False, description="true: the fast burn pages (severity critical).")

    @field_validator("threshold_seconds")
    @classmethod
    def _bucket(cls, value: float) -> float:
        if value not in LATENCY_BUCKETS_SECONDS:
            raise ValueError(
                f"must be a bucket edge of http_request_duration_seconds, one of "
                f"{', '.join(f'{b:g}' for b in LATENCY_BUCKETS_SECONDS)} (the SLI counts "
                f'le="<threshold>" exactly); got {value:g}'
            )
        return value

    @field_validator("exclude_handlers")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            # GUESS: Python's re stands in for RE2 (PromQL); both refuse an unbalanced pattern.
            # Quotes and backslashes would need escaping inside the PromQL string: refused.
            if not pattern or '"' in pattern or "\\" in pattern:
                raise ValueError(
                    f"{pattern!r}: must be a non-empty regex without quotes or backslashes"
                )
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a regex ({error})") from None
        return value


class FreshnessObjective(CamelModel):
    """How far behind its sources the data may be, end to end (source -> Snowflake -> search)."""

    objective_seconds: int = Field(
        900, ge=60, le=86400, description="Worst acceptable lag; checked against the pipeline."
    )
    search_lag_factor: float = Field(
        2.0,
        ge=1,
        le=10,
        description="The Snowflake alert fires when Cortex Search data is older than this "
        "many target lags (DATA_FRESH_AS_OF).",
    )
    alert_schedule_minutes: int = Field(
        5, ge=1, le=1439, description="How often the Snowflake alert runs (provider: 1..1439)."
    )
    page: bool = Field(False, description="true: stale data pages (severity critical).")


class LlmBudget(CamelModel):
    """The LLM spend target, enforced by Portkey usage-limits policies."""

    daily_budget_usd: Decimal = Field(Decimal(300), description="Target spend per day.")
    weekly_policy: bool = Field(
        True, description="Declare a weekly usage-limits policy of 7 x dailyBudgetUsd."
    )
    weekly_alert_percent: int = Field(80, ge=1, le=99, description="Alert at this share.")

    @field_validator("daily_budget_usd")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        # Ours: Portkey takes credit_limit as a number > 0; $100k/day is a typo, not a budget.
        if not Decimal(0) < value <= Decimal(100_000):
            raise ValueError(f"must be > 0 and at most 100000 (USD per day); got {value}")
        return value

    @property
    def weekly_limit_usd(self) -> Decimal:
        return self.daily_budget_usd * 7

    @property
    def weekly_alert_usd(self) -> Decimal:
        return self.weekly_limit_usd * self.weekly_alert_percent / 100


class SloSettings(CamelModel):
    """`sophia-infra:slo`: the objectives and how their alerts reach people."""

    window_days: int = Field(
        30, ge=7, le=90, description="The SLO period the budget is measured over."
    )
    rule_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels on the PrometheusRule so the cluster's ruleSelector loads it.",
    )
    runbook_base_url: str = Field(
        "https://runbooks.sophia.ai/slo/",
        description="runbook_url of each alert = this + the alert name (kube-prometheus style).",
    )
    min_requests_per_second: float = Field(
        0.5,
        ge=0,
        le=1000,
        description="Burn-rate alerts need at least this much traffic over the long window, so "
        "a quiet hour does not page on one error.",
    )
    prometheus_retention_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="The cluster Prometheus's retention, if known: the budget series need the "
        "whole window; unknown is shown as a guess in --cost.",
    )
    canary_burn_acknowledgement: str | None = Field(
        None,
        min_length=10,
        max_length=500,
        description="Why this stack accepts a canary gate looser than the page (a sentence).",
    )
    availability: AvailabilityObjective = AvailabilityObjective()
    latency: LatencyObjective = LatencyObjective()
    freshness: FreshnessObjective = FreshnessObjective()
    llm: LlmBudget = LlmBudget()

    @field_validator("rule_labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for name, label in value.items():
            if not _LABEL_NAME.match(name) or not re.match(r"^[A-Za-z0-9._-]{1,63}$", label):
                raise ValueError(
                    f"{name}={label!r}: must be a Kubernetes label (name [a-zA-Z_][a-zA-Z0-9_]*, "
                    "value of letters, digits, '.', '_', '-', at most 63)"
                )
        return value

    @field_validator("runbook_base_url")
    @classmethod
    def _runbook(cls, value: str) -> str:
        if not _RUNBOOK_URL.match(value):
            raise ValueError(f"{value!r}: must be an https:// URL")
        return value

    def runbook_url(self, alert: str) -> str:
        return self.runbook_base_url.rstrip("/") + "/" + alert


# --- burn-rate windows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnWindow:
    """One multi-window pair: alert when both windows burn faster than `factor`."""

    severity: str  # "page" | "ticket"
    long: str
    short: str
    long_hours: float
    budget_percent: float  # share of the period's budget this pair catches burning

    def factor(self, window_days: int) -> float:
        """SRE workbook: burn rate = budget share x period / long window."""
        return round(self.budget_percent / 100 * window_days * 24 / self.long_hours, 4)

    def threshold(self, window_days: int, objective_percent: float) -> float:
        """The error ratio that crosses this pair: factor x (1 - objective)."""
        return self.factor(window_days) * (1 - objective_percent / 100)


# SRE workbook Table 5-8 (recommended parameters), as Sloth ships them for a 30-day period
# (slok/sloth internal/alert/windows/google-30d.yaml): page on 2 % of the budget in 1 h (short
# window 5 m) or 5 % in 6 h (30 m); ticket on 10 % in 1 d (2 h) or 10 % in 3 d (6 h).
BURN_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("page", "1h", "5m", 1, 2),
    BurnWindow("page", "6h", "30m", 6, 5),
    BurnWindow("ticket", "1d", "2h", 24, 10),
    BurnWindow("ticket", "3d", "6h", 72, 10),
)
# Every window a recording rule exists for (Sloth's set: examples/_gen/getting-started.yml).
SLI_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def page_windows() -> tuple[BurnWindow, ...]:
    return tuple(w for w in BURN_WINDOWS if w.severity == "page")


def fastest_page_factor(window_days: int) -> float:
    return max(w.factor(window_days) for w in page_windows())


def budget_minutes(slo: SloSettings) -> float:
    """Minutes of total outage the availability budget allows per window."""
    return slo.window_days * 24 * 60 * (1 - slo.availability.objective_percent / 100)


# --- worst-case freshness ------------------------------------------------------------------------

# Sources Estuary polls on `interval` (the others are webhooks: pushed, no poll delay).
POLLED_SOURCES = ("github", "hubspot", "slack", "intercom", "gong")
# Humantime units the estuary settings accept (components/settings/estuary.py `_interval`).
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def humantime_seconds(value: str) -> float:
    """'5m' -> 300, '1h30m' -> 5400 (the units Estuary's interval and syncFrequency take)."""
    return sum(
        float(number) * _UNIT_SECONDS[unit]
        for number, unit in re.findall(r"(\d+)(ms|s|m|h|d)", value.replace(" ", ""))
    )


@dataclass(frozen=True)
class FreshnessTerm:
    what: str  # the stack key it comes from
    value: str
    seconds: float


@dataclass(frozen=True)
class FreshnessBudget:
    """Worst case from a change at the source to Cortex Search serving it: the delays add up
    (GUESS: each stage waits its full period in the worst case; none overlaps the next)."""

    terms: tuple[FreshnessTerm, ...]
    objective_seconds: int

    @property
    def worst_case_seconds(self) -> float:
        return sum(term.seconds for term in self.terms)

    @property
    def met(self) -> bool:
        return self.worst_case_seconds <= self.objective_seconds

    def explain(self) -> str:
        parts = " + ".join(f"{t.what} {t.value} ({t.seconds:g} s)" for t in self.terms)
        return f"{parts} = {self.worst_case_seconds:g} s"


def freshness_budget(
    slo: SloSettings, estuary: EstuarySettings, cortex: CortexSettings
) -> FreshnessBudget:
    """Terms: the slowest enabled polled capture's interval (a change lands just after a poll),
    the materialization's syncFrequency (Estuary: 'how often the materialization commits',
    docs.estuary.dev reference/materialization-sync-schedule), and Cortex Search's TARGET_LAG
    (docs.snowflake.com, CREATE CORTEX SEARCH SERVICE: 'maximum amount of time the service's
    content should lag behind updates to the base tables')."""
    terms = []
    polled = [
        (name, getattr(estuary.sources, name).interval)
        for name in POLLED_SOURCES
        if getattr(estuary.sources, name).enabled
    ]
    if polled:
        name, interval = max(polled, key=lambda pair: humantime_seconds(pair[1]))
        terms.append(
            FreshnessTerm(f"estuary.sources.{name}.interval", interval, humantime_seconds(interval))
        )
    terms.append(
        FreshnessTerm(
            "estuary.syncFrequency",
            estuary.sync_frequency,
            humantime_seconds(estuary.sync_frequency),
        )
    )
    terms.append(
        FreshnessTerm(
            "cortex.searchTargetLag",
            cortex.search_target_lag,
            lag_seconds(cortex.search_target_lag),
        )
    )
    return FreshnessBudget(tuple(terms), slo.freshness.objective_seconds)


def freshness_problem(
    slo: SloSettings, estuary: EstuarySettings, cortex: CortexSettings
) -> str | None:
    """The message when the pipeline cannot meet the freshness objective, else None."""
    budget = freshness_budget(slo, estuary, cortex)
    if budget.met:
        return None
    return (
        f"the pipeline's worst-case freshness is {budget.explain()}, above the objective "
        f"({budget.objective_seconds} s); allowed: an objective of at least "
        f"{budget.worst_case_seconds:g} s, or shorter capture intervals, syncFrequency or "
        "searchTargetLag (docs/slo.md, Freshness)"
    )


# --- the canary against the page -----------------------------------------------------------------


@dataclass(frozen=True)
class CanaryBurn:
    max_error_rate: float
    max_weight: int
    burn: float  # budget burn rate of the whole service while the canary fails at the gate
    page_factor: float

    @property
    def looser_than_page(self) -> bool:
        return self.burn > self.page_factor


def canary_burn(slo: SloSettings, canary: CanarySettings) -> CanaryBurn | None:
    """A canary at `maxErrorRate` (just under the gate) serving `weight` % of traffic makes the
    service fail maxErrorRate x weight of all requests (the stable version assumed clean): a burn
    of that / (1 - objective). None when the stack runs no canary analysis."""
    if canary.max_error_rate is None:
        return None
    weights = [s.set_weight for s in canary.effective_steps() if s.set_weight is not None]
    if not weights:
        return None
    weight = max(weights)
    budget = 1 - slo.availability.objective_percent / 100
    return CanaryBurn(
        max_error_rate=canary.max_error_rate,
        max_weight=weight,
        burn=round(canary.max_error_rate * weight / 100 / budget, 4),
        page_factor=fastest_page_factor(slo.window_days),
    )


def canary_problem(slo: SloSettings, canary: CanarySettings) -> str | None:
    """The message when a canary that passes analysis can burn budget faster than the page."""
    burn = canary_burn(slo, canary)
    if burn is None or not burn.looser_than_page or not slo.availability.page:
        return None
    if slo.canary_burn_acknowledgement is not None:
        return None
    budget = 1 - slo.availability.objective_percent / 100
    allowed = burn.page_factor * budget / (burn.max_weight / 100)
    return (
        f"a canary failing just under maxErrorRate {burn.max_error_rate:g} at weight "
        f"{burn.max_weight} % burns the {slo.availability.objective_percent:g} % budget at "
        f"{burn.burn:g}x, faster than the page ({burn.page_factor:g}x); allowed: maxErrorRate "
        f"<= {allowed:.6g} (page factor x (1 - objective) / weight), or a sentence in "
        "slo.canaryBurnAcknowledgement saying why this stack accepts it"
    )


def check_canary_against_page(slo: SloSettings, canary: CanarySettings) -> None:
    message = canary_problem(slo, canary)
    if message is not None:
        raise KeyedValueError(
            ("kubernetes", "canary", "maxErrorRate"), canary.max_error_rate, message
        )


def check_freshness(slo: SloSettings, estuary: EstuarySettings, cortex: CortexSettings) -> None:
    message = freshness_problem(slo, estuary, cortex)
    if message is not None:
        raise KeyedValueError(
            ("slo", "freshness", "objectiveSeconds"), slo.freshness.objective_seconds, message
        )


def check_weekly_policy(slo: SloSettings, portkey: PortkeySettings) -> None:
    """The weekly policy copies the monthly one's conditions, groupBy and workspace; it must stay
    under the monthly cap (a weekly cap above it would never bind)."""
    if not slo.llm.weekly_policy:
        return
    limit = portkey.usage_limit
    if limit is None:
        raise KeyedValueError(
            ("slo", "llm", "weeklyPolicy"),
            True,
            "needs portkey.usageLimit (the weekly policy reuses its conditions, groupBy and "
            "workspace); allowed: false, or set portkey.usageLimit",
        )
    if slo.llm.weekly_limit_usd >= limit.monthly_credit_limit_usd:
        raise KeyedValueError(
            ("slo", "llm", "dailyBudgetUsd"),
            float(slo.llm.daily_budget_usd),
            f"7 x {slo.llm.daily_budget_usd} = {slo.llm.weekly_limit_usd} USD a week is not below "
            f"portkey.usageLimit.monthlyCreditLimitUsd {limit.monthly_credit_limit_usd}; allowed: "
            f"a daily budget below {limit.monthly_credit_limit_usd / 7:.2f}",
        )


def weekly_policy_name(monthly_name: str) -> str:
    """'sophia-prod-llm-monthly' -> 'sophia-prod-llm-weekly'; otherwise '<name>-weekly'. It
    carries the stack because the monthly name must (components/settings/identity.py)."""
    if monthly_name.endswith("-monthly"):
        return monthly_name.removesuffix("-monthly") + "-weekly"
    return monthly_name + "-weekly"


def check_slo_for_environment(slo: SloSettings, environment: str) -> None:
    """Dev never pages (brief: no paging in dev; its alerts are tickets at most)."""
    if environment != "dev":
        return
    for name in ("availability", "latency", "freshness"):
        if getattr(slo, name).page:
            raise KeyedValueError(("slo", name, "page"), True, "dev never pages; allowed: false")

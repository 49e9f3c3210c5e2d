"""Checks of the objectives against the rest of the stack (settings arithmetic, no resources):
the worst-case freshness of the pipeline, the canary's burn against the page, the weekly LLM
policy against the monthly cap, and the `slo` stack output that the cost view and
`jobs.synth --check` read. The model and the burn windows are in `components.settings.slo`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.settings._base import KeyedValueError
from components.settings.cortex import CortexSettings, lag_seconds
from components.settings.estuary import EstuarySettings
from components.settings.kubernetes import CanarySettings
from components.settings.portkey import PortkeySettings
from components.settings.slo import (
    AVAILABILITY_SLO,
    BURN_WINDOWS,
    LATENCY_SLO,
    AvailabilityObjective,
    LatencyObjective,
    SloSettings,
    fastest_page_factor,
)

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


# --- contradictions and the summary the synth, cost view and check read -------------------------


@dataclass(frozen=True)
class Contradiction:
    enforcement: str  # "mandatory": --check fails; "advisory": shown
    message: str


def contradictions(
    slo: SloSettings,
    environment: str,
    estuary: EstuarySettings,
    cortex: CortexSettings,
    canary: CanarySettings,
) -> list[Contradiction]:
    """Every way the stack's own settings contradict its objectives (docs/slo.md). Prod refuses
    the first two at load time; other stacks load and `jobs.synth --check` fails on them."""
    found = []
    freshness = freshness_problem(slo, estuary, cortex)
    if freshness is not None:
        found.append(Contradiction("mandatory", f"slo.freshness.objectiveSeconds: {freshness}"))
    canary_message = canary_problem(slo, canary)
    if canary_message is not None:
        found.append(
            Contradiction("mandatory", f"kubernetes.canary.maxErrorRate: {canary_message}")
        )
    burn = canary_burn(slo, canary)
    if burn is not None and burn.looser_than_page and slo.canary_burn_acknowledgement:
        found.append(
            Contradiction(
                "advisory",
                f"kubernetes.canary: a canary at the gate burns {burn.burn:g}x (page at "
                f"{burn.page_factor:g}x), acknowledged: {slo.canary_burn_acknowledgement}",
            )
        )
    retention = slo.prometheus_retention_days
    if retention is None:
        found.append(
            Contradiction(
                "advisory",
                f"slo.prometheusRetentionDays: unknown; the {slo.window_days}-day budget series "
                "need that much retention (the Prometheus Operator's default is 24 h)",
            )
        )
    elif retention < slo.window_days:
        found.append(
            Contradiction(
                "mandatory",
                f"slo.prometheusRetentionDays = {retention}: shorter than the SLO window "
                f"({slo.window_days} d): the period budget series cannot be computed",
            )
        )
    return found


def slo_summary(
    slo: SloSettings,
    environment: str,
    estuary: EstuarySettings,
    cortex: CortexSettings,
    canary: CanarySettings,
) -> dict[str, object]:
    """The `slo` stack output: objectives, budgets, thresholds, worst-case freshness, the canary's
    burn and every contradiction, as plain JSON (jobs.cost renders it, jobs.synth --check reads
    the contradictions)."""

    def objective(name: str, target: AvailabilityObjective | LatencyObjective) -> dict:
        budget = 1 - target.objective_percent / 100
        return {
            "name": name,
            "objectivePercent": target.objective_percent,
            "page": target.page,
            "budgetMinutes": round(slo.window_days * 24 * 60 * budget, 2),
            "budgetPerMillionRequests": round(1_000_000 * budget, 2),
            "thresholds": [
                {
                    "severity": pair.severity,
                    "long": pair.long,
                    "short": pair.short,
                    "factor": pair.factor(slo.window_days),
                    "budgetPercent": pair.budget_percent,
                    "errorRatio": round(
                        pair.threshold(slo.window_days, target.objective_percent), 8
                    ),
                }
                for pair in BURN_WINDOWS
            ],
        }

    fresh = freshness_budget(slo, estuary, cortex)
    burn = canary_burn(slo, canary)
    return {
        "windowDays": slo.window_days,
        "minRequestsPerSecond": slo.min_requests_per_second,
        "prometheusRetentionDays": slo.prometheus_retention_days,
        "objectives": [
            objective(AVAILABILITY_SLO, slo.availability),
            objective(LATENCY_SLO, slo.latency)
            | {"thresholdSeconds": slo.latency.threshold_seconds},
        ],
        "freshness": {
            "objectiveSeconds": fresh.objective_seconds,
            "worstCaseSeconds": fresh.worst_case_seconds,
            "terms": [
                {"what": t.what, "value": t.value, "seconds": t.seconds} for t in fresh.terms
            ],
            "met": fresh.met,
        },
        "canary": None
        if burn is None
        else {
            "maxErrorRate": burn.max_error_rate,
            "maxWeight": burn.max_weight,
            "burn": burn.burn,
            "pageFactor": burn.page_factor,
            "acknowledged": slo.canary_burn_acknowledgement is not None,
        },
        "llm": {
            "dailyBudgetUsd": float(slo.llm.daily_budget_usd),
            "weeklyPolicy": slo.llm.weekly_policy,
            "weeklyLimitUsd": float(slo.llm.weekly_limit_usd),
            "weeklyAlertUsd": float(slo.llm.weekly_alert_usd),
        },
        "contradictions": [
            {"enforcement": c.enforcement, "message": c.message}
            for c in contradictions(slo, environment, estuary, cortex, canary)
        ],
    }

"""The stack's objectives as Prometheus rules: Sloth-named recordings, multi-window multi-burn-rate
alerts, and the Estuary freshness alert. Pure functions over settings (docs/slo.md).

Recording rules use Sloth's names and labels so Sloth's Grafana dashboards read them unchanged
(slok/sloth examples/_gen/getting-started.yml): `slo:sli_error:ratio_rate<window>` per window,
the period series as the mean of the 5 m ratios, `slo:objective:ratio`, `slo:error_budget:ratio`,
`slo:time_period:days`, `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
`slo:period_error_budget_remaining:ratio`, `sloth_slo_info`, each labelled `sloth_id`,
`sloth_service`, `sloth_slo` (and `sloth_window` on the SLI series).

Alerts follow Sloth's shape, `(short > f*b and long > f*b) or (...)`, with the windows and factors
of `components.settings.slo.BURN_WINDOWS` (SRE workbook, "Alerting on SLOs"), and three changes:
- each pair also needs `minRequestsPerSecond` of traffic over its long window, so a quiet hour
  does not page on one error (the low-traffic problem of sloth#666, pyrra#1925);
- the result is aggregated `without (sloth_window)`: otherwise the alert's labels change with the
  pair that fires (5m vs 30m) and Alertmanager sees two alerts for one incident;
- labels `severity` (critical for a paging objective, else warning) and annotations `summary`,
  `description`, `runbook_url`, as kube-prometheus does (manifests/
  alertmanager-prometheusRule.yaml).

Latency is a ratio SLI: the share of requests slower than the threshold, counted with the
histogram bucket `le="<threshold>"` (https://prometheus.io/docs/practices/histograms/, the Apdex
example), never `histogram_quantile`, which interpolates and cannot be averaged over windows.
"""

from __future__ import annotations

from typing import Any

from components.k8s.canary import REQUESTS_METRIC
from components.settings.slo import (
    AVAILABILITY_PAGE_ALERT,
    AVAILABILITY_SLO,
    AVAILABILITY_TICKET_ALERT,
    BURN_WINDOWS,
    FRESHNESS_ALERT,
    LATENCY_PAGE_ALERT,
    LATENCY_SLO,
    LATENCY_TICKET_ALERT,
    SLI_WINDOWS,
    BurnWindow,
    SloSettings,
)

SERVICE = "sophia-api"
# prometheus-fastapi-instrumentator 8.1.0 `default()` metric names (metrics.py).
DURATION_METRIC = "http_request_duration_seconds"
# Estuary OpenMetrics gauge (estuary/flow crates/agent/src/api/public/metrics.rs,
# MATERIALIZED_LAST_SOURCE_PUBLISHED_AT), labelled task and collection.
ESTUARY_FRESHNESS_METRIC = "materialized_last_source_published_at_time_seconds"
# How long the materialization must be behind before the freshness alert fires: one scrape
# interval of Estuary's recommended 1 m plus margin for a late scrape.
FRESHNESS_FOR = "5m"


def sloth_id(slo_name: str) -> str:
    return f"{SERVICE}-{slo_name}"


def _sloth_labels(slo_name: str, namespace: str) -> dict[str, str]:
    return {
        "sloth_id": sloth_id(slo_name),
        "sloth_service": SERVICE,
        "sloth_slo": slo_name,
        "namespace": namespace,
    }


def _selector(slo_name: str) -> str:
    return f'sloth_id="{sloth_id(slo_name)}", sloth_service="{SERVICE}", sloth_slo="{slo_name}"'


def le_matcher(threshold: float) -> str:
    """The bucket label matcher. prometheus_client writes `le` with Python's float repr (0.5,
    1.0); Prometheus 3 normalizes classic-histogram `le` to Go's formatting (1), per
    https://prometheus.io/docs/prometheus/latest/migration/ ("le" and "quantile" label values):
    a whole number matches both spellings."""
    if float(threshold).is_integer():
        whole = int(threshold)
        return f'le=~"{whole}|{whole}\\\\.0"'
    return f'le="{threshold:g}"'


def availability_error_ratio(namespace: str, window: str) -> str:
    errors = f'sum(rate({REQUESTS_METRIC}{{namespace="{namespace}",status=~"5.."}}[{window}]))'
    total = f'sum(rate({REQUESTS_METRIC}{{namespace="{namespace}"}}[{window}]))'
    # `or vector(0)`: no 5xx series yet means no errors, not no data.
    return f"({errors} or vector(0))\n/\n{total}"


def latency_error_ratio(slo: SloSettings, namespace: str, window: str) -> str:
    latency = slo.latency
    handlers = "|".join(latency.exclude_handlers)
    matchers = f'namespace="{namespace}"' + (f',handler!~"{handlers}"' if handlers else "")
    fast = (
        f"sum(rate({DURATION_METRIC}_bucket{{{matchers},"
        f"{le_matcher(latency.threshold_seconds)}}}[{window}]))"
    )
    total = f"sum(rate({DURATION_METRIC}_count{{{matchers}}}[{window}]))"
    return f"1 - (\n{fast}\n/\n{total}\n)"


def traffic_guard(slo: SloSettings, namespace: str, window: str) -> str:
    return (
        f'sum(rate({REQUESTS_METRIC}{{namespace="{namespace}"}}[{window}])) '
        f">= {slo.min_requests_per_second:g}"
    )


def _sli_group(slo: SloSettings, slo_name: str, namespace: str, ratio: Any) -> dict[str, Any]:
    labels = _sloth_labels(slo_name, namespace)
    rules: list[dict[str, Any]] = [
        {
            "record": f"slo:sli_error:ratio_rate{window}",
            "expr": ratio(window),
            "labels": {**labels, "sloth_window": window},
        }
        for window in SLI_WINDOWS
    ]
    period = f"{slo.window_days}d"
    five = f"slo:sli_error:ratio_rate5m{{{_selector(slo_name)}}}"
    rules.append(
        {
            "record": f"slo:sli_error:ratio_rate{period}",
            # Sloth's period series: the mean of the 5 m ratios (not traffic-weighted).
            "expr": f"sum_over_time({five}[{period}])\n/ ignoring (sloth_window)\n"
            f"count_over_time({five}[{period}])",
            "labels": {**labels, "sloth_window": period},
        }
    )
    return {"name": f"sloth-slo-sli-recordings-{sloth_id(slo_name)}", "rules": rules}


def _meta_group(
    slo: SloSettings, slo_name: str, namespace: str, objective: float
) -> dict[str, Any]:
    labels = _sloth_labels(slo_name, namespace)
    ratio = objective / 100
    sel = _selector(slo_name)
    join = "/ on(sloth_id, sloth_slo, sloth_service) group_left"
    return {
        "name": f"sloth-slo-meta-recordings-{sloth_id(slo_name)}",
        "rules": [
            {"record": "slo:objective:ratio", "expr": f"vector({ratio:.6g})", "labels": labels},
            {
                "record": "slo:error_budget:ratio",
                "expr": f"vector(1 - {ratio:.6g})",
                "labels": labels,
            },
            {
                "record": "slo:time_period:days",
                "expr": f"vector({slo.window_days})",
                "labels": labels,
            },
            {
                "record": "slo:current_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate5m{{{sel}}}\n{join}\n"
                f"slo:error_budget:ratio{{{sel}}}",
                "labels": labels,
            },
            {
                "record": "slo:period_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate{slo.window_days}d{{{sel}}}\n{join}\n"
                f"slo:error_budget:ratio{{{sel}}}",
                "labels": labels,
            },
            {
                "record": "slo:period_error_budget_remaining:ratio",
                "expr": f"1 - slo:period_burn_rate:ratio{{{sel}}}",
                "labels": labels,
            },
            {
                "record": "sloth_slo_info",
                "expr": "vector(1)",
                "labels": {**labels, "sloth_mode": "sophia-infra", "sloth_spec": "prometheus/v1"},
            },
        ],
    }


def _pair(slo: SloSettings, slo_name: str, namespace: str, pair: BurnWindow, budget: float) -> str:
    threshold = f"({pair.factor(slo.window_days):g} * {budget:.6g})"
    sel = _selector(slo_name)
    return (
        f"(\n  (slo:sli_error:ratio_rate{pair.short}{{{sel}}} > {threshold})\n"
        f"  and ignoring (sloth_window)\n"
        f"  (slo:sli_error:ratio_rate{pair.long}{{{sel}}} > {threshold})\n"
        f"  and on()\n  ({traffic_guard(slo, namespace, pair.long)})\n)"
    )


def burn_alert_expr(
    slo: SloSettings, slo_name: str, namespace: str, severity: str, objective: float
) -> str:
    budget = 1 - objective / 100
    pairs = [
        _pair(slo, slo_name, namespace, pair, budget)
        for pair in BURN_WINDOWS
        if pair.severity == severity
    ]
    return "max without (sloth_window) (\n" + "\nor ignoring (sloth_window)\n".join(pairs) + "\n)"


def _alert(
    slo: SloSettings,
    name: str,
    expr: str,
    pages: bool,
    sloth_severity: str,
    summary: str,
    description: str,
    for_: str | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {
        "severity": "critical" if pages else "warning",
        "sloth_severity": sloth_severity,
    }
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": slo.runbook_url(name),
    }
    return rule


def _pairs_text(slo: SloSettings, severity: str) -> str:
    return " or ".join(
        f"{pair.factor(slo.window_days):g}x over {pair.long} and {pair.short} "
        f"({pair.budget_percent:g} % of the budget)"
        for pair in BURN_WINDOWS
        if pair.severity == severity
    )


def _burn_alerts(
    slo: SloSettings,
    slo_name: str,
    namespace: str,
    objective: float,
    pages: bool,
    names: tuple[str, str],
    what: str,
) -> dict[str, Any]:
    page_name, ticket_name = names
    return {
        "name": f"sloth-slo-alerts-{sloth_id(slo_name)}",
        "rules": [
            _alert(
                slo,
                page_name,
                burn_alert_expr(slo, slo_name, namespace, "page", objective),
                pages,
                "page",
                f"{what} SLO ({objective:g} % over {slo.window_days} d) error budget burning fast",
                f"{what} in {namespace} burns its {slo.window_days}-day error budget: "
                + _pairs_text(slo, "page")
                + " (the slo:sli_error:ratio_rate* series show how much).",
            ),
            _alert(
                slo,
                ticket_name,
                burn_alert_expr(slo, slo_name, namespace, "ticket", objective),
                False,
                "ticket",
                f"{what} SLO ({objective:g} % over {slo.window_days} d) error budget burning",
                f"{what} in {namespace} burns its {slo.window_days}-day error budget: "
                + _pairs_text(slo, "ticket")
                + " (the slo:sli_error:ratio_rate* series show how much).",
            ),
        ],
    }


def _regex_literal(text: str) -> str:
    """A literal for a PromQL regex inside a double-quoted string: catalog names hold letters,
    digits, '_', '-', '.' and '/' (components/settings/estuary.py); only '.' is special in RE2."""
    return text.replace(".", "\\\\.")


def freshness_expr(slo: SloSettings, tenant_prefix: str) -> str:
    return (
        f"time() - max by (task, collection) ({ESTUARY_FRESHNESS_METRIC}"
        f'{{task=~"{_regex_literal(tenant_prefix)}.*"}}) > {slo.freshness.objective_seconds}'
    )


def _freshness_group(slo: SloSettings, tenant_prefix: str) -> dict[str, Any]:
    objective = slo.freshness.objective_seconds
    return {
        "name": "sophia-slo-freshness",
        "rules": [
            _alert(
                slo,
                FRESHNESS_ALERT,
                freshness_expr(slo, tenant_prefix),
                slo.freshness.page,
                "page" if slo.freshness.page else "ticket",
                "{{ $labels.collection }} in Snowflake is {{ $value | humanizeDuration }} "
                f"behind its source (objective {objective} s)",
                "Estuary's materialization {{ $labels.task }} last committed a document "
                "published {{ $value | humanizeDuration }} ago "
                f"({ESTUARY_FRESHNESS_METRIC}); the freshness objective is {objective} s.",
                for_=FRESHNESS_FOR,
            )
        ],
    }


def slo_rule_groups(slo: SloSettings, namespace: str, tenant_prefix: str) -> list[dict[str, Any]]:
    """Every rule group of the stack's PrometheusRule, in a stable order."""
    availability, latency = slo.availability, slo.latency
    return [
        _sli_group(
            slo,
            AVAILABILITY_SLO,
            namespace,
            lambda window: availability_error_ratio(namespace, window),
        ),
        _meta_group(slo, AVAILABILITY_SLO, namespace, availability.objective_percent),
        _burn_alerts(
            slo,
            AVAILABILITY_SLO,
            namespace,
            availability.objective_percent,
            availability.page,
            (AVAILABILITY_PAGE_ALERT, AVAILABILITY_TICKET_ALERT),
            "API availability",
        ),
        _sli_group(
            slo,
            LATENCY_SLO,
            namespace,
            lambda window: latency_error_ratio(slo, namespace, window),
        ),
        _meta_group(slo, LATENCY_SLO, namespace, latency.objective_percent),
        _burn_alerts(
            slo,
            LATENCY_SLO,
            namespace,
            latency.objective_percent,
            latency.page,
            (LATENCY_PAGE_ALERT, LATENCY_TICKET_ALERT),
            f"API latency (within {latency.threshold_seconds:g} s)",
        ),
        _freshness_group(slo, tenant_prefix),
    ]

"""Argo Rollouts objects: the canary strategy, its analysis, and how long `pulumi up` may wait.

The controller does the rolling back: a background analysis measures the canary pods' 5xx ratio
and aborts the Rollout at the stack's threshold. The engine's wait (`pulumi.com/waitFor`) can only
hold `pulumi up` on the *first* create: on an update it sees the previous revision's Healthy
status before the controller has reacted (docs/kubernetes.md "The gate"), so the release workflow
runs `python -m jobs.rollout_gate` after `up`, which waits for the new revision.
"""

from __future__ import annotations

import math
from typing import Any

from components.settings.kubernetes import CanarySettings, KubernetesSettings, duration_seconds

ROLLOUTS_API_VERSION = "argoproj.io/v1alpha1"
GATEWAY_API_PLUGIN = "argoproj-labs/gatewayAPI"
WAIT_FOR_ANNOTATION = "pulumi.com/waitFor"
WAIT_FOR_HEALTHY = "jsonpath={.status.phase}=Healthy"
# Pod label the Rollout sets per version; the PodMonitor copies it onto the series.
ROLE_LABEL = "role"
CANARY_ROLE = "canary"
STABLE_ROLE = "stable"
# How long one step may take to get its pods Ready (also the Rollout's progress deadline).
PROGRESS_DEADLINE_SECONDS = 600
# The app's request counter (prometheus-fastapi-instrumentator's name; `status` is "5xx" or "503").
REQUESTS_METRIC = "http_requests_total"


def error_ratio_query(namespace: str, window_seconds: int) -> str:
    """PromQL for the canary pods' 5xx share; always one sample (0 when there is no traffic).

    Pods carry `role=canary` only while they are the canary (`canaryMetadata`); the PodMonitor
    (monitoring.py) copies that pod label onto the series.
    """
    selector = f'namespace="{namespace}",{ROLE_LABEL}="{CANARY_ROLE}"'
    window = f"{window_seconds}s"
    errors = f'sum(rate({REQUESTS_METRIC}{{{selector},status=~"5.."}}[{window}]))'
    total = f"sum(rate({REQUESTS_METRIC}{{{selector}}}[{window}]))"
    # `or vector(...)` turns "no series yet" into a number, so the first measurements of a fresh
    # canary are 0 rather than an evaluation error.
    return f"({errors} or vector(0)) / (({total} > 0) or vector(1))"


def firing_alert_query(alert: str, namespace: str) -> str:
    """How many instances of `alert` fire for the namespace; 0 when none (Prometheus keeps the
    `ALERTS{alertname, alertstate, <alert labels>}` series per active alert, docs "Alerting
    rules", "Inspecting alerts during runtime")."""
    return (
        f'sum(ALERTS{{alertname="{alert}",alertstate="firing",namespace="{namespace}"}}) '
        "or vector(0)"
    )


def analysis_template_spec(
    canary: CanarySettings,
    settings: KubernetesSettings,
    namespace: str,
    page_alert: str | None = None,
) -> dict[str, Any]:
    """The canary's analysis: its own 5xx ratio, and (with `page_alert`) the SLO's page alert,
    so a canary never keeps running while the service burns its budget faster than the page
    allows (docs/slo.md, "The canary and the budget")."""
    assert canary.max_error_rate is not None  # CanarySettings guarantees it for strategy canary
    interval = duration_seconds(canary.analysis_interval)
    budget = (
        [
            {
                "name": "slo-page-alert",
                "interval": canary.analysis_interval,
                "failureLimit": 0,  # the first measurement while the page fires aborts
                "failureCondition": "result[0] >= 1",
                "provider": {
                    "prometheus": {
                        "address": settings.prometheus_address,
                        "query": firing_alert_query(page_alert, namespace),
                    }
                },
            }
        ]
        if page_alert
        else []
    )
    return {
        "metrics": [
            {
                "name": "error-ratio",
                "interval": canary.analysis_interval,
                # Failed measurements tolerated; one more aborts the rollout.
                "failureLimit": canary.failure_limit,
                "failureCondition": f"result[0] >= {canary.max_error_rate}",
                "provider": {
                    "prometheus": {
                        "address": settings.prometheus_address,
                        "query": error_ratio_query(namespace, max(2 * interval, 60)),
                    }
                },
            },
            *budget,
        ]
    }


def canary_steps(canary: CanarySettings) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for step in canary.effective_steps():
        if step.set_weight is not None:
            steps.append({"setWeight": step.set_weight})
        else:
            assert step.pause is not None
            steps.append({"pause": {"duration": step.pause.duration}})
    return steps


def rollout_spec(
    *,
    canary: CanarySettings,
    settings: KubernetesSettings,
    selector: dict[str, str],
    template: dict[str, Any],
    stable_service: str,
    canary_service: str,
    analysis_template: str,
    traffic_routing: dict[str, Any],
) -> dict[str, Any]:
    return {
        # Only the first value counts: the HPA owns spec.replicas afterwards (ignore_changes).
        "replicas": settings.replicas,
        "revisionHistoryLimit": 5,
        "minReadySeconds": 10,
        "progressDeadlineSeconds": PROGRESS_DEADLINE_SECONDS,
        # A canary that cannot get Ready is aborted too, not left hanging.
        "progressDeadlineAbort": True,
        # Reverting to one of the last 3 images skips the steps: a rollback must be fast.
        "rollbackWindow": {"revisions": 3},
        "selector": {"matchLabels": selector},
        "template": template,
        "strategy": {
            "canary": {
                "stableService": stable_service,
                "canaryService": canary_service,
                "canaryMetadata": {"labels": {ROLE_LABEL: CANARY_ROLE}},
                "stableMetadata": {"labels": {ROLE_LABEL: STABLE_ROLE}},
                "trafficRouting": traffic_routing,
                "maxSurge": "25%",
                "maxUnavailable": 0,
                # Keep aborted canary pods for a while so their logs can be read.
                "abortScaleDownDelaySeconds": 600,
                "analysis": {"templates": [{"templateName": analysis_template}]},
                "steps": canary_steps(canary),
            }
        },
    }


def rollout_timeout_minutes(canary: CanarySettings) -> int:
    """How long `pulumi up` may wait for Healthy: every pause plus a progress deadline per step."""
    steps = canary.effective_steps()
    paused = sum(duration_seconds(step.pause.duration) for step in steps if step.pause is not None)
    weights = sum(1 for step in steps if step.set_weight is not None)
    total = paused + (weights + 1) * PROGRESS_DEADLINE_SECONDS
    return math.ceil(total / 60)

"""The canary rules (kubernetes/canary.py): a violating and a compliant object for each."""

from __future__ import annotations

import copy
from typing import Any

from policies.sophia_policies.kubernetes import objects as k8s
from policies.sophia_policies.kubernetes.canary import failure_threshold
from tests.policies.kubernetes.helpers import ANALYSIS, LABELS, ROLLOUT, stack
from tests.policies.support import check, check_stack

COVERED = {
    "k8s-canary-first-weight",
    "k8s-canary-analysis",
    "k8s-canary-metric-source",
}


def rollout_with_steps(steps: list[dict[str, Any]]) -> dict[str, Any]:
    obj = copy.deepcopy(ROLLOUT)
    obj["spec"]["strategy"]["canary"]["steps"] = steps
    return obj


def test_a_first_canary_step_of_80_percent_fires() -> None:
    obj = rollout_with_steps([{"setWeight": 80}, {"pause": {"duration": "10m"}}])
    assert check("k8s-canary-first-weight", k8s.ROLLOUT, obj) == [
        "Rollout sophia-api's first canary step sends 80% of traffic to the new version; this stack allows 1..50% (minFirstWeight..maxFirstWeight)"
    ]


def test_a_canary_without_weights_fires() -> None:
    obj = rollout_with_steps([{"pause": {"duration": "10m"}}])
    assert check("k8s-canary-first-weight", k8s.ROLLOUT, obj) == [
        "Rollout sophia-api's canary has no setWeight step, so the new version takes 100% of traffic at once; start with a setWeight of 1..50"
    ]


def test_a_rollout_without_canary_fires_where_one_is_required() -> None:
    obj = copy.deepcopy(ROLLOUT)
    obj["spec"]["strategy"] = {"blueGreen": {"activeService": "sophia-api"}}
    assert check("k8s-canary-first-weight", k8s.ROLLOUT, obj, {"requireCanary": True}) == [
        "Rollout sophia-api has no canary strategy; this stack releases through a canary"
    ]
    assert check("k8s-canary-first-weight", k8s.ROLLOUT, obj, {"requireCanary": False}) == []


def test_a_canary_starting_at_10_percent_passes() -> None:
    assert check("k8s-canary-first-weight", k8s.ROLLOUT, ROLLOUT, {"maxFirstWeight": 50}) == []


def test_a_looser_failure_threshold_than_the_stack_fires() -> None:
    loose = copy.deepcopy(ANALYSIS)
    loose["spec"]["metrics"][0]["failureCondition"] = "result[0] >= 0.05"
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.ANALYSIS_TEMPLATE, loose))
    assert check_stack("k8s-canary-analysis", resources, {"maxErrorRate": 0.01}) == [
        (
            "AnalysisTemplate sophia-api-error-ratio fails the canary only at an error ratio of 0.05; this stack's threshold is 0.01 (maxErrorRate)",
            resources[1].urn,
        )
    ]


def test_a_canary_without_analysis_fires() -> None:
    obj = copy.deepcopy(ROLLOUT)
    del obj["spec"]["strategy"]["canary"]["analysis"]
    resources = stack((k8s.ROLLOUT, obj))
    assert check_stack("k8s-canary-analysis", resources) == [
        (
            "Rollout sophia-api's canary runs no analysis, so nothing rolls back a failing version; reference an AnalysisTemplate (strategy.canary.analysis.templates)",
            resources[0].urn,
        )
    ]


def test_an_undeclared_template_an_unreadable_condition_and_a_high_failure_limit_fire() -> None:
    missing = stack((k8s.ROLLOUT, ROLLOUT))
    assert [m for m, _ in check_stack("k8s-canary-analysis", missing)] == [
        "Rollout sophia-api uses AnalysisTemplate sophia-api-error-ratio, which this stack does not declare, so its failure threshold cannot be checked"
    ]
    odd = copy.deepcopy(ANALYSIS)
    odd["spec"]["metrics"][0]["failureCondition"] = "len(result) == 0"
    odd["spec"]["metrics"][0]["failureLimit"] = 5
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.ANALYSIS_TEMPLATE, odd))
    assert [
        m for m, _ in check_stack("k8s-canary-analysis", resources, {"maxFailureLimit": 1})
    ] == [
        "AnalysisTemplate sophia-api-error-ratio has no metric with a failureCondition like 'result[0] >= 0.01', so the canary has no error threshold",
        "AnalysisTemplate sophia-api-error-ratio metric error-ratio tolerates 5 failed measurements; this stack allows 1 (maxFailureLimit)",
    ]


def test_an_inline_step_analysis_counts() -> None:
    obj = rollout_with_steps(
        [
            {"setWeight": 10},
            {"analysis": {"templates": [{"templateName": "sophia-api-error-ratio"}]}},
        ]
    )
    del obj["spec"]["strategy"]["canary"]["analysis"]
    assert (
        check_stack(
            "k8s-canary-analysis", stack((k8s.ROLLOUT, obj), (k8s.ANALYSIS_TEMPLATE, ANALYSIS))
        )
        == []
    )


def test_a_canary_at_the_stack_threshold_passes() -> None:
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.ANALYSIS_TEMPLATE, ANALYSIS))
    assert check_stack("k8s-canary-analysis", resources, {"maxErrorRate": 0.01}) == []
    assert failure_threshold("result >= 0.05") == 0.05


def _role_labelled() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    rollout = copy.deepcopy(ROLLOUT)
    rollout["spec"]["strategy"]["canary"]["canaryMetadata"] = {"labels": {"role": "canary"}}
    analysis = copy.deepcopy(ANALYSIS)
    analysis["spec"]["metrics"][0]["provider"]["prometheus"]["query"] = (
        'sum(rate(http_requests_total{namespace="sophia-prod",role="canary"}[2m]))'
    )
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "sophia-api", "namespace": "sophia-prod"},
        "spec": {
            "selector": {"matchLabels": LABELS},
            "podMetricsEndpoints": [{"port": "metrics"}],
            "podTargetLabels": ["role"],
        },
    }
    return rollout, analysis, monitor


METRIC_SOURCE_MISSING = (
    "Rollout sophia-api's analysis selects series by role (canaryMetadata), but no PodMonitor in "
    "namespace sophia-prod selects its pods with podTargetLabels ['role']; without it the query "
    "never sees the canary's requests and cannot roll back"
)


def test_a_canary_label_query_without_a_pod_monitor_fires() -> None:
    rollout, analysis, monitor = _role_labelled()
    resources = stack((k8s.ROLLOUT, rollout), (k8s.ANALYSIS_TEMPLATE, analysis))
    assert check_stack("k8s-canary-metric-source", resources) == [
        (METRIC_SOURCE_MISSING, resources[0].urn)
    ]
    no_label = copy.deepcopy(monitor)
    no_label["spec"]["podTargetLabels"] = []
    elsewhere = copy.deepcopy(monitor)
    elsewhere["metadata"]["namespace"] = "monitoring"
    other_pods = copy.deepcopy(monitor)
    other_pods["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    for wrong in (no_label, elsewhere, other_pods):
        resources = stack(
            (k8s.ROLLOUT, rollout), (k8s.ANALYSIS_TEMPLATE, analysis), (k8s.POD_MONITOR, wrong)
        )
        assert [m for m, _ in check_stack("k8s-canary-metric-source", resources)] == [
            METRIC_SOURCE_MISSING
        ]


def test_a_pod_monitor_copying_the_label_passes() -> None:
    rollout, analysis, monitor = _role_labelled()
    resources = stack(
        (k8s.ROLLOUT, rollout), (k8s.ANALYSIS_TEMPLATE, analysis), (k8s.POD_MONITOR, monitor)
    )
    assert check_stack("k8s-canary-metric-source", resources) == []
    # A query that does not select by a canary label needs no PodMonitor.
    plain = stack((k8s.ROLLOUT, rollout), (k8s.ANALYSIS_TEMPLATE, ANALYSIS))
    assert check_stack("k8s-canary-metric-source", plain) == []

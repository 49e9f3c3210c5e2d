"""Kubernetes rules over standard object shapes: a violating and a compliant object for each."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.sophia_policies import kubernetes as k8s
from tests.policies.support import check, check_stack, resource

COVERED = {
    "k8s-container-probes",
    "k8s-container-resources",
    "k8s-run-as-non-root",
    "k8s-read-only-root-filesystem",
    "k8s-no-privilege-escalation",
    "k8s-image-pinned",
    "k8s-autoscaling-and-disruption-budget",
    "k8s-canary-first-weight",
    "k8s-canary-analysis",
    "k8s-canary-metric-source",
}

DIGEST = "ghcr.io/sophia-ai/api@sha256:" + "6f" * 32
LABELS = {"app.kubernetes.io/name": "sophia-api", "app.kubernetes.io/instance": "sophia-api"}
CONTAINER: dict[str, Any] = {
    "name": "api",
    "image": DIGEST,
    "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": "http"}},
    "livenessProbe": {"httpGet": {"path": "/healthz/live", "port": "http"}},
    "resources": {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    },
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "capabilities": {"drop": ["ALL"]},
    },
}
TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {**LABELS, "app.kubernetes.io/part-of": "sophia"}},
    "spec": {"securityContext": {"runAsNonRoot": True}, "containers": [CONTAINER]},
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "sophia-api", "namespace": "sophia-prod"},
    "spec": {"replicas": 3, "selector": {"matchLabels": LABELS}, "template": TEMPLATE},
}
ROLLOUT: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "sophia-api", "namespace": "sophia-prod"},
    "spec": {
        "replicas": 9,
        "selector": {"matchLabels": LABELS},
        "template": TEMPLATE,
        "strategy": {
            "canary": {
                "analysis": {"templates": [{"templateName": "sophia-api-error-ratio"}]},
                "steps": [
                    {"setWeight": 10},
                    {"pause": {"duration": "10m"}},
                    {"setWeight": 50},
                    {"pause": {"duration": "10m"}},
                ],
            }
        },
    },
}
ANALYSIS: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "sophia-api-error-ratio", "namespace": "sophia-prod"},
    "spec": {
        "metrics": [
            {
                "name": "error-ratio",
                "failureCondition": "result[0] >= 0.01",
                "failureLimit": 1,
                "interval": "1m",
                "provider": {"prometheus": {"address": "http://p:9090", "query": "vector(0)"}},
            }
        ]
    },
}
HPA: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "sophia-api", "namespace": "sophia-prod"},
    "spec": {
        "minReplicas": 9,
        "maxReplicas": 30,
        "scaleTargetRef": {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "name": "sophia-api",
        },
    },
}
PDB: dict[str, Any] = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "sophia-api", "namespace": "sophia-prod"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": LABELS}},
}


def deployment_with(**container_changes: Any) -> dict[str, Any]:
    """The compliant Deployment with fields of its one container replaced (None removes)."""
    obj = copy.deepcopy(DEPLOYMENT)
    container = obj["spec"]["template"]["spec"]["containers"][0]
    for key, value in container_changes.items():
        if value is None:
            container.pop(key, None)
        else:
            container[key] = value
    return obj


POD_RULES = [
    "k8s-container-probes",
    "k8s-container-resources",
    "k8s-run-as-non-root",
    "k8s-read-only-root-filesystem",
    "k8s-no-privilege-escalation",
    "k8s-image-pinned",
]


@pytest.mark.parametrize("name", POD_RULES)
@pytest.mark.parametrize(("type_", "obj"), [(k8s.DEPLOYMENT, DEPLOYMENT), (k8s.ROLLOUT, ROLLOUT)])
def test_compliant_workloads_pass_every_pod_rule(
    name: str, type_: str, obj: dict[str, Any]
) -> None:
    assert check(name, type_, obj, {"requireDigest": True}) == []


def test_missing_probes_fire() -> None:
    assert check(
        "k8s-container-probes",
        k8s.DEPLOYMENT,
        deployment_with(readinessProbe=None, livenessProbe=None),
    ) == [
        "Deployment sophia-api container api has no readinessProbe or livenessProbe; Kubernetes cannot tell when it is ready or stuck"
    ]


def test_missing_limits_fire_and_cpu_limit_is_configurable() -> None:
    obj = deployment_with(resources={"requests": {"cpu": "1", "memory": "1Gi"}})
    assert check("k8s-container-resources", k8s.DEPLOYMENT, obj) == [
        "Deployment sophia-api container api sets no resources.limits.memory, resources.limits.cpu; every container needs CPU/memory requests and limits"
    ]
    obj = deployment_with(
        resources={"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    )
    assert check("k8s-container-resources", k8s.DEPLOYMENT, obj, {"requireCpuLimit": False}) == []


def test_init_containers_are_checked_too() -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["template"]["spec"]["initContainers"] = [{"name": "migrate", "image": DIGEST}]
    assert check("k8s-container-resources", k8s.DEPLOYMENT, obj) == [
        "Deployment sophia-api init container migrate sets no resources.requests.cpu, resources.requests.memory, resources.limits.memory, resources.limits.cpu; every container needs CPU/memory requests and limits"
    ]


def test_root_fires_and_the_pod_level_setting_counts() -> None:
    root = deployment_with(securityContext={**CONTAINER["securityContext"], "runAsNonRoot": False})
    assert check("k8s-run-as-non-root", k8s.DEPLOYMENT, root) == [
        "Deployment sophia-api container api may run as root; set securityContext.runAsNonRoot: true"
    ]
    uid0 = deployment_with(securityContext={**CONTAINER["securityContext"], "runAsUser": 0})
    assert check("k8s-run-as-non-root", k8s.DEPLOYMENT, uid0) == [
        "Deployment sophia-api container api runs as UID 0; set securityContext.runAsUser to a non-root UID"
    ]
    inherited = deployment_with(securityContext={"readOnlyRootFilesystem": True})
    assert check("k8s-run-as-non-root", k8s.DEPLOYMENT, inherited) == []  # pod says runAsNonRoot


def test_writable_root_filesystem_fires() -> None:
    obj = deployment_with(securityContext={"runAsNonRoot": True, "allowPrivilegeEscalation": False})
    assert check("k8s-read-only-root-filesystem", k8s.DEPLOYMENT, obj) == [
        "Deployment sophia-api container api has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it must write)"
    ]


def test_privilege_escalation_and_privileged_fire() -> None:
    obj = deployment_with(securityContext={"privileged": True, "readOnlyRootFilesystem": True})
    assert check("k8s-no-privilege-escalation", k8s.DEPLOYMENT, obj) == [
        "Deployment sophia-api container api is privileged; remove securityContext.privileged",
        "Deployment sophia-api container api may escalate privileges; set securityContext.allowPrivilegeEscalation: false",
    ]


@pytest.mark.parametrize(
    ("image", "config", "message"),
    [
        (
            "ghcr.io/sophia-ai/api:latest",
            {"requireDigest": False},
            "Deployment sophia-api container api runs 'ghcr.io/sophia-ai/api:latest'; 'latest' moves, pin a version or digest",
        ),
        (
            "ghcr.io/sophia-ai/api",
            {"requireDigest": False},
            "Deployment sophia-api container api runs 'ghcr.io/sophia-ai/api' without a tag (that means 'latest'); pin a version or digest",
        ),
        (
            "localhost:5000/sophia/api:1.4.2",
            {"requireDigest": True},
            "Deployment sophia-api container api runs 'localhost:5000/sophia/api:1.4.2'; this stack needs images pinned by digest ('<repository>@sha256:<64 hex>') so what was tested is what runs",
        ),
    ],
)
def test_unpinned_images_fire(image: str, config: dict[str, Any], message: str) -> None:
    assert check("k8s-image-pinned", k8s.DEPLOYMENT, deployment_with(image=image), config) == [
        message
    ]


def test_a_tagged_image_passes_where_no_digest_is_required() -> None:
    obj = deployment_with(image="localhost:5000/sophia/api:1.4.2")
    assert check("k8s-image-pinned", k8s.DEPLOYMENT, obj, {"requireDigest": False}) == []
    assert k8s.image_tag("localhost:5000/sophia/api") == (None, False)


def test_a_cronjob_pod_template_is_found() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:latest"}]}}}
            }
        },
    }
    assert check("k8s-image-pinned", k8s.CRON_JOB, cron, {"requireDigest": False}) == [
        "CronJob nightly container c runs 'x:latest'; 'latest' moves, pin a version or digest"
    ]


# --- canary -------------------------------------------------------------------------------------------


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


def stack(*objects: tuple[str, dict[str, Any]]) -> list[Any]:
    return [
        resource(type_, obj, f"{obj['kind'].lower()}-{i}") for i, (type_, obj) in enumerate(objects)
    ]


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
    assert k8s.failure_threshold("result >= 0.05") == 0.05


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


# --- HPA and PDB ---------------------------------------------------------------------------------------


def test_missing_hpa_and_pdb_fire_in_prod() -> None:
    resources = stack((k8s.ROLLOUT, ROLLOUT))
    config = {"requireHpa": True, "requirePdb": True}
    assert check_stack("k8s-autoscaling-and-disruption-budget", resources, config) == [
        (
            "Rollout sophia-api has no HorizontalPodAutoscaler; this stack needs one per workload (requireHpa)",
            resources[0].urn,
        ),
        (
            "Rollout sophia-api has no PodDisruptionBudget selecting its pods; this stack needs one so node drains keep it serving (requirePdb)",
            resources[0].urn,
        ),
    ]


def test_an_hpa_for_another_workload_or_too_low_a_floor_fires() -> None:
    other = copy.deepcopy(HPA)
    other["spec"]["scaleTargetRef"] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "sophia-api",
    }
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.HPA, other), (k8s.PDB, PDB))
    assert [m for m, _ in check_stack("k8s-autoscaling-and-disruption-budget", resources)] == [
        "Rollout sophia-api has no HorizontalPodAutoscaler; this stack needs one per workload (requireHpa)"
    ]
    low = copy.deepcopy(HPA)
    low["spec"]["minReplicas"] = 1
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.HPA, low), (k8s.PDB, PDB))
    assert check_stack(
        "k8s-autoscaling-and-disruption-budget", resources, {"minHpaReplicas": 3}
    ) == [
        (
            "HorizontalPodAutoscaler sophia-api lets Rollout sophia-api scale down to 1 replica(s); this stack needs at least 3 (minHpaReplicas)",
            resources[1].urn,
        )
    ]


def test_a_workload_with_hpa_and_pdb_passes_and_dev_needs_neither() -> None:
    resources = stack((k8s.ROLLOUT, ROLLOUT), (k8s.HPA, HPA), (k8s.PDB, PDB))
    assert (
        check_stack("k8s-autoscaling-and-disruption-budget", resources, {"minHpaReplicas": 3}) == []
    )
    lonely = stack((k8s.DEPLOYMENT, DEPLOYMENT))
    dev = {"requireHpa": False, "requirePdb": False}
    assert check_stack("k8s-autoscaling-and-disruption-budget", lonely, dev) == []

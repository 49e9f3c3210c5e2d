"""The pod rules (kubernetes/containers.py): a violating and a compliant object for each."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.sophia_policies.kubernetes import objects as k8s
from policies.sophia_policies.kubernetes.containers import image_tag
from tests.policies.kubernetes.helpers import CONTAINER, DEPLOYMENT, DIGEST, ROLLOUT
from tests.policies.support import check

COVERED = {
    "k8s-container-probes",
    "k8s-container-resources",
    "k8s-run-as-non-root",
    "k8s-read-only-root-filesystem",
    "k8s-no-privilege-escalation",
    "k8s-image-pinned",
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
    assert image_tag("localhost:5000/sophia/api") == (None, False)


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

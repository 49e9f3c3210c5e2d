"""The autoscaling and disruption-budget rule (kubernetes/scaling.py): violating and compliant
stacks."""

from __future__ import annotations

import copy

from policies.sophia_policies.kubernetes import objects as k8s
from tests.policies.kubernetes.helpers import DEPLOYMENT, HPA, PDB, ROLLOUT, stack
from tests.policies.support import check_stack

COVERED = {"k8s-autoscaling-and-disruption-budget"}


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

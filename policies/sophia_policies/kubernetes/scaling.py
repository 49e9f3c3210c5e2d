"""Autoscaling and disruption budgets (a stack rule): every scaled workload (`SCALED_TYPES`) has a
HorizontalPodAutoscaler with a high enough floor and a PodDisruptionBudget selecting its pods."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from ..common import as_number, get_path, label, stack_policy
from .objects import HPA, PDB, SCALED_TYPES, namespace_of, pod_template, selector_matches


def autoscaling_and_disruption_budget(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    hpas = [r for r in resources if r.resource_type == HPA]
    pdbs = [r for r in resources if r.resource_type == PDB]
    min_replicas = int(config["minHpaReplicas"])
    for workload in resources:
        if workload.resource_type not in SCALED_TYPES:
            continue
        kind = workload.resource_type.rsplit(":", 1)[-1]
        name = get_path(workload.props, "metadata", "name")
        namespace = namespace_of(workload.props)
        shown = label(workload.props, workload.name)
        if config["requireHpa"]:
            targeting = [
                h
                for h in hpas
                if get_path(h.props, "spec", "scaleTargetRef", "kind") == kind
                and (name is None or get_path(h.props, "spec", "scaleTargetRef", "name") == name)
                and namespace_of(h.props) == namespace
            ]
            if not targeting:
                yield (
                    f"{kind} {shown} has no HorizontalPodAutoscaler; this stack needs one per "
                    "workload (requireHpa)",
                    workload.urn,
                )
            for hpa in targeting:
                floor = as_number(get_path(hpa.props, "spec", "minReplicas"))
                floor = 1 if floor is None else floor
                if floor < min_replicas:
                    yield (
                        f"HorizontalPodAutoscaler {label(hpa.props)} lets {kind} {shown} scale "
                        f"down to {int(floor)} replica(s); this stack needs at least "
                        f"{min_replicas} (minHpaReplicas)",
                        hpa.urn,
                    )
        if config["requirePdb"]:
            labels = get_path(
                pod_template(workload.resource_type, workload.props), "metadata", "labels"
            )
            if not any(
                namespace_of(p.props) == namespace
                and selector_matches(get_path(p.props, "spec", "selector"), labels)
                for p in pdbs
            ):
                yield (
                    f"{kind} {shown} has no PodDisruptionBudget selecting its pods; this stack "
                    "needs one so node drains keep it serving (requirePdb)",
                    workload.urn,
                )


POLICIES = [
    stack_policy(
        name="k8s-autoscaling-and-disruption-budget",
        description="Scaled workloads have an HPA and a PDB where the stack requires them.",
        check=autoscaling_and_disruption_budget,
        config={
            "requireHpa": {"type": "boolean", "default": True},
            "requirePdb": {"type": "boolean", "default": True},
            "minHpaReplicas": {"type": "integer", "minimum": 1, "default": 2},
        },
    ),
]

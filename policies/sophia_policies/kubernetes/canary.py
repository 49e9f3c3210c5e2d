"""Argo Rollouts canaries: the first step's traffic share, the analysis that rolls a failing
version back (its failure threshold no looser than the stack's), and the PodMonitor that feeds an
analysis selecting by a canary pod label."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from ..common import as_number, get_path, is_list, label, resource_policy, stack_policy
from .objects import (
    ANALYSIS_TEMPLATE,
    CLUSTER_ANALYSIS_TEMPLATE,
    POD_MONITOR,
    ROLLOUT,
    namespace_of,
    pod_template,
    selector_matches,
)


def canary_first_weight(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    name = label(props)
    canary = get_path(props, "spec", "strategy", "canary")
    if not isinstance(canary, Mapping):
        if config["requireCanary"]:
            yield f"Rollout {name} has no canary strategy; this stack releases through a canary"
        return
    low, high = int(config["minFirstWeight"]), int(config["maxFirstWeight"])
    steps = canary.get("steps")
    weights = [
        get_path(step, "setWeight")
        for step in (steps if is_list(steps) else [])
        if get_path(step, "setWeight") is not None
    ]
    if not weights:
        yield (
            f"Rollout {name}'s canary has no setWeight step, so the new version takes 100% of "
            f"traffic at once; start with a setWeight of {low}..{high}"
        )
        return
    first = as_number(weights[0])
    if first is None or not low <= first <= high:
        yield (
            f"Rollout {name}'s first canary step sends {weights[0]}% of traffic to the new "
            f"version; this stack allows {low}..{high}% (minFirstWeight..maxFirstWeight)"
        )


_FAILURE = re.compile(r"^\s*result(?:\[0\])?\s*(>=|>)\s*([0-9]*\.?[0-9]+)\s*$")


def failure_threshold(condition: Any) -> float | None:
    """`result[0] >= 0.01` -> 0.01; None for anything else."""
    if not isinstance(condition, str):
        return None
    match = _FAILURE.match(condition)
    return float(match.group(2)) if match else None


def _template_refs(canary: Mapping[str, Any]) -> list[tuple[str, bool]]:
    refs: list[Any] = []
    background = get_path(canary, "analysis", "templates")
    refs += list(background) if is_list(background) else []
    steps = canary.get("steps")
    for step in steps if is_list(steps) else []:
        inline = get_path(step, "analysis", "templates")
        refs += list(inline) if is_list(inline) else []
    return [
        (str(ref.get("templateName")), bool(ref.get("clusterScope")))
        for ref in refs
        if isinstance(ref, Mapping) and ref.get("templateName")
    ]


def canary_analysis(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    max_rate = float(config["maxErrorRate"])
    max_limit = int(config["maxFailureLimit"])
    templates = {
        (r.resource_type == CLUSTER_ANALYSIS_TEMPLATE, get_path(r.props, "metadata", "name")): r
        for r in resources
        if r.resource_type in (ANALYSIS_TEMPLATE, CLUSTER_ANALYSIS_TEMPLATE)
    }
    for rollout in resources:
        if rollout.resource_type != ROLLOUT:
            continue
        canary = get_path(rollout.props, "spec", "strategy", "canary")
        if not isinstance(canary, Mapping):
            continue
        name = label(rollout.props)
        refs = _template_refs(canary)
        if not refs:
            yield (
                f"Rollout {name}'s canary runs no analysis, so nothing rolls back a failing "
                "version; reference an AnalysisTemplate (strategy.canary.analysis.templates)",
                rollout.urn,
            )
            continue
        for template_name, cluster_scope in refs:
            template = templates.get((cluster_scope, template_name))
            kind = "ClusterAnalysisTemplate" if cluster_scope else "AnalysisTemplate"
            if template is None or (
                not cluster_scope and namespace_of(template.props) != namespace_of(rollout.props)
            ):
                yield (
                    f"Rollout {name} uses {kind} {template_name}, which this stack does not "
                    "declare, so its failure threshold cannot be checked",
                    rollout.urn,
                )
                continue
            metrics = get_path(template.props, "spec", "metrics")
            metrics = list(metrics) if is_list(metrics) else []
            thresholds = [failure_threshold(get_path(m, "failureCondition")) for m in metrics]
            known = [t for t in thresholds if t is not None]
            if not known:
                yield (
                    f"{kind} {template_name} has no metric with a failureCondition like "
                    f"'result[0] >= {max_rate}', so the canary has no error threshold",
                    template.urn,
                )
            elif min(known) > max_rate:
                yield (
                    f"{kind} {template_name} fails the canary only at an error ratio of "
                    f"{min(known)}; this stack's threshold is {max_rate} (maxErrorRate)",
                    template.urn,
                )
            for metric in metrics:
                limit = as_number(get_path(metric, "failureLimit"))
                if limit is not None and limit > max_limit:
                    yield (
                        f"{kind} {template_name} metric {get_path(metric, 'name')} tolerates "
                        f"{int(limit)} failed measurements; this stack allows {max_limit} "
                        "(maxFailureLimit)",
                        template.urn,
                    )


def _queries(template: PolicyResource) -> list[str]:
    metrics = get_path(template.props, "spec", "metrics")
    queries = [
        get_path(metric, "provider", "prometheus", "query")
        for metric in (metrics if is_list(metrics) else [])
    ]
    return [query for query in queries if isinstance(query, str)]


def canary_metric_source(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    """A canary analysis that selects series by a `canaryMetadata` label needs a PodMonitor that
    copies that pod label onto the series (`podTargetLabels`), or the query only ever sees 0."""
    templates = {
        (namespace_of(r.props), get_path(r.props, "metadata", "name")): r
        for r in resources
        if r.resource_type == ANALYSIS_TEMPLATE
    }
    monitors = [r for r in resources if r.resource_type == POD_MONITOR]
    for rollout in resources:
        if rollout.resource_type != ROLLOUT:
            continue
        canary = get_path(rollout.props, "spec", "strategy", "canary")
        labels = get_path(canary, "canaryMetadata", "labels")
        if not isinstance(canary, Mapping) or not isinstance(labels, Mapping):
            continue
        namespace = namespace_of(rollout.props)
        queries = [
            query
            for name, cluster_scope in _template_refs(canary)
            if not cluster_scope and (namespace, name) in templates
            for query in _queries(templates[(namespace, name)])
        ]
        used = sorted(key for key in labels if any(f'{key}="' in query for query in queries))
        if not used:
            continue
        pod_labels = get_path(pod_template(ROLLOUT, rollout.props), "metadata", "labels")
        feeding = [
            monitor
            for monitor in monitors
            if namespace_of(monitor.props) == namespace
            and selector_matches(get_path(monitor.props, "spec", "selector"), pod_labels)
            and set(used) <= set(get_path(monitor.props, "spec", "podTargetLabels") or [])
        ]
        if not feeding:
            yield (
                f"Rollout {label(rollout.props)}'s analysis selects series by "
                f"{', '.join(used)} (canaryMetadata), but no PodMonitor in namespace {namespace} "
                f"selects its pods with podTargetLabels {used}; without it the query never sees "
                "the canary's requests and cannot roll back",
                rollout.urn,
            )


POLICIES = [
    resource_policy(
        name="k8s-canary-first-weight",
        description="A Rollout's first canary step sends a bounded share of traffic.",
        resource_types=[ROLLOUT],
        check=canary_first_weight,
        config={
            "requireCanary": {"type": "boolean", "default": True},
            "minFirstWeight": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1},
            "maxFirstWeight": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
        },
    ),
    stack_policy(
        name="k8s-canary-metric-source",
        description="A canary analysis that selects by a canary pod label has a PodMonitor "
        "copying that label onto the series.",
        check=canary_metric_source,
    ),
    stack_policy(
        name="k8s-canary-analysis",
        description="Canaries run an analysis with a failure threshold no looser than the stack's.",
        check=canary_analysis,
        config={
            "maxErrorRate": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "default": 0.01,
            },
            "maxFailureLimit": {"type": "integer", "minimum": 0, "default": 1},
        },
    ),
]

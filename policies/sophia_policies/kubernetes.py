"""Kubernetes rules over standard object shapes (apiVersion/kind/metadata/spec).

Pod-level rules look at every pod template the stack declares: Deployments, StatefulSets,
DaemonSets, ReplicaSets, Jobs, CronJobs, bare Pods, PodTemplates and Argo Rollouts
(`spec.template`). Pods a Helm chart renders inside the cluster are not visible to these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from .common import as_number, get_path, is_list, label, resource_policy, stack_policy

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
POD_TEMPLATE = "kubernetes:core/v1:PodTemplate"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"
CLUSTER_ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:ClusterAnalysisTemplate"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"

POD_TYPES = (
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    REPLICA_SET,
    JOB,
    CRON_JOB,
    POD,
    POD_TEMPLATE,
    ROLLOUT,
)
# Long-running, horizontally scaled workloads: each needs an HPA and a PDB where required.
SCALED_TYPES = (DEPLOYMENT, STATEFUL_SET, ROLLOUT)


def pod_template(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod template (metadata + spec) of a workload, or None if it has none inline."""
    if resource_type == POD:
        return props
    if resource_type == POD_TEMPLATE:
        return get_path(props, "template")
    if resource_type == CRON_JOB:
        return get_path(props, "spec", "jobTemplate", "spec", "template")
    return get_path(props, "spec", "template")


def _pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    spec = get_path(pod_template(resource_type, props), "spec")
    return spec if isinstance(spec, Mapping) else None


def _containers(
    spec: Mapping[str, Any], *, init: bool = True
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    groups = ("containers", "initContainers") if init else ("containers",)
    for group in groups:
        items = spec.get(group)
        for item in items if is_list(items) else []:
            if isinstance(item, Mapping):
                kind = "init container" if group == "initContainers" else "container"
                yield f"{kind} {item.get('name', '?')}", item


def _where(resource_type: str, props: Mapping[str, Any], container: str) -> str:
    return f"{resource_type.rsplit(':', 1)[-1]} {label(props)} {container}"


# --- containers -----------------------------------------------------------------------------------


def container_probes(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    required = list(config["requiredProbes"])
    for name, container in _containers(spec, init=False):
        missing = [p for p in required if not isinstance(container.get(p), Mapping)]
        if missing:
            yield (
                f"{_where(resource_type, props, name)} has no {' or '.join(missing)}; Kubernetes "
                "cannot tell when it is ready or stuck"
            )


def container_resources(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    needed = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if config["requireCpuLimit"]:
        needed.append(("limits", "cpu"))
    for name, container in _containers(spec):
        missing = [
            f"{kind}.{resource}"
            for kind, resource in needed
            if get_path(container, "resources", kind, resource) in (None, "")
        ]
        if missing:
            yield (
                f"{_where(resource_type, props, name)} sets no "
                f"resources.{', resources.'.join(missing)}; every container needs CPU/memory "
                "requests and limits"
            )


def _security(spec: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """The effective securityContext field: the container's, else the pod's."""
    value = get_path(container, "securityContext", key)
    return value if value is not None else get_path(spec, "securityContext", key)


def run_as_non_root(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    for name, container in _containers(spec):
        where = _where(resource_type, props, name)
        if _security(spec, container, "runAsNonRoot") is not True:
            yield f"{where} may run as root; set securityContext.runAsNonRoot: true"
        elif as_number(_security(spec, container, "runAsUser")) == 0:
            yield f"{where} runs as UID 0; set securityContext.runAsUser to a non-root UID"


def read_only_root_filesystem(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    for name, container in _containers(spec):
        if get_path(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield (
                f"{_where(resource_type, props, name)} has a writable root filesystem; set "
                "securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it must "
                "write)"
            )


def no_privilege_escalation(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    for name, container in _containers(spec):
        where = _where(resource_type, props, name)
        if get_path(container, "securityContext", "privileged") is True:
            yield f"{where} is privileged; remove securityContext.privileged"
        if get_path(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield (
                f"{where} may escalate privileges; set "
                "securityContext.allowPrivilegeEscalation: false"
            )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_tag(image: str) -> tuple[str | None, bool]:
    """(tag or None, has a sha256 digest) of an image reference."""
    digest = bool(_DIGEST.search(image))
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    return tag, digest


def image_pinned(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    spec = _pod_spec(resource_type, props)
    if spec is None:
        return
    for name, container in _containers(spec):
        where = _where(resource_type, props, name)
        image = container.get("image")
        if not isinstance(image, str) or not image:
            yield f"{where} names no image"
            continue
        tag, digest = image_tag(image)
        if config["requireDigest"] and not digest:
            yield (
                f"{where} runs {image!r}; this stack needs images pinned by digest "
                "('<repository>@sha256:<64 hex>') so what was tested is what runs"
            )
        elif not digest and tag is None:
            yield (
                f"{where} runs {image!r} without a tag (that means 'latest'); pin a version "
                "or digest"
            )
        elif tag == "latest":
            yield f"{where} runs {image!r}; 'latest' moves, pin a version or digest"


# --- canary ---------------------------------------------------------------------------------------


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


def _namespace(props: Mapping[str, Any]) -> Any:
    return get_path(props, "metadata", "namespace")


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
                not cluster_scope and _namespace(template.props) != _namespace(rollout.props)
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
        (_namespace(r.props), get_path(r.props, "metadata", "name")): r
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
        namespace = _namespace(rollout.props)
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
            if _namespace(monitor.props) == namespace
            and _matches(get_path(monitor.props, "spec", "selector"), pod_labels)
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


# --- autoscaling and disruption budgets (stack) ---------------------------------------------------


def _matches(selector: Any, labels: Any) -> bool:
    match_labels = get_path(selector, "matchLabels")
    if not isinstance(match_labels, Mapping) or not match_labels or not isinstance(labels, Mapping):
        return False
    return all(labels.get(k) == v for k, v in match_labels.items())


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
        namespace = _namespace(workload.props)
        shown = label(workload.props, workload.name)
        if config["requireHpa"]:
            targeting = [
                h
                for h in hpas
                if get_path(h.props, "spec", "scaleTargetRef", "kind") == kind
                and (name is None or get_path(h.props, "spec", "scaleTargetRef", "name") == name)
                and _namespace(h.props) == namespace
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
                _namespace(p.props) == namespace
                and _matches(get_path(p.props, "spec", "selector"), labels)
                for p in pdbs
            ):
                yield (
                    f"{kind} {shown} has no PodDisruptionBudget selecting its pods; this stack "
                    "needs one so node drains keep it serving (requirePdb)",
                    workload.urn,
                )


# --- policies -------------------------------------------------------------------------------------

POLICIES = [
    resource_policy(
        name="k8s-container-probes",
        description="Every container has readiness and liveness probes.",
        resource_types=POD_TYPES,
        check=container_probes,
        config={
            "requiredProbes": {
                "type": "array",
                "items": {"enum": ["readinessProbe", "livenessProbe", "startupProbe"]},
                "default": ["readinessProbe", "livenessProbe"],
            }
        },
    ),
    resource_policy(
        name="k8s-container-resources",
        description="Every container sets CPU/memory requests and limits.",
        resource_types=POD_TYPES,
        check=container_resources,
        config={"requireCpuLimit": {"type": "boolean", "default": True}},
    ),
    resource_policy(
        name="k8s-run-as-non-root",
        description="Containers run as a non-root user.",
        resource_types=POD_TYPES,
        check=run_as_non_root,
    ),
    resource_policy(
        name="k8s-read-only-root-filesystem",
        description="Containers have a read-only root filesystem.",
        resource_types=POD_TYPES,
        check=read_only_root_filesystem,
    ),
    resource_policy(
        name="k8s-no-privilege-escalation",
        description="Containers are not privileged and cannot escalate privileges.",
        resource_types=POD_TYPES,
        check=no_privilege_escalation,
    ),
    resource_policy(
        name="k8s-image-pinned",
        description="No 'latest' or untagged images; a digest where the stack requires it.",
        resource_types=POD_TYPES,
        check=image_pinned,
        config={"requireDigest": {"type": "boolean", "default": True}},
    ),
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

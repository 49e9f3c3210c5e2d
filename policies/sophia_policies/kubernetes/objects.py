"""Kubernetes resource types, the pod template of a workload, and the namespace and selector
helpers the stack rules share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..common import get_path

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


def namespace_of(props: Mapping[str, Any]) -> Any:
    return get_path(props, "metadata", "namespace")


def selector_matches(selector: Any, labels: Any) -> bool:
    match_labels = get_path(selector, "matchLabels")
    if not isinstance(match_labels, Mapping) or not match_labels or not isinstance(labels, Mapping):
        return False
    return all(labels.get(k) == v for k, v in match_labels.items())

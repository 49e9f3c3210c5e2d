"""Specs that guard the running pods: autoscaling, disruption budget, network policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from components.k8s.canary import ROLLOUTS_API_VERSION
from components.k8s.pod import HTTP_PORT, METRICS_PORT
from components.settings.kubernetes import AutoscalingSettings, KubernetesSettings

_TARGET_API_VERSION = {"Rollout": ROLLOUTS_API_VERSION, "Deployment": "apps/v1"}


def autoscaler_spec(
    scaling: AutoscalingSettings, kind: Literal["Rollout", "Deployment"], name: str
) -> dict[str, Any]:
    """autoscaling/v2 on CPU: quick to add pods, slow to remove them (docs/kubernetes.md)."""
    return {
        "scaleTargetRef": {"apiVersion": _TARGET_API_VERSION[kind], "kind": kind, "name": name},
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": scaling.target_cpu_utilization,
                    },
                },
            }
        ],
        "behavior": {
            "scaleUp": {
                "stabilizationWindowSeconds": 0,
                "selectPolicy": "Max",
                "policies": [
                    {"type": "Percent", "value": 100, "periodSeconds": 60},
                    {"type": "Pods", "value": 4, "periodSeconds": 60},
                ],
            },
            # Scaling down cuts WebSocket streams: wait out short dips, one pod at a time.
            "scaleDown": {
                "stabilizationWindowSeconds": 600,
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
            },
        },
    }


def disruption_budget_spec(selector: dict[str, str]) -> dict[str, Any]:
    return {
        # One voluntary eviction at a time; with one replica (dev) node drains still proceed.
        "maxUnavailable": 1,
        "selector": {"matchLabels": selector},
        # A pod that is not Ready serves nobody; evicting it must not be blocked.
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }


def _namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def network_policy_spec(
    settings: KubernetesSettings,
    selector: dict[str, str],
    extra_egress: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """In: only the gateway (and Prometheus on the metrics port). Out: DNS and HTTPS, plus
    `extra_egress`: the legacy systems a migration row declares (components/k8s/migration.py)."""
    ingress: list[dict[str, Any]] = [
        {
            "from": [_namespace_peer(settings.router.source_namespace)],
            "ports": [{"protocol": "TCP", "port": HTTP_PORT}],
        }
    ]
    if settings.monitoring_namespace:
        # The canary analysis depends on these scrapes.
        ingress.append(
            {
                "from": [_namespace_peer(settings.monitoring_namespace)],
                "ports": [{"protocol": "TCP", "port": METRICS_PORT}],
            }
        )
    return {
        "podSelector": {"matchLabels": selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": [
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            # Snowflake, Portkey and the other SaaS backends are HTTPS only.
            {"ports": [{"protocol": "TCP", "port": 443}]},
            *(dict(rule) for rule in extra_egress),
        ],
    }

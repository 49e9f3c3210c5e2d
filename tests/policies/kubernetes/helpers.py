"""The compliant objects the Kubernetes rule tests start from, and a stack of them."""

from __future__ import annotations

from typing import Any

from tests.policies.support import resource

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


def stack(*objects: tuple[str, dict[str, Any]]) -> list[Any]:
    return [
        resource(type_, obj, f"{obj['kind'].lower()}-{i}") for i, (type_, obj) in enumerate(objects)
    ]

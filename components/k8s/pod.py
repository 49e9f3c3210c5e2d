"""The API pod template, shared by the dev Deployment and the staging/prod Rollout.

Plain Kubernetes JSON (camelCase keys) so the same dict serves a typed Deployment and an untyped
Argo `Rollout` custom resource. The app contract (ports, probe paths, where the key file lives) is
written down in docs/kubernetes.md.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.k8s.migration import FLAG_ENV, FLAG_FILE, FLAG_MOUNT_PATH
from components.settings.kubernetes import KubernetesSettings

CONTAINER_NAME = "api"
HTTP_PORT = 8000
METRICS_PORT = 9090
READINESS_PATH = "/healthz/ready"
LIVENESS_PATH = "/healthz/live"
RUN_AS_ID = 10001

SECRET_MOUNT_PATH = "/var/run/secrets/sophia"
SNOWFLAKE_KEY_FILE = "snowflake-private-key.p8"
PORTKEY_KEY = "portkey-api-key"
_SECRET_FILE_MODE = 0o440  # owner and fsGroup read; nobody writes

# The controller stamps each ReplicaSet's pods with a template hash; spreading per hash keeps every
# version (stable and canary alike) balanced across zones instead of balancing the sum.
DEPLOYMENT_HASH_LABEL = "pod-template-hash"
ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash"


def _probe(path: str, *, period: int, failures: int, timeout: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": timeout,
    }


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_ID,
        "runAsGroup": RUN_AS_ID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _api_container(
    image: str,
    settings: KubernetesSettings,
    environment: str,
    config_map_name: pulumi.Input[str],
    secret_name: pulumi.Input[str],
    extra_env: list[dict[str, Any]],
    extra_mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    resources = settings.resources
    return {
        "name": CONTAINER_NAME,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "envFrom": [{"configMapRef": {"name": config_map_name}}],
        "env": [
            {"name": "SOPHIA_ENVIRONMENT", "value": environment},
            {"name": "WEB_CONCURRENCY", "value": str(settings.uvicorn_workers)},
            {
                "name": "SNOWFLAKE_PRIVATE_KEY_PATH",
                "value": f"{SECRET_MOUNT_PATH}/{SNOWFLAKE_KEY_FILE}",
            },
            {
                "name": "PORTKEY_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": secret_name, "key": PORTKEY_KEY}},
            },
            # The app stops accepting new WebSockets on SIGTERM and closes open ones before this.
            {
                "name": "SHUTDOWN_DRAIN_SECONDS",
                "value": str(
                    settings.termination_grace_seconds - settings.pre_stop_sleep_seconds - 5
                ),
            },
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
            {"name": "TMPDIR", "value": "/tmp"},
            *extra_env,
        ],
        "resources": {
            "requests": {"cpu": resources.requests.cpu, "memory": resources.requests.memory},
            "limits": {"cpu": resources.limits.cpu, "memory": resources.limits.memory},
        },
        # Startup gives a cold start up to 60 s before liveness may restart the container.
        "startupProbe": _probe(LIVENESS_PATH, period=2, failures=30, timeout=2),
        "readinessProbe": _probe(READINESS_PATH, period=5, failures=2, timeout=2),
        "livenessProbe": _probe(LIVENESS_PATH, period=10, failures=3, timeout=3),
        # Sleep first: the router keeps sending new connections until it sees the endpoint go.
        "lifecycle": {"preStop": {"sleep": {"seconds": settings.pre_stop_sleep_seconds}}},
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "credentials", "mountPath": SECRET_MOUNT_PATH, "readOnly": True},
            *extra_mounts,
        ],
    }


def _topology_spread(selector: dict[str, str], hash_label: str) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": selector},
            "matchLabelKeys": [hash_label],
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
            "matchLabelKeys": [hash_label],
        },
    ]


def pod_template(
    *,
    labels: dict[str, str],
    selector: dict[str, str],
    image: str,
    environment: str,
    settings: KubernetesSettings,
    config_map_name: pulumi.Input[str],
    secret_name: pulumi.Input[str],
    hash_label: str,
    migration_env: list[dict[str, Any]] | None = None,
    flags_config_map: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """A PodTemplateSpec for the API container, hardened for the `restricted` Pod Security level.

    `migration_env` and `flags_config_map` carry what the migration declares (docs/migration.md):
    the legacy endpoints and credentials, and the flag file mounted read-only."""
    extra_env = list(migration_env or [])
    extra_mounts: list[dict[str, Any]] = []
    extra_volumes: list[dict[str, Any]] = []
    if flags_config_map is not None:
        extra_env += [{"name": k, "value": v} for k, v in FLAG_ENV.items()]
        extra_mounts.append(
            {"name": "migration-flags", "mountPath": FLAG_MOUNT_PATH, "readOnly": True}
        )
        extra_volumes.append(
            {
                "name": "migration-flags",
                "configMap": {
                    "name": flags_config_map,
                    "items": [{"key": FLAG_FILE, "path": FLAG_FILE}],
                },
            }
        )
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": settings.termination_grace_seconds,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_ID,
            "runAsGroup": RUN_AS_ID,
            "fsGroup": RUN_AS_ID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            _api_container(
                image, settings, environment, config_map_name, secret_name, extra_env, extra_mounts
            )
        ],
        "volumes": [
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            {
                "name": "credentials",
                "secret": {
                    "secretName": secret_name,
                    "defaultMode": _SECRET_FILE_MODE,
                    "items": [{"key": SNOWFLAKE_KEY_FILE, "path": SNOWFLAKE_KEY_FILE}],
                },
            },
            *extra_volumes,
        ],
    }
    if settings.topology_spread:
        spec["topologySpreadConstraints"] = _topology_spread(selector, hash_label)
    return {"metadata": {"labels": labels}, "spec": spec}

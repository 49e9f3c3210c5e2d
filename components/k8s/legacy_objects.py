"""The Kubernetes objects a migration plan adds beside the API (docs/migration.md): one Secret
per legacy credential, the flag file's ConfigMap, the ReferenceGrant for a legacy Service in
another namespace. Declared by `ApiService` (components/k8s/api_service.py) as its children."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.migration import (
    CREDENTIAL_SECRET_KEY,
    FLAG_FILE,
    REFERENCE_GRANT_API_VERSION,
    LegacyBackend,
    MigrationPlan,
    credential_env,
    reference_grant_spec,
)
from components.k8s.names import dns_label


def legacy_config(
    name: str,
    namespace: pulumi.Input[str],
    retained_labels: dict[str, str],
    plan: MigrationPlan,
    retained: pulumi.ResourceOptions,
) -> tuple[list[dict[str, Any]], pulumi.Output[str] | None]:
    """The pod's migration environment and the flag ConfigMap's name (None without flags).

    The Secrets and the ConfigMap are auto-named, immutable and retained like the API's own
    config (`retained`: parent and retain_on_delete): a change of split or a retired row changes
    the pod template, so it ships through the analysed canary, and the stable ReplicaSet keeps
    the objects it references until `jobs.rollout_gate --prune` removes them."""
    env: list[dict[str, Any]] = [
        {"name": key, "value": value} for key, value in sorted(plan.legacy_env.items())
    ]
    for row, credential in sorted(plan.credentials.items()):
        secret = k8s.core.v1.Secret(
            f"{name}-legacy-{dns_label(row)}",
            metadata={"namespace": namespace, "labels": retained_labels},
            immutable=True,
            type="Opaque",
            string_data={CREDENTIAL_SECRET_KEY: pulumi.Output.secret(credential)},
            opts=retained,
        )
        env.append(credential_env(row, secret.metadata.name))
    flags_json = plan.flags_json
    if flags_json is None:
        return env, None
    flags = k8s.core.v1.ConfigMap(
        f"{name}-migration-flags",
        metadata={"namespace": namespace, "labels": retained_labels},
        immutable=True,
        data={FLAG_FILE: flags_json},
        opts=retained,
    )
    return env, flags.metadata.name


def reference_grant(
    name: str,
    route_namespace: str,
    labels: dict[str, str],
    backend: LegacyBackend,
    opts: pulumi.ResourceOptions,
) -> pulumi.Resource | None:
    """Our route may reference the legacy Service in its namespace (none when it is ours)."""
    if backend.namespace == route_namespace:
        return None
    return k8s.apiextensions.CustomResource(
        f"{name}-legacy-grant",
        api_version=REFERENCE_GRANT_API_VERSION,
        kind="ReferenceGrant",
        metadata={
            "name": dns_label(name, "legacy", route_namespace),
            "namespace": backend.namespace,
            "labels": labels,
        },
        spec=reference_grant_spec(route_namespace, backend),
        opts=opts,
    )

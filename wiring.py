"""Wiring of the Estuary, Portkey and API areas: one function per area.

`__main__.py` calls these with the outputs of its Snowflake resources; the real-engine tests'
program (`tests/engine/program.py`) calls the very same functions with Snowflake names as plain
values (the Snowflake provider logs in even to preview, so it cannot run here). One copy of the
wiring, so what the engine tests run is what `pulumi up` runs.

Each function takes the loaded `Settings` plus the few values it needs from other areas, and
returns the component; the `*_export` functions build the stack outputs of that area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.estuary.pipeline import Pipeline, PipelineArgs
from components.k8s.api_service import ApiService, ApiServiceArgs
from components.k8s.cluster import cluster_provider
from components.k8s.migration import MigrationPlan, effective_share
from components.k8s.migration import plan as migration_plan
from components.portkey.gateway import Gateway, GatewayArgs
from components.settings import Settings
from components.settings.migration import CREDENTIAL_KEYS, ROWS
from components.snowflake.cortex import CORTEX_SCHEMA


@dataclass(frozen=True)
class EstuaryTarget:
    """Where the Estuary materialization writes: Snowflake objects made by the Snowflake area."""

    database: pulumi.Input[str]
    schema: pulumi.Input[str]  # the ESTUARY_REALTIME schema
    warehouse: pulumi.Input[str]  # ESTUARY_LOAD_WH
    role: pulumi.Input[str]  # the loader role
    loader_user: pulumi.Input[str]  # ESTUARY_LOADER_SVC


@dataclass(frozen=True)
class ApiSnowflake:
    """What the API needs from the Snowflake area (names only; its key comes from settings)."""

    user: pulumi.Input[str]
    role: pulumi.Input[str]
    warehouse: pulumi.Input[str]
    database: pulumi.Input[str]
    search_service: pulumi.Input[str]
    agents_runtime_config: pulumi.Input[str]  # JSON, see Cortex.agents_runtime_config


def estuary_pipeline(
    settings: Settings,
    target: EstuaryTarget,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Pipeline:
    """The Estuary captures and the Snowflake materialization of the stack."""
    stack = settings.stack
    return Pipeline(
        "estuary",
        PipelineArgs(
            settings=stack.estuary,
            source_credentials=settings.secrets.estuary_source_credentials,
            snowflake_host=stack.snowflake.host,
            database=target.database,
            schema=target.schema,
            warehouse=target.warehouse,
            role=target.role,
            loader_user=target.loader_user,
            loader_private_key=settings.secrets.estuary_loader_private_key,
        ),
        # In __main__.py: the loader's grants must exist before Estuary first writes.
        opts=pulumi.ResourceOptions(depends_on=list(depends_on)) if depends_on else None,
    )


def portkey_gateway(settings: Settings) -> Gateway:
    """The Portkey routing config (and usage limit, when the stack sets one)."""
    return Gateway(
        "llm",
        GatewayArgs(settings=settings.stack.portkey, config_json=settings.portkey_config_json),
    )


def migration(settings: Settings) -> MigrationPlan:
    """What the migration rows declare for the API: the legacy route backend, the flag file,
    egress and credentials (docs/migration.md). Built from settings only; `api_service`
    declares it."""
    return migration_plan(settings.stack.migration, settings.secrets.legacy_credentials)


def kubernetes_provider(settings: Settings) -> pulumi.ProviderResource:
    """The stack's Kubernetes provider, after checking the kubeconfig leads to the stack's cluster
    and namespace (components/k8s/cluster.py). `__main__.py` calls this before any other
    resource, so a wrong cluster stops the run before anything registers."""
    return cluster_provider(settings.stack.stack, settings.stack.kubernetes)


def api_service(
    settings: Settings,
    snowflake: ApiSnowflake,
    gateway: Gateway,
    migration: MigrationPlan | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> ApiService:
    """The API on Kubernetes. `opts` carries the Kubernetes provider: the stack's
    (`kubernetes_provider`) in `__main__.py`, a render-to-YAML one in the engine tests."""
    stack = settings.stack
    return ApiService(
        "sophia-api",
        ApiServiceArgs(
            environment=stack.environment,
            settings=stack.kubernetes,
            canary=stack.kubernetes.canary,
            image=stack.release.api_image,
            runtime_config={
                "SNOWFLAKE_ACCOUNT": stack.snowflake.account_identifier,
                "SNOWFLAKE_USER": snowflake.user,
                "SNOWFLAKE_ROLE": snowflake.role,
                "SNOWFLAKE_WAREHOUSE": snowflake.warehouse,
                "SNOWFLAKE_DATABASE": snowflake.database,
                "CORTEX_SCHEMA": CORTEX_SCHEMA,
                "CORTEX_SEARCH_SERVICE": snowflake.search_service,
                "CORTEX_AGENT": snowflake.agents_runtime_config,
                "PORTKEY_CONFIG": gateway.config_header,  # "" when the key is bound to the config
                "PORTKEY_METADATA_ENVIRONMENT": stack.environment,
                "ESTUARY_PREFIX": stack.estuary.tenant_prefix,
            },
            snowflake_private_key=settings.secrets.api_snowflake_private_key,
            portkey_api_key=settings.secrets.portkey_api_key,
            migration=migration or MigrationPlan(),
        ),
        opts=opts,
    )


def estuary_export(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "prefix": pipeline.prefix,
        "captures": pipeline.capture_names,
        "materialization": pipeline.materialization_name,
    }


def portkey_export(settings: Settings, gateway: Gateway) -> dict[str, Any]:
    return {"configName": settings.stack.portkey.config_name, "configSlug": gateway.config_slug}


def api_export(api: ApiService) -> dict[str, Any]:
    return {
        "namespace": api.namespace,
        "service": api.service_name,
        "host": api.host,
        "workload": api.workload_kind,
    }


def migration_export(settings: Settings, plan: MigrationPlan) -> dict[str, Any]:
    """The plain `migration` stack output: each row's declared state and share, and what the
    route declares (read by `python -m jobs.migration status`; no secret in it)."""
    rows = settings.stack.migration.rows()
    backend = plan.legacy_backend
    return {
        "rows": {name: {"state": rows[name].state, "share": rows[name].share()} for name in ROWS},
        "legacyRoute": None
        if backend is None
        else {
            "service": backend.service,
            "namespace": backend.namespace,
            "weight": backend.weight,
            "effectiveShare": round(effective_share(backend.weight), 2),
        },
        "flags": sorted((plan.flags or {}).get("flags", {})),
        "credentials": sorted(CREDENTIAL_KEYS[row] for row in plan.credentials),
        "egressRules": len(plan.egress),
    }

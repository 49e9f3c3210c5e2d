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
from components.k8s.slo import SloMonitoring, SloMonitoringArgs
from components.portkey.gateway import Gateway, GatewayArgs
from components.settings import Settings
from components.settings.migration import CREDENTIAL_KEYS, ROWS
from components.settings.slo import AVAILABILITY_PAGE_ALERT
from components.settings.slo_checks import slo_summary
from components.snowflake.cortex import CORTEX_SCHEMA
from components.snowflake.slo_alerts import SearchFreshnessAlert, SearchFreshnessAlertArgs


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
        GatewayArgs(
            settings=settings.stack.portkey,
            config_json=settings.portkey_config_json,
            llm_budget=settings.stack.slo.llm,
        ),
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
            # The canary fails while the availability page fires (docs/slo.md).
            page_alert=AVAILABILITY_PAGE_ALERT,
            migration=migration or MigrationPlan(),
        ),
        opts=opts,
    )


@dataclass(frozen=True)
class SloSnowflake:
    """What the Snowflake freshness alert needs from the Snowflake area (absent in the engine
    tests' program: the Snowflake provider logs in even to preview)."""

    database: pulumi.Input[str]
    schema: pulumi.Input[str]  # CORTEX_VECTORS
    warehouse: pulumi.Input[str]  # CORTEX_COMPUTE_WH: up anyway for the search refreshes
    provider: pulumi.ProviderResource  # SYSADMIN: creates (and so owns) the alert
    account_admin_provider: pulumi.ProviderResource  # grants EXECUTE ALERT (ACCOUNTADMIN only)
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class Slo:
    monitoring: SloMonitoring
    search_alert: SearchFreshnessAlert | None


def slo(
    settings: Settings,
    api: ApiService,
    snowflake: SloSnowflake | None,
    opts: pulumi.ResourceOptions | None = None,
) -> Slo:
    """The objectives as alerts: the PrometheusRule and Estuary ScrapeConfig beside the API
    (`opts` may carry a `kubernetes` provider), and the Cortex Search freshness alert in
    Snowflake. docs/slo.md."""
    stack = settings.stack
    monitoring = SloMonitoring(
        "slo",
        SloMonitoringArgs(
            settings=stack.slo,
            environment=stack.environment,
            namespace=api.namespace,
            namespace_name=stack.kubernetes.namespace,
            tenant_prefix=stack.estuary.tenant_prefix,
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[api])),
    )
    search_alert = None
    if snowflake is not None:
        cortex = stack.cortex
        lags = {"SOPHIA_SEARCH": cortex.search_target_lag} | {
            s.name: s.target_lag or cortex.search_target_lag
            for s in cortex.additional_search_services
        }
        search_alert = SearchFreshnessAlert(
            "slo-search-freshness",
            SearchFreshnessAlertArgs(
                freshness=stack.slo.freshness,
                database=snowflake.database,
                schema=snowflake.schema,
                warehouse=snowflake.warehouse,
                owner_role=stack.snowflake.admin_roles.sysadmin,
                service_lags=lags,
                suffix=stack.name_suffix,
            ),
            provider=snowflake.provider,
            account_admin_provider=snowflake.account_admin_provider,
            opts=pulumi.ResourceOptions(depends_on=list(snowflake.depends_on)),
        )
    return Slo(monitoring=monitoring, search_alert=search_alert)


def slo_export(settings: Settings) -> dict[str, Any]:
    """The objectives, budgets and contradictions (docs/slo.md), for the cost view and --check."""
    stack = settings.stack
    return slo_summary(
        stack.slo, stack.environment, stack.estuary, stack.cortex, stack.kubernetes.canary
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

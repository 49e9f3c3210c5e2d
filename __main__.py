"""sophia-infra: wiring only. Settings -> components in dependency order -> stack outputs."""

import pulumi

import wiring
from components import settings as stack_settings
from components.release import release_record
from components.settings.snowflake_readiness import snowflake_readiness
from components.settings.tables import PLATFORM_SCHEMAS, TABLES
from components.snowflake.access import AccessArgs, AccessControl
from components.snowflake.cortex import CORTEX_SCHEMA, Cortex, CortexArgs
from components.snowflake.database import Database, DatabaseArgs
from components.snowflake.providers import admin_providers
from components.snowflake.readiness import readiness_gate
from components.snowflake.roles import PlatformRoles, PlatformRolesArgs
from components.snowflake.service_user import (
    ServiceAccount,
    ServiceAccountArgs,
    deploy_user_network_policy,
)
from components.snowflake.warehouse import MonitoredWarehouse, MonitoredWarehouseArgs

settings = stack_settings.load()
stack = settings.stack
# Before any other resource: a kubeconfig leading to another cluster or namespace stops the run.
kubernetes = wiring.kubernetes_provider(settings)
snowflake_settings = stack.snowflake
suffix = stack.name_suffix

# While the stack's Snowflake checklist is open (prod: real network ranges, a break-glass admin,
# notify users), a gate every provider waits for refuses the real preview; the synth still runs.
gate = readiness_gate(
    "snowflake-readiness",
    snowflake_readiness(
        stack.stack,
        stack.environment,
        snowflake_settings.model_dump(mode="json", by_alias=True, exclude_none=True),
    ),
)
providers = admin_providers(snowflake_settings, settings.secrets.snowflake_private_key, gate)

# Roles first: every ownership transfer below waits for SOPHIA_ADMIN -> SYSADMIN.
roles = PlatformRoles(
    "access",
    PlatformRolesArgs(suffix=suffix, owner_parent_role=snowflake_settings.admin_roles.sysadmin),
    provider=providers.securityadmin,
)

database = Database(
    "sophia",
    DatabaseArgs(
        name=f"{snowflake_settings.database.base_name}{suffix}",
        schemas=(*PLATFORM_SCHEMAS, *snowflake_settings.database.extra_schemas),
        tables=TABLES,
        data_retention_days=snowflake_settings.database.data_retention_days,
        protect=snowflake_settings.protect,
    ),
    provider=providers.sysadmin,
    roles=roles,
)

warehouses = {
    base_name: MonitoredWarehouse(
        f"warehouse-{base_name.lower().replace('_', '-')}",
        MonitoredWarehouseArgs(
            name=f"{base_name}{suffix}",
            monitor_name=f"{base_name}_MONITOR{suffix}",
            settings=warehouse,
            notify_users=snowflake_settings.monitor_notify_users,
        ),
        monitor_provider=providers.monitor_admin,
        roles=roles,
    )
    for base_name, warehouse in snowflake_settings.warehouses.items()
}

access = AccessControl(
    "access",
    AccessArgs(
        role_names=roles.role_names,
        database=database.name,
        schemas=database.schema_names,
        warehouses={base: wh.name for base, wh in warehouses.items()},
        tables=database.tables,
    ),
    provider=providers.securityadmin,
)

network_policies = snowflake_settings.network_policies
estuary_loader = ServiceAccount(
    "estuary-loader",
    ServiceAccountArgs(
        name=f"ESTUARY_LOADER_SVC{suffix}",
        keys=snowflake_settings.service_users.estuary,
        default_role=roles.role_names["loader"],
        default_warehouse=warehouses["ESTUARY_LOAD_WH"].name,
        comment="Estuary Flow materialization (key-pair auth).",
        allowed_ip_ranges=network_policies.estuary_loader,
    ),
    provider=providers.securityadmin,
)
api_user = ServiceAccount(
    "api-user",
    ServiceAccountArgs(
        name=f"SOPHIA_API_SVC{suffix}",
        keys=snowflake_settings.service_users.api,
        default_role=roles.role_names["api"],
        default_warehouse=warehouses["API_WH"].name,
        comment="Sophia API service (key-pair auth).",
        allowed_ip_ranges=network_policies.api,
    ),
    provider=providers.securityadmin,
)
cortex = Cortex(
    "cortex",
    CortexArgs(
        settings=stack.cortex,
        catalog=settings.agents,
        database=database.name,
        schema=database.schema_names[CORTEX_SCHEMA],
        warehouses={base: wh.name for base, wh in warehouses.items()},
        tables=database.tables,
        api_role=roles.role_names["api"],
        ready=(
            database.ownership[CORTEX_SCHEMA],
            *(wh.ownership for wh in warehouses.values()),
            roles.admin_under_sysadmin,
        ),
    ),
    provider=providers.sysadmin,
    grant_provider=providers.securityadmin,
    account_admin_provider=providers.monitor_admin,
)

estuary = wiring.estuary_pipeline(
    settings,
    wiring.EstuaryTarget(
        database=database.name,
        schema=database.schema_names["ESTUARY_REALTIME"],
        warehouse=warehouses["ESTUARY_LOAD_WH"].name,
        role=roles.role_names["loader"],
        loader_user=estuary_loader.name,
    ),
    # The loader's grants must exist before Estuary first writes into the schema.
    depends_on=[access, estuary_loader],
)

gateway = wiring.portkey_gateway(settings)
migration = wiring.migration(settings)

api = wiring.api_service(
    settings,
    wiring.ApiSnowflake(
        user=api_user.name,
        role=roles.role_names["api"],
        warehouse=warehouses["API_WH"].name,
        database=database.name,
        search_service=cortex.search_service_names["SOPHIA_SEARCH"],
        agents_runtime_config=cortex.agents_runtime_config,
    ),
    gateway,
    migration,
    opts=pulumi.ResourceOptions(providers=[kubernetes]),
)

slo = wiring.slo(
    settings,
    api,
    wiring.SloSnowflake(
        database=database.name,
        schema=database.schema_names[CORTEX_SCHEMA],
        warehouse=warehouses["CORTEX_COMPUTE_WH"].name,
        provider=providers.sysadmin,
        account_admin_provider=providers.monitor_admin,
        # The alert reads the search services' state: it waits for them.
        depends_on=[cortex],
    ),
    opts=pulumi.ResourceOptions(providers=[kubernetes]),
)

if network_policies.deploy_user:
    # Opt-in, and attached last: after every other Snowflake resource of the stack, so a run
    # that the policy cuts off has nothing left to do (docs/snowflake.md, network policies).
    deploy_user_network_policy(
        "deploy-user",
        snowflake_settings.deploy_user,
        suffix,
        network_policies.deploy_user,
        provider=providers.securityadmin,
        after=[
            roles,
            database,
            *warehouses.values(),
            access,
            estuary_loader,
            api_user,
            cortex,
            *([slo.search_alert] if slo.search_alert else []),
        ],
    )

release = release_record(settings)

pulumi.export("environment", stack.environment)
pulumi.export("nameSuffix", suffix)
pulumi.export(
    "snowflake",
    {
        "host": snowflake_settings.host,
        "edition": snowflake_settings.edition,
        "region": snowflake_settings.region,
        "database": database.name,
        "schemas": database.schema_names,
        "warehouses": {base: wh.name for base, wh in warehouses.items()},
        "roles": roles.role_names,
        "serviceUsers": {"estuary": estuary_loader.name, "api": api_user.name},
        "searchServices": cortex.search_service_names,
        "agents": cortex.agent_names,
        "unmanagedObjects": cortex.unmanaged_objects,
    },
)
pulumi.export("estuary", wiring.estuary_export(estuary))
# Secret: each webhook capture's bearer token, for the vendor that posts to it.
pulumi.export("estuaryWebhookTokens", estuary.webhook_tokens)
pulumi.export("portkey", wiring.portkey_export(settings, gateway))
pulumi.export("api", wiring.api_export(api))
pulumi.export("release", release)
pulumi.export("slo", wiring.slo_export(settings))
pulumi.export("migration", wiring.migration_export(settings, migration))

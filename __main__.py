"""sophia-infra: wiring only. Settings -> components in dependency order -> stack outputs."""

import pulumi

import wiring
from components import settings as stack_settings
from components.release import release_record
from components.snowflake.access import AccessArgs, AccessControl
from components.snowflake.cortex import CORTEX_SCHEMA, Cortex, CortexArgs
from components.snowflake.database import Database, DatabaseArgs
from components.snowflake.providers import admin_providers
from components.snowflake.service_user import ServiceAccount, ServiceAccountArgs
from components.snowflake.tables import PLATFORM_SCHEMAS, TABLES
from components.snowflake.warehouse import MonitoredWarehouse, MonitoredWarehouseArgs

settings = stack_settings.load()
stack = settings.stack
snowflake_settings = stack.snowflake
suffix = stack.name_suffix

providers = admin_providers(snowflake_settings, settings.secrets.snowflake_private_key)

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
        warehouse_provider=providers.sysadmin,
        monitor_provider=providers.monitor_admin,
    )
    for base_name, warehouse in snowflake_settings.warehouses.items()
}

access = AccessControl(
    "access",
    AccessArgs(
        suffix=suffix,
        database=database.name,
        schemas=database.schema_names,
        warehouses={base: wh.name for base, wh in warehouses.items()},
        tables={key: table.name for key, table in database.tables.items()},
        owner_parent_role=snowflake_settings.admin_roles.sysadmin,
    ),
    provider=providers.securityadmin,
)

estuary_loader = ServiceAccount(
    "estuary-loader",
    ServiceAccountArgs(
        name=f"ESTUARY_LOADER_SVC{suffix}",
        keys=snowflake_settings.service_users.estuary,
        default_role=access.role_names["loader"],
        default_warehouse=warehouses["ESTUARY_LOAD_WH"].name,
        comment="Estuary Flow materialization (key-pair auth).",
    ),
    user_provider=providers.useradmin,
    grant_provider=providers.securityadmin,
)
api_user = ServiceAccount(
    "api-user",
    ServiceAccountArgs(
        name=f"SOPHIA_API_SVC{suffix}",
        keys=snowflake_settings.service_users.api,
        default_role=access.role_names["api"],
        default_warehouse=warehouses["API_WH"].name,
        comment="Sophia API service (key-pair auth).",
    ),
    user_provider=providers.useradmin,
    grant_provider=providers.securityadmin,
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
        api_role=access.role_names["api"],
    ),
    provider=providers.sysadmin,
    grant_provider=providers.securityadmin,
)

estuary = wiring.estuary_pipeline(
    settings,
    wiring.EstuaryTarget(
        database=database.name,
        schema=database.schema_names["ESTUARY_REALTIME"],
        warehouse=warehouses["ESTUARY_LOAD_WH"].name,
        role=access.role_names["loader"],
        loader_user=estuary_loader.name,
    ),
    # The loader's grants must exist before Estuary first writes into the schema.
    depends_on=[access, estuary_loader],
)

gateway = wiring.portkey_gateway(settings)

api = wiring.api_service(
    settings,
    wiring.ApiSnowflake(
        user=api_user.name,
        role=access.role_names["api"],
        warehouse=warehouses["API_WH"].name,
        database=database.name,
        search_service=cortex.search_service_names["SOPHIA_SEARCH"],
        agents_runtime_config=cortex.agents_runtime_config,
    ),
    gateway,
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
        "roles": access.role_names,
        "serviceUsers": {"estuary": estuary_loader.name, "api": api_user.name},
        "searchServices": cortex.search_service_names,
        "agents": cortex.agent_names,
    },
)
pulumi.export("estuary", wiring.estuary_export(estuary))
pulumi.export("portkey", wiring.portkey_export(settings, gateway))
pulumi.export("api", wiring.api_export(api))
pulumi.export("release", release)

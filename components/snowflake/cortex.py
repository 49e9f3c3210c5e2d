"""Cortex Search services and Cortex Agents, and the API role's grants to use them.

SYSADMIN creates the services and agents inside CORTEX_VECTORS, which it reaches only through
SOPHIA_ADMIN once the schema and the warehouses are handed over: both wait for those transfers and
for `SOPHIA_ADMIN -> SYSADMIN` (`ready`). SNOWFLAKE.CORTEX_USER is granted by the ACCOUNTADMIN
provider, the role Snowflake's Cortex Agents access-control page runs it with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.agents import AgentCatalog, agent_specification, specification_yaml
from components.settings.cortex import CortexSettings, SearchServiceSettings
from components.settings.tables import EMBEDDINGS, TABLES, TableDefinition
from components.snowflake.unmanaged import unmanaged_objects

CORTEX_SCHEMA = "CORTEX_VECTORS"
_TABLES_BY_KEY = {f"{t.schema}.{t.name}": t for t in TABLES}

# The plan's sophia_search, from the embeddings table's own column definitions: renaming a column
# in tables.py makes this fail at import instead of breaking the service at refresh time.
SOPHIA_SEARCH = SearchServiceSettings(
    name="SOPHIA_SEARCH",
    table=f"{EMBEDDINGS.schema}.{EMBEDDINGS.name}",
    search_column=EMBEDDINGS.column("CONTENT").name,
    attributes=(EMBEDDINGS.column("SOURCE_TYPE").name, EMBEDDINGS.column("SOURCE_ID").name),
    # METADATA is VARIANT: returned with every hit, but not a filter attribute.
    columns=(EMBEDDINGS.column("ID").name, EMBEDDINGS.column("METADATA").name),
    warehouse="CORTEX_COMPUTE_WH",
)


def search_columns(service: SearchServiceSettings) -> tuple[str, ...]:
    """Columns the service's query selects: search column, attributes, then the rest, once each."""
    ordered = (service.search_column, *service.attributes, *service.columns)
    return tuple(dict.fromkeys(ordered))


def search_query(service: SearchServiceSettings, database: str) -> str:
    table = _TABLES_BY_KEY[service.table]
    return (
        f"SELECT {', '.join(search_columns(service))} FROM {database}.{table.schema}.{table.name}"
    )


def _text_primary_key(table: TableDefinition, selected: tuple[str, ...]) -> list[str] | None:
    """Primary keys enable incremental refreshes, but Snowflake needs them TEXT and selected."""
    keys = list(table.key_columns)
    if all(k in selected and table.column(k).type.startswith("VARCHAR") for k in keys):
        return keys
    return None


@dataclass(frozen=True)
class CortexArgs:
    settings: CortexSettings
    catalog: AgentCatalog
    database: pulumi.Input[str]
    schema: pulumi.Input[str]
    """The CORTEX_VECTORS schema name (an output, so services wait for the schema)."""
    warehouses: Mapping[str, pulumi.Input[str]]
    """Warehouse base name -> this stack's warehouse name."""
    tables: Mapping[str, pulumi.Resource]
    """'SCHEMA.TABLE' -> table resource the services read (explicit dependency)."""
    api_role: pulumi.Input[str]
    ready: Sequence[pulumi.Resource] = ()
    """The ownership transfers of the schema and warehouses, and `SOPHIA_ADMIN -> SYSADMIN`."""


def search_id_column(service: SearchServiceSettings) -> str | None:
    """The column an agent cites a hit by: the service's (text) primary key, if it has one."""
    table = _TABLES_BY_KEY[service.table]
    keys = _text_primary_key(table, search_columns(service))
    return keys[0] if keys else None


class Cortex(pulumi.ComponentResource):
    """sophia_search (+ stack extras) and the catalog's agents, usable by the API role only."""

    search_service_names: dict[str, pulumi.Output[str]]
    agent_names: dict[str, pulumi.Output[str]]
    agents_runtime_config: pulumi.Output[str]
    """JSON for the API: per agent, the name to call agent:run on."""
    unmanaged_objects: pulumi.Output[list[dict[str, object]]]
    """Procedures and semantic views the agents' tools name, which this program does not create,
    each with the GRANT the API role needs once the API has deployed it."""

    def __init__(
        self,
        name: str,
        args: CortexArgs,
        provider: pulumi.ProviderResource,
        grant_provider: pulumi.ProviderResource,
        account_admin_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:Cortex", name, None, opts)
        settings = args.settings
        # Cortex functions, search and agents need the CORTEX_USER database role (Snowflake,
        # "Cortex Agents: access control"; granted to PUBLIC by default, which an admin may revoke).
        snowflake.GrantDatabaseRole(
            f"{name}-api-cortex-user",
            database_role_name='"SNOWFLAKE"."CORTEX_USER"',
            parent_role_name=args.api_role,
            opts=pulumi.ResourceOptions(parent=self, provider=account_admin_provider),
        )
        created_by_sysadmin = pulumi.ResourceOptions(
            parent=self, provider=provider, depends_on=list(args.ready)
        )
        id_columns: dict[str, str] = {}
        services = (SOPHIA_SEARCH, *settings.additional_search_services)
        self.search_service_names = {}
        fully_qualified: dict[str, pulumi.Output[str]] = {}
        for service in services:
            table = _TABLES_BY_KEY[service.table]
            resource = snowflake.CortexSearchService(
                f"{name}-search-{service.name.lower().replace('_', '-')}",
                database=args.database,
                schema=args.schema,
                name=service.name,
                on=service.search_column,
                attributes=list(service.attributes) or None,
                primary_keys=_text_primary_key(table, search_columns(service)),
                warehouse=args.warehouses[service.warehouse],
                target_lag=service.target_lag or settings.search_target_lag,
                auto_suspend=settings.search_auto_suspend_seconds,
                embedding_model=settings.embedding_model,
                query=pulumi.Output.from_input(args.database).apply(
                    lambda database, service=service: search_query(service, database)
                ),
                comment=f"Cortex Search over {service.table}.{service.search_column}.",
                opts=pulumi.ResourceOptions.merge(
                    created_by_sysadmin,
                    pulumi.ResourceOptions(depends_on=[args.tables[service.table]]),
                ),
            )
            id_column = search_id_column(service)
            if id_column is not None:
                id_columns[service.name.lower()] = id_column
            self.search_service_names[service.name] = resource.name
            fully_qualified[service.name.lower()] = pulumi.Output.all(
                args.database, args.schema, resource.name
            ).apply(lambda parts: ".".join(parts))
            self._grant_usage(name, "CORTEX SEARCH SERVICE", service.name, resource, args,
                              grant_provider)  # fmt: skip

        self.agent_names = {}
        for agent in args.catalog.agents:
            specification = pulumi.Output.all(
                args.database,
                pulumi.Output.all(**fully_qualified),
                pulumi.Output.all(**dict(args.warehouses)),
            ).apply(
                lambda values, agent=agent: specification_yaml(
                    agent_specification(agent, values[0], values[1], values[2], id_columns)
                )
            )
            resource = snowflake.CortexAgent(
                f"{name}-agent-{agent.name.replace('_', '-')}",
                database=args.database,
                schema=args.schema,
                name=agent.identifier,
                comment=(
                    f"{agent.definition.display_name}; model {agent.model} ({agent.model_source})"
                    + (
                        f"; replaces {agent.definition.replaces}"
                        if agent.definition.replaces
                        else ""
                    )
                ),
                profile=snowflake.CortexAgentProfileArgs(
                    display_name=agent.definition.display_name
                ),
                specification=specification,
                opts=created_by_sysadmin,
            )
            self.agent_names[agent.name] = resource.name
            self._grant_usage(name, "AGENT", agent.identifier, resource, args, grant_provider)
        self.agents_runtime_config = pulumi.Output.all(**self.agent_names).apply(
            lambda names: json.dumps(
                {agent: {"name": agent_name} for agent, agent_name in names.items()},
                sort_keys=True,
            )
        )
        self.unmanaged_objects = pulumi.Output.all(args.database, args.api_role).apply(
            lambda values: [
                {
                    "kind": item.kind,
                    "name": item.name,
                    "agents": list(item.agents),
                    "grant": item.grant_statement(values[1]),
                }
                for item in unmanaged_objects(args.catalog, values[0])
            ]
        )
        self.register_outputs(
            {
                "search_service_names": self.search_service_names,
                "agent_names": self.agent_names,
                "agents_runtime_config": self.agents_runtime_config,
                "unmanaged_objects": self.unmanaged_objects,
            }
        )

    def _grant_usage(
        self,
        name: str,
        object_type: str,
        object_name: str,
        resource: pulumi.CustomResource,
        args: CortexArgs,
        grant_provider: pulumi.ProviderResource,
    ) -> None:
        """USAGE for the API role, nothing more."""
        qualified = pulumi.Output.all(args.database, args.schema, resource.name).apply(
            lambda parts: ".".join(f'"{p}"' for p in parts)
        )
        kind = object_type.split()[-1].lower()
        snowflake.GrantPrivilegesToAccountRole(
            f"{name}-api-usage-{kind}-{object_name.lower().replace('_', '-')}",
            account_role_name=args.api_role,
            privileges=["USAGE"],
            on_schema_object=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                object_type=object_type, object_name=qualified
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=grant_provider),
        )

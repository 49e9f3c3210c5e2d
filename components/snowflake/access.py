"""Least-privilege grants for the platform's roles.

The grant plan is data (`access_plan`): which role gets which privileges on what. The component
turns each entry into grant resources, all created by the SECURITYADMIN provider (MANAGE GRANTS).
Nothing here grants account-level administrative privileges: service roles get object privileges.

Table reads do not depend on timing: a `future_tables` entry becomes a FUTURE grant (tables created
after it) and an ALL grant (tables that already exist) that runs after the future grant and after
the tables this program declares in that schema, so every table is covered whichever came first
(docs/snowflake.md, "Grants").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_snowflake as snowflake

Target = Literal["database", "schema", "warehouse", "table", "future_tables"]


@dataclass(frozen=True)
class Grant:
    """`role` gets `privileges` on `target` `name` (schema or table keys are 'SCHEMA[.TABLE]')."""

    role: str
    privileges: tuple[str, ...]
    target: Target
    name: str


@dataclass(frozen=True)
class AccessArgs:
    role_names: Mapping[str, pulumi.Input[str]]
    """Role key (loader, api, analyst) -> role name output."""
    database: pulumi.Input[str]
    schemas: Mapping[str, pulumi.Input[str]]
    """Schema name -> schema name output (PUBLIC included)."""
    warehouses: Mapping[str, pulumi.Input[str]]
    """Warehouse base name -> full name output."""
    tables: Mapping[str, snowflake.Table]
    """'SCHEMA.TABLE' -> the table resource (ALL grants wait for the tables of their schema)."""


def access_plan(schemas: tuple[str, ...], warehouses: tuple[str, ...]) -> tuple[Grant, ...]:
    """The privilege grants of the platform's roles, as data."""
    read_schemas = tuple(s for s in schemas if s != "PUBLIC")
    plan: list[Grant] = []
    # Loader: usage on the database, write into ESTUARY_REALTIME only.
    plan += [
        Grant("loader", ("USAGE",), "database", ""),
        Grant(
            "loader",
            ("USAGE", "CREATE TABLE", "CREATE STAGE", "CREATE PIPE"),
            "schema",
            "ESTUARY_REALTIME",
        ),
        Grant(
            "loader",
            ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"),
            "future_tables",
            "ESTUARY_REALTIME",
        ),
        Grant("loader", ("USAGE", "OPERATE"), "warehouse", "ESTUARY_LOAD_WH"),
    ]
    # API: read what it serves, write sessions, run on its own and the Cortex warehouse.
    plan += [Grant("api", ("USAGE",), "database", "")]
    plan += [
        Grant("api", ("USAGE",), "schema", s)
        for s in ("PUBLIC", "ESTUARY_REALTIME", "CORTEX_VECTORS", "BUSINESS_ENRICHED")
    ]
    plan += [
        Grant("api", ("SELECT",), "future_tables", s)
        for s in ("ESTUARY_REALTIME", "CORTEX_VECTORS", "BUSINESS_ENRICHED")
    ]
    # One owner per granted privilege: SELECT on CORTEX_VECTORS.EMBEDDINGS comes from the ALL/FUTURE
    # pair above only. An explicit table grant beside it managed the same (role, privilege, table)
    # row twice; the provider never reads ALL grants back and deletes by REVOKE, so removing either
    # would have revoked the other's privilege (docs/snowflake.md, "One owner per privilege").
    plan += [
        Grant("api", ("SELECT", "INSERT", "UPDATE", "DELETE"), "table", "PUBLIC.USER_SESSIONS"),
        Grant("api", ("USAGE",), "warehouse", "API_WH"),
        Grant("api", ("USAGE",), "warehouse", "CORTEX_COMPUTE_WH"),
    ]
    # Analyst: read-only everywhere, on the API warehouse.
    plan += [Grant("analyst", ("USAGE",), "database", "")]
    plan += [Grant("analyst", ("USAGE",), "schema", s) for s in ("PUBLIC", *read_schemas)]
    plan += [Grant("analyst", ("SELECT",), "future_tables", s) for s in ("PUBLIC", *read_schemas)]
    plan += [Grant("analyst", ("USAGE",), "warehouse", "API_WH")]
    unknown = [g for g in plan if g.target == "warehouse" and g.name not in warehouses]
    if unknown:
        raise ValueError(f"grant plan names undeclared warehouses: {[g.name for g in unknown]}")
    return tuple(plan)


def _fqn(*parts: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.all(*parts).apply(lambda names: ".".join(f'"{n}"' for n in names))


class AccessControl(pulumi.ComponentResource):
    """The privilege grants of the platform's roles (roles and ownership: roles.py)."""

    def __init__(
        self,
        name: str,
        args: AccessArgs,
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:AccessControl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        plan = access_plan(tuple(args.schemas), tuple(args.warehouses))
        for grant in plan:
            self._grant(name, grant, args.role_names[grant.role], args, child)
        self.register_outputs({})

    @staticmethod
    def _grant(
        name: str,
        grant: Grant,
        role_name: pulumi.Output[str],
        args: AccessArgs,
        child: pulumi.ResourceOptions,
    ) -> snowflake.GrantPrivilegesToAccountRole:
        key = f"{name}-{grant.role}-{grant.target.replace('_', '-')}"
        if grant.name:
            key += "-" + grant.name.lower().replace(".", "-").replace("_", "-")
        kwargs: dict[str, object] = {}
        if grant.target == "database":
            kwargs["on_account_object"] = snowflake.GrantPrivilegesToAccountRoleOnAccountObjectArgs(
                object_type="DATABASE", object_name=args.database
            )
        elif grant.target == "warehouse":
            kwargs["on_account_object"] = snowflake.GrantPrivilegesToAccountRoleOnAccountObjectArgs(
                object_type="WAREHOUSE", object_name=args.warehouses[grant.name]
            )
        elif grant.target == "schema":
            kwargs["on_schema"] = snowflake.GrantPrivilegesToAccountRoleOnSchemaArgs(
                schema_name=_fqn(args.database, args.schemas[grant.name])
            )
        elif grant.target == "table":
            schema, _, _table = grant.name.partition(".")
            kwargs["on_schema_object"] = snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                object_type="TABLE",
                object_name=_fqn(args.database, args.schemas[schema], args.tables[grant.name].name),
            )
        else:  # future_tables: FUTURE for tables created later, then ALL for those that exist
            in_schema = _fqn(args.database, args.schemas[grant.name])
            future = snowflake.GrantPrivilegesToAccountRole(
                key,
                account_role_name=role_name,
                privileges=sorted(grant.privileges),
                on_schema_object=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                    future=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectFutureArgs(
                        object_type_plural="TABLES", in_schema=in_schema
                    )
                ),
                opts=child,
            )
            existing = [t for k, t in args.tables.items() if k.partition(".")[0] == grant.name]
            return snowflake.GrantPrivilegesToAccountRole(
                key.replace("-future-tables-", "-all-tables-", 1),
                account_role_name=role_name,
                privileges=sorted(grant.privileges),
                on_schema_object=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                    all=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectAllArgs(
                        object_type_plural="TABLES", in_schema=in_schema
                    )
                ),
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[future, *existing])
                ),
            )
        return snowflake.GrantPrivilegesToAccountRole(
            key,
            account_role_name=role_name,
            privileges=sorted(grant.privileges),
            opts=child,
            **kwargs,
        )

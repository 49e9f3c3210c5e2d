"""Roles and least-privilege grants.

The grant plan is data (`access_plan`): which role gets which privileges on what. The component
turns each entry into one grant resource, all created by the SECURITYADMIN provider. Nothing here
grants account-level administrative privileges: service roles only get object privileges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_snowflake as snowflake

# Role keys -> base names; the stack suffix is appended.
ROLE_BASE_NAMES = {
    "admin": "SOPHIA_ADMIN",
    "loader": "SOPHIA_LOADER",
    "api": "SOPHIA_API",
    "analyst": "SOPHIA_ANALYST",
}
ROLE_PURPOSES = {
    "admin": "Owns the platform's objects; granted to SYSADMIN.",
    "loader": "Estuary loads into ESTUARY_REALTIME only.",
    "api": "The API: reads data, writes sessions, uses Cortex Search and agents.",
    "analyst": "Read-only access to every schema.",
}

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
    suffix: str
    database: pulumi.Input[str]
    schemas: Mapping[str, pulumi.Input[str]]
    """Schema name -> schema name output (PUBLIC included)."""
    warehouses: Mapping[str, pulumi.Input[str]]
    """Warehouse base name -> full name output."""
    tables: Mapping[str, pulumi.Input[str]]
    """'SCHEMA.TABLE' -> table name output (a dependency on the table, not just its name)."""
    owner_parent_role: str = "SYSADMIN"


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
    plan += [
        Grant("api", ("SELECT", "INSERT", "UPDATE", "DELETE"), "table", "PUBLIC.USER_SESSIONS"),
        Grant("api", ("SELECT",), "table", "CORTEX_VECTORS.EMBEDDINGS"),
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
    """The platform's account roles, their hierarchy, ownership, and privilege grants."""

    role_names: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: AccessArgs,
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:AccessControl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        roles = {
            key: snowflake.AccountRole(
                f"{name}-role-{key}",
                name=f"{base}{args.suffix}",
                comment=ROLE_PURPOSES[key],
                opts=child,
            )
            for key, base in ROLE_BASE_NAMES.items()
        }
        self.role_names = {key: role.name for key, role in roles.items()}

        # Hierarchy: functional roles roll up to the admin role, which rolls up to SYSADMIN, so
        # SYSADMIN can still manage (and see) everything without owning it directly.
        hierarchy = [("admin", args.owner_parent_role)] + [
            (key, roles["admin"].name) for key in ("loader", "api", "analyst")
        ]
        for key, parent in hierarchy:
            snowflake.GrantAccountRole(
                f"{name}-hierarchy-{key}",
                role_name=roles[key].name,
                parent_role_name=parent,
                opts=child,
            )

        # The admin role owns the database, its schemas and the warehouses (COPY keeps the
        # grants already made on them); objects are created by SYSADMIN and handed over.
        owned: dict[str, tuple[str, pulumi.Input[str]]] = {"database": ("DATABASE", args.database)}
        for schema, schema_name in args.schemas.items():
            if schema != "PUBLIC":  # PUBLIC comes with the database and stays with its owner
                owned[f"schema-{schema.lower()}"] = ("SCHEMA", _fqn(args.database, schema_name))
        for base, warehouse_name in args.warehouses.items():
            owned[f"warehouse-{base.lower()}"] = ("WAREHOUSE", warehouse_name)
        for key, (object_type, object_name) in owned.items():
            snowflake.GrantOwnership(
                f"{name}-ownership-{key}",
                account_role_name=roles["admin"].name,
                outbound_privileges="COPY",
                on=snowflake.GrantOwnershipOnArgs(object_type=object_type, object_name=object_name),
                opts=child,
            )

        plan = access_plan(tuple(args.schemas), tuple(args.warehouses))
        for grant in plan:
            self._grant(name, grant, roles[grant.role].name, args, child)

        # Cortex functions (search, complete) need the CORTEX_USER database role.
        snowflake.GrantDatabaseRole(
            f"{name}-api-cortex-user",
            database_role_name='"SNOWFLAKE"."CORTEX_USER"',
            parent_role_name=roles["api"].name,
            opts=child,
        )
        self.register_outputs({"role_names": self.role_names})

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
                object_name=_fqn(args.database, args.schemas[schema], args.tables[grant.name]),
            )
        else:  # future_tables
            kwargs["on_schema_object"] = snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectArgs(
                future=snowflake.GrantPrivilegesToAccountRoleOnSchemaObjectFutureArgs(
                    object_type_plural="TABLES",
                    in_schema=_fqn(args.database, args.schemas[grant.name]),
                )
            )
        return snowflake.GrantPrivilegesToAccountRole(
            key,
            account_role_name=role_name,
            privileges=sorted(grant.privileges),
            opts=child,
            **kwargs,
        )

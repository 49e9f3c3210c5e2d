"""The SOPHIA_AI database: schemas, their hand-over to SOPHIA_ADMIN, and the data model's tables.

Order (docs/snowflake.md, "Ownership"): SYSADMIN creates the database and schemas, hands them to
SOPHIA_ADMIN (after `SOPHIA_ADMIN -> SYSADMIN` exists), and only then creates the tables, which
it can do from then on only through that grant. On destroy the order reverses: tables go, the
transfers hand the database and schemas back to SYSADMIN, and SYSADMIN drops them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.tables import Column, TableDefinition
from components.snowflake.roles import PlatformRoles, hand_over


@dataclass(frozen=True)
class DatabaseArgs:
    name: str
    """Full database name, stack suffix included (e.g. SOPHIA_AI_DEV)."""
    schemas: tuple[str, ...]
    """Schemas to create; PUBLIC comes with the database and must not be listed."""
    tables: tuple[TableDefinition, ...]
    data_retention_days: int
    protect: bool
    """Protect (and retain on delete) everything that holds data."""


def _default(column: Column) -> snowflake.TableColumnDefaultArgs | None:
    if column.default_expression:
        return snowflake.TableColumnDefaultArgs(expression=column.default_expression)
    if column.default_constant:
        return snowflake.TableColumnDefaultArgs(constant=column.default_constant)
    return None


class Database(pulumi.ComponentResource):
    """A database with its schemas and tables, created by the SYSADMIN provider."""

    name: pulumi.Output[str]
    schema_names: dict[str, pulumi.Output[str]]
    tables: dict[str, snowflake.Table]
    ownership: dict[str, snowflake.GrantOwnership]
    """'DATABASE' and each schema name -> its transfer to SOPHIA_ADMIN."""

    def __init__(
        self,
        name: str,
        args: DatabaseArgs,
        provider: pulumi.ProviderResource,
        roles: PlatformRoles,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:Database", name, None, opts)
        if "PUBLIC" in args.schemas:
            raise ValueError("PUBLIC exists with every database; do not declare it")
        # Losing any of these loses data: protect blocks `pulumi destroy`, and retain_on_delete
        # keeps the object if someone removes it from code.
        data_opts = pulumi.ResourceOptions(
            parent=self,
            provider=provider,
            protect=args.protect,
            retain_on_delete=args.protect,
        )
        database = snowflake.Database(
            f"{name}-database",
            name=args.name,
            data_retention_time_in_days=args.data_retention_days,
            comment="Sophia AI platform data (managed by sophia-infra).",
            opts=data_opts,
        )
        self.name = database.name
        self.ownership = {
            "DATABASE": hand_over(
                f"{name}-ownership-database", "DATABASE", database.name, roles, provider, self
            )
        }
        self.schema_names = {"PUBLIC": database.name.apply(lambda _: "PUBLIC")}
        for schema_name in args.schemas:
            schema = snowflake.Schema(
                f"{name}-schema-{schema_name.lower()}",
                database=database.name,
                name=schema_name,
                data_retention_time_in_days=args.data_retention_days,
                opts=data_opts,
            )
            self.schema_names[schema_name] = schema.name
            # PUBLIC comes with the database and stays with SYSADMIN.
            self.ownership[schema_name] = hand_over(
                f"{name}-ownership-schema-{schema_name.lower()}",
                "SCHEMA",
                pulumi.Output.all(database.name, schema.name).apply(
                    lambda parts: ".".join(f'"{p}"' for p in parts)
                ),
                roles,
                provider,
                self,
            )

        # After the hand-over SYSADMIN reaches the database and schemas only through
        # SOPHIA_ADMIN: the tables wait for every transfer and for that grant.
        table_opts = pulumi.ResourceOptions.merge(
            data_opts,
            pulumi.ResourceOptions(
                depends_on=[*self.ownership.values(), roles.admin_under_sysadmin]
            ),
        )
        self.tables = {}
        for table in args.tables:
            schema_name = self.schema_names.get(table.schema)
            if schema_name is None:
                raise ValueError(f"table {table.name} needs schema {table.schema}, not declared")
            self.tables[f"{table.schema}.{table.name}"] = snowflake.Table(
                f"{name}-table-{table.schema.lower()}-{table.name.lower()}",
                database=database.name,
                schema=schema_name,
                name=table.name,
                comment=table.comment,
                change_tracking=table.change_tracking,
                data_retention_time_in_days=args.data_retention_days,
                columns=[
                    snowflake.TableColumnArgs(
                        name=column.name,
                        type=column.type,
                        nullable=column.nullable,
                        default=_default(column),
                    )
                    for column in table.columns
                ],
                opts=table_opts,
            )
        self.register_outputs({"name": self.name, "schema_names": self.schema_names})

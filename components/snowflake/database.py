"""The SOPHIA_AI database: schemas and the tables of the data model."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.snowflake.tables import TableDefinition


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


class Database(pulumi.ComponentResource):
    """A database with its schemas and tables, created by the SYSADMIN provider."""

    name: pulumi.Output[str]
    schema_names: dict[str, pulumi.Output[str]]
    tables: dict[str, snowflake.Table]

    def __init__(
        self,
        name: str,
        args: DatabaseArgs,
        provider: pulumi.ProviderResource,
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
        self.schema_names = {"PUBLIC": database.name.apply(lambda _: "PUBLIC")}
        schemas: dict[str, snowflake.Schema] = {}
        for schema_name in args.schemas:
            schemas[schema_name] = snowflake.Schema(
                f"{name}-schema-{schema_name.lower()}",
                database=database.name,
                name=schema_name,
                data_retention_time_in_days=args.data_retention_days,
                opts=data_opts,
            )
            self.schema_names[schema_name] = schemas[schema_name].name

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
                        default=(
                            snowflake.TableColumnDefaultArgs(expression=column.default_expression)
                            if column.default_expression
                            else None
                        ),
                    )
                    for column in table.columns
                ],
                primary_key=snowflake.TablePrimaryKeyArgs(
                    keys=list(table.primary_key), name=f"PK_{table.name}"
                ),
                opts=data_opts,
            )
        self.register_outputs({"name": self.name, "schema_names": self.schema_names})

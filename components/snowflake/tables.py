"""The table definitions of the data model, in one place.

Other code (the Cortex Search service's source query, tests, the synth) derives column names from
these definitions, so renaming a column here cannot silently break a consumer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default_expression: str | None = None


@dataclass(frozen=True)
class TableDefinition:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    change_tracking: bool = False
    comment: str = ""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.schema}.{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


USER_SESSIONS = TableDefinition(
    schema="PUBLIC",
    name="USER_SESSIONS",
    columns=(
        Column("SESSION_ID", "VARCHAR(255)", nullable=False),
        Column("USER_ID", "VARCHAR(255)"),
        Column("CREATED_AT", "TIMESTAMP_NTZ", default_expression="CURRENT_TIMESTAMP()"),
        Column("LAST_ACTIVITY", "TIMESTAMP_NTZ", default_expression="CURRENT_TIMESTAMP()"),
        Column("SESSION_DATA", "VARIANT"),
        # INTEGER is stored as NUMBER(38,0); declaring the stored form avoids a perpetual diff.
        Column("TTL_SECONDS", "NUMBER(38,0)", default_expression="3600"),
    ),
    primary_key=("SESSION_ID",),
    comment="API sessions (replaces Redis).",
)

EMBEDDINGS = TableDefinition(
    schema="CORTEX_VECTORS",
    name="EMBEDDINGS",
    columns=(
        Column("ID", "VARCHAR(255)", nullable=False),
        Column("SOURCE_TYPE", "VARCHAR(100)"),
        Column("SOURCE_ID", "VARCHAR(255)"),
        Column("CONTENT", "VARCHAR(16777216)"),  # TEXT, in the form Snowflake reports back
        Column("EMBEDDING", "VECTOR(FLOAT, 1536)"),
        Column("METADATA", "VARIANT"),
        Column("CREATED_AT", "TIMESTAMP_NTZ", default_expression="CURRENT_TIMESTAMP()"),
    ),
    primary_key=("ID",),
    # Cortex Search reads the table's change stream for incremental refreshes.
    change_tracking=True,
    comment="Document chunks and embeddings (replaces Pinecone).",
)

TABLES = (USER_SESSIONS, EMBEDDINGS)

# Schemas the platform creates (PUBLIC comes with the database).
PLATFORM_SCHEMAS = ("ESTUARY_REALTIME", "CORTEX_VECTORS", "BUSINESS_ENRICHED")

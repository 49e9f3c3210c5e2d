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
    """A default with parentheses (CURRENT_TIMESTAMP()): the provider reads it back as
    `expression` (terraform-provider-snowflake table.go, toColumnDefaultConfig)."""
    default_constant: str | None = None
    """A literal default (3600): read back as `constant`, so it must be declared as one or every
    preview shows a diff (same function)."""

    def __post_init__(self) -> None:
        if self.default_expression and self.default_constant:
            raise ValueError(f"column {self.name}: a default is an expression or a constant")
        if self.default_expression and not (
            "(" in self.default_expression and ")" in self.default_expression
        ):
            raise ValueError(
                f"column {self.name}: default_expression {self.default_expression!r} has no "
                "parentheses, so the provider reads it back as a constant; declare "
                "default_constant instead"
            )


@dataclass(frozen=True)
class TableDefinition:
    schema: str
    name: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    """The logical key: NOT NULL, and the Cortex Search primary key. Not declared as a Snowflake
    PRIMARY KEY: Snowflake enforces no PRIMARY KEY on standard tables, and the provider's
    Table.primary_key is deprecated and never created (docs/snowflake.md, "Tables")."""
    change_tracking: bool = False
    comment: str = ""

    def __post_init__(self) -> None:
        for key in self.key_columns:
            if self.column(key).nullable:
                raise ValueError(f"{self.schema}.{self.name}: key column {key} must be NOT NULL")

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
        Column("TTL_SECONDS", "NUMBER(38,0)", default_constant="3600"),
    ),
    key_columns=("SESSION_ID",),
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
    key_columns=("ID",),
    # Cortex Search reads the table's change stream for incremental refreshes.
    change_tracking=True,
    comment="Document chunks and embeddings (replaces Pinecone).",
)

TABLES = (USER_SESSIONS, EMBEDDINGS)

# Schemas the platform creates (PUBLIC comes with the database).
PLATFORM_SCHEMAS = ("ESTUARY_REALTIME", "CORTEX_VECTORS", "BUSINESS_ENRICHED")

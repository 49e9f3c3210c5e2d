"""Cortex settings per stack: search-service lag, extra search services, agent model overrides.

Read from the object-valued stack config key `sophia-infra:cortex` (camelCase keys). The agents
themselves are declared in `components/snowflake/agents.yaml`, not in stack config.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.settings._base import CamelModel, SnowflakeIdentifier
from components.snowflake.tables import TABLES

_LAG = re.compile(r"^(\d+) (second|minute|hour|day)s?$")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MIN_TARGET_LAG_SECONDS = 60
# Only text columns can be searched (Snowflake: the ON column must be a text value).
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING")
_TABLES_BY_KEY = {f"{t.schema}.{t.name}": t for t in TABLES}


def lag_seconds(lag: str) -> int:
    match = _LAG.match(lag)
    if not match:
        raise ValueError(lag)
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _check_lag(value: str) -> str:
    try:
        seconds = lag_seconds(value)
    except ValueError:
        raise ValueError(
            "must be '<number> <seconds|minutes|hours|days>', e.g. '1 minute' or '2 hours'"
        ) from None
    if seconds < MIN_TARGET_LAG_SECONDS:
        raise ValueError(f"must be at least {MIN_TARGET_LAG_SECONDS} seconds ('1 minute')")
    return value


TargetLag = Annotated[str, AfterValidator(_check_lag)]


class SearchServiceSettings(CamelModel):
    """A Cortex Search service over one of the data model's tables."""

    name: SnowflakeIdentifier
    table: str = Field(description="'SCHEMA.TABLE' of a table in components/snowflake/tables.py.")
    search_column: str = Field(description="Text column to search.")
    attributes: tuple[str, ...] = Field((), description="Columns to filter on.")
    columns: tuple[str, ...] = Field((), description="Other columns returned with results.")
    target_lag: TargetLag | None = Field(None, description="Default: the stack's searchTargetLag.")
    warehouse: SnowflakeIdentifier = Field(
        "CORTEX_COMPUTE_WH", description="Base name of a declared warehouse that refreshes it."
    )

    @model_validator(mode="after")
    def _columns_exist(self) -> SearchServiceSettings:
        table = _TABLES_BY_KEY.get(self.table)
        if table is None:
            raise ValueError(
                f"table {self.table!r} is not in the data model; allowed: "
                + ", ".join(sorted(_TABLES_BY_KEY))
            )
        known = table.column_names
        for column in (self.search_column, *self.attributes, *self.columns):
            if column not in known:
                raise ValueError(
                    f"column {column!r} is not in {self.table}; its columns: {', '.join(known)}"
                )
        if not table.column(self.search_column).type.startswith(_TEXT_TYPES):
            raise ValueError(f"searchColumn {self.search_column!r} must be a text column")
        return self


class CortexSettings(CamelModel):
    search_target_lag: TargetLag = Field(
        "1 hour", description="Target lag of sophia_search (prod: '1 minute')."
    )
    search_auto_suspend_seconds: int | None = Field(
        None,
        ge=1800,
        le=2_592_000,  # ours: 30 days; a larger value never suspends within a billing month
        description="Suspend serving after idle seconds (Snowflake minimum 1800).",
    )
    embedding_model: str | None = Field(
        None,
        # GUESS: the models CREATE CORTEX SEARCH SERVICE ... EMBEDDING_MODEL lists (Snowflake docs,
        # "Cortex Search"), recorded without the page at hand; the value reaches SQL as a literal.
        pattern=r"^(snowflake-arctic-embed-m-v1\.5|snowflake-arctic-embed-l-v2\.0|"
        r"snowflake-arctic-embed-l-v2\.0-8k|voyage-multilingual-2|multilingual-e5-large|"
        r"nv-embed-qa-4|e5-base-v2)$",
        description="Default: Snowflake's default model.",
    )
    additional_search_services: tuple[SearchServiceSettings, ...] = ()
    agent_models: dict[str, str] = Field(
        default_factory=dict,
        description="Per-stack orchestration model per agent name (e.g. a cheaper one in dev).",
    )

    @field_validator("additional_search_services")
    @classmethod
    def _unique_names(
        cls, value: tuple[SearchServiceSettings, ...]
    ) -> tuple[SearchServiceSettings, ...]:
        names = [s.name for s in value]
        duplicates = sorted({n for n in names if names.count(n) > 1 or n == "SOPHIA_SEARCH"})
        if duplicates:
            raise ValueError(
                f"search service names must be unique (SOPHIA_SEARCH is built in): {duplicates}"
            )
        return value

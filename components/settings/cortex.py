"""Cortex settings per stack: search-service lag, extra search services, agent model overrides.

Read from the object-valued stack config key `sophia-infra:cortex` (camelCase keys). The agents
themselves are declared in `components/snowflake/agents.yaml`, not in stack config.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.settings._base import CamelModel, KeyedValueError, SnowflakeIdentifier
from components.settings.snowflake import WAREHOUSE_CREDITS_PER_HOUR, SnowflakeSettings
from components.settings.tables import TABLES

_LAG = re.compile(r"^(\d+) (second|minute|hour|day)s?$")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MIN_TARGET_LAG_SECONDS = 60
# Only text columns can be searched (Snowflake: the ON column must be a text value).
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING")
_TABLES_BY_KEY = {f"{t.schema}.{t.name}": t for t in TABLES}
# The refresh arithmetic (docs/snowflake.md "Search refresh against the monitor"), the same worst
# case as the cost view's price book (jobs/prices): the source changes every target-lag interval,
# each refresh resumes the warehouse and is billed at least 60 s (Snowflake bills a resumed
# warehouse for a 60 s minimum; the refresh itself is assumed to finish within it: GUESS), then
# the warehouse idles for its AUTO_SUSPEND before it stops.
REFRESH_BILLED_SECONDS = 60
HOURS_PER_MONTH = 730
BUILT_IN_SEARCH_WAREHOUSE = "CORTEX_COMPUTE_WH"


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
    table: str = Field(description="'SCHEMA.TABLE' of a table in components/settings/tables.py.")
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


def refresh_credits_per_month(lag: str, size: str, auto_suspend_seconds: int) -> float:
    """Worst-case credits a search refresh spends on one cluster of its warehouse per month."""
    awake = REFRESH_BILLED_SECONDS + auto_suspend_seconds
    busy = min(1.0, awake / lag_seconds(lag))
    return busy * HOURS_PER_MONTH * WAREHOUSE_CREDITS_PER_HOUR[size]


def check_refresh_fits_monitor(cortex: CortexSettings, snowflake: SnowflakeSettings) -> None:
    """Refuse a target lag whose refreshes alone would trip the warehouse's monitor mid-month.

    When the monitor suspends the warehouse, the search index stops refreshing and every tool
    that runs there fails until the quota resets on the 1st; a stack must not declare that.
    """
    services: list[tuple[tuple[str | int, ...], str, str]] = [
        (("cortex", "searchTargetLag"), cortex.search_target_lag, BUILT_IN_SEARCH_WAREHOUSE)
    ]
    for index, service in enumerate(cortex.additional_search_services):
        path: tuple[str | int, ...] = ("cortex", "additionalSearchServices", index, "targetLag")
        services.append((path, service.target_lag or cortex.search_target_lag, service.warehouse))
    spend: dict[str, float] = {}
    for _, lag, warehouse_name in services:
        warehouse = snowflake.warehouses.get(warehouse_name)
        if warehouse is None:
            continue  # an undeclared warehouse is reported by the reference check
        spend[warehouse_name] = spend.get(warehouse_name, 0.0) + refresh_credits_per_month(
            lag, warehouse.size, warehouse.auto_suspend_seconds
        )
    for path, lag, warehouse_name in services:
        warehouse = snowflake.warehouses.get(warehouse_name)
        if warehouse is None or warehouse_name not in spend:
            continue
        limit = warehouse.credit_quota * warehouse.suspend_at_percent / 100
        if spend[warehouse_name] > limit:
            awake = REFRESH_BILLED_SECONDS + warehouse.auto_suspend_seconds
            per_hour = WAREHOUSE_CREDITS_PER_HOUR[warehouse.size]
            shortest = awake * HOURS_PER_MONTH * per_hour / limit if limit else float("inf")
            raise KeyedValueError(
                path,
                lag,
                f"refreshes on {warehouse_name} ({warehouse.size}, {per_hour} cr/h, auto-suspend "
                f"{warehouse.auto_suspend_seconds} s) can spend {spend[warehouse_name]:.0f} "
                f"credits a month, more than its monitor lets through before suspending "
                f"({warehouse.credit_quota} x {warehouse.suspend_at_percent}% = {limit:.0f}): the "
                "warehouse would be suspended mid-month and the index would go stale; allowed: a "
                f"lag of at least {shortest:.0f} seconds, or a creditQuota of at least "
                f"{spend[warehouse_name] * 100 / warehouse.suspend_at_percent:.0f} on "
                f"snowflake.warehouses.{warehouse_name}, or a smaller warehouse",
            )
        spend.pop(warehouse_name)  # report each warehouse once

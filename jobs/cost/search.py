"""Cortex Search: the refresh on its warehouse, and the serverless serving and embedding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from components.settings.cortex import lag_seconds
from jobs.cost.document import SEARCH, of_type
from jobs.cost.prices import Assumptions, PriceBook
from jobs.cost.warehouses import WarehouseCost


@dataclass(frozen=True)
class SearchCost:
    key: str
    name: str
    warehouse: str
    warehouse_key: str | None
    target_lag: str
    busy_fraction: Decimal
    """Share of the month the refresh keeps the warehouse running (worst case, estimate)."""
    refresh_hours: Decimal
    refresh_credits: Decimal
    """Credits the refresh spends on the warehouse: inside that warehouse's row and cap."""
    warehouse_cap_credits: Decimal | None
    indexed_gb: Decimal
    serving_credits: Decimal
    embedded_million_tokens: Decimal
    embedding_credits: Decimal
    flags: tuple[str, ...]

    @property
    def serverless_credits(self) -> Decimal:
        """Serving + embedding: billed outside any warehouse, so no resource monitor caps them."""
        return self.serving_credits + self.embedding_credits


def price_searches(
    resources: list[Mapping[str, Any]],
    warehouses: list[WarehouseCost],
    prices: PriceBook,
    assumptions: Assumptions,
) -> list[SearchCost]:
    by_name = {w.name: w for w in warehouses}
    rows = []
    for resource in of_type(resources, SEARCH):
        inputs = resource["inputs"]
        flags: list[str] = []
        warehouse_name = str(inputs.get("warehouse") or "")
        warehouse = by_name.get(warehouse_name)
        lag_text = str(inputs.get("targetLag") or "")
        try:
            lag = Decimal(lag_seconds(lag_text))
        except ValueError:
            lag = Decimal(60)
            flags.append(f"target lag {lag_text!r} not understood: refreshes priced every minute")
        busy = Decimal(0)
        refresh_credits = Decimal(0)
        if warehouse is None:
            flags.append(f"warehouse {warehouse_name} is not declared here: refresh not priced")
        else:
            billed = max(
                prices.search_assumed_refresh_seconds, prices.search_minimum_billed_seconds
            )
            awake = Decimal(billed + (warehouse.auto_suspend_seconds or 0))
            busy = min(Decimal(1), awake / lag)
            if warehouse.auto_suspend_seconds in (None, 0):
                busy = Decimal(1)
            refresh_credits = busy * prices.hours_per_month * warehouse.credits_per_cluster_hour
            if busy == 1:
                flags.append(
                    f"refresh every {lag_text} keeps {warehouse.name} from ever suspending "
                    f"(auto-suspend {warehouse.auto_suspend_seconds} s)"
                )
            if warehouse.cap_credits is not None and refresh_credits > warehouse.cap_credits:
                flags.append(
                    f"refresh alone can spend more than {warehouse.name}'s hard cap: the monitor "
                    "would suspend the warehouse mid-month and the index would go stale"
                )
        serving = assumptions.indexed_gb * prices.search_serving_credits_per_gb_month
        embedding = (
            assumptions.embedded_million_tokens_per_month
            * prices.search_embedding_credits_per_million_tokens
        )
        flags.append("serving and embedding are serverless: no resource monitor caps them")
        rows.append(
            SearchCost(
                key=str(resource["name"]),
                name=str(inputs.get("name") or resource["name"]),
                warehouse=warehouse_name,
                warehouse_key=warehouse.key if warehouse else None,
                target_lag=lag_text,
                busy_fraction=busy,
                refresh_hours=busy * prices.hours_per_month,
                refresh_credits=refresh_credits,
                warehouse_cap_credits=warehouse.cap_credits if warehouse else None,
                indexed_gb=assumptions.indexed_gb,
                serving_credits=serving,
                embedded_million_tokens=assumptions.embedded_million_tokens_per_month,
                embedding_credits=embedding,
                flags=tuple(flags),
            )
        )
    return rows

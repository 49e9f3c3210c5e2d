"""Warehouses: worst case per month, and the hard cap their resource monitor sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jobs.cost.document import MONITOR, UNCAPPED, WAREHOUSE, of_type
from jobs.cost.prices import CostError, PriceBook, dec

# Snowflake's default STATEMENT_TIMEOUT_IN_SECONDS when a warehouse does not set one (2 days).
_DEFAULT_STATEMENT_TIMEOUT = 172_800
_SIZE_ALIASES = {
    "XSMALL": "XSMALL",
    "SMALL": "SMALL",
    "MEDIUM": "MEDIUM",
    "LARGE": "LARGE",
    "XLARGE": "XLARGE",
    "XXLARGE": "XXLARGE",
    "2XLARGE": "XXLARGE",
    "XXXLARGE": "XXXLARGE",
    "3XLARGE": "XXXLARGE",
    "X4LARGE": "X4LARGE",
    "4XLARGE": "X4LARGE",
    "X5LARGE": "X5LARGE",
    "5XLARGE": "X5LARGE",
    "X6LARGE": "X6LARGE",
    "6XLARGE": "X6LARGE",
}
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class WarehouseCost:
    key: str
    """Logical resource name (stable across stacks and revisions)."""
    name: str
    size: str
    credits_per_hour: Decimal
    """One Gen1 standard cluster of this size (Snowflake's published table)."""
    multipliers: tuple[tuple[str, Decimal], ...]
    max_clusters: int
    worst_case_credits: Decimal
    """Per month if every cluster ran all month: credits/h x multipliers x clusters x hours."""
    monitor: str | None
    quota_credits: Decimal | None
    """The monitor's quota per month (a daily or weekly quota is scaled to a month)."""
    frequency: str
    suspend_percent: Decimal | None
    suspend_immediate_percent: Decimal | None
    cap_credits: Decimal | None
    """What the monitor lets the warehouse(s) spend per month at most; None: nothing stops it."""
    cap_basis: str
    shared_with: tuple[str, ...]
    auto_suspend_seconds: int | None
    flags: tuple[str, ...]

    @property
    def credits_per_cluster_hour(self) -> Decimal:
        value = self.credits_per_hour
        for _, multiplier in self.multipliers:
            value *= multiplier
        return value

    @property
    def bound_credits(self) -> Decimal:
        """min(worst case, hard cap): the most this warehouse can cost in a month."""
        if self.cap_credits is None:
            return self.worst_case_credits
        return min(self.worst_case_credits, self.cap_credits)

    @property
    def uncapped(self) -> bool:
        return self.cap_credits is None


def _size(value: Any) -> str:
    raw = str(value or "XSMALL").upper().replace("-", "").replace("_", "")
    size = _SIZE_ALIASES.get(raw)
    if size is None:
        raise CostError(f"warehouse size {value!r} is not a Snowflake size (XSMALL .. X6LARGE)")
    return size


def _percent(value: Any) -> Decimal | None:
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return min(dec(v) for v in value)
    return dec(value)


def price_warehouses(
    resources: list[Mapping[str, Any]], prices: PriceBook, region: str
) -> list[WarehouseCost]:
    monitors = {str(m["inputs"].get("name")): m["inputs"] for m in of_type(resources, MONITOR)}
    declared = of_type(resources, WAREHOUSE)
    users: dict[str, list[str]] = {}
    for resource in declared:
        monitor = resource["inputs"].get("resourceMonitor")
        if monitor:
            users.setdefault(str(monitor), []).append(str(resource["inputs"].get("name")))

    rows = []
    for resource in declared:
        inputs = resource["inputs"]
        name = str(inputs.get("name") or resource["name"])
        size = _size(inputs.get("warehouseSize"))
        flags: list[str] = []
        multipliers: list[tuple[str, Decimal]] = []
        warehouse_type = str(inputs.get("warehouseType") or "STANDARD").upper()
        if warehouse_type.replace("_", "-") == "SNOWPARK-OPTIMIZED":
            multipliers.append(("Snowpark-optimized", prices.snowpark_optimized_multiplier))
            if inputs.get("resourceConstraint"):
                flags.append(
                    f"resourceConstraint {inputs['resourceConstraint']} priced at the default "
                    "Snowpark-optimized rate"
                )
        else:
            generation = inputs.get("generation")
            if generation is None:
                # Gen2 is becoming the default for new standard warehouses: never under-price.
                flags.append("generation not declared: priced as Gen2")
                generation = "2"
            if str(generation) == "2":
                multipliers.append((f"Gen2 ({region.split('-', 1)[0]})", prices.gen2(region)))
        max_clusters = int(inputs.get("maxClusterCount") or 1)
        base = prices.warehouse_credits_per_hour[size]
        per_cluster = base
        for _, multiplier in multipliers:
            per_cluster *= multiplier
        worst = per_cluster * max_clusters * prices.hours_per_month

        monitor_name = inputs.get("resourceMonitor")
        monitor = monitors.get(str(monitor_name)) if monitor_name else None
        quota = cap = suspend = immediate = None
        frequency = "MONTHLY"
        cap_basis = "no resource monitor"
        shared: tuple[str, ...] = ()
        if not monitor_name:
            flags.insert(0, f"{UNCAPPED}: no resource monitor")
        elif monitor is None:
            flags.insert(0, f"{UNCAPPED}: monitor {monitor_name} is not declared in this stack")
            cap_basis = f"monitor {monitor_name} not declared here"
        else:
            shared = tuple(sorted(n for n in users.get(str(monitor_name), []) if n != name))
            frequency = str(monitor.get("frequency") or "MONTHLY").upper()
            suspend = _percent(monitor.get("suspendTrigger", monitor.get("suspendTriggers")))
            immediate = _percent(
                monitor.get("suspendImmediateTrigger", monitor.get("suspendImmediateTriggers"))
            )
            if monitor.get("creditQuota") is not None:
                quota = _monthly_quota(dec(monitor["creditQuota"]), frequency, prices)
            cap, cap_basis = _cap(quota, suspend, immediate, per_cluster, max_clusters, inputs)
            if cap is None:
                flags.insert(0, f"{UNCAPPED}: {cap_basis}")
            if shared:
                flags.append(f"monitor {monitor_name} is shared with {', '.join(shared)}")
        auto_suspend = inputs.get("autoSuspend")
        if auto_suspend in (None, 0):
            flags.append("no auto-suspend: it runs until someone suspends it")
        rows.append(
            WarehouseCost(
                key=str(resource["name"]),
                name=name,
                size=size,
                credits_per_hour=base,
                multipliers=tuple(multipliers),
                max_clusters=max_clusters,
                worst_case_credits=worst,
                monitor=str(monitor_name) if monitor_name else None,
                quota_credits=quota,
                frequency=frequency,
                suspend_percent=suspend,
                suspend_immediate_percent=immediate,
                cap_credits=cap,
                cap_basis=cap_basis,
                shared_with=shared,
                auto_suspend_seconds=int(auto_suspend) if auto_suspend is not None else None,
                flags=tuple(flags),
            )
        )
    return rows


def _monthly_quota(quota: Decimal, frequency: str, prices: PriceBook) -> Decimal:
    """A quota per interval, as the most it lets through in one month."""
    if frequency == "DAILY":
        return quota * prices.days_per_month
    if frequency == "WEEKLY":
        return quota * prices.hours_per_month / 168
    # MONTHLY resets each month; YEARLY and NEVER could all be spent within one month.
    return quota


def _cap(
    quota: Decimal | None,
    suspend: Decimal | None,
    immediate: Decimal | None,
    per_cluster: Decimal,
    max_clusters: int,
    inputs: Mapping[str, Any],
) -> tuple[Decimal | None, str]:
    """The monitor's hard cap in credits per month, and how it was derived."""
    if quota is None:
        return None, "monitor has no credit quota"
    if immediate is not None:
        # SUSPEND_IMMEDIATE cancels running queries: spend stops at this percentage.
        return quota * immediate / _HUNDRED, f"quota x {immediate}% (suspend immediate)"
    if suspend is not None:
        # SUSPEND lets running queries finish: they may run up to the statement timeout on every
        # running cluster after the trigger fires.
        timeout = int(inputs.get("statementTimeoutInSeconds") or _DEFAULT_STATEMENT_TIMEOUT)
        tail = per_cluster * max_clusters * Decimal(timeout) / 3600
        return (
            quota * suspend / _HUNDRED + tail,
            f"quota x {suspend}% (suspend) + running queries up to the {timeout} s statement "
            "timeout",
        )
    return None, "monitor only notifies (no suspend trigger)"

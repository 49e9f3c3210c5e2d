"""Cost view: what a stack's declared resources can cost, from the synthesized document alone.

    python -m jobs.cost --stack prod                          # the cost table (no credentials)
    python -m jobs.cost --stack prod --diff staging           # what prod adds over staging
    python -m jobs.cost --stack prod --base-ref origin/main   # what this checkout adds over a ref
    python -m jobs.cost --base-json base.json --head-json head.json

Everything here is a pure function over the JSON document `jobs.synth --json` writes, so a base
revision synthesized in another checkout (a `git worktree`, by its own code) can be diffed against
the head. Prices come from `jobs/prices/price_book.yaml` (versioned, dated, hand-recorded) and the
gateway's `components/portkey/prices.yaml`; docs/cost.md explains every assumption.

Exit codes: 0 ok, 2 a stack config is invalid or a revision cannot be synthesized.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.settings.cortex import lag_seconds
from components.settings.portkey_routing import PriceTable, load_price_table, usd
from components.settings.snowflake import WAREHOUSE_CREDITS_PER_HOUR
from components.yaml_files import YamlFileError, load_yaml_file

PRICE_BOOK_PATH = Path(__file__).resolve().parent / "prices" / "price_book.yaml"
EXIT_OK = 0
EXIT_INVALID = 2

WAREHOUSE = "snowflake:index/warehouse:Warehouse"
MONITOR = "snowflake:index/resourceMonitor:ResourceMonitor"
SEARCH = "snowflake:index/cortexSearchService:CortexSearchService"
GATEWAY_CONFIG = "pulumi-python:dynamic/portkey:GatewayConfig"
USAGE_LIMITS = "pulumi-python:dynamic/portkey:UsageLimitsPolicy"
# Types that cost money but are not priced here (docs/cost.md says why); the report lists them.
NOT_PRICED = {
    "snowflake:index/cortexAgent:CortexAgent": "Cortex Agents (per-call LLM tokens)",
    "snowflake:index/database:Database": "Snowflake storage (per TB-month of data)",
    "pulumi-python:dynamic/estuary:Capture": "Estuary Flow (per GB moved and per connector task)",
    "kubernetes:argoproj.io/v1alpha1:Rollout": "the API's Kubernetes nodes (no cluster here)",
}

UNCAPPED = "UNCAPPED"
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
_MILLION = Decimal(1_000_000)
_THOUSAND = Decimal(1000)


class CostError(ValueError):
    """The price book or a declared resource cannot be priced; the message says which and why."""


# --- price book ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumptions:
    """Workload guesses for one stack (not prices): see `assumptions` in the price book."""

    indexed_gb: Decimal
    embedded_million_tokens_per_month: Decimal
    llm_requests_per_day: Decimal


@dataclass(frozen=True)
class PriceBook:
    version: int
    date: str
    currency: str
    hours_per_month: Decimal
    default_edition: str
    default_region: str
    credit_prices: dict[str, dict[str, Decimal]]
    warehouse_credits_per_hour: dict[str, Decimal]
    gen2_multiplier: dict[str, Decimal]
    snowpark_optimized_multiplier: Decimal
    search_serving_credits_per_gb_month: Decimal
    search_embedding_credits_per_million_tokens: Decimal
    search_assumed_refresh_seconds: int
    search_minimum_billed_seconds: int
    assumptions: dict[str, Assumptions]
    llm: PriceTable
    llm_billed_calls_per_request: int
    path: str = ""

    @property
    def days_per_month(self) -> Decimal:
        return self.hours_per_month / 24

    def assumptions_for(self, stack: str) -> Assumptions:
        return self.assumptions.get(stack, self.assumptions["default"])

    def credit_price(self, edition: str, region: str) -> tuple[Decimal, str | None]:
        """USD per credit, and a note when the region is not in the book (default used)."""
        by_region = self.credit_prices.get(region)
        note = None
        if by_region is None:
            by_region = self.credit_prices["default"]
            note = (
                f"region {region} is not in the price book: priced at the book's conservative "
                f"default (${by_region.get(edition, Decimal(0)):.2f}/credit for {edition})"
            )
        if edition not in by_region:
            raise CostError(
                f"edition {edition!r} has no credit price in {self.path} (version {self.version}); "
                f"priced editions: {sorted(by_region)}"
            )
        return by_region[edition], note

    def gen2(self, region: str) -> Decimal:
        cloud = region.split("-", 1)[0]
        return self.gen2_multiplier.get(cloud, max(self.gen2_multiplier.values()))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def load_price_book(path: Path = PRICE_BOOK_PATH, llm: PriceTable | None = None) -> PriceBook:
    """Read the price book; the gateway's price table comes from components/portkey/prices.yaml."""
    raw = load_yaml_file(path)  # strict: duplicate keys refused (components/yaml_files.py)
    llm = llm or load_price_table()
    snowflake = raw["snowflake"]
    search = snowflake["cortex_search"]
    defaults = raw["assumptions"]["default"]
    assumptions = {}
    for stack, entry in raw["assumptions"].items():
        merged = {**defaults, **(entry or {})}
        assumptions[stack] = Assumptions(
            indexed_gb=_dec(merged["indexed_gb"]),
            embedded_million_tokens_per_month=_dec(merged["embedded_million_tokens_per_month"]),
            llm_requests_per_day=_dec(merged["llm_requests_per_day"]),
        )
    prompt_tokens = int(raw["llm"]["prompt_tokens"])
    if prompt_tokens != llm.assumed_prompt_tokens:
        raise CostError(
            f"{path.name}: llm.prompt_tokens is {prompt_tokens} but the gateway's price table "
            f"(prices.yaml v{llm.version}) assumes {llm.assumed_prompt_tokens}-token prompts; "
            "the cost view must use the prompt size the gateway's max_tokens were derived from"
        )
    if "default" not in snowflake["credit_price_usd"]:
        raise CostError(f"{path.name}: snowflake.credit_price_usd needs a 'default' region entry")
    return PriceBook(
        version=int(raw["version"]),
        date=str(raw["date"]),
        currency=str(raw["currency"]),
        hours_per_month=_dec(raw["hours_per_month"]),
        default_edition=str(raw["default_basis"]["edition"]),
        default_region=str(raw["default_basis"]["region"]),
        credit_prices={
            region: {edition: _dec(price) for edition, price in editions.items()}
            for region, editions in snowflake["credit_price_usd"].items()
        },
        warehouse_credits_per_hour={
            size: _dec(credits) for size, credits in WAREHOUSE_CREDITS_PER_HOUR.items()
        },
        gen2_multiplier={cloud: _dec(m) for cloud, m in snowflake["gen2_multiplier"].items()},
        snowpark_optimized_multiplier=_dec(snowflake["snowpark_optimized_multiplier"]),
        search_serving_credits_per_gb_month=_dec(search["serving_credits_per_gb_month"]),
        search_embedding_credits_per_million_tokens=_dec(
            search["embedding_credits_per_million_tokens"]
        ),
        search_assumed_refresh_seconds=int(search["assumed_refresh_seconds"]),
        search_minimum_billed_seconds=int(search["minimum_billed_seconds"]),
        assumptions=assumptions,
        llm=llm,
        llm_billed_calls_per_request=int(raw["llm"]["billed_calls_per_request"]),
        path=_relative(path),
    )


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PRICE_BOOK_PATH.parents[2]))
    except ValueError:
        return str(path)


# --- report model -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class TargetCost:
    route: str
    provider: str
    model: str
    max_tokens: int | None
    prompt_tokens: int
    worst_case_usd: Decimal | None
    """Per request: prompt_tokens x input price + max_tokens x output price; None: unpriced."""
    flags: tuple[str, ...]


@dataclass(frozen=True)
class UsageLimit:
    name: str
    kind: str
    limit: Decimal
    alert_threshold: Decimal | None
    periodic_reset: str | None
    scope: str
    monthly_cap_usd: Decimal | None
    """Dollars the limit lets through in a month; None for token limits (not a dollar cap)."""


@dataclass(frozen=True)
class GatewayCost:
    key: str
    name: str
    targets: tuple[TargetCost, ...]
    requests_per_day: Decimal
    daily_bound_usd: Decimal
    """At the assumed request rate, every request on the most expensive target."""
    monthly_worst_usd: Decimal
    limit: UsageLimit | None
    flags: tuple[str, ...]

    @property
    def worst_request_usd(self) -> Decimal:
        return max((t.worst_case_usd or Decimal(0) for t in self.targets), default=Decimal(0))

    @property
    def monthly_bound_usd(self) -> Decimal:
        if self.limit is None or self.limit.monthly_cap_usd is None:
            return self.monthly_worst_usd
        return min(self.monthly_worst_usd, self.limit.monthly_cap_usd)


@dataclass(frozen=True)
class CostReport:
    stack: str
    edition: str
    region: str
    credit_price_usd: Decimal
    book: PriceBook = field(repr=False)
    assumptions: Assumptions
    warehouses: tuple[WarehouseCost, ...]
    searches: tuple[SearchCost, ...]
    gateways: tuple[GatewayCost, ...]
    notes: tuple[str, ...]
    name_suffix: str = ""
    """The stack's account-level name suffix (outputs.nameSuffix), e.g. '_DEV'."""
    label: str = ""
    """How renderers name this report (e.g. 'prod@origin/main'); default: the stack."""

    @property
    def title(self) -> str:
        return self.label or self.stack

    def usd(self, credits: Decimal) -> Decimal:
        return credits * self.credit_price_usd

    @property
    def snowflake_worst_credits(self) -> Decimal:
        return sum((w.worst_case_credits for w in self.warehouses), Decimal(0)) + sum(
            (s.serverless_credits for s in self.searches), Decimal(0)
        )

    @property
    def snowflake_bound_credits(self) -> Decimal:
        """Per monitor: min(its warehouses' worst case, its cap); uncapped and serverless add."""
        total = sum((s.serverless_credits for s in self.searches), Decimal(0))
        groups: dict[str, list[WarehouseCost]] = {}
        for warehouse in self.warehouses:
            if warehouse.uncapped:
                total += warehouse.worst_case_credits
            else:
                groups.setdefault(warehouse.monitor or warehouse.key, []).append(warehouse)
        for members in groups.values():
            worst = sum((w.worst_case_credits for w in members), Decimal(0))
            cap = members[0].cap_credits
            assert cap is not None
            total += min(worst, cap)
        return total

    @property
    def llm_worst_usd(self) -> Decimal:
        return sum((g.monthly_worst_usd for g in self.gateways), Decimal(0))

    @property
    def llm_bound_usd(self) -> Decimal:
        return sum((g.monthly_bound_usd for g in self.gateways), Decimal(0))

    @property
    def total_worst_usd(self) -> Decimal:
        return self.usd(self.snowflake_worst_credits) + self.llm_worst_usd

    @property
    def total_bound_usd(self) -> Decimal:
        return self.usd(self.snowflake_bound_credits) + self.llm_bound_usd

    @property
    def flag_items(self) -> list[tuple[str, str, str]]:
        """(logical key, display label, flag) for every flag, in report order."""
        found = []
        for warehouse in self.warehouses:
            label = f"warehouse {warehouse.name}"
            found += [(warehouse.key, label, flag) for flag in warehouse.flags]
        for search in self.searches:
            label = f"Cortex Search {search.name}"
            found += [(search.key, label, flag) for flag in search.flags]
        for gateway in self.gateways:
            label = f"LLM gateway {gateway.name}"
            found += [(gateway.key, label, flag) for flag in gateway.flags]
            for target in gateway.targets:
                key = f"{gateway.key} {target.route}"
                found += [(key, f"{label} {target.route}", flag) for flag in target.flags]
        return found

    @property
    def flags(self) -> list[str]:
        return [f"{label}: {flag}" for _, label, flag in self.flag_items]

    def unsuffixed(self, text: str) -> str:
        """`text` without this stack's name suffix (API_WH_DEV -> API_WH), to compare stacks."""
        return text.replace(self.name_suffix, "") if self.name_suffix else text


# --- report -------------------------------------------------------------------------------------


def cost_report(document: Mapping[str, Any], prices: PriceBook, label: str = "") -> CostReport:
    """Price every warehouse, Cortex Search service and gateway target the document declares.

    Workload assumptions are the price book's for the document's stack; `label` only renames
    the report (a base revision keeps its stack's assumptions).
    """
    stack = str(document.get("stack", "?"))
    resources = list(document.get("resources") or [])
    notes: list[str] = []
    snowflake_out = (document.get("outputs") or {}).get("snowflake") or {}
    edition = snowflake_out.get("edition")
    region = snowflake_out.get("region")
    if not edition or not region:
        edition = edition or prices.default_edition
        region = region or prices.default_region
        notes.append(
            f"this revision does not export snowflake.edition/region: priced as {edition} in "
            f"{region} (the price book's default basis)"
        )
    credit_price, region_note = prices.credit_price(edition, region)
    if region_note:
        notes.append(region_note)
    assumptions = prices.assumptions_for(stack)

    warehouses = _warehouses(resources, prices, region)
    searches = _searches(resources, warehouses, prices, assumptions)
    gateways = _gateways(resources, prices, assumptions)
    present = {r["type"] for r in resources}
    for type_, what in sorted(NOT_PRICED.items()):
        if type_ in present:
            notes.append(f"not priced: {what}")
    return CostReport(
        stack=stack,
        edition=edition,
        region=region,
        credit_price_usd=credit_price,
        book=prices,
        assumptions=assumptions,
        warehouses=tuple(warehouses),
        searches=tuple(searches),
        gateways=tuple(gateways),
        notes=tuple(notes),
        name_suffix=str((document.get("outputs") or {}).get("nameSuffix") or ""),
        label=label,
    )


def _of_type(resources: Iterable[Mapping[str, Any]], type_: str) -> list[Mapping[str, Any]]:
    return sorted((r for r in resources if r.get("type") == type_), key=lambda r: r["name"])


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
        return min(_dec(v) for v in value)
    return _dec(value)


def _warehouses(
    resources: list[Mapping[str, Any]], prices: PriceBook, region: str
) -> list[WarehouseCost]:
    monitors = {str(m["inputs"].get("name")): m["inputs"] for m in _of_type(resources, MONITOR)}
    declared = _of_type(resources, WAREHOUSE)
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
                quota = _monthly_quota(_dec(monitor["creditQuota"]), frequency, prices)
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


def _searches(
    resources: list[Mapping[str, Any]],
    warehouses: list[WarehouseCost],
    prices: PriceBook,
    assumptions: Assumptions,
) -> list[SearchCost]:
    by_name = {w.name: w for w in warehouses}
    rows = []
    for resource in _of_type(resources, SEARCH):
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


def _leaves(node: Mapping[str, Any], route: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every upstream target of a Portkey config, with a readable route name."""
    children = node.get("targets")
    if not isinstance(children, list):
        yield route, node
        return
    mode = (node.get("strategy") or {}).get("mode")
    for index, child in enumerate(children):
        name = child.get("name")
        if name:
            child_route = f"{route}/{name}" if route else str(name)
        elif mode == "fallback":
            role = "primary" if index == 0 else "fallback"
            child_route = f"{route or 'fallback'} #{index + 1} ({role})"
        else:
            child_route = f"{route or mode or 'target'} #{index + 1}"
        yield from _leaves(child, child_route)


def _gateway_targets(config: Mapping[str, Any], prices: PriceBook) -> list[TargetCost]:
    rows = []
    prompt = prices.llm.assumed_prompt_tokens
    for route, leaf in _leaves(config, ""):
        params = leaf.get("override_params") or {}
        model = str(params.get("model") or "?")
        provider = str(leaf.get("provider") or "?")
        flags: list[str] = []
        price = prices.llm.models.get(model)
        max_tokens = params.get("max_tokens")
        worst = None
        if price is None:
            flags.append(
                f"model {model} has no price in prices.yaml: unpriced, and Portkey usage limits "
                "count unpriced models as $0"
            )
        else:
            if max_tokens is None:
                flags.append(f"no max_tokens: priced at the model's {price.max_output_tokens}")
                max_tokens = price.max_output_tokens
            worst = (
                Decimal(prompt) * price.input_per_1k / _THOUSAND
                + Decimal(int(max_tokens)) * price.output_per_1k / _THOUSAND
            ) * prices.llm_billed_calls_per_request
        rows.append(
            TargetCost(
                route=route or "single",
                provider=provider,
                model=model,
                max_tokens=int(max_tokens) if max_tokens is not None else None,
                prompt_tokens=prompt,
                worst_case_usd=worst,
                flags=tuple(flags),
            )
        )
    return rows


def _usage_limit(inputs: Mapping[str, Any], prices: PriceBook) -> UsageLimit:
    kind = str(inputs.get("type") or "cost")
    limit = _dec(inputs.get("credit_limit") or 0)
    reset = inputs.get("periodic_reset")
    monthly = None
    if kind == "cost":
        monthly = limit * prices.days_per_month / 7 if reset == "weekly" else limit
    scope = ", ".join(f"{c.get('key')}={c.get('value')}" for c in inputs.get("conditions") or [])
    threshold = inputs.get("alert_threshold")
    return UsageLimit(
        name=str(inputs.get("name") or "?"),
        kind=kind,
        limit=limit,
        alert_threshold=_dec(threshold) if threshold is not None else None,
        periodic_reset=str(reset) if reset else None,
        scope=scope or "everything",
        monthly_cap_usd=monthly,
    )


def _gateways(
    resources: list[Mapping[str, Any]], prices: PriceBook, assumptions: Assumptions
) -> list[GatewayCost]:
    configs = _of_type(resources, GATEWAY_CONFIG)
    limits = _of_type(resources, USAGE_LIMITS)
    rows = []
    for resource in configs:
        inputs = resource["inputs"]
        flags: list[str] = []
        raw = inputs.get("config")
        try:
            config = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        except (json.JSONDecodeError, TypeError, ValueError):
            config = {}
        if not config:
            flags.append("config is not readable here (secret or computed): targets not priced")
        targets = _gateway_targets(config, prices) if config else []
        # The usage-limits policy sits beside the config in the same Gateway component.
        siblings = [
            r for r in limits if r.get("parent") and r.get("parent") == resource.get("parent")
        ]
        if not siblings and len(configs) == 1:
            siblings = limits
        limit = _usage_limit(siblings[0]["inputs"], prices) if siblings else None
        if limit is None:
            flags.insert(0, f"{UNCAPPED}: no usage limit")
        elif limit.monthly_cap_usd is None:
            flags.insert(0, f"{UNCAPPED} in dollars: the usage limit counts tokens")
        else:
            flags.append(
                f"the usage limit counts only requests with {limit.scope}; calls without that "
                "metadata are not capped"
            )
        worst_request = max((t.worst_case_usd or Decimal(0) for t in targets), default=Decimal(0))
        daily = assumptions.llm_requests_per_day * worst_request
        rows.append(
            GatewayCost(
                key=str(resource["name"]),
                name=str(inputs.get("name") or resource["name"]),
                targets=tuple(targets),
                requests_per_day=assumptions.llm_requests_per_day,
                daily_bound_usd=daily,
                monthly_worst_usd=daily * prices.days_per_month,
                limit=limit,
                flags=tuple(flags),
            )
        )
    return rows


# --- rendering ----------------------------------------------------------------------------------


def _credits(value: Decimal) -> str:
    """11,680 / 24.33 / 0.5: whole credits with separators, at most two decimals."""
    rounded = value.quantize(Decimal("0.01"))
    text = f"{rounded:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _dollars(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _cr_usd(report: CostReport, credits: Decimal) -> str:
    return f"{_credits(credits)} cr ({_dollars(report.usd(credits))})"


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{_credits(value)}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table padded so it also lines up in a terminal."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [
        line(row) for row in rows
    ]


def render_cost(report: CostReport) -> str:
    book = report.book
    lines = [
        f"## Cost view: {report.title}",
        "",
        f"Price basis: {report.edition} edition in {report.region}, "
        f"${report.credit_price_usd:.2f} per credit (on-demand list price). Price book "
        f"v{book.version} ({book.date}, {book.path}); LLM prices v{book.llm.version} "
        f"({book.llm.date}, components/portkey/prices.yaml). A month is "
        f"{_credits(book.hours_per_month)} hours. List prices were recorded by hand: "
        "see docs/cost.md.",
        "",
        "### Snowflake warehouses (per month)",
        "",
    ]
    rows = []
    for w in report.warehouses:
        multipliers = ", ".join(f"{label} x{_credits(m)}" for label, m in w.multipliers) or "-"
        quota = (
            f"{_cr_usd(report, w.quota_credits)}"
            + ("" if w.frequency == "MONTHLY" else f" ({w.frequency.lower()})")
            if w.quota_credits is not None
            else "-"
        )
        rows.append(
            [
                w.name,
                w.size,
                _credits(w.credits_per_hour),
                multipliers,
                str(w.max_clusters),
                _cr_usd(report, w.worst_case_credits),
                w.monitor or "-",
                quota,
                f"{_pct(w.suspend_percent)} / {_pct(w.suspend_immediate_percent)}",
                _cr_usd(report, w.cap_credits) if w.cap_credits is not None else UNCAPPED,
                _cr_usd(report, w.bound_credits),
            ]
        )
    header = [
        "warehouse",
        "size",
        "cr/h per cluster",
        "multipliers",
        "max clusters",
        "worst case (all clusters, all month)",
        "resource monitor",
        "quota",
        "suspend / immediate",
        "hard cap",
        "bound",
    ]
    lines += _table(header, rows) if rows else ["(no warehouses declared)"]
    lines += [
        "",
        "Worst case = credits/h x multipliers x max clusters x hours. Hard cap = quota x "
        "suspend-immediate %: at the suspend % the monitor only stops new queries (running ones "
        "finish), at the suspend-immediate % it cancels them, so that is where spend stops. "
        "Bound = min(worst case, hard cap).",
    ]

    if report.searches:
        lines += ["", "### Cortex Search (ESTIMATE: assumptions below)", ""]
        rows = []
        for s in report.searches:
            rows.append(
                [
                    s.name,
                    s.warehouse,
                    s.target_lag,
                    f"{_credits(s.busy_fraction * 100)}% of the month = "
                    f"{_cr_usd(report, s.refresh_credits)}",
                    f"{_credits(s.indexed_gb)} GB = {_cr_usd(report, s.serving_credits)}",
                    f"{_credits(s.embedded_million_tokens)}M tokens = "
                    f"{_cr_usd(report, s.embedding_credits)}",
                    _cr_usd(report, s.serverless_credits),
                ]
            )
        lines += _table(
            [
                "service",
                "refresh warehouse",
                "target lag",
                "refresh on the warehouse (in its row)",
                "serving (indexed GB)",
                "embedding",
                "serverless total (uncapped)",
            ],
            rows,
        )
        search = book
        lines += [
            "",
            "Assumptions: a refresh runs every target-lag interval (the source changes that "
            f"often), is billed max({search.search_assumed_refresh_seconds} s assumed refresh, "
            f"{search.search_minimum_billed_seconds} s minimum) plus the warehouse's "
            "auto-suspend idle time, on one cluster; those credits are part of the warehouse's "
            "row and its cap. Serving is "
            f"{_credits(search.search_serving_credits_per_gb_month)} cr per GB-month of indexed "
            "data and embedding "
            f"{_credits(search.search_embedding_credits_per_million_tokens)} cr per 1M tokens; "
            f"indexed GB and tokens are this stack's guesses in {book.path}.",
        ]

    if report.gateways:
        lines += ["", "### LLM gateway (USD)", ""]
        rows = []
        for g in report.gateways:
            for t in g.targets:
                rows.append(
                    [
                        g.name,
                        t.route,
                        t.provider,
                        t.model,
                        f"{t.max_tokens:,}" if t.max_tokens is not None else "-",
                        usd(t.worst_case_usd) if t.worst_case_usd is not None else "UNPRICED",
                        _dollars(t.worst_case_usd * g.requests_per_day)
                        if t.worst_case_usd is not None
                        else "-",
                    ]
                )
        lines += _table(
            [
                "gateway",
                "route",
                "provider",
                "model",
                "max_tokens",
                "worst case / request",
                "per day if all requests took it",
            ],
            rows,
        )
        lines.append("")
        rows = []
        for g in report.gateways:
            if g.limit is None:
                limit = UNCAPPED
            elif g.limit.monthly_cap_usd is None:
                limit = f"{_credits(g.limit.limit)} tokens {g.limit.periodic_reset or 'total'}"
            else:
                alert = (
                    f", alert at {_dollars(g.limit.alert_threshold)}"
                    if g.limit.alert_threshold is not None
                    else ""
                )
                limit = (
                    f"{_dollars(g.limit.limit)} {g.limit.periodic_reset or 'total'}{alert} "
                    f"({g.limit.scope})"
                )
            rows.append(
                [
                    g.name,
                    f"{_credits(g.requests_per_day)} (assumed)",
                    _dollars(g.daily_bound_usd),
                    _dollars(g.monthly_worst_usd),
                    limit,
                    _dollars(g.monthly_bound_usd),
                ]
            )
        lines += _table(
            [
                "gateway",
                "requests / day",
                "daily bound",
                "worst case / month",
                "usage limit",
                "bound / month",
            ],
            rows,
        )
        lines += [
            "",
            f"Worst case per request = {book.llm.assumed_prompt_tokens} prompt tokens x input "
            "price + max_tokens x output price, one billed call per request (retries and "
            "fallbacks follow unbilled 429/5xx answers). Daily bound = requests/day x the most "
            "expensive target. A monthly usage limit caps the month, not a day.",
        ]

    lines += ["", "### Totals per month", ""]
    lines += _table(
        ["", "worst case", "bound"],
        [
            [
                "Snowflake",
                _cr_usd(report, report.snowflake_worst_credits),
                _cr_usd(report, report.snowflake_bound_credits),
            ],
            ["LLM", _dollars(report.llm_worst_usd), _dollars(report.llm_bound_usd)],
            ["total", _dollars(report.total_worst_usd), _dollars(report.total_bound_usd)],
        ],
    )
    flags = report.flags
    if flags or report.notes:
        lines += ["", "### Flags and notes", ""]
        lines += [f"- {flag}" for flag in flags]
        lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines)


# --- diff ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    """One priced resource in the common shape a diff compares."""

    section: str
    key: str
    label: str
    attributes: dict[str, str]
    worst_usd: Decimal
    bound_usd: Decimal
    worst_credits: Decimal | None = None
    bound_credits: Decimal | None = None


def line_items(report: CostReport) -> list[LineItem]:
    items = []
    for w in report.warehouses:
        attributes = {
            "size": w.size,
            "multipliers": ", ".join(f"{label} x{_credits(m)}" for label, m in w.multipliers)
            or "-",
            "max clusters": str(w.max_clusters),
            "monitor quota": _credits(w.quota_credits) if w.quota_credits is not None else "-",
            "suspend / immediate": f"{_pct(w.suspend_percent)} / "
            f"{_pct(w.suspend_immediate_percent)}",
            "hard cap": _credits(w.cap_credits) if w.cap_credits is not None else UNCAPPED,
        }
        items.append(
            LineItem(
                "warehouse",
                w.key,
                w.name,
                attributes,
                report.usd(w.worst_case_credits),
                report.usd(w.bound_credits),
                w.worst_case_credits,
                w.bound_credits,
            )
        )
    for s in report.searches:
        attributes = {
            "target lag": s.target_lag,
            "refresh warehouse": s.warehouse_key or s.warehouse,
            "refresh credits (in the warehouse row)": _credits(s.refresh_credits),
            "indexed GB (assumed)": _credits(s.indexed_gb),
            "embedded M tokens (assumed)": _credits(s.embedded_million_tokens),
        }
        credits = s.serverless_credits
        items.append(
            LineItem(
                "Cortex Search",
                s.key,
                s.name,
                attributes,
                report.usd(credits),
                report.usd(credits),
                credits,
                credits,
            )
        )
    for g in report.gateways:
        attributes = {"requests/day (assumed)": _credits(g.requests_per_day)}
        for t in g.targets:
            worst = usd(t.worst_case_usd) if t.worst_case_usd is not None else "UNPRICED"
            attributes[f"target {t.route}"] = f"{t.model} max_tokens={t.max_tokens} worst={worst}"
        attributes["usage limit"] = (
            f"{_dollars(g.limit.limit) if g.limit.kind == 'cost' else g.limit.limit} "
            f"{g.limit.periodic_reset or 'total'}"
            if g.limit
            else UNCAPPED
        )
        items.append(
            LineItem(
                "LLM gateway", g.key, g.name, attributes, g.monthly_worst_usd, g.monthly_bound_usd
            )
        )
    return items


@dataclass(frozen=True)
class LineChange:
    kind: str  # added | removed | changed
    base: LineItem | None
    head: LineItem | None
    details: tuple[str, ...]

    @property
    def item(self) -> LineItem:
        item = self.head or self.base
        assert item is not None
        return item

    def delta(self, attribute: str) -> Decimal | None:
        """head - base (a missing side counts 0); None when the figure is not priced in it."""
        old = getattr(self.base, attribute) if self.base else None
        new = getattr(self.head, attribute) if self.head else None
        if old is None and new is None:
            return None
        return (new or Decimal(0)) - (old or Decimal(0))


@dataclass(frozen=True)
class CostDiff:
    base: CostReport
    head: CostReport
    changes: tuple[LineChange, ...]

    @property
    def worst_usd_delta(self) -> Decimal:
        return self.head.total_worst_usd - self.base.total_worst_usd

    @property
    def bound_usd_delta(self) -> Decimal:
        return self.head.total_bound_usd - self.base.total_bound_usd

    @property
    def snowflake_worst_credits_delta(self) -> Decimal:
        return self.head.snowflake_worst_credits - self.base.snowflake_worst_credits

    @property
    def snowflake_bound_credits_delta(self) -> Decimal:
        return self.head.snowflake_bound_credits - self.base.snowflake_bound_credits

    def flag_changes(self) -> tuple[list[str], list[str]]:
        """Flags head raises that base did not, and flags base raised that head resolves.

        Compared per logical resource with each stack's name suffix removed, so comparing two
        stacks does not report API_WH_STAGING's flag as resolved and API_WH's as new.
        """

        def index(report: CostReport) -> dict[tuple[str, str], str]:
            return {
                (key, report.unsuffixed(flag)): f"{label}: {flag}"
                for key, label, flag in report.flag_items
            }

        old, new = index(self.base), index(self.head)
        return [new[k] for k in new if k not in old], [old[k] for k in old if k not in new]


def diff_cost(base: CostReport, head: CostReport) -> CostDiff:
    """What `head` adds or removes relative to `base`, per priced resource and in total."""
    old = {(i.section, i.key): i for i in line_items(base)}
    new = {(i.section, i.key): i for i in line_items(head)}
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            assert b is not None
            details = tuple(f"{k}: {v}" for k, v in b.attributes.items())
            changes.append(LineChange("added", None, b, details))
        elif b is None:
            changes.append(LineChange("removed", a, None, ()))
        else:
            details = tuple(
                f"{k}: {a.attributes.get(k, '(absent)')} -> {b.attributes.get(k, '(absent)')}"
                for k in list(dict.fromkeys([*a.attributes, *b.attributes]))
                if a.attributes.get(k) != b.attributes.get(k)
            )
            if details or a.worst_usd != b.worst_usd or a.bound_usd != b.bound_usd:
                changes.append(LineChange("changed", a, b, details))
    return CostDiff(base=base, head=head, changes=tuple(changes))


def _signed_credits(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + _credits(abs(value))


def _signed_dollars(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + _dollars(abs(value))


def _delta_cell(change: LineChange, credits_attr: str, usd_attr: str) -> str:
    credits = change.delta(credits_attr)
    dollars = change.delta(usd_attr) or Decimal(0)
    if credits is None:
        return _signed_dollars(dollars)
    return f"{_signed_credits(credits)} cr ({_signed_dollars(dollars)})"


def render_cost_diff(diff: CostDiff) -> str:
    base, head = diff.base, diff.head
    lines = [
        f"## Cost diff: {base.title} -> {head.title} ({len(diff.changes)} priced resources differ)",
        "",
        f"Monthly figures; both sides priced with price book v{head.book.version} "
        f"({head.book.date}) and LLM prices v{head.book.llm.version}; credit price "
        f"{base.title} ${base.credit_price_usd:.2f}, {head.title} ${head.credit_price_usd:.2f}.",
        "",
    ]
    if diff.changes:
        rows = []
        for change in diff.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
            rows.append(
                [
                    mark,
                    f"{change.item.section} {change.item.label}",
                    _delta_cell(change, "worst_credits", "worst_usd"),
                    _delta_cell(change, "bound_credits", "bound_usd"),
                ]
            )
        lines += _table(["", "resource", "worst case change", "bound change"], rows)
        lines += ["", "What changed:", ""]
        for change in diff.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
            lines.append(f"- {mark} {change.item.section} {change.item.label}")
            lines += [f"  - {detail}" for detail in change.details] or ["  - (price only)"]
    else:
        lines.append("No priced resource changes.")
    lines += ["", "### Totals per month", ""]
    lines += _table(
        ["", base.title, head.title, "change"],
        [
            [
                "Snowflake worst case",
                _cr_usd(base, base.snowflake_worst_credits),
                _cr_usd(head, head.snowflake_worst_credits),
                f"{_signed_credits(diff.snowflake_worst_credits_delta)} cr",
            ],
            [
                "Snowflake bound",
                _cr_usd(base, base.snowflake_bound_credits),
                _cr_usd(head, head.snowflake_bound_credits),
                f"{_signed_credits(diff.snowflake_bound_credits_delta)} cr",
            ],
            [
                "LLM worst case",
                _dollars(base.llm_worst_usd),
                _dollars(head.llm_worst_usd),
                _signed_dollars(head.llm_worst_usd - base.llm_worst_usd),
            ],
            [
                "LLM bound",
                _dollars(base.llm_bound_usd),
                _dollars(head.llm_bound_usd),
                _signed_dollars(head.llm_bound_usd - base.llm_bound_usd),
            ],
            [
                "total worst case",
                _dollars(base.total_worst_usd),
                _dollars(head.total_worst_usd),
                _signed_dollars(diff.worst_usd_delta),
            ],
            [
                "total bound",
                _dollars(base.total_bound_usd),
                _dollars(head.total_bound_usd),
                _signed_dollars(diff.bound_usd_delta),
            ],
        ],
    )
    new_flags, resolved_flags = diff.flag_changes()
    notes = [(base.title, n) for n in base.notes if n not in head.notes]
    notes += [(head.title, n) for n in head.notes if n not in base.notes]
    if new_flags or resolved_flags or notes:
        lines += ["", "### Flags and notes", ""]
        lines += [f"- new: {flag}" for flag in new_flags]
        lines += [f"- resolved: {flag}" for flag in resolved_flags]
        lines += [f"- note ({title}): {note}" for title, note in notes]
    return "\n".join(lines)


# --- base vs head (PRs) -------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def synthesize_ref(ref: str, stack: str, repo: Path) -> dict[str, Any] | None:
    """The synth document of `stack` at git `ref`, made by that revision's own code.

    Checks the ref out in a temporary `git worktree` and runs `python -m jobs.synth --json` there
    in a subprocess (cwd = the worktree, so its own modules are imported). Returns None when the
    stack did not exist at `ref` (everything in head is then "added"); raises CostError when the
    revision cannot be checked out or synthesized.
    """
    top = _git(["rev-parse", "--show-toplevel"], repo)
    if top.returncode != 0:
        raise CostError(f"{repo} is not a git checkout: {top.stderr.strip()}")
    root = Path(top.stdout.strip())
    subdir = Path(repo).resolve().relative_to(root.resolve())
    with tempfile.TemporaryDirectory(prefix="sophia-cost-") as tmp:
        worktree = Path(tmp) / "base"
        added = _git(["worktree", "add", "--detach", str(worktree), ref], root)
        if added.returncode != 0:
            raise CostError(f"cannot check out {ref}: {added.stderr.strip()}")
        try:
            project = worktree / subdir
            if not (project / f"Pulumi.{stack}.yaml").exists():
                return None
            out = Path(tmp) / "base.json"
            command = [sys.executable, "-m", "jobs.synth", "--stack", stack, "--json", str(out)]
            result = subprocess.run(
                [*command, "--project-dir", str(project)],
                cwd=project,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 and "--project-dir" in result.stderr:
                # An older synth without --project-dir: it reads the checkout it runs from anyway.
                result = subprocess.run(
                    command, cwd=project, capture_output=True, text=True, check=False
                )
            if result.returncode != 0 or not out.exists():
                raise CostError(
                    f"synth of {stack} at {ref} failed (exit {result.returncode}): "
                    + (result.stderr.strip()[-2000:] or result.stdout.strip()[-2000:])
                )
            return json.loads(out.read_text())
        finally:
            _git(["worktree", "remove", "--force", str(worktree)], root)
            _git(["worktree", "prune"], root)


def _document(stack: str, root: Path) -> dict[str, Any]:
    # Imported here: jobs.synth may import this module for its --cost flag.
    from jobs.harness import synthesize
    from jobs.synth import to_json

    return json.loads(json.dumps(to_json(synthesize(stack, root=root)), default=str))


def _empty(stack: str, like: Mapping[str, Any]) -> dict[str, Any]:
    return {"stack": stack, "resources": [], "outputs": like.get("outputs") or {}}


def _read_document(path: Path) -> dict[str, Any]:
    """A synth document (`jobs.synth --json`); CostError if it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CostError(f"{path} is not a synth document (jobs.synth --json): {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise CostError(f"{path} is not a synth document (no 'resources' list)")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    from components.settings import SettingsError
    from jobs.harness import REPO_ROOT, StackConfigError

    parser = argparse.ArgumentParser(prog="python -m jobs.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--diff", metavar="OTHER_STACK", help="cost of --stack relative to this")
    parser.add_argument("--base-ref", metavar="REF", help="cost change of this checkout over REF")
    parser.add_argument("--base-json", type=Path, help="base synth document (jobs.synth --json)")
    parser.add_argument("--head-json", type=Path, help="head synth document (default: --stack)")
    parser.add_argument("--price-book", type=Path, default=PRICE_BOOK_PATH)
    args = parser.parse_args(argv)
    if not args.stack and not args.head_json:
        parser.error("give --stack (or --head-json)")
    bases = [
        flag
        for flag in ("--diff", "--base-ref", "--base-json")
        if getattr(args, flag[2:].replace("-", "_"))
    ]
    if len(bases) > 1:
        parser.error(f"{' and '.join(bases)} each name the base; give one")
    if not args.project_dir.is_dir():
        parser.error(f"--project-dir {args.project_dir} is not a directory")
    for flag, path in (("--head-json", args.head_json), ("--base-json", args.base_json)):
        if path is not None and not path.is_file():
            parser.error(f"{flag} {path}: no such file")

    try:
        try:
            book = load_price_book(args.price_book)
        except (
            OSError,
            YamlFileError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            ArithmeticError,
        ) as error:
            raise CostError(
                f"the price book {args.price_book} cannot be used: {type(error).__name__}: {error}"
            ) from None
        if args.head_json:
            head_doc = _read_document(args.head_json)
        else:
            head_doc = _document(args.stack, args.project_dir)
        stack = args.stack or str(head_doc.get("stack"))
        base_doc: dict[str, Any] | None = None
        base_label = ""
        if args.base_json:
            base_doc = _read_document(args.base_json)
        elif args.diff:
            base_doc = _document(args.diff, args.project_dir)
        elif args.base_ref:
            base_doc = synthesize_ref(args.base_ref, stack, args.project_dir)
            if base_doc is None:
                print(f"note: stack {stack} does not exist at {args.base_ref}; all of it is new")
                base_doc = _empty(stack, head_doc)
            base_label = f"{stack}@{args.base_ref}"
        head = cost_report(head_doc, book)
        if base_doc is None:
            print(render_cost(head))
        else:
            base = cost_report(base_doc, book, label=base_label)
            print(render_cost_diff(diff_cost(base, head)))
    except (SettingsError, StackConfigError, CostError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""A stack's cost report: every priced resource of a synth document, and the totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jobs.cost.document import NOT_PRICED
from jobs.cost.gateway import GatewayCost, price_gateways
from jobs.cost.prices import Assumptions, PriceBook
from jobs.cost.search import SearchCost, price_searches
from jobs.cost.warehouses import WarehouseCost, price_warehouses


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

    warehouses = price_warehouses(resources, prices, region)
    searches = price_searches(resources, warehouses, prices, assumptions)
    gateways = price_gateways(resources, prices, assumptions)
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

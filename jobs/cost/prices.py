"""The price book: list prices and workload assumptions, versioned and dated (docs/cost.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.settings.portkey_routing import PriceTable, load_price_table
from components.settings.snowflake import WAREHOUSE_CREDITS_PER_HOUR
from components.yaml_files import load_yaml_file

# The book stays beside the jobs (jobs/prices/), one level above this package.
PRICE_BOOK_PATH = Path(__file__).resolve().parents[1] / "prices" / "price_book.yaml"


class CostError(ValueError):
    """The price book or a declared resource cannot be priced; the message says which and why."""


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


def dec(value: Any) -> Decimal:
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
            indexed_gb=dec(merged["indexed_gb"]),
            embedded_million_tokens_per_month=dec(merged["embedded_million_tokens_per_month"]),
            llm_requests_per_day=dec(merged["llm_requests_per_day"]),
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
    _require_positive(
        path,
        {
            "hours_per_month": raw["hours_per_month"],
            **{
                f"snowflake.credit_price_usd.{region}.{edition}": price
                for region, editions in snowflake["credit_price_usd"].items()
                for edition, price in editions.items()
            },
            **{
                f"snowflake.gen2_multiplier.{c}": m for c, m in snowflake["gen2_multiplier"].items()
            },
            "snowflake.snowpark_optimized_multiplier": snowflake["snowpark_optimized_multiplier"],
            "snowflake.cortex_search.serving_credits_per_gb_month": search[
                "serving_credits_per_gb_month"
            ],
            "snowflake.cortex_search.embedding_credits_per_million_tokens": search[
                "embedding_credits_per_million_tokens"
            ],
        },
    )
    return PriceBook(
        version=int(raw["version"]),
        date=str(raw["date"]),
        currency=str(raw["currency"]),
        hours_per_month=dec(raw["hours_per_month"]),
        default_edition=str(raw["default_basis"]["edition"]),
        default_region=str(raw["default_basis"]["region"]),
        credit_prices={
            region: {edition: dec(price) for edition, price in editions.items()}
            for region, editions in snowflake["credit_price_usd"].items()
        },
        warehouse_credits_per_hour={
            size: dec(credits) for size, credits in WAREHOUSE_CREDITS_PER_HOUR.items()
        },
        gen2_multiplier={cloud: dec(m) for cloud, m in snowflake["gen2_multiplier"].items()},
        snowpark_optimized_multiplier=dec(snowflake["snowpark_optimized_multiplier"]),
        search_serving_credits_per_gb_month=dec(search["serving_credits_per_gb_month"]),
        search_embedding_credits_per_million_tokens=dec(
            search["embedding_credits_per_million_tokens"]
        ),
        search_assumed_refresh_seconds=int(search["assumed_refresh_seconds"]),
        search_minimum_billed_seconds=int(search["minimum_billed_seconds"]),
        assumptions=assumptions,
        llm=llm,
        llm_billed_calls_per_request=int(raw["llm"]["billed_calls_per_request"]),
        path=_relative(path),
    )


def _require_positive(path: Path, prices: dict[str, Any]) -> None:
    """A zero, negative or non-finite price would quietly understate every cost row."""
    for key, value in prices.items():
        try:
            amount = dec(value)
        except ArithmeticError:
            amount = None
        if isinstance(value, bool) or amount is None or not amount.is_finite() or amount <= 0:
            raise CostError(f"{path.name}: {key} = {value!r}: must be a number above 0")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PRICE_BOOK_PATH.parents[2]))
    except ValueError:
        return str(path)

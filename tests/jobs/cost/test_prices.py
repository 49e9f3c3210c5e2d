"""The price book: Snowflake's published table, the prompt size the gateway assumes, regions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from components.settings.snowflake import WAREHOUSE_CREDITS_PER_HOUR
from jobs import cost
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import (
    CREDIT,
    HOURS,
    RAW_BOOK,
    RAW_LLM,
    document,
)


def test_price_book_credits_per_hour_match_snowflakes_published_table() -> None:
    assert {
        size: WAREHOUSE_CREDITS_PER_HOUR[size] for size in list(WAREHOUSE_CREDITS_PER_HOUR)[:8]
    } == {
        "XSMALL": 1,
        "SMALL": 2,
        "MEDIUM": 4,
        "LARGE": 8,
        "XLARGE": 16,
        "XXLARGE": 32,
        "XXXLARGE": 64,
        "X4LARGE": 128,
    }
    assert RAW_BOOK["hours_per_month"] == HOURS
    assert RAW_BOOK["llm"]["prompt_tokens"] == RAW_LLM["assumed_prompt_tokens"] == 2000


def test_price_book_refuses_a_prompt_size_the_gateway_does_not_assume(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW_BOOK)
    raw["llm"]["prompt_tokens"] = 1000
    path = tmp_path / "price_book.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(cost.CostError) as error:
        cost.load_price_book(path)
    assert str(error.value) == (
        "price_book.yaml: llm.prompt_tokens is 1000 but the gateway's price table (prices.yaml v2) assumes 2000-token prompts; the cost view must use the prompt size the gateway's max_tokens were derived from"
    )


def test_unknown_region_uses_the_conservative_default_and_says_so(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("dev"))
    doc["outputs"]["snowflake"]["region"] = "aws-ap-southeast-2"
    report = cost.cost_report(doc, book)
    assert report.credit_price_usd == Decimal("4.65")
    assert report.notes[0] == (
        "region aws-ap-southeast-2 is not in the price book: priced at the book's conservative default ($4.65/credit for ENTERPRISE)"
    )
    del doc["outputs"]["snowflake"]
    report = cost.cost_report(doc, book)
    assert (report.edition, report.region, report.credit_price_usd) == (
        "ENTERPRISE",
        "aws-us-east-1",
        CREDIT,
    )
    assert report.notes[0] == (
        "this revision does not export snowflake.edition/region: priced as ENTERPRISE in aws-us-east-1 (the price book's default basis)"
    )


@pytest.mark.parametrize("price", [-3.9, 0, ".nan", True])
def test_price_book_refuses_a_price_that_is_not_above_zero(tmp_path: Path, price: object) -> None:
    raw = copy.deepcopy(RAW_BOOK)
    region = next(iter(raw["snowflake"]["credit_price_usd"]))
    edition = next(iter(raw["snowflake"]["credit_price_usd"][region]))
    raw["snowflake"]["credit_price_usd"][region][edition] = price
    path = tmp_path / "price_book.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(cost.CostError) as error:
        cost.load_price_book(path)
    assert str(error.value) == (
        f"price_book.yaml: snowflake.credit_price_usd.{region}.{edition} = {price!r}: "
        "must be a number above 0"
    )

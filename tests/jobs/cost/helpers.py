"""Shared by the cost tests: the raw price book (read without the loader under test) and
small helpers over synth documents."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import yaml

from jobs import cost
from jobs.harness import REPO_ROOT, Synthesis
from jobs.synth_document import to_json

RAW_BOOK = yaml.safe_load(cost.PRICE_BOOK_PATH.read_text())
RAW_LLM = yaml.safe_load((REPO_ROOT / "components/portkey/prices.yaml").read_text())
# The price of a credit for every committed stack (ENTERPRISE in aws-us-east-1), read straight from
# the YAML so the hand arithmetic in the tests does not go through the loader they check.
CREDIT = Decimal(str(RAW_BOOK["snowflake"]["credit_price_usd"]["aws-us-east-1"]["ENTERPRISE"]))
SERVING = Decimal(str(RAW_BOOK["snowflake"]["cortex_search"]["serving_credits_per_gb_month"]))
EMBEDDING = Decimal(
    str(RAW_BOOK["snowflake"]["cortex_search"]["embedding_credits_per_million_tokens"])
)
HOURS = 730


def document(synthesis: Synthesis) -> dict[str, Any]:
    """The synth's JSON form, round-tripped the way a file from another checkout arrives."""
    return json.loads(json.dumps(to_json(synthesis), default=str))


def warehouse(report: cost.CostReport, name: str) -> cost.WarehouseCost:
    (row,) = [w for w in report.warehouses if w.name == name]
    return row


def inputs_of(doc: dict[str, Any], type_: str, physical_name: str) -> dict[str, Any]:
    (resource,) = [
        r
        for r in doc["resources"]
        if r["type"] == type_ and r["inputs"].get("name") == physical_name
    ]
    return resource["inputs"]


def compact(text: str) -> str:
    """Tables without their alignment padding, so assertions read like the cells."""
    return re.sub(r" +\|", " |", text)


def leaves(config: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(config.get("targets"), list):
        return [leaf for child in config["targets"] for leaf in leaves(child)]
    return [config]

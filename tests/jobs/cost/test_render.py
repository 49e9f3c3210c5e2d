"""The cost table: every warehouse and gateway target listed with its bound and cap, as Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from jobs import cost
from jobs.harness import Synthesis
from tests.conftest import STACKS
from tests.jobs.cost.helpers import (
    document,
    leaves,
)


@pytest.mark.parametrize("stack", STACKS)
def test_every_warehouse_and_gateway_target_is_listed_with_its_bound_and_cap(
    stack: str, synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized(stack))
    report = cost.cost_report(doc, book)
    table = cost.render_cost(report)

    declared = [r for r in doc["resources"] if r["type"] == cost.WAREHOUSE]
    assert {w.name for w in report.warehouses} == {r["inputs"]["name"] for r in declared}
    assert len(declared) == 3
    for row in report.warehouses:
        line = next(line for line in table.splitlines() if line.startswith(f"| {row.name} "))
        assert row.cap_credits is not None, row.flags  # every committed warehouse is capped
        assert f"{cost._credits(row.cap_credits)} cr" in line
        assert line.rstrip(" |").endswith(cost._cr_usd(report, row.bound_credits))
        assert row.bound_credits == min(row.worst_case_credits, row.cap_credits)

    (config,) = [r for r in doc["resources"] if r["type"] == cost.GATEWAY_CONFIG]
    declared_leaves = leaves(json.loads(config["inputs"]["config"]))
    (gateway,) = report.gateways
    # A leaf's output cap is max_tokens and/or max_completion_tokens (GPT-5 takes only the latter).
    assert [(t.model, t.max_tokens) for t in gateway.targets] == [
        (
            leaf["override_params"]["model"],
            max(
                leaf["override_params"][key]
                for key in ("max_tokens", "max_completion_tokens")
                if leaf["override_params"].get(key) is not None
            ),
        )
        for leaf in declared_leaves
    ]
    for target in gateway.targets:
        assert target.worst_case_usd is not None
        assert f"| {gateway.name} | {target.route} " in table
    # The cap: prod has a monthly usage limit; dev and staging have none and say so.
    if stack == "prod":
        assert gateway.limit is not None and gateway.limit.monthly_cap_usd == Decimal(9300)
        assert "| $9,300.00 monthly, alert at $7,440.00 (metadata.environment=prod) |" in table
    else:
        assert gateway.limit is None
        assert f"- LLM gateway sophia-{stack}-routing: UNCAPPED: no usage limit" in table
    assert "### Totals per month" in table


def test_the_table_is_markdown_that_lines_up(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    table = cost.render_cost(cost.cost_report(document(synthesized("prod")), book))
    blocks: list[list[str]] = [[]]
    for line in table.splitlines():
        if line.startswith("|"):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    tables = [block for block in blocks if block]
    assert len(tables) == 5  # warehouses, search, targets, gateway, totals
    for block in tables:
        assert len({len(line) for line in block}) == 1, block[0]
        assert set(block[1]) <= {"|", "-"}

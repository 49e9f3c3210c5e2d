"""Cost diffs: a changed warehouse, and a stack-to-stack diff without name suffixes."""

from __future__ import annotations

import copy
from collections.abc import Callable

from jobs import cost
from jobs.harness import Synthesis, synthesize
from tests.conftest import stack_config
from tests.jobs.cost.helpers import (
    CREDIT,
    HOURS,
    compact,
    document,
)


def test_doubling_a_warehouse_size_shows_the_added_credits(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    config = stack_config("prod")["snowflake"]
    doubled = copy.deepcopy(config)
    doubled["warehouses"]["API_WH"]["size"] = "LARGE"
    head = cost.cost_report(document(synthesize("prod", overrides={"snowflake": doubled})), book)
    base = cost.cost_report(document(synthesized("prod")), book)
    diff = cost.diff_cost(base, head)

    (change,) = diff.changes
    assert change.kind == "changed" and change.item.label == "API_WH"
    assert change.details == ("size: MEDIUM -> LARGE",)
    added = (8 - 4) * 4 * HOURS  # LARGE 8 cr/h - MEDIUM 4 cr/h, 4 clusters, all month
    assert change.delta("worst_credits") == added == 11_680
    assert change.delta("worst_usd") == added * CREDIT
    assert change.delta("bound_credits") == 0  # the monitor's 550-credit cap still binds
    assert diff.snowflake_worst_credits_delta == added

    text = compact(cost.render_cost_diff(diff))
    assert "| ~ | warehouse API_WH | +11,680 cr (+$35,040.00) | +0 cr (+$0.00) |" in text
    assert "  - size: MEDIUM -> LARGE" in text
    assert (
        "| Snowflake worst case | 14,732 cr ($44,196.00) | 26,412 cr ($79,236.00) | +11,680 cr |"
        in text
    )


def test_stack_diff_hides_name_suffixes(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    staging = cost.cost_report(document(synthesized("staging")), book)
    prod = cost.cost_report(document(synthesized("prod")), book)
    diff = cost.diff_cost(staging, prod)
    assert [c.item.label for c in diff.changes] == [
        "SOPHIA_SEARCH",
        "sophia-prod-routing",
        "API_WH",
        "CORTEX_COMPUTE_WH",
        "ESTUARY_LOAD_WH",
    ]
    new, resolved = diff.flag_changes()
    assert resolved == ["LLM gateway sophia-staging-routing: UNCAPPED: no usage limit"]
    assert not any("_STAGING" in flag for flag in new)
    assert cost.diff_cost(prod, prod).changes == ()

"""Warehouses: rows recomputed by hand, multipliers, and every resource-monitor variant."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from jobs import cost
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import (
    CREDIT,
    EMBEDDING,
    HOURS,
    SERVING,
    document,
    inputs_of,
    warehouse,
)


def test_prod_warehouse_rows_by_hand(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    report = cost.cost_report(document(synthesized("prod")), book)
    assert (report.edition, report.region, report.credit_price_usd) == (
        "ENTERPRISE",
        "aws-us-east-1",
        CREDIT,
    )

    api = warehouse(report, "API_WH")  # MEDIUM, maxClusterCount 4, quota 500, immediate 110%
    assert api.worst_case_credits == 4 * 4 * HOURS == 11_680
    assert report.usd(api.worst_case_credits) == 11_680 * CREDIT
    assert api.cap_credits == 500 * Decimal("1.10") == 550
    assert api.bound_credits == 550
    assert api.cap_basis == "quota x 110% (suspend immediate)"

    cortex = warehouse(report, "CORTEX_COMPUTE_WH")  # XSMALL x 2 clusters, quota 800
    assert (cortex.worst_case_credits, cortex.cap_credits) == (1 * 2 * HOURS, 880)
    estuary = warehouse(report, "ESTUARY_LOAD_WH")  # SMALL x 1, quota 200
    assert (estuary.worst_case_credits, estuary.cap_credits) == (2 * 1 * HOURS, 220)

    # Snowflake bound: the three caps + Cortex Search serving (20 GB) + embedding (200M tokens).
    assert report.snowflake_bound_credits == 550 + 880 + 220 + 20 * SERVING + 200 * EMBEDDING
    assert report.snowflake_worst_credits == 11_680 + 1_460 + 1_460 + 20 * SERVING + 200 * EMBEDDING

    table = cost.render_cost(report)
    assert (
        "| API_WH            | MEDIUM | 4                | -           | 4            "
        "| 11,680 cr ($35,040.00)               | API_WH_MONITOR            "
        "| 500 cr ($1,500.00) | 100% / 110%         | 550 cr ($1,650.00) | 550 cr ($1,650.00) |"
    ) in table


def test_gen2_and_snowpark_multipliers(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("prod"))
    inputs_of(doc, cost.WAREHOUSE, "API_WH")["generation"] = "2"
    snowpark = inputs_of(doc, cost.WAREHOUSE, "CORTEX_COMPUTE_WH")
    snowpark["warehouseType"] = "SNOWPARK-OPTIMIZED"
    del snowpark["generation"]
    del inputs_of(doc, cost.WAREHOUSE, "ESTUARY_LOAD_WH")["generation"]
    report = cost.cost_report(doc, book)

    api = warehouse(report, "API_WH")
    assert api.multipliers == (("Gen2 (aws)", Decimal("1.35")),)
    assert api.worst_case_credits == 4 * Decimal("1.35") * 4 * HOURS == 15_768
    cortex = warehouse(report, "CORTEX_COMPUTE_WH")
    assert cortex.worst_case_credits == 1 * Decimal("1.5") * 2 * HOURS == 2_190
    estuary = warehouse(report, "ESTUARY_LOAD_WH")
    assert estuary.flags == ("generation not declared: priced as Gen2",)
    assert estuary.worst_case_credits == 2 * Decimal("1.35") * HOURS


def test_a_warehouse_without_a_resource_monitor_is_flagged_uncapped(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("prod"))
    del inputs_of(doc, cost.WAREHOUSE, "API_WH")["resourceMonitor"]
    report = cost.cost_report(doc, book)
    api = warehouse(report, "API_WH")
    assert api.cap_credits is None and api.bound_credits == 11_680
    assert api.flags == ("UNCAPPED: no resource monitor",)
    table = cost.render_cost(report)
    line = next(line for line in table.splitlines() if line.startswith("| API_WH "))
    assert "| UNCAPPED " in line
    assert "- warehouse API_WH: UNCAPPED: no resource monitor" in table
    # The total bound now carries the whole worst case of API_WH instead of its 550-credit cap.
    assert report.snowflake_bound_credits == 11_680 + 880 + 220 + 20 * SERVING + 200 * EMBEDDING

    base = cost.cost_report(document(synthesized("prod")), book)
    new, resolved = cost.diff_cost(base, report).flag_changes()
    assert new == ["warehouse API_WH: UNCAPPED: no resource monitor"] and resolved == []


def test_monitor_variants_undeclared_suspend_only_notify_only_and_shared(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("prod"))
    inputs_of(doc, cost.WAREHOUSE, "ESTUARY_LOAD_WH")["resourceMonitor"] = "ELSEWHERE"
    # CORTEX_COMPUTE_WH shares API_WH's monitor: one 550-credit cap for both.
    inputs_of(doc, cost.WAREHOUSE, "CORTEX_COMPUTE_WH")["resourceMonitor"] = "API_WH_MONITOR"
    report = cost.cost_report(doc, book)
    assert warehouse(report, "ESTUARY_LOAD_WH").flags == (
        "UNCAPPED: monitor ELSEWHERE is not declared in this stack",
    )
    assert warehouse(report, "CORTEX_COMPUTE_WH").shared_with == ("API_WH",)
    assert report.snowflake_bound_credits == 550 + 1_460 + 20 * SERVING + 200 * EMBEDDING

    doc = document(synthesized("prod"))
    monitor = inputs_of(doc, cost.MONITOR, "API_WH_MONITOR")
    del monitor["suspendImmediateTrigger"]
    api = warehouse(cost.cost_report(doc, book), "API_WH")
    # 100% of 500, plus every cluster finishing a query of up to the 3600 s statement timeout.
    assert api.cap_credits == 500 + 4 * 4 * 1
    del monitor["suspendTrigger"]
    api = warehouse(cost.cost_report(doc, book), "API_WH")
    assert api.flags == ("UNCAPPED: monitor only notifies (no suspend trigger)",)

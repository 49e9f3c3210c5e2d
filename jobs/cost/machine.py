"""The cost view for machines: `--format json` and the `--max-monthly-increase` gate.

The JSON follows the shape Infracost users script against (`infracost breakdown --format json`
and `infracost diff`: top-level `currency`, `totalMonthlyCost`, `pastTotalMonthlyCost`,
`diffTotalMonthlyCost`, and `projects[]` each with `breakdown.resources[]`; money as decimal
strings, as Infracost's JSON v0.2 writes it), so a team's existing jq or OPA checks need only the
field names below. What Infracost has no word for is added beside it, never in its fields' place:

- every money figure comes twice: `...MonthlyCost` is the *worst case* (every warehouse at its
  size for the whole month, every gateway request at its max tokens) and `...MonthlyCostBound`
  is what the monitors and usage limits let it reach (docs/cost.md);
- `resources[].section` says what kind of thing it is (warehouse, Cortex Search, LLM gateway).

`--max-monthly-increase USD` fails (exit 1) when head's worst case exceeds base's by more than USD;
the worst case, because a bound can hide a bigger warehouse behind an unchanged monitor quota.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jobs.cost.diff import CostDiff, LineItem, line_items
from jobs.cost.report import CostReport

FORMAT_VERSION = "sophia-cost-1"
EXIT_OVER_BUDGET = 1


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def _resource(item: LineItem) -> dict[str, Any]:
    return {
        "name": item.label,
        "section": item.section,
        "key": item.key,
        "monthlyCost": _money(item.worst_usd),
        "monthlyCostBound": _money(item.bound_usd),
        "monthlyCredits": None if item.worst_credits is None else str(item.worst_credits),
        "attributes": dict(item.attributes),
    }


def _breakdown(report: CostReport) -> dict[str, Any]:
    return {
        "resources": [_resource(item) for item in line_items(report)],
        "totalMonthlyCost": _money(report.total_worst_usd),
        "totalMonthlyCostBound": _money(report.total_bound_usd),
        "snowflakeMonthlyCredits": str(report.snowflake_worst_credits),
        "snowflakeMonthlyCreditsBound": str(report.snowflake_bound_credits),
    }


def _header(report: CostReport) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "currency": "USD",
        "priceBook": {
            "version": report.book.version,
            "date": str(report.book.date),
            "creditPriceUsd": _money(report.credit_price_usd),
        },
    }


def cost_json(report: CostReport) -> dict[str, Any]:
    """One stack's cost (what `infracost breakdown --format json` gives for one project)."""
    return {
        **_header(report),
        "totalMonthlyCost": _money(report.total_worst_usd),
        "totalMonthlyCostBound": _money(report.total_bound_usd),
        "projects": [{"name": report.title, "breakdown": _breakdown(report)}],
        "flags": report.flags,
        "notes": list(report.notes),
    }


def cost_diff_json(diff: CostDiff, max_increase: Decimal | None = None) -> dict[str, Any]:
    """Base-vs-head cost (what `infracost diff --format json` gives), with the gate's verdict."""
    base, head = diff.base, diff.head
    new_flags, resolved_flags = diff.flag_changes()
    document: dict[str, Any] = {
        **_header(head),
        "totalMonthlyCost": _money(head.total_worst_usd),
        "pastTotalMonthlyCost": _money(base.total_worst_usd),
        "diffTotalMonthlyCost": _money(diff.worst_usd_delta),
        "totalMonthlyCostBound": _money(head.total_bound_usd),
        "pastTotalMonthlyCostBound": _money(base.total_bound_usd),
        "diffTotalMonthlyCostBound": _money(diff.bound_usd_delta),
        "projects": [
            {
                "name": head.title,
                "pastName": base.title,
                "breakdown": _breakdown(head),
                "pastBreakdown": _breakdown(base),
                "diff": {
                    "resources": [
                        {
                            "change": change.kind,
                            "name": change.item.label,
                            "section": change.item.section,
                            "key": change.item.key,
                            "diffMonthlyCost": _money(change.delta("worst_usd")),
                            "diffMonthlyCostBound": _money(change.delta("bound_usd")),
                            "details": list(change.details),
                        }
                        for change in diff.changes
                    ],
                },
            }
        ],
        "newFlags": new_flags,
        "resolvedFlags": resolved_flags,
    }
    if max_increase is not None:
        document["gate"] = {
            "maxMonthlyIncrease": _money(max_increase),
            "passed": gate_problem(diff, max_increase) is None,
        }
    return document


def gate_problem(diff: CostDiff, max_increase: Decimal) -> str | None:
    """Why head raises the worst-case monthly cost by more than `max_increase` USD, or None."""
    increase = diff.worst_usd_delta
    if increase <= max_increase:
        return None
    return (
        f"cost gate: {diff.head.title} raises the worst-case monthly cost by "
        f"${_money(increase)} over {diff.base.title} (${_money(diff.base.total_worst_usd)} -> "
        f"${_money(diff.head.total_worst_usd)}); --max-monthly-increase allows "
        f"${_money(max_increase)}"
    )


def parse_usd(text: str) -> Decimal:
    """`--max-monthly-increase` value: a non-negative amount of USD such as 250 or 99.50."""
    try:
        value = Decimal(text.strip().removeprefix("$"))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise ValueError(
            f"--max-monthly-increase {text!r}: expected a non-negative amount of USD per month, "
            "e.g. 250 or 99.50"
        )
    return value

"""The "Error budgets" table of the cost view: the stack's objectives from its `slo` output.

Read from the synth document's `outputs.slo` (wiring.slo_export, components/settings/
slo_checks.py `slo_summary`): objective, budget in minutes and in failed requests per million,
the burn-rate thresholds, the worst-case freshness against its objective, the canary's burn, and
the day the LLM spend alerts fire at the modeled daily bound and at the target. docs/slo.md
"Reading the budget table". An older revision without the output shows a note instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jobs.cost.cells import markdown_table
from jobs.cost.report import CostReport

DAYS_PER_MONTH = Decimal("30.4")  # 365 / 12: the month of the monthly usage limit (GUESS)


def _alert_day(threshold: Decimal | None, daily: Decimal, period_days: Decimal) -> str:
    if threshold is None:
        return "-"
    if daily <= 0:
        return "never"
    day = threshold / daily
    return f"day {day:.1f}" if day <= period_days else f"not within {period_days:g} days"


def _llm_rows(report: CostReport, llm: Mapping[str, Any]) -> list[list[str]]:
    target = Decimal(str(llm["dailyBudgetUsd"]))
    rows = []
    for gateway in report.gateways:
        monthly = gateway.limit.alert_threshold if gateway.limit else None
        spends = (("modeled daily bound", gateway.daily_bound_usd), ("target", target))
        for label, daily in spends:
            rows.append(
                [
                    gateway.name,
                    f"{label} ${daily:,.2f}/day",
                    _alert_day(monthly, daily, DAYS_PER_MONTH),
                    _alert_day(
                        Decimal(str(llm["weeklyAlertUsd"])) if llm["weeklyPolicy"] else None,
                        daily,
                        Decimal(7),
                    ),
                ]
            )
    return rows


def render_error_budgets(report: CostReport, outputs: Mapping[str, Any]) -> list[str]:
    slo = outputs.get("slo")
    lines = ["", "### Error budgets", ""]
    if not isinstance(slo, Mapping):
        return [*lines, "(this revision declares no `slo` output: no objectives to show)"]
    window = slo["windowDays"]
    rows = []
    for objective in slo["objectives"]:
        pairs = ", ".join(
            f"{t['severity']} {t['factor']:g}x {t['long']}/{t['short']} "
            f"(> {t['errorRatio'] * 100:.4g} %)"
            for t in objective["thresholds"]
        )
        what = objective["name"]
        if "thresholdSeconds" in objective:
            what += f" (within {objective['thresholdSeconds']:g} s)"
        rows.append(
            [
                what,
                f"{objective['objectivePercent']:g} %",
                f"{objective['budgetMinutes']:,.2f} min",
                f"{objective['budgetPerMillionRequests']:,.0f}",
                "yes" if objective["page"] else "no (warning)",
                pairs,
            ]
        )
    header = [
        "objective",
        "target",
        f"budget / {window} d",
        "failed requests allowed per 1 M",
        "pages",
        "alert thresholds (error ratio over both windows)",
    ]
    lines += markdown_table(header, rows)
    fresh = slo["freshness"]
    terms = " + ".join(f"{t['what']} {t['value']}" for t in fresh["terms"])
    verdict = "met" if fresh["met"] else "NOT met"
    lines += [
        "",
        f"Freshness: worst case {fresh['worstCaseSeconds']:g} s ({terms}) against an objective "
        f"of {fresh['objectiveSeconds']} s: {verdict}.",
    ]
    canary = slo.get("canary")
    if canary:
        lines.append(
            f"Canary: failing just under maxErrorRate {canary['maxErrorRate']:g} at "
            f"{canary['maxWeight']} % of traffic burns {canary['burn']:g}x; the page fires at "
            f"{canary['pageFactor']:g}x"
            + (" (acknowledged in the stack file)." if canary["acknowledged"] else ".")
        )
    llm_rows = _llm_rows(report, slo["llm"])
    if llm_rows:
        lines += ["", "LLM spend alerts (the day each alert fires, from the period's start):", ""]
        lines += markdown_table(
            ["gateway", "spend", "monthly alert fires", "weekly alert fires"], llm_rows
        )
    contradictions = slo.get("contradictions") or []
    if contradictions:
        lines += ["", "Contradictions (`jobs.synth --check` fails on the mandatory ones):", ""]
        lines += [f"- [{c['enforcement']}] {c['message']}" for c in contradictions]
    return lines

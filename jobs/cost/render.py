"""The cost table of one stack, as Markdown that also lines up in a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.settings.portkey_routing import usd
from jobs.cost.cells import cr_usd_text, credits_text, dollars_text, markdown_table, percent_text
from jobs.cost.document import UNCAPPED
from jobs.cost.error_budgets import render_error_budgets
from jobs.cost.report import CostReport


def render_cost(report: CostReport, outputs: Mapping[str, Any] | None = None) -> str:
    """The cost table; with the document's `outputs`, also the error budgets (docs/slo.md)."""
    book = report.book
    lines = [
        f"## Cost view: {report.title}",
        "",
        f"Price basis: {report.edition} edition in {report.region}, "
        f"${report.credit_price_usd:.2f} per credit (on-demand list price). Price book "
        f"v{book.version} ({book.date}, {book.path}); LLM prices v{book.llm.version} "
        f"({book.llm.date}, components/portkey/prices.yaml). A month is "
        f"{credits_text(book.hours_per_month)} hours. List prices were recorded by hand: "
        "see docs/cost.md.",
        "",
        "### Snowflake warehouses (per month)",
        "",
    ]
    rows = []
    for w in report.warehouses:
        multipliers = ", ".join(f"{label} x{credits_text(m)}" for label, m in w.multipliers) or "-"
        quota = (
            f"{cr_usd_text(report, w.quota_credits)}"
            + ("" if w.frequency == "MONTHLY" else f" ({w.frequency.lower()})")
            if w.quota_credits is not None
            else "-"
        )
        rows.append(
            [
                w.name,
                w.size,
                credits_text(w.credits_per_hour),
                multipliers,
                str(w.max_clusters),
                cr_usd_text(report, w.worst_case_credits),
                w.monitor or "-",
                quota,
                f"{percent_text(w.suspend_percent)} / {percent_text(w.suspend_immediate_percent)}",
                cr_usd_text(report, w.cap_credits) if w.cap_credits is not None else UNCAPPED,
                cr_usd_text(report, w.bound_credits),
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
    lines += markdown_table(header, rows) if rows else ["(no warehouses declared)"]
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
                    f"{credits_text(s.busy_fraction * 100)}% of the month = "
                    f"{cr_usd_text(report, s.refresh_credits)}",
                    f"{credits_text(s.indexed_gb)} GB = {cr_usd_text(report, s.serving_credits)}",
                    f"{credits_text(s.embedded_million_tokens)}M tokens = "
                    f"{cr_usd_text(report, s.embedding_credits)}",
                    cr_usd_text(report, s.serverless_credits),
                ]
            )
        lines += markdown_table(
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
            f"{credits_text(search.search_serving_credits_per_gb_month)} cr per GB-month of "
            "indexed data and embedding "
            f"{credits_text(search.search_embedding_credits_per_million_tokens)} cr per 1M tokens; "
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
                        dollars_text(t.worst_case_usd * g.requests_per_day)
                        if t.worst_case_usd is not None
                        else "-",
                    ]
                )
        lines += markdown_table(
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
                limit = f"{credits_text(g.limit.limit)} tokens {g.limit.periodic_reset or 'total'}"
            else:
                alert = (
                    f", alert at {dollars_text(g.limit.alert_threshold)}"
                    if g.limit.alert_threshold is not None
                    else ""
                )
                limit = (
                    f"{dollars_text(g.limit.limit)} {g.limit.periodic_reset or 'total'}{alert} "
                    f"({g.limit.scope})"
                )
            rows.append(
                [
                    g.name,
                    f"{credits_text(g.requests_per_day)} (assumed)",
                    dollars_text(g.daily_bound_usd),
                    dollars_text(g.monthly_worst_usd),
                    limit,
                    dollars_text(g.monthly_bound_usd),
                ]
            )
        lines += markdown_table(
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
    lines += markdown_table(
        ["", "worst case", "bound"],
        [
            [
                "Snowflake",
                cr_usd_text(report, report.snowflake_worst_credits),
                cr_usd_text(report, report.snowflake_bound_credits),
            ],
            ["LLM", dollars_text(report.llm_worst_usd), dollars_text(report.llm_bound_usd)],
            ["total", dollars_text(report.total_worst_usd), dollars_text(report.total_bound_usd)],
        ],
    )
    if outputs is not None:
        lines += render_error_budgets(report, outputs)
    flags = report.flags
    if flags or report.notes:
        lines += ["", "### Flags and notes", ""]
        lines += [f"- {flag}" for flag in flags]
        lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines)

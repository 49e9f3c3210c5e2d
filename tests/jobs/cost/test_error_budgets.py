"""The "Error budgets" table of the cost view, recomputed by hand (docs/slo.md)."""

from __future__ import annotations

from collections.abc import Callable

from jobs import cost
from jobs.cost.error_budgets import render_error_budgets
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import document


def test_prod_error_budgets_by_hand(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("prod"))
    report = cost.cost_report(doc, book)
    text = "\n".join(render_error_budgets(report, doc["outputs"]))
    # 30 d x 1440 min x 1e-4 = 4.32 min; 1e6 x 1e-4 = 100 requests; 14.4 x 1e-4 = 0.144 %.
    assert (
        "| availability           | 99.99 % | 4.32 min      | 100                             | "
        "yes   | page 14.4x 1h/5m (> 0.144 %), page 6x 6h/30m (> 0.06 %), ticket 3x 1d/2h "
        "(> 0.03 %), ticket 1x 3d/6h (> 0.01 %) |"
    ) in text
    # 5m + 5m + 1 minute = 660 s <= 900 s.
    assert "Freshness: worst case 660 s" in text and "of 900 s: met." in text
    # 0.0025 x 50 % / 1e-4 = 12.5x, under the 14.4x page.
    assert "burns 12.5x; the page fires at 14.4x." in text
    # Monthly alert $7,440 / $300 a day = day 24.8; weekly $1,680 / $300 = day 5.6.
    assert "| target $300.00/day              | day 24.8            | day 5.6            |" in text
    # At the modeled bound ($999.95/day): 7440 / 999.95 = 7.4, 1680 / 999.95 = 1.7.
    assert "| modeled daily bound $999.95/day | day 7.4             | day 1.7            |" in text


def test_the_cost_command_shows_the_table(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("staging"))
    text = cost.render_cost(cost.cost_report(doc, book), doc["outputs"])
    assert "### Error budgets" in text
    assert "Freshness: worst case 4500 s" in text


def test_a_revision_without_objectives_says_so(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    report = cost.cost_report(document(synthesized("dev")), book)
    assert render_error_budgets(report, {})[-1] == (
        "(this revision declares no `slo` output: no objectives to show)"
    )

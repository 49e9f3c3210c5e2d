"""Cortex Search: the refresh estimate recomputed by hand."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from jobs import cost
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import (
    EMBEDDING,
    HOURS,
    SERVING,
    document,
)


def test_cortex_search_refresh_estimate_by_hand(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    prod = cost.cost_report(document(synthesized("prod")), book)
    (search,) = prod.searches
    # 1-minute lag, 60 s billed refresh + 120 s auto-suspend >= 60 s: the warehouse never sleeps.
    assert (search.busy_fraction, search.refresh_credits) == (1, HOURS * 4)
    assert search.serving_credits == 20 * SERVING and search.embedding_credits == 200 * EMBEDDING
    assert search.flags == (
        "refresh every 1 minute keeps CORTEX_COMPUTE_WH from ever suspending (auto-suspend 120 s)",
        "refresh alone can spend more than CORTEX_COMPUTE_WH's hard cap: the monitor would suspend the warehouse mid-month and the index would go stale",
        "serving and embedding are serverless: no resource monitor caps them",
    )

    staging = cost.cost_report(document(synthesized("staging")), book)
    (search,) = staging.searches
    # 10-minute lag on a SMALL warehouse with 60 s auto-suspend: (60 + 60) / 600 of the month.
    assert search.busy_fraction == Decimal(120) / 600
    assert search.refresh_credits == Decimal("0.2") * HOURS * 2 == 292

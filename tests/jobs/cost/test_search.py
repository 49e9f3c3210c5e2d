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
    # 1-minute lag, 60 s billed refresh + 60 s auto-suspend >= 60 s: the warehouse never sleeps.
    assert (search.busy_fraction, search.refresh_credits) == (1, HOURS * 1)
    assert search.serving_credits == 20 * SERVING and search.embedding_credits == 200 * EMBEDDING
    assert search.flags == (
        "refresh every 1 minute keeps CORTEX_COMPUTE_WH from ever suspending (auto-suspend 60 s)",
        "serving and embedding are serverless: no resource monitor caps them",
    )

    staging = cost.cost_report(document(synthesized("staging")), book)
    (search,) = staging.searches
    # 30-minute lag on a SMALL warehouse with 60 s auto-suspend: (60 + 60) / 1800 of the month.
    assert search.busy_fraction == Decimal(120) / 1800
    assert search.refresh_credits == Decimal(120) / 1800 * HOURS * 2

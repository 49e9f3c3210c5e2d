"""The price book, loaded once per module for the cost tests."""

from __future__ import annotations

import pytest

from jobs import cost


@pytest.fixture(scope="module")
def book() -> cost.PriceBook:
    return cost.load_price_book()

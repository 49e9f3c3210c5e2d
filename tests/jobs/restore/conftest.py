"""The restore's fixtures: the synth documents, an injected clock, fakesnow + the stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobs.synth_document import to_json

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


@pytest.fixture
def document(synthesized: Callable[[str], Any]) -> Callable[[str], dict[str, Any]]:
    return lambda stack: to_json(synthesized(stack))


class Clock:
    """A settable clock: every time the stand-in or the job asks, it answers `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW - timedelta(days=10))


@pytest.fixture
def fake_account(clock: Clock) -> Iterator[Any]:
    """fakesnow (the real connector API over DuckDB) with the time-travel stand-in over it."""
    fakesnow = pytest.importorskip("fakesnow")
    import snowflake.connector

    from tests.fakes.snowflake_time_travel import TimeTravelAccount

    with fakesnow.patch(create_database_on_connect=False):
        yield TimeTravelAccount(fake_connect=snowflake.connector.connect, clock=clock)

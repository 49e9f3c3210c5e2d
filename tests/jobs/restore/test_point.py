"""The point in time: offsets, the future, query ids and the window, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.restore.point import (
    PointError,
    check_in_window,
    check_statement_age,
    parse_at,
    parse_statement,
    window,
)

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def test_an_offset_is_kept_and_compared_as_an_instant() -> None:
    point = parse_at("2026-12-01T10:30:00+01:00", NOW)
    assert point.at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert point.describe() == "AT 2026-12-01T10:30:00.000000+01:00"
    assert parse_at("2026-12-01T09:30Z", NOW).at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2026-12-01T09:30:00", "2026-12-01 09:30", "2026-12-01", "yesterday", "", "1733047800"]
)
def test_a_time_without_an_offset_is_refused(text: str) -> None:
    with pytest.raises(PointError) as err:
        parse_at(text, NOW)
    assert str(err.value) == (
        f"--at {text!r}: expected ISO 8601 with an explicit UTC offset, e.g. "
        "2026-12-01T09:30:00+00:00 or 2026-12-01T10:30:00+01:00 (a time without an offset is "
        "refused: Snowflake would read it as UTC whatever you meant)"
    )


def test_an_impossible_date_is_refused() -> None:
    with pytest.raises(PointError, match=r"^--at '2026-02-30T09:30:00\+00:00': not a valid"):
        parse_at("2026-02-30T09:30:00+00:00", NOW)


def test_the_future_is_refused() -> None:
    with pytest.raises(PointError) as err:
        parse_at("2026-12-08T13:30:00+01:00", NOW)  # 12:30 UTC, half an hour ahead
    assert str(err.value) == (
        "--at 2026-12-08T13:30:00.000000+01:00 is in the future (now "
        "2026-12-08T12:00:00.000000+00:00); time travel only goes back"
    )


def test_query_ids() -> None:
    assert parse_statement(" 01B2C3D4-0000-1A2B-0000-00000000ABCD ").statement == (
        "01b2c3d4-0000-1a2b-0000-00000000abcd"
    )
    with pytest.raises(PointError, match=r"^--statement 'DROP TABLE x': expected a Snowflake"):
        parse_statement("DROP TABLE x")


def test_a_query_id_past_fourteen_days_is_refused() -> None:
    check_statement_age("q", NOW - timedelta(days=13, hours=23), NOW)
    with pytest.raises(PointError) as err:
        check_statement_age("q", NOW - timedelta(days=14, minutes=1), NOW)
    assert str(err.value) == (
        "statement q ran at 2026-11-24T11:59:00.000000+00:00, 14 days ago; time travel accepts "
        "query ids of the last 14 days only: use --at with a time instead"
    )


def test_window_from_retention() -> None:
    win = window(created_on=NOW - timedelta(days=300), retention_days=14, now=NOW)
    assert win.bound == "retention"
    assert win.earliest == NOW - timedelta(days=14) + timedelta(hours=1)
    check_in_window(NOW - timedelta(days=13), win)
    check_in_window(win.earliest, win)
    with pytest.raises(PointError) as err:
        check_in_window(NOW - timedelta(days=14), win)  # inside retention, but within the margin
    assert str(err.value) == (
        "2026-11-24T12:00:00.000000+00:00 is outside the time-travel window "
        "2026-11-24T13:00:00.000000+00:00 .. 2026-12-08T12:00:00.000000+00:00 (created "
        "2026-02-11T12:00:00.000000+00:00, retention 14 day(s), margin 1 h): before or too "
        "close to the retention edge"
    )


def test_window_from_creation() -> None:
    created = NOW - timedelta(days=2)
    win = window(created_on=created, retention_days=14, now=NOW)
    assert (win.bound, win.earliest) == ("creation", created + timedelta(hours=1))
    with pytest.raises(PointError, match="before or too close to the creation edge"):
        check_in_window(created + timedelta(minutes=30), win)


def test_no_retention_means_no_time_travel() -> None:
    win = window(created_on=NOW - timedelta(days=9), retention_days=0, now=NOW)
    with pytest.raises(PointError, match="retention_time is 0: it has no time travel at all"):
        check_in_window(NOW - timedelta(minutes=5), win)

"""The point in time a restore goes back to, and the time-travel window it must fall in.

Rules (docs/restore.md, "Snowflake rules", with their sources):

- `--at` is ISO 8601 with an explicit UTC offset. A naive time is refused: Snowflake reads an
  uncast AT(TIMESTAMP => ...) value as UTC, and a `::TIMESTAMP` cast may be read as NTZ
  (https://docs.snowflake.com/en/sql-reference/constructs/at-before, TIMESTAMP parameter), so a
  time without an offset means whatever the reader assumed. The statement always casts to
  TIMESTAMP_TZ with the offset (jobs/restore/sql.py).
- A point in the future is refused: there is nothing to restore there.
- `--statement` is a query id; time travel accepts only ids of queries run in the last 14 days
  ("statement <query_id> not found" otherwise, same page, STATEMENT parameter).
- The point must lie inside the live window: after the table's creation and within its
  retention (`retention_time` days) back from now. Time travel data outside it is not available
  ("... beyond the allowed time travel period or before the object creation time", the error
  quoted in docs/restore.md). A margin (1 hour) keeps a point that is about to fall out of the
  window from failing half-way through the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STATEMENT_ID_MAX_AGE = timedelta(days=14)  # at-before: "within the last 14 days"
WINDOW_MARGIN = timedelta(hours=1)  # ours: a point this close to the edge is refused
# A Snowflake query id as the connector reports it (cursor.sfqid): 8-4-4-4-12 hex digits.
# GUESS: the shape is what every query id we have seen looks like; Snowflake documents none.
_QUERY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# ISO 8601 date, 'T' or space, time to at least minutes, then Z or +hh:mm / -hh:mm.
_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
)
_MAX_TEXT = 64  # longer input is not a time; messages show at most this much of it


class PointError(ValueError):
    """The point in time given on the command line is not acceptable (refused, exit 1)."""


@dataclass(frozen=True)
class PointInTime:
    """Either an instant (`at`, aware) or a statement (`statement`, a query id)."""

    at: datetime | None = None
    statement: str | None = None

    def describe(self) -> str:
        if self.at is not None:
            return f"AT {iso(self.at)}"
        return f"BEFORE statement {self.statement}"


def iso(moment: datetime) -> str:
    """The instant with its own offset, to the microsecond: what the statement sends."""
    return moment.isoformat(timespec="microseconds")


def _shown(text: str) -> str:
    return repr(text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "...")


def parse_at(text: str, now: datetime) -> PointInTime:
    """`--at`: ISO 8601 with an explicit offset, not in the future."""
    if not _ISO_WITH_OFFSET.match(text.strip()):
        raise PointError(
            f"--at {_shown(text)}: expected ISO 8601 with an explicit UTC offset, e.g. "
            "2026-12-01T09:30:00+00:00 or 2026-12-01T10:30:00+01:00 (a time without an offset "
            "is refused: Snowflake would read it as UTC whatever you meant)"
        )
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PointError(f"--at {_shown(text)}: not a valid date and time") from None
    if moment.utcoffset() is None:  # the pattern requires an offset; kept as a second guard
        raise PointError(f"--at {_shown(text)}: the time has no UTC offset")
    if moment > now:
        raise PointError(
            f"--at {iso(moment)} is in the future (now {iso(now.astimezone(UTC))}); "
            "time travel only goes back"
        )
    return PointInTime(at=moment)


def parse_statement(text: str) -> PointInTime:
    """`--statement`: a query id (lower-case hex 8-4-4-4-12, as the connector reports it)."""
    candidate = text.strip().lower()
    if not _QUERY_ID.match(candidate):
        raise PointError(
            f"--statement {_shown(text)}: expected a Snowflake query id (8-4-4-4-12 hex "
            "digits, e.g. 01b2c3d4-0000-1a2b-0000-00000000abcd from Query History)"
        )
    return PointInTime(statement=candidate)


def check_statement_age(statement: str, started: datetime, now: datetime) -> None:
    """Refuse a query id older than time travel accepts (14 days)."""
    age = now - started
    if age > STATEMENT_ID_MAX_AGE:
        raise PointError(
            f"statement {statement} ran at {iso(started.astimezone(UTC))}, {age.days} days "
            f"ago; time travel accepts query ids of the last {STATEMENT_ID_MAX_AGE.days} days "
            "only: use --at with a time instead"
        )


@dataclass(frozen=True)
class Window:
    """The instants time travel can reach for one table, less the margin."""

    earliest: datetime
    latest: datetime
    created_on: datetime
    retention_days: int
    bound: str  # "creation" or "retention": which edge the earliest point comes from

    def explain(self) -> str:
        return (
            f"{iso(self.earliest.astimezone(UTC))} .. {iso(self.latest.astimezone(UTC))} "
            f"(created {iso(self.created_on.astimezone(UTC))}, retention "
            f"{self.retention_days} day(s), margin {_hours(WINDOW_MARGIN)})"
        )


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g} h"


def window(
    created_on: datetime, retention_days: int, now: datetime, margin: timedelta = WINDOW_MARGIN
) -> Window:
    """max(created_on, now - retention) + margin .. now."""
    retained_from = now - timedelta(days=retention_days)
    bound = "creation" if created_on >= retained_from else "retention"
    return Window(
        earliest=max(created_on, retained_from) + margin,
        latest=now,
        created_on=created_on,
        retention_days=retention_days,
        bound=bound,
    )


def check_in_window(moment: datetime, win: Window) -> None:
    if win.retention_days <= 0:
        raise PointError(
            f"the table's retention_time is {win.retention_days}: it has no time travel at all"
        )
    if moment < win.earliest:
        raise PointError(
            f"{iso(moment.astimezone(UTC))} is outside the time-travel window "
            f"{win.explain()}: before or too close to the {win.bound} edge"
        )
    if moment > win.latest:
        raise PointError(f"{iso(moment.astimezone(UTC))} is after now ({iso(win.latest)})")


def stamp(moment: datetime) -> str:
    """yyyymmddThhmmZ, for default target names."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")

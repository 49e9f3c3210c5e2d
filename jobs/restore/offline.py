"""The checks that need no account: declared object, point in time, target name, swap rules.

They run first, in the dry run as in the real run, so a bad name or time is refused before
anything logs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jobs.restore.declared import DeclaredTable, NameError_, StackTables, resolve, target_name
from jobs.restore.outcome import CheckRefused, RestoreReport
from jobs.restore.point import (
    PointError,
    PointInTime,
    iso,
    parse_at,
    parse_statement,
    stamp,
)


@dataclass(frozen=True)
class Request:
    stack: str
    table: str
    at: str | None
    statement: str | None
    to: str | None
    swap: bool
    allow_swap: str | None


@dataclass(frozen=True)
class Plan:
    table: DeclaredTable
    point: PointInTime
    target: str
    swap: bool


def plan(
    request: Request,
    tables: StackTables,
    environment: str | None,
    now: datetime,
    report: RestoreReport,
) -> Plan:
    """declared-object, point-in-time (offline part), target-name, swap-allowed; in order."""
    try:
        table = resolve(tables, request.table)
    except NameError_ as err:
        raise CheckRefused("declared-object", str(err)) from None
    report.line(
        "declared-object",
        "passed",
        f"{table.database}.{table.schema}.{table.name} is declared by stack {tables.stack} "
        f"({table.declared_by}: {table.urn})",
    )

    try:
        if (request.at is None) == (request.statement is None):
            raise PointError("give exactly one of --at TIME or --statement QUERY_ID")
        point = (
            parse_at(request.at, now)
            if request.at is not None
            else parse_statement(request.statement or "")
        )
    except PointError as err:
        raise CheckRefused("point-in-time", str(err)) from None
    if point.at is not None and table.retention_days is not None:
        declared_from = now - timedelta(days=table.retention_days)
        if point.at < declared_from:
            raise CheckRefused(
                "point-in-time",
                f"{iso(point.at)} is more than the declared {table.retention_days} day(s) of "
                f"retention ago (the window starts after {iso(declared_from)}); time travel "
                "cannot reach it",
            )
    report.line("point-in-time", "passed", point.describe())

    default = (
        f"{table.name}_RESTORED_{stamp(point.at)}"
        if point.at is not None
        else f"{table.name}_BEFORE_{(point.statement or '')[:8].upper()}"
    )
    try:
        target = target_name(tables, table, request.to, default)
    except NameError_ as err:
        raise CheckRefused("target-name", str(err)) from None
    report.target = target
    report.line("target-name", "passed", f"{table.schema}.{target} is not declared by the program")

    _swap_allowed(request, table, environment, report)
    return Plan(table=table, point=point, target=target, swap=request.swap)


def _swap_allowed(
    request: Request, table: DeclaredTable, environment: str | None, report: RestoreReport
) -> None:
    if request.allow_swap is not None and not request.swap:
        raise CheckRefused("swap-allowed", "--allow-swap is given without --swap")
    if not request.swap:
        report.line("swap-allowed", "skipped", "no --swap: the restore stops at the new table")
        return
    gated = environment == "prod" and table.protected
    if gated and request.allow_swap != table.urn:
        named = f" (it names {request.allow_swap!r})" if request.allow_swap else ""
        raise CheckRefused(
            "swap-allowed",
            f"{table.schema}.{table.name} is protected in {environment}: a swap replaces the live "
            f"table, so it needs --allow-swap naming its URN{named}: --allow-swap {table.urn}",
        )
    report.line(
        "swap-allowed",
        "passed",
        "--swap allowed ("
        + (f"--allow-swap names {table.urn}" if gated else "not a protected prod table")
        + ")",
    )

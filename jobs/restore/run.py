"""restore(): the offline checks, then (with credentials) the live checks, clone and swap."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from jobs.restore.declared import StackTables
from jobs.restore.live import planned, run_live
from jobs.restore.offline import Plan, Request, plan
from jobs.restore.outcome import (
    EXIT_COULD_NOT_CHECK,
    EXIT_DONE,
    EXIT_REFUSED,
    CheckRefused,
    CouldNotCheck,
    RestoreReport,
)
from jobs.restore.session import connect
from jobs.restore.sql import render
from jobs.restore.writers import LiveSpecs

LIVE_CHECKS = (
    "exists",
    "retention",
    "target-free",
    "role",
    "writers-paused",
    "clone",
    "verify-rows",
    "verify-grants",
    "verify-change-tracking",
)


def restore(
    request: Request,
    tables: StackTables,
    environment: str | None,
    now: datetime,
    *,
    dry_run: bool,
    query_tag: str,
    environ: Mapping[str, str] | None = None,
    connect_fn: Callable[..., Any] | None = None,
    estuary: LiveSpecs | None = None,
) -> RestoreReport:
    report = RestoreReport(
        stack=request.stack,
        table=request.table,
        target="",
        point=request.at or (f"statement {request.statement}" if request.statement else ""),
        dry_run=dry_run,
        swap=request.swap,
        query_tag=query_tag,
    )
    try:
        the_plan = plan(request, tables, environment, now, report)
        report.point = the_plan.point.describe()
        steps = planned(the_plan)
        report.planned_sql = [render(statement) for _check, statement in steps]
        report.planned_checks = [check for check, _statement in steps]
        if dry_run:
            _dry_run(the_plan, report)
            return _end(report, "dry-run", EXIT_DONE)
        _live(the_plan, report, now, query_tag, environ, connect_fn, estuary)
    except CheckRefused as err:
        report.line(err.check, "refused", err.reason)
        return _end(report, "refused", EXIT_REFUSED)
    except CouldNotCheck as err:
        report.line(err.check, "could-not-check", err.reason)
        return _end(report, "could-not-check", EXIT_COULD_NOT_CHECK)
    return _end(report, "done", EXIT_DONE)


def _end(report: RestoreReport, outcome: str, code: int) -> RestoreReport:
    report.outcome = outcome
    report.exit_code = code
    return report


def _dry_run(the_plan: Plan, report: RestoreReport) -> None:
    if the_plan.point.statement is not None:
        report.line(
            "point-in-time",
            "would-run",
            "when the statement ran (ACCOUNT_USAGE.QUERY_HISTORY): refused past 14 days",
        )
    for check in LIVE_CHECKS:
        if check == "verify-change-tracking" and not the_plan.table.change_tracking:
            report.line(check, "skipped", "the program declares no change tracking here")
            continue
        detail = "needs the account (credentials): not checked in a dry run"
        if check == "writers-paused":
            writer = the_plan.table.writer
            detail += (
                f"; {writer} writes this table and must be disabled"
                if writer
                else "; no Estuary materialization writes this table"
            )
        report.line(check, "would-run", detail)
    if the_plan.swap:
        report.line("swap", "would-run", "ALTER TABLE ... SWAP WITH, after every check passed")


def _live(
    the_plan: Plan,
    report: RestoreReport,
    now: datetime,
    query_tag: str,
    environ: Mapping[str, str] | None,
    connect_fn: Callable[..., Any] | None,
    estuary: LiveSpecs | None,
) -> None:
    connection = the_plan.table.connection
    if connection is None:
        raise CouldNotCheck("connect", "the stack declares no Snowflake provider for this table")
    session = connect(
        connection, query_tag, environ if environ is not None else os.environ, connect_fn
    )
    try:
        run_live(the_plan, session, report, now, estuary)
    finally:
        report.statements = list(session.executed)
        session.close()

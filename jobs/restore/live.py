"""The checks that need the account, in order, then the clone, its verification and the swap.

exists          SHOW TABLES, exact name (a dropped table: UNDROP is suggested, never run)
point-in-time   for --statement: when it ran (ACCOUNT_USAGE.QUERY_HISTORY), under 14 days
retention       the point inside max(created_on, now - retention_time) + 1 h .. now
target-free     SHOW TABLES, exact name: the restored name does not exist
role            CURRENT_ROLE() owns the table (SWAP needs ownership of both tables)
writers-paused  the Estuary materialization writing the table is disabled (live spec)
clone           CREATE TABLE ... CLONE ... AT|BEFORE (...)
verify-rows     COUNT(*) of the source at the point = COUNT(*) of the clone
verify-grants   the declared grants cover the clone (re-granted where the clone has none)
verify-change-tracking  as the program declares it (re-set where the clone lost it)
swap            ALTER TABLE <table> SWAP WITH <restored> (only with --swap)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobs.restore import sql
from jobs.restore.offline import Plan
from jobs.restore.outcome import CheckRefused, CouldNotCheck, RestoreReport
from jobs.restore.point import (
    PointError,
    check_in_window,
    check_statement_age,
    iso,
    window,
)
from jobs.restore.session import Session, SnowflakeError
from jobs.restore.writers import PAUSE_HOW, LiveSpecs, shards_disabled

NOT_AVAILABLE = "Time travel data is not available"  # the error quoted in docs/restore.md


def _run(session: Session, check: str, statement: Any) -> list[dict[str, Any]]:
    try:
        return session.run(check, statement).rows
    except SnowflakeError as err:
        raise CouldNotCheck(check, f"Snowflake answered: {err.message}") from None


def _exact(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """SHOW TABLES LIKE treats `_` and `%` as wildcards: keep the row with exactly this name."""
    return next((r for r in rows if str(r.get("name")) == name), None)


def _aware(value: Any, check: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    raise CouldNotCheck(
        check, f"Snowflake returned {type(value).__name__} where a time was expected"
    )


def planned(plan: Plan) -> list[tuple[str, Any]]:
    """The statements a real run sends, in order, for the dry run to print."""
    t, target = plan.table, plan.target
    src, dst = t.qualified(), t.qualified(target)
    steps: list[tuple[str, Any]] = [
        ("session", sql.session_facts()),
        ("exists", sql.show_tables(t.database, t.schema, t.name)),
    ]
    if plan.point.statement is not None:
        steps.append(("point-in-time", sql.statement_started(plan.point.statement)))
    steps += [
        ("target-free", sql.show_tables(t.database, t.schema, target)),
        ("clone", sql.clone_at(dst, src, plan.point)),
        ("verify-rows", sql.count_rows(src, plan.point)),
        ("verify-rows", sql.count_rows(dst)),
        ("verify-grants", sql.table_privileges(*dst)),
    ]
    for role, privileges in sorted(_by_role(t.grants).items()):
        steps.append(("verify-grants", sql.grant(privileges, dst, role)))
    if t.change_tracking:
        steps.append(("verify-change-tracking", sql.set_change_tracking(dst)))
    if plan.swap:
        steps.append(("swap", sql.swap(src, dst)))
    return steps


def _by_role(grants: frozenset[tuple[str, str]]) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}
    for privilege, role in grants:
        roles.setdefault(role, set()).add(privilege)
    return roles


def run_live(
    plan: Plan,
    session: Session,
    report: RestoreReport,
    now: datetime,
    estuary: LiveSpecs | None,
) -> None:
    t, target = plan.table, plan.target
    src, dst = t.qualified(), t.qualified(target)
    facts = _run(session, "session", sql.session_facts())
    role = str(facts[0].get("ROLE")) if facts else ""

    # exists
    row = _exact(_run(session, "exists", sql.show_tables(t.database, t.schema, t.name)), t.name)
    if row is None:
        history = _exact(
            _run(session, "exists", sql.show_tables(t.database, t.schema, t.name, history=True)),
            t.name,
        )
        hint = ""
        if history is not None and history.get("dropped_on"):
            hint = (
                f"; it was dropped at {history['dropped_on']}: UNDROP TABLE restores it under its "
                "old name (docs/restore.md, 'A dropped table'), this job does not run it"
            )
        raise CheckRefused("exists", f"{'.'.join(src)} does not exist{hint}")
    report.line("exists", "passed", f"{'.'.join(src)} (owner {row.get('owner')})")

    # point-in-time (the statement's own time) and retention
    moment = plan.point.at
    if plan.point.statement is not None:
        started = _run(session, "point-in-time", sql.statement_started(plan.point.statement))
        if not started:
            raise CouldNotCheck(
                "point-in-time",
                f"statement {plan.point.statement} is not in SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY "
                "(up to 45 minutes late, or the role cannot see it); use --at with its time",
            )
        moment = _aware(started[0].get("START_TIME"), "point-in-time")
        try:
            check_statement_age(plan.point.statement, moment, now)
        except PointError as err:
            raise CheckRefused("point-in-time", str(err)) from None
        report.line("point-in-time", "passed", f"statement ran at {iso(moment.astimezone(UTC))}")
    created = _aware(row.get("created_on"), "retention")
    retention = int(row.get("retention_time") or 0)
    win = window(created, retention, now)
    assert moment is not None
    try:
        check_in_window(moment, win)
    except PointError as err:
        raise CheckRefused("retention", str(err)) from None
    report.line("retention", "passed", f"{iso(moment.astimezone(UTC))} is inside {win.explain()}")
    if t.retention_days is not None and retention != t.retention_days:
        report.notes.append(
            f"live retention_time is {retention} day(s); the stack declares {t.retention_days}: "
            "run python -m jobs.drift"
        )

    # target-free
    if _exact(_run(session, "target-free", sql.show_tables(t.database, t.schema, target)), target):
        raise CheckRefused(
            "target-free", f"{'.'.join(dst)} already exists; pick another name with --to"
        )
    report.line("target-free", "passed", f"{'.'.join(dst)} does not exist")

    # role
    owner = str(row.get("owner"))
    if role != owner:
        raise CheckRefused(
            "role",
            f"the session's role {role} does not own {'.'.join(src)} (owner {owner}); the swap "
            "needs ownership of both tables and the program's own role is the owner",
        )
    report.line("role", "passed", f"{role} owns the table")

    _writers(plan, report, estuary)
    _clone_and_verify(plan, session, report, src, dst)
    if plan.swap:
        _run(session, "swap", sql.swap(src, dst))
        report.line(
            "swap",
            "passed",
            f"{'.'.join(src)} now holds the restored data; the data it held is under "
            f"{'.'.join(dst)} (run the same statement again to undo)",
        )


def _writers(plan: Plan, report: RestoreReport, estuary: LiveSpecs | None) -> None:
    writer = plan.table.writer
    if writer is None:
        report.line(
            "writers-paused",
            "passed",
            "no Estuary materialization writes this table (other writers, such as the API for "
            "USER_SESSIONS, keep writing to the live table: docs/restore.md)",
        )
        return
    if estuary is None:
        raise CouldNotCheck(
            "writers-paused",
            f"{writer} writes this table, and without FLOW_AUTH_TOKEN and ESTUARY_ANON_KEY its "
            "live state cannot be read",
        )
    try:
        disabled = shards_disabled(estuary, writer)
    except Exception as err:  # the client's errors are scrubbed (components/estuary/errors.py)
        raise CouldNotCheck("writers-paused", f"reading {writer}: {err}") from None
    if disabled is None:
        raise CouldNotCheck("writers-paused", f"{writer} has no live spec in Estuary")
    if not disabled:
        raise CheckRefused(
            "writers-paused", f"{writer} is running and writes this table; {PAUSE_HOW}"
        )
    report.line("writers-paused", "passed", f"{writer} is disabled (shards.disable)")


def _clone_and_verify(
    plan: Plan,
    session: Session,
    report: RestoreReport,
    src: tuple[str, str, str],
    dst: tuple[str, str, str],
) -> None:
    t = plan.table
    try:
        session.run("clone", sql.clone_at(dst, src, plan.point))
    except SnowflakeError as err:
        if NOT_AVAILABLE.lower() in err.message.lower():
            raise CheckRefused("retention", f"Snowflake refused the point: {err.message}") from None
        raise CouldNotCheck("clone", f"Snowflake answered: {err.message}") from None
    report.line("clone", "passed", f"created {'.'.join(dst)}")

    def count(rows: list[dict[str, Any]]) -> int:
        return int(next(iter(rows[0].values()))) if rows else -1

    before = count(_run(session, "verify-rows", sql.count_rows(src, plan.point)))
    after = count(_run(session, "verify-rows", sql.count_rows(dst)))
    if before != after:
        raise CheckRefused(
            "verify-rows",
            f"{'.'.join(src)} had {before} rows at the point, the clone has {after}; the clone is "
            "kept for inspection (nothing is dropped)",
        )
    report.line("verify-rows", "passed", f"{after} rows, as the source at the point")

    _verify_grants(t.grants, session, report, dst)
    _verify_change_tracking(t.change_tracking, session, report, dst)


def _privileges(session: Session, dst: tuple[str, str, str]) -> set[tuple[str, str]]:
    rows = _run(session, "verify-grants", sql.table_privileges(*dst))
    return {(str(r.get("PRIVILEGE_TYPE")), str(r.get("GRANTEE"))) for r in rows}


def _verify_grants(
    declared: frozenset[tuple[str, str]],
    session: Session,
    report: RestoreReport,
    dst: tuple[str, str, str],
) -> None:
    missing = set(declared) - _privileges(session, dst)
    for role, privileges in sorted(_by_role(frozenset(missing)).items()):
        _run(session, "verify-grants", sql.grant(privileges, dst, role))
    still = set(declared) - _privileges(session, dst)
    if still:
        shown = ", ".join(f"{p} to {r}" for p, r in sorted(still))
        raise CheckRefused("verify-grants", f"the clone still lacks {shown} after re-granting")
    regranted = f"; re-granted {len(missing)} the clone did not have" if missing else ""
    report.line(
        "verify-grants", "passed", f"{len(declared)} declared grant(s) cover the clone{regranted}"
    )


def _verify_change_tracking(
    declared: bool | None,
    session: Session,
    report: RestoreReport,
    dst: tuple[str, str, str],
) -> None:
    if not declared:
        report.line(
            "verify-change-tracking", "skipped", "the program declares no change tracking here"
        )
        return

    def tracking() -> str:
        rows = _run(session, "verify-change-tracking", sql.show_tables(*dst))
        row = _exact(rows, dst[2])
        return str((row or {}).get("change_tracking", "")).upper()

    state = tracking()
    if state != "ON":
        _run(session, "verify-change-tracking", sql.set_change_tracking(dst))
        state = tracking()
        if state != "ON":
            raise CheckRefused(
                "verify-change-tracking", f"change tracking on the clone is {state or 'unknown'}"
            )
        report.line("verify-change-tracking", "passed", "change tracking re-enabled on the clone")
        return
    report.line("verify-change-tracking", "passed", "the clone kept change tracking")

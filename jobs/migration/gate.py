"""The migration gate: may a stack's row take a value? One function per check, each a Verdict.

    order          one step at a time (a rollback, one step back, is always allowed)
    prod-behind    prod never ahead of staging, in staging's stack file and in what staging ran
    one-row        prod changes one row per update (against prod's last update's config)
    staging-soak   staging has held that value since a successful update at least `soak` ago;
                   any update that changed the row restarts the clock
    staging-drift  a refresh preview of staging shows no drift
    metrics        where Prometheus answers: staging's error ratio and p95 per side of the row
                   over the soak window met the objectives; "no data" refuses

The soak, drift and metrics checks apply to prod moving forward (staging is their evidence);
every check but `order` is skipped for a rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from components.settings.migration import MigrationSettings
from jobs.engine_events.fold import summarize
from jobs.migration.metrics import (
    MetricsUnavailable,
    Objectives,
    PrometheusClient,
    objectives_from_slo,
)
from jobs.migration.rows import (
    MigrationInputError,
    RowValue,
    changed_rows,
    move_problem,
    read_stack_file,
    rows_of_config,
)
from jobs.promote.durations import format_duration, timestamp
from jobs.stack_ops import StackOperationError, StackOperations, UpdateRecord

PROD, STAGING = "prod", "staging"


@dataclass(frozen=True)
class Verdict:
    check: str
    ok: bool | None  # None: not checked (and why is in `detail`)
    detail: str

    def line(self) -> str:
        mark = {True: "ok", False: "REFUSED", None: "skipped"}[self.ok]
        return f"{mark:8} {self.check}: {self.detail}"


class GateUnavailable(Exception):
    """A check could not be made (a stack unreachable, history without config): exit code 2."""


@dataclass(frozen=True)
class Move:
    stack: str
    environment: str | None
    row: str
    current: RowValue
    target: RowValue

    @property
    def is_rollback(self) -> bool:
        return self.target.rank < self.current.rank

    @property
    def forward(self) -> bool:
        return self.target.rank > self.current.rank


def order(move: Move) -> Verdict:
    problem = move_problem(move.row, move.stack, move.environment, move.current, move.target)
    if problem:
        return Verdict("order", False, problem)
    what = "rollback" if move.is_rollback else "step"
    return Verdict("order", True, f"{move.row}: {move.current} -> {move.target} ({what})")


def prod_behind(
    move: Move, staging_declared: RowValue, staging_applied: RowValue | None
) -> Verdict:
    if move.environment != "prod" or not move.forward:
        return Verdict("prod-behind", None, "applies to prod moving forward")
    for where, value in (("declares", staging_declared), ("last ran with", staging_applied)):
        if value is not None and not value.at_least(move.target):
            return Verdict(
                "prod-behind",
                False,
                f"{move.row}: staging {where} {value}; prod may not go to {move.target} before "
                f"staging has (advance staging first)",
            )
    return Verdict("prod-behind", True, f"staging declares and ran {staging_declared}")


def one_row(
    move: Move, applied: Mapping[str, RowValue] | None, after: Mapping[str, RowValue]
) -> Verdict:
    """prod: at most one row differs from what its last update ran with."""
    if move.environment != "prod":
        return Verdict("one-row", None, "applies to prod")
    if applied is None:
        return Verdict("one-row", None, "prod has no update yet to compare with")
    changed = changed_rows(applied, after)
    if len(changed) > 1:
        return Verdict(
            "one-row",
            False,
            f"prod would change {', '.join(changed)} in one update (its last update ran with "
            + ", ".join(f"{r} {applied[r]}" for r in changed)
            + "); one row per prod update: apply the pending change first, or revert it",
        )
    return Verdict("one-row", True, f"prod changes {changed[0] if changed else 'no row'}")


def held_since(history: Sequence[UpdateRecord], row: str) -> tuple[RowValue, datetime, str]:
    """What the newest update ran `row` at, and since when: the end of the oldest update in the
    newest run of updates with that value (any update with another value restarts the clock).
    The newest update must have succeeded."""
    updates = sorted(
        (r for r in history if r.kind == "update"), key=lambda r: r.start_time, reverse=True
    )
    if not updates:
        raise Refusal("staging has never been updated")
    last = updates[0]
    if last.result != "succeeded" or last.end_time is None:
        raise Refusal(
            f"staging's last update (started {timestamp(last.start_time)}) has result "
            f"{last.result!r}; fix and re-run `pulumi up --stack staging` first"
        )
    value = _row_in(last, row)
    since = last.end_time
    for record in updates[1:]:
        if _row_in(record, row) != value:
            break
        if record.result == "succeeded" and record.end_time is not None:
            since = record.end_time
    label = (
        f"update #{last.version}" if last.version else f"the update of {timestamp(last.start_time)}"
    )
    return value, since, label


def _row_in(record: UpdateRecord, row: str) -> RowValue:
    rows = rows_of_config(record.config)
    if rows is None:
        raise GateUnavailable(
            "the stack history carries no config per update (the backend or CLI does not "
            "report it); the soak cannot be measured"
        )
    return rows[row]


class Refusal(Exception):
    """held_since cannot name a value: the stack has no (successful) last update."""


def staging_soak(
    move: Move, history: Sequence[UpdateRecord], soak: timedelta, now: datetime
) -> Verdict:
    if move.environment != "prod" or not move.forward:
        return Verdict("staging-soak", None, "applies to prod moving forward")
    try:
        value, since, label = held_since(history, move.row)
    except Refusal as refused:
        return Verdict("staging-soak", False, str(refused))
    if not value.at_least(move.target):
        return Verdict(
            "staging-soak",
            False,
            f"{move.row}: staging's {label} ran {value}; prod may not go to {move.target} before",
        )
    held = now - since
    if held < soak:
        return Verdict(
            "staging-soak",
            False,
            f"{move.row}: staging has held {value} for {format_duration(held)} (since "
            f"{timestamp(since)}); prod requires {format_duration(soak)} (earliest "
            f"{timestamp(since + soak)})",
        )
    return Verdict(
        "staging-soak",
        True,
        f"{move.row}: staging has held {value} for {format_duration(held)} "
        f">= {format_duration(soak)}",
    )


def staging_drift(move: Move, ops: StackOperations, staging: str = STAGING) -> Verdict:
    if move.environment != "prod" or not move.forward:
        return Verdict("staging-drift", None, "applies to prod moving forward")
    try:
        events = ops.preview_refresh(staging)
    except StackOperationError as error:
        raise GateUnavailable(f"staging-drift: {error.reason}") from None
    drift = summarize(events)
    failure = drift.failure_reason()
    if failure is not None:
        raise GateUnavailable(f"staging-drift: the refresh preview of {staging} failed: {failure}")
    if drift.changes:
        listed = ", ".join(f"{c.name} ({c.type}, {c.op})" for c in drift.changes)
        return Verdict(
            "staging-drift",
            False,
            f"{staging} has drifted: {listed}; run `python -m jobs.drift --stack {staging}`",
        )
    return Verdict("staging-drift", True, f"no drift on {staging}")


def metrics(
    move: Move,
    client: PrometheusClient | None,
    objectives: Objectives,
    window: timedelta,
    namespace: str,
    require: bool,
) -> Verdict:
    if move.environment != "prod" or not move.forward:
        return Verdict("metrics", None, "applies to prod moving forward")
    if client is None:
        return Verdict("metrics", False if require else None, "no Prometheus address for staging")
    try:
        measured = client.per_side(move.row, namespace, window, objectives.quantile)
    except MetricsUnavailable as error:
        return Verdict("metrics", False if require else None, f"Prometheus not reachable: {error}")
    problems, seen = [], []
    for side in ("new", "legacy"):
        ratio, p95 = measured.get(side, (None, None))
        if ratio is None or p95 is None:
            problems.append(
                f"{side}: no data over {format_duration(window)} (a gate never passes on no data)"
            )
            continue
        seen.append(f"{side} errors {ratio:.4%}, p{objectives.quantile * 100:g} {p95:.0f} ms")
        if ratio > objectives.max_error_ratio:
            problems.append(f"{side}: error ratio {ratio:.4%} > {objectives.max_error_ratio:.4%}")
        if p95 > objectives.p95_ms:
            problems.append(
                f"{side}: p{objectives.quantile * 100:g} {p95:.0f} ms > {objectives.p95_ms:g} ms"
            )
    if problems:
        return Verdict("metrics", False, f"{move.row} in staging: " + "; ".join(problems))
    return Verdict("metrics", True, f"{move.row} in staging: " + "; ".join(seen))


def evaluate(
    move: Move,
    *,
    ops: StackOperations | None,
    staging_declared: RowValue,
    prod_after: Mapping[str, RowValue],
    soak: timedelta,
    now: datetime,
    objectives: Objectives,
    prometheus: Callable[[], tuple[PrometheusClient | None, str]] | None = None,
    require_metrics: bool = False,
) -> list[Verdict]:
    """Every check for `move`; with `ops` None only the checks that need no stack access."""
    verdicts = [order(move)]
    if move.is_rollback or not move.forward:
        return verdicts  # a rollback (or a no-op) is always allowed
    needs_history = move.environment == "prod"
    staging_history: Sequence[UpdateRecord] = ()
    prod_applied = None
    staging_applied = None
    if ops is not None and needs_history:
        staging_history = _call(lambda: ops.history(STAGING), STAGING)
        prod_history = _call(lambda: ops.history(PROD), PROD)
        prod_applied = _last_applied(prod_history)
        staging_applied_rows = _last_applied(staging_history)
        staging_applied = staging_applied_rows[move.row] if staging_applied_rows else None
    verdicts.append(prod_behind(move, staging_declared, staging_applied))
    if ops is None:
        return verdicts
    verdicts.append(one_row(move, prod_applied, prod_after))
    verdicts.append(staging_soak(move, staging_history, soak, now))
    verdicts.append(staging_drift(move, ops))
    client, namespace = prometheus() if prometheus is not None else (None, "")
    verdicts.append(metrics(move, client, objectives, soak, namespace, require_metrics))
    return verdicts


def refused(verdicts: Sequence[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.ok is False]


def _last_applied(history: Sequence[UpdateRecord]) -> dict[str, RowValue] | None:
    succeeded = [r for r in history if r.kind == "update" and r.result == "succeeded"]
    if not succeeded:
        return None
    try:
        return rows_of_config(max(succeeded, key=lambda r: r.start_time).config)
    except MigrationInputError as error:
        raise GateUnavailable(str(error)) from None


def _call(operation: Callable[[], Any], stack: str) -> Any:
    try:
        return operation()
    except StackOperationError as error:
        raise GateUnavailable(f"stack {stack}: {error.reason}") from None


def pending(
    ops: StackOperations,
    repo_root: Path,
    target: str,
    now: datetime,
    objectives: Objectives | None = None,
) -> list[Verdict]:
    """The gate over every row the target's stack file changes against what the target's last
    update ran with (the promotion gate `migration`, jobs/promote). Empty when the stack file
    declares no migration block or the target has no update yet."""
    target_file = read_stack_file(repo_root, target)
    if target_file.raw_migration is None:
        return []
    applied = _last_applied(_call(lambda: ops.history(target), target))
    if applied is None:
        return []
    after = target_file.rows
    staging = read_stack_file(repo_root, STAGING).rows if target != STAGING else after
    soak = timedelta(
        seconds=MigrationSettings.model_validate(target_file.raw_migration).soak_seconds()
    )
    verdicts: list[Verdict] = []
    for row in changed_rows(applied, after):
        move = Move(target, target_file.environment, row, applied[row], after[row])
        verdicts += evaluate(
            move, ops=ops, staging_declared=staging[row], prod_after=after, soak=soak, now=now,
            objectives=objectives or objectives_from_slo(target_file.raw_slo),
        )  # fmt: skip
    return verdicts

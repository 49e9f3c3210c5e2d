"""`advance`: move one row of one stack one step (or back), after the gate; write the stack file.

What it writes is what `pulumi config set --path 'migration.components.<row>.state' ...` would:
the row's line in `Pulumi.<stack>.yaml` and nothing else (jobs/stack_file.py verifies that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.settings.migration import (
    CREDENTIAL_KEYS,
    LEGACY_DECLARED,
    STATES,
    MigrationSettings,
)
from jobs.migration.gate import Move, Verdict, evaluate, refused
from jobs.migration.metrics import Objectives, PrometheusClient, objectives_from_slo
from jobs.migration.rows import (
    PROJECT,
    MigrationInputError,
    RowValue,
    StackFile,
    next_state,
    read_stack_file,
    rows_of,
)
from jobs.stack_file import StackFileError, file_diff, set_migration_row
from jobs.stack_ops import StackOperations


@dataclass
class AdvanceResult:
    stack: str
    row: str
    current: RowValue
    target: RowValue
    path: Path
    old_text: str
    new_text: str
    verdicts: list[Verdict] = field(default_factory=list)
    written: bool = False

    @property
    def refused(self) -> list[Verdict]:
        return refused(self.verdicts)

    def diff(self) -> str:
        return file_diff(self.path.name, self.old_text, self.new_text)

    def markdown(self) -> str:
        verdict = (
            "REFUSED" if self.refused else ("written" if self.written else "allowed (dry run)")
        )
        lines = [
            f"### Migration: {self.row} in {self.stack}: "
            f"{self.current} -> {self.target}: {verdict}",
            "",
            *[f"- {v.line()}" for v in self.verdicts],
            "",
            f"Change to `{self.path.name}`:",
            "",
            "```diff",
            self.diff().rstrip("\n"),
            "```",
        ]
        return "\n".join(lines) + "\n"


def target_value(
    stack_file: StackFile, row: str, to: str | None, share: int | None
) -> tuple[RowValue, dict[str, Any]]:
    """The row's new value and its new raw mapping (the legacy endpoint kept)."""
    components = (stack_file.raw_migration or {}).get("components") or {}
    raw = dict(components.get(row) or {})
    current = stack_file.rows[row]
    state = to
    if state is None:
        if share is not None and current.state in ("not-started", "parallel"):
            state = "parallel"
        else:
            state = next_state(current.state, stack_file.environment)
            if state is None:
                raise MigrationInputError(f"{row} in {stack_file.stack} is already retired")
    if state not in STATES:
        raise MigrationInputError(f"--to {state!r}: allowed: {', '.join(STATES)}")
    if state == "parallel":
        if share is None:
            if current.state != "parallel":
                raise MigrationInputError(
                    f"{row} in {stack_file.stack}: going parallel needs --share N (percent on "
                    "the new side, 1..99)"
                )
            share = current.share
        raw["newShare"] = share
    elif share is not None:
        raise MigrationInputError(f"--share applies only to parallel, not to {state}")
    else:
        raw.pop("newShare", None)
    head = {"state": state, **({"newShare": raw["newShare"]} if "newShare" in raw else {})}
    raw = {**head, **{k: v for k, v in raw.items() if k not in ("state", "newShare")}}
    try:
        MigrationSettings.model_validate({"components": {row: raw}}, strict=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][2:]) or row}: "
            + e["msg"].removeprefix("Value error, ")
            for e in error.errors(include_url=False)
        )
        raise MigrationInputError(f"{row} in {stack_file.stack}: {problems}") from None
    value = rows_of({"components": {row: raw}})[row]
    return value, raw


def credential_verdict(stack_file: StackFile, row: str, target: RowValue, text: str) -> Verdict:
    """The stack file must hold the legacy credential exactly while the row needs it."""
    key = CREDENTIAL_KEYS.get(row)
    if key is None:
        return Verdict("credential", None, f"{row} needs no legacy credential")
    present = f"{PROJECT}:{key}:" in text
    stack = stack_file.stack
    if target.state in LEGACY_DECLARED and not present:
        return Verdict(
            "credential",
            False,
            f"{row} {target} needs {key}; set it first with `pulumi config set --secret {key} "
            f"<value> --stack {stack}`",
        )
    if target.state == "retired" and present:
        return Verdict(
            "credential",
            False,
            f"{row} retired must not keep {key}; remove it with `pulumi config rm {key} --stack "
            f"{stack}` (and rotate it at the legacy system)",
        )
    return Verdict("credential", True, f"{key} {'set' if present else 'absent'} as {target} needs")


def advance(
    ops: StackOperations | None,
    *,
    repo_root: Path,
    stack: str,
    row: str,
    to: str | None = None,
    share: int | None = None,
    dry_run: bool = False,
    now: datetime,
    objectives: Objectives | None = None,
    prometheus_address: str | None = None,
    require_metrics: bool = False,
    log: Callable[[str], None] = lambda _m: None,
) -> AdvanceResult:
    target_file = read_stack_file(repo_root, stack)
    staging_file = read_stack_file(repo_root, "staging") if stack != "staging" else target_file
    current = target_file.rows[row]
    target, raw = target_value(target_file, row, to, share)
    old_text = target_file.path.read_bytes().decode("utf-8")
    try:
        new_text = set_migration_row(old_text, row, raw)
    except StackFileError as error:
        raise MigrationInputError(f"{target_file.path.name}: {error}") from None
    migration = (
        MigrationSettings.model_validate(target_file.raw_migration or {}, strict=True)
        if target_file.raw_migration
        else MigrationSettings()
    )
    after = rows_of(_with_row(target_file.raw_migration, row, raw))

    def prometheus() -> tuple[PrometheusClient | None, str]:
        kubernetes = dict(staging_file.kubernetes or {})
        address = prometheus_address or kubernetes.get("prometheusAddress")
        return (PrometheusClient(address) if address else None), kubernetes.get("namespace", "")

    move = Move(stack, target_file.environment, row, current, target)
    verdicts = evaluate(
        move,
        ops=ops,
        staging_declared=staging_file.rows[row],
        prod_after=after,
        soak=timedelta(seconds=migration.soak_seconds()),
        now=now,
        objectives=objectives or objectives_from_slo(target_file.raw_slo),
        prometheus=prometheus,
        require_metrics=require_metrics,
    )
    verdicts.append(credential_verdict(target_file, row, target, old_text))
    for verdict in verdicts:
        log(verdict.line())
    result = AdvanceResult(stack, row, current, target, target_file.path, old_text, new_text,
                           verdicts)  # fmt: skip
    if not result.refused and not dry_run:
        target_file.path.write_bytes(new_text.encode("utf-8"))
        result.written = True
    return result


def _with_row(raw_migration: Any, row: str, raw_row: dict[str, Any]) -> dict[str, Any]:
    migration = dict(raw_migration or {})
    components = dict(migration.get("components") or {})
    components[row] = raw_row
    migration["components"] = components
    return migration

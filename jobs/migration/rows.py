"""A row's value (state and share), read from wherever a stack says it: the stack file, the
config of an update in the history, the `migration` stack output; and the allowed moves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.settings.migration import NO_PARALLEL_ENVIRONMENTS, ROWS, STATES, raw_rows
from components.yaml_files import YamlFileError, load_yaml_file

PROJECT = "sophia-infra"
MIGRATION_KEY = f"{PROJECT}:migration"
ENVIRONMENT_KEY = f"{PROJECT}:environment"


class MigrationInputError(Exception):
    """A stack file, an option or a stack's answer is unusable (exit code 2)."""


@dataclass(frozen=True, order=False)
class RowValue:
    state: str
    share: int  # percent on the new side: 0 not-started, newShare parallel, 100 after

    def __str__(self) -> str:
        return f"parallel {self.share}%" if self.state == "parallel" else self.state

    @property
    def rank(self) -> tuple[int, int]:
        return STATES.index(self.state), self.share

    def at_least(self, other: RowValue) -> bool:
        return self.rank >= other.rank


NOT_STARTED = RowValue("not-started", 0)


def rows_of(raw_migration: Any) -> dict[str, RowValue]:
    """Every row's value from a raw `migration` config value (a missing row is not-started)."""
    read = raw_rows(raw_migration if isinstance(raw_migration, Mapping) else {})
    return {name: RowValue(*read[name]) if name in read else NOT_STARTED for name in ROWS}


def rows_of_config(config: Mapping[str, str] | None) -> dict[str, RowValue] | None:
    """From an update's config (values as the CLI hands them: objects as JSON text); None when
    the update ran without the key (before the migration existed: every row not-started)."""
    if config is None:
        return None
    text = config.get(MIGRATION_KEY)
    if text is None:
        return dict.fromkeys(ROWS, NOT_STARTED)
    try:
        value = json.loads(text)
    except ValueError:
        raise MigrationInputError(f"{MIGRATION_KEY} in the update's config is not JSON") from None
    return rows_of(value)


def rows_of_output(output: Any) -> dict[str, RowValue] | None:
    """From the plain `migration` stack output (wiring.migration_export)."""
    if not isinstance(output, Mapping) or not isinstance(output.get("rows"), Mapping):
        return None
    rows = {}
    for name in ROWS:
        row = output["rows"].get(name)
        if not isinstance(row, Mapping) or row.get("state") not in STATES:
            return None
        rows[name] = RowValue(str(row["state"]), int(row.get("share", 0)))
    return rows


@dataclass(frozen=True)
class StackFile:
    stack: str
    path: Path
    environment: str | None
    raw_migration: Any
    kubernetes: Mapping[str, Any] | None = None
    raw_slo: Any = None

    @property
    def rows(self) -> dict[str, RowValue]:
        return rows_of(self.raw_migration)


def read_stack_file(repo_root: Path, stack: str) -> StackFile:
    path = repo_root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise MigrationInputError(f"no stack file {path.name} in {repo_root}")
    try:
        doc = load_yaml_file(path)
    except YamlFileError as error:
        raise MigrationInputError(str(error)) from None
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        raise MigrationInputError(f"{path.name}: no `config:` mapping")
    environment = config.get(ENVIRONMENT_KEY)
    kubernetes = config.get(f"{PROJECT}:kubernetes")
    return StackFile(
        stack,
        path,
        environment if isinstance(environment, str) else None,
        config.get(MIGRATION_KEY),
        kubernetes if isinstance(kubernetes, Mapping) else None,
        config.get(f"{PROJECT}:slo"),
    )


def next_state(current: str, environment: str | None) -> str | None:
    """The one state after `current` (dev skips parallel: it never runs both sides)."""
    index = STATES.index(current)
    if index + 1 >= len(STATES):
        return None
    following = STATES[index + 1]
    if following == "parallel" and environment in NO_PARALLEL_ENVIRONMENTS:
        return STATES[index + 2]
    return following


def previous_state(current: str, environment: str | None) -> str | None:
    index = STATES.index(current)
    if index == 0:
        return None
    before = STATES[index - 1]
    if before == "parallel" and environment in NO_PARALLEL_ENVIRONMENTS:
        return STATES[index - 2]
    return before


def move_problem(
    row: str, stack: str, environment: str | None, current: RowValue, target: RowValue
) -> str | None:
    """None when `current -> target` is one allowed step; else what is allowed instead."""
    if target.state == "parallel" and environment in NO_PARALLEL_ENVIRONMENTS:
        return (
            f"{row} in {stack}: {environment} never runs parallel (the plan's parallel_run: "
            f"false); allowed from {current}: "
            + ", ".join(s for s in _neighbours(current.state, environment))
        )
    if target.state == current.state:
        return None  # a share change within parallel (or no change)
    allowed = _neighbours(current.state, environment)
    if target.state not in allowed:
        return (
            f"{row} in {stack}: {current} -> {target} jumps over a state; one step at a time, "
            f"allowed from {current.state}: {', '.join(allowed) or 'nothing'}"
        )
    return None


def _neighbours(state: str, environment: str | None) -> list[str]:
    return [
        s
        for s in (next_state(state, environment), previous_state(state, environment))
        if s is not None
    ]


def changed_rows(before: Mapping[str, RowValue], after: Mapping[str, RowValue]) -> list[str]:
    return [name for name in ROWS if before.get(name, NOT_STARTED) != after.get(name, NOT_STARTED)]

"""`status`: the tracker, built from each stack's real state, never from a hand-kept table.

Per stack: the declared rows (the stack file), what the last update ran with (the `migration`
stack output and the config of each update in the history: since when each row holds its value),
drift (a refresh preview), and, where a cluster answers, the live HTTPRoute's weights. Declared
and observed disagree when the stack file differs from what the last update ran, the last update
failed, the stack has drifted, or the live legacy weight is not the declared one.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from components.settings.migration import ROW_TITLES, ROWS, MigrationSettings
from jobs.engine_events.fold import summarize
from jobs.migration.gate import (
    GateUnavailable,
    Move,
    Refusal,
    Verdict,
    held_since,
    staging_soak,
)
from jobs.migration.rows import RowValue, read_stack_file, rows_of_output
from jobs.promote.durations import format_duration
from jobs.stack_ops import StackOperationError, StackOperations

ROUTE_NAME = "sophia-api"  # the ApiService's workload name (__main__.py, components/k8s/names.py)
LiveRoute = Callable[[str, str], Mapping[str, Any] | None]


@dataclass
class StackStatus:
    stack: str
    declared: dict[str, RowValue]
    applied: dict[str, RowValue] | None = None
    since: dict[str, str] = field(default_factory=dict)
    last_update: str | None = None
    drift: list[str] = field(default_factory=list)
    live_legacy_weight: int | None = None
    declared_legacy_weight: int | None = None
    problems: list[str] = field(default_factory=list)
    unreachable: str | None = None

    def cell(self, row: str, now: datetime) -> str:
        if self.unreachable:
            return "unreachable"
        declared = self.declared[row]
        applied = (self.applied or {}).get(row)
        text = str(applied if applied is not None else declared)
        if row in self.since:
            since = datetime.fromisoformat(self.since[row])
            text += f" since {since:%Y-%m-%d} ({format_duration(now - since)})"
        if applied is None:
            text += " (never applied)"
        elif applied != declared:
            text += f" (declared {declared}: not applied)"
        return text


def observe(
    ops: StackOperations, stack: str, repo_root: Path, live_route: LiveRoute | None
) -> StackStatus:
    stack_file = read_stack_file(repo_root, stack)
    declared = stack_file.rows
    status = StackStatus(stack, declared)
    try:
        outputs = ops.outputs(stack)
        history = ops.history(stack)
        drift_events = ops.preview_refresh(stack)
    except StackOperationError as error:
        status.unreachable = error.reason
        status.problems.append(f"{stack}: cannot be read: {error.reason}")
        return status
    output = outputs.get("migration")
    status.applied = rows_of_output(output.value if output is not None else None)
    updates = [r for r in history if r.kind == "update"]
    if updates:
        last = max(updates, key=lambda r: r.start_time)
        status.last_update = f"{last.result} at {last.start_time:%Y-%m-%dT%H:%MZ}"
        if last.result != "succeeded":
            status.problems.append(f"{stack}: the last update has result {last.result!r}")
        for row in ROWS:
            try:
                _, since, _ = held_since(history, row)
                status.since[row] = since.isoformat()
            except (GateUnavailable, Refusal):  # no successful update or no config: no since
                continue
    if status.applied is None:
        status.problems.append(f"{stack}: no `migration` output (never updated with this program)")
    else:
        for row in ROWS:
            if status.applied[row] != declared[row]:
                status.problems.append(
                    f"{stack}: {row} declared {declared[row]} but the last update ran "
                    f"{status.applied[row]}"
                )
    outcome = summarize(drift_events)
    status.drift = [f"{c.name} ({c.type}, {c.op})" for c in outcome.changes]
    if status.drift:
        status.problems.append(f"{stack}: drifted: {', '.join(status.drift)}")
    route = (output.value or {}).get("legacyRoute") if output is not None else None
    status.declared_legacy_weight = route.get("weight") if isinstance(route, Mapping) else None
    if live_route is not None and isinstance(route, Mapping):
        namespace = str((stack_file.kubernetes or {}).get("namespace", ""))
        _compare_live(status, live_route, route, namespace)
    return status


def _compare_live(
    status: StackStatus, live_route: LiveRoute, route: Mapping[str, Any], namespace: str
) -> None:
    live = live_route(namespace, ROUTE_NAME)
    if live is None:
        return  # no cluster reachable: nothing observed
    rules = ((live.get("spec") or {}).get("rules")) or []
    refs = rules[0].get("backendRefs", []) if rules else []
    legacy = [r for r in refs if r.get("name") == route.get("service")]
    status.live_legacy_weight = legacy[0].get("weight", 1) if legacy else None
    if status.live_legacy_weight != route.get("weight"):
        status.problems.append(
            f"{status.stack}: the live route's legacy weight is {status.live_legacy_weight}, "
            f"declared {route.get('weight')}"
        )


def kubectl_route(namespace: str, name: str) -> Mapping[str, Any] | None:
    """The live HTTPRoute, or None when no cluster answers (kubectl missing or unreachable)."""
    try:
        done = subprocess.run(
            ["kubectl", "get", "httproute", name, "-n", namespace, "-o", "json"],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        return json.loads(done.stdout)
    except ValueError:
        return None


@dataclass
class Tracker:
    stacks: list[StackStatus]
    gate: dict[str, list[Verdict]]
    now: datetime

    @property
    def problems(self) -> list[str]:
        return [p for s in self.stacks for p in s.problems]

    def markdown(self) -> str:
        names = [s.stack for s in self.stacks]
        head = ["component", "current (legacy)", "target", *names, "gate (prod)"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in ROWS:
            title, legacy, target = ROW_TITLES[row]
            cells = [s.cell(row, self.now) for s in self.stacks]
            gate = "; ".join(" ".join(v.line().split()) for v in self.gate.get(row, []))
            lines.append("| " + " | ".join([title, legacy, target, *cells, gate or "-"]) + " |")
        if self.problems:
            lines += ["", "Declared and observed disagree:", ""]
            lines += [f"- {p}" for p in self.problems]
        else:
            lines += ["", "Every stack runs what it declares."]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(
            {
                "generatedAt": self.now.isoformat(),
                "stacks": {
                    s.stack: {
                        "declared": {r: str(v) for r, v in s.declared.items()},
                        "applied": None
                        if s.applied is None
                        else {r: str(v) for r, v in s.applied.items()},
                        "since": s.since,
                        "lastUpdate": s.last_update,
                        "drift": s.drift,
                        "legacyWeight": {
                            "declared": s.declared_legacy_weight,
                            "live": s.live_legacy_weight,
                        },
                        "unreachable": s.unreachable,
                    }
                    for s in self.stacks
                },
                "gate": {r: [v.__dict__ for v in vs] for r, vs in self.gate.items()},
                "problems": self.problems,
            },
            indent=2,
        )


def build(
    ops: StackOperations,
    stacks: Sequence[str],
    repo_root: Path,
    now: datetime,
    live_route: LiveRoute | None = kubectl_route,
) -> Tracker:
    statuses = [observe(ops, stack, repo_root, live_route) for stack in stacks]
    by_name = {s.stack: s for s in statuses}
    gate: dict[str, list[Verdict]] = {}
    staging, prod = by_name.get("staging"), by_name.get("prod")
    if staging and prod and staging.applied and prod.applied and not staging.unreachable:
        prod_file = read_stack_file(repo_root, "prod")
        soak = timedelta(
            seconds=MigrationSettings.model_validate(prod_file.raw_migration or {}).soak_seconds()
        )
        history = ops.history("staging")
        for row in ROWS:
            if staging.applied[row].rank <= prod.applied[row].rank:
                gate[row] = [Verdict("prod", True, "prod has what staging has")]
                continue
            move = Move("prod", "prod", row, prod.applied[row], staging.applied[row])
            try:
                gate[row] = [staging_soak(move, history, soak, now)]
            except GateUnavailable as error:
                gate[row] = [Verdict("staging-soak", None, str(error))]
            if staging.drift:
                gate[row].append(Verdict("staging-drift", False, "staging has drifted"))
    return Tracker(statuses, gate, now)

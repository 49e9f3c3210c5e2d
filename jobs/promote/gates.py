"""The promotion gates, one function each, and the apply with its release-verify.

A gate raises GateRefused (it said no) or PromotionFailed (it could not be checked); the ones
that pass return what the log and the summary say about them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from jobs.engine_events.fold import summarize
from jobs.engine_events.outcome import destructive_changes, is_named
from jobs.migration import gate as migration_gate
from jobs.migration.rows import MigrationInputError
from jobs.promote.durations import format_duration, timestamp
from jobs.promote.files import RELEASE_CONFIG_FIELDS
from jobs.promote.outcome import GateRefused, PromotionFailed
from jobs.stack_ops import StackOperationError, StackOperations, UpdateRecord

STAGES = ("dev", "staging", "prod")
ENVIRONMENT_KEY = "sophia-infra:environment"
DEFAULT_MIN_SOAK = {"staging": timedelta(hours=1), "prod": timedelta(hours=24)}
DESTRUCTIVE_GATED_TARGETS = frozenset({"prod"})
RELEASE_OUTPUT = "release"

_DIGEST_PINNED = re.compile(r"^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$")


def stage_of(repo_root: Path, stack: str) -> str:
    """A stack's stage: its `sophia-infra:environment` (the stack `dev`, `staging` or `prod`
    without one is its own stage), so any two stacks promote by stage, not by name."""
    path = repo_root / f"Pulumi.{stack}.yaml"
    environment: Any = None
    if path.is_file():
        try:  # plain PyYAML, as jobs/stack_file.py: jobs/promote stays out of components
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
            raise PromotionFailed("stage-order", f"{path.name}: {error}") from None
        config = doc.get("config") if isinstance(doc, dict) else None
        environment = config.get(ENVIRONMENT_KEY) if isinstance(config, dict) else None
    if environment in STAGES:
        return str(environment)
    if environment is None and stack in STAGES:
        return stack
    raise GateRefused(
        "stage-order",
        f"stack {stack} has no stage: {ENVIRONMENT_KEY} in Pulumi.{stack}.yaml is "
        f"{environment!r}; allowed: {', '.join(STAGES)}",
    )


def stage_order(
    source: str, target: str, source_stage: str | None = None, target_stage: str | None = None
) -> None:
    """The target's stage is the source's next one, or the same stage in another stack."""
    source_stage, target_stage = source_stage or source, target_stage or target
    if source_stage not in STAGES or target_stage not in STAGES:
        raise GateRefused(
            "stage-order", f"stages are {' -> '.join(STAGES)}; got {source} -> {target}"
        )
    src, dst = STAGES.index(source_stage), STAGES.index(target_stage)
    if dst == src + 1 or (dst == src and source != target):
        return
    moving = f"{_named(source, source_stage)} -> {_named(target, target_stage)}"
    if dst > src + 1:
        skipped = ", ".join(STAGES[src + 1 : dst])
        reason = f"{moving} skips {skipped}; promote in order {' -> '.join(STAGES)}"
    else:
        reason = f"{moving} does not move up; promote in order {' -> '.join(STAGES)}"
    raise GateRefused("stage-order", reason)


def _named(stack: str, stage: str) -> str:
    return stack if stack == stage else f"{stack} ({stage})"


def source_last_update(ops: StackOperations, source: str) -> tuple[UpdateRecord, str]:
    """The source's most recent update, which must have succeeded, and how messages name it."""
    history = _call("source-last-update", lambda: ops.history(source))
    updates = [r for r in history if r.kind == "update"]
    if not updates:
        raise GateRefused("source-last-update", f"stack {source} has never been updated")
    last = max(updates, key=lambda r: r.start_time)
    # Pulumi Cloud numbers updates; a DIY (file://, s3://) backend has no numbers.
    label = (
        f"update #{last.version}" if last.version else f"the update of {timestamp(last.start_time)}"
    )
    if last.result != "succeeded" or last.end_time is None:
        raise GateRefused(
            "source-last-update",
            f"{label} of {source} (started {timestamp(last.start_time)}) has result "
            f"{last.result!r}; fix and re-run `pulumi up --stack {source}` first",
        )
    return last, label


def source_soak(
    source: str,
    target: str,
    last: UpdateRecord,
    label: str,
    now: datetime,
    min_soak: timedelta | None,
    target_stage: str | None = None,
) -> str:
    stage = target_stage or target
    required = min_soak if min_soak is not None else DEFAULT_MIN_SOAK.get(stage, timedelta(0))
    soaked = now - last.end_time
    if soaked < required:
        raise GateRefused(
            "source-soak",
            f"{source} has soaked {format_duration(soaked)} since {label} finished at "
            f"{timestamp(last.end_time)}; {target} requires {format_duration(required)} "
            f"(earliest promotion {timestamp(last.end_time + required)}; override with --min-soak)",
        )
    return f"soaked {format_duration(soaked)} >= {format_duration(required)}"


def source_drift(ops: StackOperations, source: str) -> None:
    events = _call("source-drift", lambda: ops.preview_refresh(source))
    drift = summarize(events)
    failure = drift.failure_reason()
    if failure is not None:
        raise PromotionFailed("source-drift", f"the refresh preview of {source} failed: {failure}")
    if drift.changes:
        listed = ", ".join(f"{c.name} ({c.type}, {c.op})" for c in drift.changes)
        raise GateRefused(
            "source-drift",
            f"{source} has drifted: {listed}; "
            f"run `python -m jobs.drift --stack {source}` for details",
        )


def source_release(ops: StackOperations, source: str) -> dict[str, Any]:
    outputs = _call("source-release", lambda: ops.outputs(source))
    output = outputs.get(RELEASE_OUTPUT)
    if output is None:
        raise GateRefused("source-release", f"stack {source} has no `{RELEASE_OUTPUT}` output")
    if output.secret:
        raise GateRefused(
            "source-release",
            f"the `{RELEASE_OUTPUT}` output of {source} is secret; it must be plain",
        )
    release = output.value
    if not isinstance(release, dict):
        raise GateRefused(
            "source-release", f"`{RELEASE_OUTPUT}` of {source} is not an object: {release!r}"
        )
    image = release.get("apiImage")
    if not isinstance(image, str) or not _DIGEST_PINNED.match(image):
        raise GateRefused(
            "source-release",
            f"`{RELEASE_OUTPUT}.apiImage` of {source} is {image!r}; expected a digest-pinned image "
            "like registry/repo@sha256:<64 hex>",
        )
    return dict(release)


def target_policy_preview(
    ops: StackOperations, target: str, policy_dir: str, policy_config: str, config_file: str
) -> Any:
    gate = "target-policy-preview"
    try:
        events = ops.preview(
            target,
            policy_packs=[policy_dir],
            policy_pack_configs=[policy_config],
            config_file=config_file,
        )
    except StackOperationError as err:
        if not err.events:  # the engine never started: unreachable, undecryptable, ...
            raise PromotionFailed(gate, err.reason) from None
        outcome = summarize(err.events)
        raise GateRefused(gate, _preview_problems(target, outcome) or err.reason) from None
    outcome = summarize(events)
    problems = _preview_problems(target, outcome)
    if problems:
        raise GateRefused(gate, problems)
    return outcome


def _preview_problems(target: str, outcome: Any) -> str | None:
    problems = [f"mandatory policy {v.describe()}" for v in outcome.mandatory_violations]
    failure = outcome.failure_reason()
    if failure:
        problems.append(failure)
    if not problems:
        return None
    return f"the {target} preview with the new release failed: " + "; ".join(problems)


def destructive_change(
    target: str,
    changes: Iterable[Any],
    allowed: set[str],
    notes: list[str],
    target_stage: str | None = None,
) -> str | None:
    """Refuse an unnamed destructive change in a gated target; elsewhere only note them.

    Returns what the passed gate says, or None where the target is not gated."""
    dangerous = destructive_changes(changes)
    if (target_stage or target) in DESTRUCTIVE_GATED_TARGETS:
        blocked = [c for c in dangerous if not is_named(c, allowed)]
        if blocked:
            listed = "; ".join(f"{c.op} {c.type} {c.urn}" for c in blocked)
            raise GateRefused(
                "destructive-change",
                f"the {target} preview would {listed}. These resources hold data (or re-backfill"
                " when replaced). If intended, re-run with --allow-destructive naming each one"
                " (URN or resource name).",
            )
        for change in dangerous:
            notes.append(f"allowed destructive change: {change.op} {change.urn}")
        unknown = sorted(n for n in allowed if not any(is_named(c, [n]) for c in dangerous))
        if unknown:
            notes.append(f"--allow-destructive names no destructive change: {', '.join(unknown)}")
        return f"{len(dangerous)} destructive change(s), all explicitly allowed"
    if dangerous:
        notes.append(
            "destructive changes (gated only for "
            + ", ".join(sorted(DESTRUCTIVE_GATED_TARGETS))
            + "): "
            + "; ".join(f"{c.op} {c.urn}" for c in dangerous)
        )
    return None


def apply_release(
    ops: StackOperations,
    target: str,
    policy_dir: str,
    policy_config: str,
    release: dict[str, Any],
) -> list[str]:
    """`up` on the target with the policy pack, then release-verify; returns the notes."""
    events = _call(
        "apply",
        lambda: ops.up(
            target,
            policy_packs=[policy_dir],
            policy_pack_configs=[policy_config],
        ),
    )
    applied = summarize(events)
    if applied.errors:
        raise PromotionFailed("apply", f"`up` on {target} reported: {'; '.join(applied.errors)}")
    return _verify_release(ops, target, release)


def _verify_release(ops: StackOperations, target: str, release: dict[str, Any]) -> list[str]:
    """The promoted fields (apiImage) must now be the target's; the other release fields are
    versions of what each stack declares (its own Portkey config, its agent models), so a
    difference there is reported, not a failure (found on two real stacks, tests/engine)."""
    outputs = _call("release-verify", lambda: ops.outputs(target))
    output = outputs.get(RELEASE_OUTPUT)
    actual = output.value if output is not None and isinstance(output.value, dict) else {}
    mismatched = [
        f"{k}: promoted {v!r}, {target} has {actual.get(k)!r}"
        for k, v in sorted(release.items())
        if k in RELEASE_CONFIG_FIELDS and actual.get(k) != v
    ]
    if mismatched:
        raise PromotionFailed(
            "release-verify",
            f"`up` on {target} succeeded but its release differs from the promoted one: "
            + "; ".join(mismatched),
        )
    return [
        f"release {k} differs (declared per stack): source {v!r}, {target} {actual.get(k)!r}"
        for k, v in sorted(release.items())
        if k not in RELEASE_CONFIG_FIELDS and actual.get(k) != v
    ]


def _call(gate: str, operation: Callable[[], Any]) -> Any:
    try:
        return operation()
    except StackOperationError as err:
        raise PromotionFailed(gate, err.reason) from None


def migration(ops: StackOperations, target: str, repo_root: Path, now: datetime) -> str:
    """The migration rows the target's stack file changes pass the migration gate
    (jobs/migration/gate.py: one step, prod behind staging, one row per prod update, staging's
    soak, staging's drift, staging's metrics where Prometheus answers)."""
    try:
        verdicts = migration_gate.pending(ops, repo_root, target, now)
    except (migration_gate.GateUnavailable, MigrationInputError) as error:
        raise PromotionFailed("migration", str(error)) from None
    bad = migration_gate.refused(verdicts)
    if bad:
        raise GateRefused("migration", "; ".join(f"{v.check}: {v.detail}" for v in bad))
    passed = [v.detail for v in verdicts if v.ok and v.check == "order"]
    return "; ".join(passed) if passed else f"no migration row change pending in {target}"

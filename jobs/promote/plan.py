"""promote(): the gates in order, then the stack-file write and, with `apply`, the update."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs.promote.durations import timestamp
from jobs.promote.files import render_release, target_files
from jobs.promote.gates import (
    apply_release,
    destructive_change,
    migration,
    source_drift,
    source_last_update,
    source_release,
    source_soak,
    stage_of,
    stage_order,
    target_policy_preview,
)
from jobs.promote.outcome import PromotionResult
from jobs.stack_ops import StackOperations

REPO_ROOT = Path(__file__).resolve().parents[2]


def promote(
    ops: StackOperations,
    *,
    source: str,
    target: str,
    repo_root: Path = REPO_ROOT,
    now: datetime | None = None,
    min_soak: timedelta | None = None,
    allow_destructive: Iterable[str] = (),
    apply: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> PromotionResult:
    """Run the gates, write the release into the target stack file, optionally apply."""
    now = now or datetime.now(UTC)
    allowed = {name.strip() for name in allow_destructive if name.strip()}
    passed: list[str] = []
    notes: list[str] = []

    def ok(gate: str, detail: str) -> None:
        passed.append(f"{gate}: {detail}")
        log(f"ok  {gate}: {detail}")

    source_stage, target_stage = stage_of(repo_root, source), stage_of(repo_root, target)
    stage_order(source, target, source_stage, target_stage)
    ok("stage-order", f"{source} ({source_stage}) -> {target} ({target_stage})")

    stack_file, policy_dir, policy_config = target_files(repo_root, target)

    last, label = source_last_update(ops, source)
    ok("source-last-update", f"{label} of {source} succeeded at {timestamp(last.end_time)}")
    ok("source-soak", source_soak(source, target, last, label, now, min_soak, target_stage))
    source_drift(ops, source)
    ok("source-drift", f"no drift on {source}")
    ok("migration", migration(ops, target, repo_root, now))
    release = source_release(ops, source)
    ok("source-release", f"apiImage {release['apiImage']}")

    # Render the target stack file with the promoted release (verified, not yet written).
    old_text, new_text = render_release(stack_file, release, source, label)

    # target-policy-preview, against the new config (a temporary copy of the edited file).
    with tempfile.TemporaryDirectory(prefix="promote-") as tmp:
        candidate = Path(tmp) / stack_file.name
        candidate.write_bytes(new_text.encode("utf-8"))
        preview = target_policy_preview(
            ops, target, str(policy_dir), str(policy_config), str(candidate)
        )
    for violation in preview.policy_violations:
        if not violation.mandatory:
            notes.append(f"advisory policy: {violation.describe()}")
    ok(
        "target-policy-preview",
        f"{target} preview passed the policy pack ({len(preview.changes)} resource changes)",
    )

    destructive = destructive_change(target, preview.changes, allowed, notes, target_stage)
    if destructive is not None:
        ok("destructive-change", destructive)

    stack_file.write_bytes(new_text.encode("utf-8"))
    result = PromotionResult(
        source=source,
        target=target,
        release=release,
        stack_file=stack_file,
        old_text=old_text,
        new_text=new_text,
        passed=passed,
        notes=notes,
    )
    log(f"wrote {stack_file.name}")

    if apply:
        notes_after_up = apply_release(ops, target, str(policy_dir), str(policy_config), release)
        result.applied = True
        result.notes.extend(notes_after_up)
        ok("release-verify", f"{target} now exports the promoted release")
    return result

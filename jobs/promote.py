"""Promotion: `python -m jobs.promote --from staging --to prod [--min-soak 24h] [--apply]`.

Moves the release of one stack (its `release` stack output) up one stage, dev -> staging ->
prod, only when every gate passes, in this order:

  stage-order            target is the next stage after the source (dev -> prod is refused)
  source-last-update     the source stack's most recent update succeeded
  source-soak            that update finished at least --min-soak ago (default per target)
  source-drift           a refresh preview of the source shows no drift
  source-release         the source exports `release` with a digest-pinned `apiImage`
  target-policy-preview  a preview of the target, with the new release and the policy pack
                         (`policies/`), finishes without errors or mandatory violations
  destructive-change     (prod only) no delete/replace of a protected or data-holding resource
                         unless --allow-destructive names it (URN or resource name)

Then it writes `sophia-infra:release: {apiImage: ...}` into `Pulumi.<to>.yaml` (a targeted edit;
the other release versions go into a marker comment above the key) for review. With --apply it
also runs `up` on the target (the target's canary settings take over from there) and checks
that the target's `release` output now has the promoted apiImage (release-verify; the other
release fields are per-stack versions, reported when they differ).

Exit codes: 0 promoted, 1 refused by a gate (named in the message), 2 the job failed (a stack
could not be reached, decrypted or updated; the gate being checked is named).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobs.engine_events import destructive_changes, is_named, summarize
from jobs.stack_file import StackFileError, set_release
from jobs.stack_ops import StackOperationError, StackOperations

STAGES = ("dev", "staging", "prod")
DEFAULT_MIN_SOAK = {"staging": timedelta(hours=1), "prod": timedelta(hours=24)}
DESTRUCTIVE_GATED_TARGETS = frozenset({"prod"})
RELEASE_OUTPUT = "release"
RELEASE_CONFIG_FIELDS = ("apiImage",)  # the only release fields that are stack config
POLICY_PACK_DIR = "policies"
POLICY_CONFIG_DIR = "policies/config"  # <stack>.json: the pack's thresholds for that stack
REPO_ROOT = Path(__file__).resolve().parent.parent

EXIT_PROMOTED = 0
EXIT_REFUSED = 1
EXIT_FAILED = 2

_DIGEST_PINNED = re.compile(r"^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$")
_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNIT = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class GateRefused(Exception):
    """A gate said no. Exit code 1."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(f"refused by gate {gate}: {reason}")
        self.gate = gate
        self.reason = reason


class PromotionFailed(Exception):
    """A gate could not be checked, or the apply failed. Exit code 2."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(f"{gate}: {reason}")
        self.gate = gate
        self.reason = reason


@dataclass
class PromotionResult:
    source: str
    target: str
    release: dict[str, Any]
    stack_file: Path
    old_text: str
    new_text: str
    passed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    def diff(self) -> str:
        name = self.stack_file.name
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def parse_duration(text: str) -> timedelta:
    """'24h', '90m', '1d12h', '2w' -> timedelta."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(
            f"invalid duration {text!r}: use numbers with units w, d, h, m, s"
            " (e.g. 24h, 1d12h, 90m)"
        )
    total = timedelta()
    for amount, unit in _DURATION_PART.findall(compact):
        total += timedelta(**{_UNIT[unit]: int(amount)})
    return total


def format_duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts) or "0m"


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

    # stage-order
    _check_order(source, target)
    ok("stage-order", f"{source} -> {target}")

    stack_file = repo_root / f"Pulumi.{target}.yaml"
    if not stack_file.is_file():
        raise PromotionFailed("stack-file", f"{stack_file} does not exist")
    policy_dir = repo_root / POLICY_PACK_DIR
    if not (policy_dir / "PulumiPolicy.yaml").is_file():
        raise PromotionFailed(
            "target-policy-preview", f"no policy pack at {policy_dir} (PulumiPolicy.yaml missing)"
        )
    # Without its config the pack runs on its defaults, not the target's thresholds.
    policy_config = repo_root / POLICY_CONFIG_DIR / f"{target}.json"
    if not policy_config.is_file():
        raise PromotionFailed(
            "target-policy-preview", f"no policy config for {target} at {policy_config}"
        )

    # source-last-update
    history = _call("source-last-update", lambda: ops.history(source))
    updates = [r for r in history if r.kind == "update"]
    if not updates:
        raise GateRefused("source-last-update", f"stack {source} has never been updated")
    last = max(updates, key=lambda r: r.start_time)
    # Pulumi Cloud numbers updates; a DIY (file://, s3://) backend has no numbers.
    label = f"update #{last.version}" if last.version else f"the update of {_ts(last.start_time)}"
    if last.result != "succeeded" or last.end_time is None:
        raise GateRefused(
            "source-last-update",
            f"{label} of {source} (started {_ts(last.start_time)}) has result "
            f"{last.result!r}; fix and re-run `pulumi up --stack {source}` first",
        )
    ok("source-last-update", f"{label} of {source} succeeded at {_ts(last.end_time)}")

    # source-soak
    required = min_soak if min_soak is not None else DEFAULT_MIN_SOAK.get(target, timedelta(0))
    soaked = now - last.end_time
    if soaked < required:
        raise GateRefused(
            "source-soak",
            f"{source} has soaked {format_duration(soaked)} since {label} finished at "
            f"{_ts(last.end_time)}; {target} requires {format_duration(required)} "
            f"(earliest promotion {_ts(last.end_time + required)}; override with --min-soak)",
        )
    ok("source-soak", f"soaked {format_duration(soaked)} >= {format_duration(required)}")

    # source-drift
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
    ok("source-drift", f"no drift on {source}")

    # source-release
    release = _source_release(ops, source)
    ok("source-release", f"apiImage {release['apiImage']}")

    # Render the target stack file with the promoted release (verified, not yet written).
    old_text = stack_file.read_bytes().decode("utf-8")
    release_config = {k: release[k] for k in RELEASE_CONFIG_FIELDS}
    versions = {k: v for k, v in sorted(release.items()) if k not in RELEASE_CONFIG_FIELDS}
    comment = f"from {source} {label}"
    if versions:
        comment += ": " + ", ".join(f"{k}={v}" for k, v in versions.items())
    try:
        new_text = set_release(old_text, release_config, comment)
    except StackFileError as err:
        raise PromotionFailed("stack-file", f"{stack_file.name}: {err}") from None

    # target-policy-preview, against the new config (a temporary copy of the edited file).
    with tempfile.TemporaryDirectory(prefix="promote-") as tmp:
        candidate = Path(tmp) / stack_file.name
        candidate.write_bytes(new_text.encode("utf-8"))
        preview = _target_preview(ops, target, str(policy_dir), str(policy_config), str(candidate))
    for violation in preview.policy_violations:
        if not violation.mandatory:
            notes.append(f"advisory policy: {violation.describe()}")
    ok(
        "target-policy-preview",
        f"{target} preview passed the policy pack ({len(preview.changes)} resource changes)",
    )

    # destructive-change
    dangerous = destructive_changes(preview.changes)
    if target in DESTRUCTIVE_GATED_TARGETS:
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
        ok("destructive-change", f"{len(dangerous)} destructive change(s), all explicitly allowed")
    elif dangerous:
        notes.append(
            "destructive changes (gated only for "
            + ", ".join(sorted(DESTRUCTIVE_GATED_TARGETS))
            + "): "
            + "; ".join(f"{c.op} {c.urn}" for c in dangerous)
        )

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
        events = _call(
            "apply",
            lambda: ops.up(
                target,
                policy_packs=[str(policy_dir)],
                policy_pack_configs=[str(policy_config)],
            ),
        )
        applied = summarize(events)
        if applied.errors:
            raise PromotionFailed(
                "apply", f"`up` on {target} reported: {'; '.join(applied.errors)}"
            )
        result.applied = True
        result.notes.extend(_verify_release(ops, target, release))
        ok("release-verify", f"{target} now exports the promoted release")
    return result


def render_markdown(result: PromotionResult) -> str:
    lines = [
        f"### Promote {result.source} -> {result.target}",
        "",
        "Release:",
        "",
    ]
    lines += [f"- `{k}`: `{v}`" for k, v in sorted(result.release.items())]
    lines += ["", "Gates passed:", ""] + [f"- {p}" for p in result.passed]
    if result.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in result.notes]
    lines += ["", f"Change to `{result.stack_file.name}`:", "", "```diff", result.diff(), "```"]
    if not result.applied:
        lines += [
            "",
            f"Merging this change and running `pulumi up --stack {result.target}` (or "
            f"`python -m jobs.promote --from {result.source} --to {result.target} --apply`) "
            "rolls it out under the target's canary settings.",
        ]
    return "\n".join(lines) + "\n"


def main(
    argv: Sequence[str] | None = None,
    *,
    ops: StackOperations | None = None,
    now: datetime | None = None,
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.promote", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--from", dest="source", required=True, choices=STAGES)
    parser.add_argument("--to", dest="target", required=True, choices=STAGES)
    parser.add_argument(
        "--min-soak",
        type=_duration_arg,
        help="minimum time since the source's last update (default: "
        + ", ".join(f"{k} {format_duration(v)}" for k, v in DEFAULT_MIN_SOAK.items())
        + ")",
    )
    parser.add_argument(
        "--allow-destructive",
        action="append",
        default=[],
        metavar="URN_OR_NAME[,...]",
        help="allow the delete/replace of these resources in the target (repeatable)",
    )
    parser.add_argument("--apply", action="store_true", help="run `up` on the target afterwards")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write a summary here")
    parser.add_argument("--repo-root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if ops is None:
        try:
            from jobs.automation import AutomationStackOperations
        except ImportError as err:
            print(f"error: cannot load the Pulumi Automation API: {err}", file=sys.stderr)
            return EXIT_FAILED
        ops = AutomationStackOperations(work_dir=args.repo_root)

    allowed = [n for item in args.allow_destructive for n in item.split(",")]
    try:
        result = promote(
            ops,
            source=args.source,
            target=args.target,
            repo_root=args.repo_root,
            now=now,
            min_soak=args.min_soak,
            allow_destructive=allowed,
            apply=args.apply,
            log=print,
        )
    except GateRefused as err:
        print(f"refused by gate {err.gate}: {err.reason}", file=sys.stderr)
        return EXIT_REFUSED
    except PromotionFailed as err:
        print(f"error: gate {err.gate} could not be completed: {err.reason}", file=sys.stderr)
        return EXIT_FAILED
    summary = render_markdown(result)
    print(summary, end="")
    if args.markdown:
        args.markdown.write_text(summary, encoding="utf-8")
    return EXIT_PROMOTED


# --- internals ---------------------------------------------------------------------------


def _check_order(source: str, target: str) -> None:
    if source not in STAGES or target not in STAGES:
        raise GateRefused(
            "stage-order", f"stages are {' -> '.join(STAGES)}; got {source} -> {target}"
        )
    src, dst = STAGES.index(source), STAGES.index(target)
    if dst == src + 1:
        return
    if dst > src + 1:
        skipped = ", ".join(STAGES[src + 1 : dst])
        reason = f"{source} -> {target} skips {skipped}; promote in order {' -> '.join(STAGES)}"
    else:
        reason = f"{source} -> {target} does not move up; promote in order {' -> '.join(STAGES)}"
    raise GateRefused("stage-order", reason)


def _call(gate: str, operation: Callable[[], Any]) -> Any:
    try:
        return operation()
    except StackOperationError as err:
        raise PromotionFailed(gate, err.reason) from None


def _source_release(ops: StackOperations, source: str) -> dict[str, Any]:
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


def _target_preview(
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


def _duration_arg(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.exit(main())

"""Drift detection: `python -m jobs.drift --stack prod [--json FILE] [--markdown FILE]`.

Runs a refresh preview of the stack (`pulumi refresh --preview-only` through the Automation
API), and reports every resource whose live state differs from the recorded state.

Exit codes: 0 no drift, 1 drift found, 2 the check itself failed (the reason is printed and
written into the reports). A stack that cannot be selected, reached or decrypted, or an engine
error during the refresh, is a failure (2), never "no drift".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.engine_events.fold import summarize
from jobs.engine_events.outcome import ResourceChange
from jobs.engine_events.values import scrub
from jobs.stack_ops import StackOperationError, StackOperations

EXIT_NO_DRIFT = 0
EXIT_DRIFT = 1
EXIT_FAILED = 2

STATUS_NO_DRIFT = "no-drift"
STATUS_DRIFT = "drift"
STATUS_ERROR = "error"


@dataclass(frozen=True)
class DriftReport:
    stack: str
    checked_at: datetime
    status: str
    changes: tuple[ResourceChange, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    # Secret plaintexts seen in the events: scrubbed from every rendering, never rendered.
    secrets: frozenset[str] = frozenset()

    @property
    def exit_code(self) -> int:
        return {STATUS_NO_DRIFT: EXIT_NO_DRIFT, STATUS_DRIFT: EXIT_DRIFT}.get(
            self.status, EXIT_FAILED
        )


def detect_drift(ops: StackOperations, stack: str, *, now: datetime | None = None) -> DriftReport:
    checked_at = now or datetime.now(UTC)
    try:
        events = ops.preview_refresh(stack)
    except StackOperationError as err:
        outcome = summarize(err.events)
        reason = err.reason
        if outcome.errors:
            reason += "; engine: " + "; ".join(outcome.errors)
        return DriftReport(stack, checked_at, STATUS_ERROR, error=reason, secrets=outcome.secrets)
    outcome = summarize(events)
    failure = outcome.failure_reason()
    if failure is not None:
        return DriftReport(
            stack,
            checked_at,
            STATUS_ERROR,
            changes=outcome.changes,
            error=f"the refresh preview of stack {stack} failed: {failure}",
            warnings=outcome.warnings,
            secrets=outcome.secrets,
        )
    status = STATUS_DRIFT if outcome.changes else STATUS_NO_DRIFT
    return DriftReport(
        stack,
        checked_at,
        status,
        changes=outcome.changes,
        warnings=outcome.warnings,
        secrets=outcome.secrets,
    )


def report_to_dict(report: DriftReport) -> dict[str, Any]:
    return {
        "stack": report.stack,
        "checkedAt": report.checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": report.status,
        "exitCode": report.exit_code,
        "error": report.error,
        "driftedResources": len(report.changes),
        "resources": [c.to_dict() for c in report.changes],
        "warnings": list(report.warnings),
    }


def render_json(report: DriftReport) -> str:
    return scrub(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False), report.secrets)


def render_markdown(report: DriftReport) -> str:
    stack = _code(report.stack)
    checked = report_to_dict(report)["checkedAt"]
    lines: list[str] = []
    if report.status == STATUS_ERROR:
        lines += [
            f"### Drift check failed on {stack}",
            "",
            f"Checked {checked}. The refresh preview did not complete, so drift is **unknown**"
            ' (this is not a "no drift" result). Exit code 2.',
            "",
            "```text",
            (report.error or "unknown error").replace("```", "'''"),
            "```",
        ]
    elif report.status == STATUS_NO_DRIFT:
        lines += [f"### No drift on {stack}", "", f"Checked {checked}. Exit code 0."]
    else:
        count = len(report.changes)
        noun = "resource" if count == 1 else "resources"
        lines += [
            f"### Drift on {stack}: {count} drifted {noun}",
            "",
            f"Checked {checked} with a refresh preview. Values read: recorded state → live."
            " Exit code 1.",
            "",
            "| Resource | Type | Operation | Changed properties |",
            "| --- | --- | --- | --- |",
        ]
        for change in report.changes:
            lines.append(
                f"| {_code(change.name)} | {_code(change.type)} | {change.op} "
                f"| {_properties_cell(change)} |"
            )
        lines += ["", "<details><summary>URNs</summary>", ""]
        lines += [f"- {_code(c.urn)}" for c in report.changes]
        lines += [
            "",
            "</details>",
            "",
            f"To keep the live values, change the code or config and run `pulumi refresh "
            f"--stack {report.stack}`; to restore the declared values, run `pulumi up "
            f"--stack {report.stack}`.",
        ]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"- {_cell(w)}" for w in report.warnings]
    return scrub("\n".join(lines) + "\n", report.secrets)


def main(argv: Sequence[str] | None = None, *, ops: StackOperations | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.drift", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--stack", required=True, help="stack name, e.g. prod or org/sophia-infra/prod"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report here")
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write the Markdown report here"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        metavar="DIR",
        help="the Pulumi project folder (default: this repository)",
    )
    args = parser.parse_args(argv)

    if ops is None:
        try:
            from jobs.automation import AutomationStackOperations
        except ImportError as err:  # pulumi (the SDK) missing from the environment
            print(f"error: cannot load the Pulumi Automation API: {err}", file=sys.stderr)
            return EXIT_FAILED
        ops = (
            AutomationStackOperations(args.work_dir)
            if args.work_dir
            else AutomationStackOperations()
        )

    report = detect_drift(ops, args.stack)
    markdown = render_markdown(report)
    try:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(render_json(report) + "\n", encoding="utf-8")
        if args.markdown:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(markdown, encoding="utf-8")
    except OSError as err:
        print(f"error: cannot write the report: {err}", file=sys.stderr)
        return EXIT_FAILED
    print(markdown, end="")
    if report.status == STATUS_ERROR:
        print(f"error: {scrub(report.error or '', report.secrets)}", file=sys.stderr)
    return report.exit_code


def _properties_cell(change: ResourceChange) -> str:
    if change.op == "delete":
        return "resource no longer exists"
    if not change.properties:
        return "(no property details reported)"
    parts = []
    for prop in change.properties:
        before = _code(prop.before) if prop.before is not None else "(absent)"
        after = _code(prop.after) if prop.after is not None else "(absent)"
        parts.append(f"{_code(prop.path)} ({prop.kind}): {before} → {after}")
    return "<br>".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks and table pipes in the value."""
    text = _cell(text)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


if __name__ == "__main__":
    sys.exit(main())

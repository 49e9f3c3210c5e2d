"""`python -m jobs.migration`: status, advance, check (jobs/migration/__init__.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from components.settings.migration import PHASES, ROWS, STATES
from components.yaml_files import YamlFileError, load_yaml_text
from jobs.migration.advance import advance
from jobs.migration.gate import GateUnavailable, Move, Verdict, order, prod_behind, refused
from jobs.migration.metrics import Objectives, objectives_from_slo
from jobs.migration.rows import MigrationInputError, read_stack_file, rows_of
from jobs.migration.status import build, kubectl_route
from jobs.stack_ops import StackOperations

REPO_ROOT = Path(__file__).resolve().parents[2]
EXIT_OK, EXIT_REFUSED, EXIT_FAILED = 0, 1, 2


def _ops(repo_root: Path) -> StackOperations:
    from jobs.automation import AutomationStackOperations

    return AutomationStackOperations(work_dir=repo_root)


def main(
    argv: Sequence[str] | None = None,
    *,
    ops: StackOperations | None = None,
    now: datetime | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.migration")
    parser.add_argument("--repo-root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status", help="the tracker, from each stack's real state")
    status.add_argument("--stacks", default="dev,staging,prod")
    status.add_argument("--json", type=Path, metavar="FILE")
    status.add_argument("--markdown", type=Path, metavar="FILE")
    status.add_argument("--no-live", action="store_true", help="do not ask kubectl for the route")
    move = commands.add_parser("advance", help="move one row one step, after the gate")
    move.add_argument("--stack", required=True)
    target = move.add_mutually_exclusive_group(required=True)
    target.add_argument("--row", choices=ROWS)
    target.add_argument("--phase", choices=sorted(PHASES), help="every row of a plan phase")
    move.add_argument("--to", choices=STATES)
    move.add_argument("--share", type=int, metavar="N", help="percent on the new side (parallel)")
    move.add_argument("--dry-run", action="store_true", help="show the change and the verdicts")
    move.add_argument("--max-error-ratio", type=float, help="default: from the stack's slo")
    move.add_argument("--p95-ms", type=float, help="default: from the stack's slo")
    move.add_argument("--prometheus", metavar="URL", help="default: staging's prometheusAddress")
    move.add_argument("--require-metrics", action="store_true", help="refuse when unreachable")
    move.add_argument("--markdown", type=Path, metavar="FILE")
    check = commands.add_parser("check", help="a pull request's row changes, without stack access")
    check.add_argument("--stack", required=True)
    check.add_argument("--base-ref", required=True)
    args = parser.parse_args(argv)
    now = now or datetime.now(UTC)
    try:
        if args.command == "status":
            return _status(args, ops, now)
        if args.command == "advance":
            return _advance(args, ops, now)
        return _check(args)
    except MigrationInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except GateUnavailable as error:
        print(f"error: the gate could not be checked: {error}", file=sys.stderr)
        return EXIT_FAILED


def _status(args: argparse.Namespace, ops: StackOperations | None, now: datetime) -> int:
    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    tracker = build(
        ops or _ops(args.repo_root), stacks, args.repo_root, now,
        live_route=None if args.no_live else kubectl_route,
    )  # fmt: skip
    text = tracker.markdown()
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(tracker.to_json() + "\n", encoding="utf-8")
    if any(s.unreachable for s in tracker.stacks):
        return EXIT_FAILED
    return EXIT_REFUSED if tracker.problems else EXIT_OK


def _advance(args: argparse.Namespace, ops: StackOperations | None, now: datetime) -> int:
    rows = [args.row] if args.row else list(PHASES[args.phase])
    if not rows:
        raise MigrationInputError(f"phase {args.phase} names no tracker row; use --row")
    environment = read_stack_file(args.repo_root, args.stack).environment
    if environment == "prod" and len(rows) > 1:
        print(
            f"refused: phase {args.phase} is {', '.join(rows)}; prod changes one row per update: "
            "advance them one at a time (--row)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    needs_ops = environment == "prod"
    code = EXIT_OK
    for row in rows:
        result = advance(
            (ops or _ops(args.repo_root)) if needs_ops else ops,
            repo_root=args.repo_root,
            stack=args.stack,
            row=row,
            to=args.to,
            share=args.share,
            dry_run=args.dry_run,
            now=now,
            objectives=_objectives(args, read_stack_file(args.repo_root, args.stack).raw_slo),
            prometheus_address=args.prometheus,
            require_metrics=args.require_metrics,
        )
        text = result.markdown()
        print(text, end="")
        if args.markdown:
            with args.markdown.open("a", encoding="utf-8") as out:
                out.write(text)
        if result.refused:
            code = EXIT_REFUSED
    return code


def _objectives(args: argparse.Namespace, raw_slo: object) -> Objectives:
    """The stack's SLO objectives, with the command line's overrides."""
    objectives = objectives_from_slo(raw_slo)
    return replace(
        objectives,
        max_error_ratio=objectives.max_error_ratio
        if args.max_error_ratio is None
        else args.max_error_ratio,
        p95_ms=objectives.p95_ms if args.p95_ms is None else args.p95_ms,
    )


def _check(args: argparse.Namespace) -> int:
    """Rows changed between the base ref's stack file and this one: one step each, prod behind
    staging (both as written here), one row per prod change. No stack access."""
    head = read_stack_file(args.repo_root, args.stack)
    base_rows = rows_of(_base_migration(args.repo_root, args.stack, args.base_ref))
    staging = read_stack_file(args.repo_root, "staging").rows
    verdicts: list[Verdict] = []
    changed = [r for r in ROWS if base_rows[r] != head.rows[r]]
    for row in changed:
        move = Move(args.stack, head.environment, row, base_rows[row], head.rows[row])
        verdicts.append(order(move))
        verdicts.append(prod_behind(move, staging[row], None))
    if head.environment == "prod" and len(changed) > 1:
        verdicts.append(
            Verdict(
                "one-row",
                False,
                f"prod changes {', '.join(changed)} in one pull request; one row per prod update",
            )
        )
    for verdict in verdicts:
        print(verdict.line())
    if not changed:
        print(f"no migration row changes in Pulumi.{args.stack}.yaml against {args.base_ref}")
    return EXIT_REFUSED if refused(verdicts) else EXIT_OK


def _base_migration(repo_root: Path, stack: str, ref: str) -> object:
    shown = subprocess.run(
        ["git", "show", f"{ref}:Pulumi.{stack}.yaml"],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if shown.returncode != 0:
        return {}  # a new stack file: every row starts not-started
    try:
        doc = load_yaml_text(shown.stdout, f"{ref}:Pulumi.{stack}.yaml")
    except YamlFileError as error:
        raise MigrationInputError(str(error)) from None
    config = doc.get("config") if isinstance(doc, dict) else None
    return (config or {}).get("sophia-infra:migration") if isinstance(config, dict) else {}

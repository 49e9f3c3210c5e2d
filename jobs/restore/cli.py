"""`python -m jobs.restore`: the command line over restore() (jobs/restore/__init__.py)."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jobs.restore
from jobs.restore.declared import stack_tables
from jobs.restore.offline import Request
from jobs.restore.outcome import EXIT_COULD_NOT_CHECK
from jobs.restore.point import stamp
from jobs.restore.report import render_text, write_reports
from jobs.restore.run import restore
from jobs.restore.session import KEY_ENV, has_credentials
from jobs.restore.writers import LiveSpecs, client_from_environment

DEFAULT_REPORT_DIR = Path("reports")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.restore", description=(jobs.restore.__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--table", required=True, metavar="SCHEMA.TABLE", help="a declared table")
    point = parser.add_mutually_exclusive_group(required=True)
    point.add_argument("--at", metavar="ISO-8601", help="a time with its UTC offset")
    point.add_argument("--statement", metavar="QUERY_ID", help="restore to just before this query")
    parser.add_argument(
        "--to",
        metavar="NAME",
        help="the restored table's name (default: <TABLE>_RESTORED_<yyyymmddThhmmZ>)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"print the checks and SQL only (the default without {KEY_ENV})",
    )
    parser.add_argument(
        "--swap",
        action="store_true",
        help="after every check, ALTER TABLE <table> SWAP WITH <restored>",
    )
    parser.add_argument(
        "--allow-swap",
        metavar="URN",
        help="with --swap on a protected prod table: that table's URN",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help=f"write the JSON and Markdown reports here (a real run: default "
        f"{DEFAULT_REPORT_DIR}/)",
    )
    parser.add_argument("--project-dir", type=Path, help=argparse.SUPPRESS)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    connect_fn: Callable[..., Any] | None = None,
    estuary: LiveSpecs | None = None,
    document: Mapping[str, Any] | None = None,
) -> int:
    args = _parser().parse_args(argv)
    env = environ if environ is not None else os.environ
    moment = now or datetime.now(UTC)
    if document is None:
        loaded = _synthesize(args.stack, args.project_dir)
        if isinstance(loaded, str):
            print(f"error: {loaded}", file=sys.stderr)
            return EXIT_COULD_NOT_CHECK
        document = loaded
    tables = stack_tables(document)
    environment = (document.get("outputs") or {}).get("environment")
    credentials = has_credentials(env)
    dry_run = args.dry_run or not credentials
    if not args.dry_run and not credentials:
        print(f"no {KEY_ENV} in the environment: dry run (checks and SQL only)")
    run_id = env.get("GITHUB_RUN_ID") or uuid.uuid4().hex[:12]
    query_tag = f"sophia-restore/{args.stack}/{run_id}"
    request = Request(
        stack=args.stack,
        table=args.table,
        at=args.at,
        statement=args.statement,
        to=args.to,
        swap=args.swap,
        allow_swap=args.allow_swap,
    )
    if estuary is None and not dry_run:
        estuary = client_from_environment(env)
    report = restore(
        request,
        tables,
        environment,
        moment,
        dry_run=dry_run,
        query_tag=query_tag,
        environ=env,
        connect_fn=connect_fn,
        estuary=estuary,
    )
    text = render_text(report)
    print(text, end="", file=sys.stdout if report.exit_code == 0 else sys.stderr)
    directory = args.report_dir or (None if dry_run else DEFAULT_REPORT_DIR)
    if directory is not None:
        safe_table = "".join(c if c.isalnum() or c in "_." else "_" for c in args.table)[:80]
        name = f"restore-{args.stack}-{safe_table}-{stamp(moment)}"
        try:
            paths = write_reports(report, directory, name)
        except OSError as err:
            print(
                f"error: cannot write the reports to {directory}: {err.strerror or err}",
                file=sys.stderr,
            )
            return EXIT_COULD_NOT_CHECK
        print(f"reports: {paths[0]} {paths[1]}")
    return report.exit_code if report.exit_code is not None else EXIT_COULD_NOT_CHECK


def _synthesize(stack: str, project_dir: Path | None) -> dict[str, Any] | str:
    """The stack's synth document, or the error message (a bad stack is exit 2)."""
    from components.settings import SettingsError
    from jobs.harness import REPO_ROOT, StackConfigError, synthesize
    from jobs.synth_document import to_json

    try:
        return to_json(synthesize(stack, root=project_dir or REPO_ROOT))
    except (SettingsError, StackConfigError) as err:
        return str(err)

"""`python -m jobs.promote`: the command line over promote() and its Markdown summary.

Exit codes: 0 promoted, 1 refused by a gate, 2 the job failed (jobs/promote/__init__.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import jobs.promote
from jobs.promote.durations import format_duration, parse_duration
from jobs.promote.gates import DEFAULT_MIN_SOAK, STAGES
from jobs.promote.outcome import GateRefused, PromotionFailed, PromotionResult
from jobs.promote.plan import REPO_ROOT, promote
from jobs.stack_ops import StackOperations

# components/settings/identity.py STACK_NAME, restated: jobs/promote stays out of components
# (tests/jobs/engine_events/test_package.py); the settings refuse any other name anyway.
STACK_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")
EXIT_PROMOTED = 0
EXIT_REFUSED = 1
EXIT_FAILED = 2


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
        prog="python -m jobs.promote", description=jobs.promote.__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=_stack_arg,
        help="the stack whose release moves on (any stack; its stage is its environment)",
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        type=_stack_arg,
        help=f"the stack that receives it: the next stage ({' -> '.join(STAGES)}) or the same",
    )
    parser.add_argument(
        "--min-soak",
        type=_duration_arg,
        help="minimum time since the source's last update (default by the target's stage: "
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


def _stack_arg(text: str) -> str:
    if not STACK_NAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stack name (a lower-case letter then letters or digits)"
        )
    return text


def _duration_arg(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None

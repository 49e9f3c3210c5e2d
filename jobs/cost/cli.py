"""Cost view: what a stack's declared resources can cost, from the synthesized document alone.

    python -m jobs.cost --stack prod                          # the cost table (no credentials)
    python -m jobs.cost --stack prod --diff staging           # what prod adds over staging
    python -m jobs.cost --stack prod --base-ref origin/main   # what this checkout adds over a ref
    python -m jobs.cost --base-json base.json --head-json head.json
    python -m jobs.cost --stack prod --base-ref origin/main --format json --max-monthly-increase 250

Everything here is a pure function over the JSON document `jobs.synth --json` writes, so a base
revision synthesized in another checkout (a `git worktree`, by its own code) can be diffed against
the head. Prices come from `jobs/prices/price_book.yaml` (versioned, dated, hand-recorded) and the
gateway's `components/portkey/prices.yaml`; docs/cost.md explains every assumption.

`--format json` prints Infracost-shaped JSON (jobs/cost/machine.py); `--max-monthly-increase USD`
fails when the diff raises the worst-case monthly cost by more than USD.

Exit codes: 0 ok, 1 over --max-monthly-increase, 2 a stack config is invalid or a revision cannot
be synthesized.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from components.yaml_files import YamlFileError
from jobs.cost.base_ref import synthesize_ref
from jobs.cost.diff import diff_cost, render_cost_diff
from jobs.cost.machine import EXIT_OVER_BUDGET, cost_diff_json, cost_json, gate_problem, parse_usd
from jobs.cost.prices import PRICE_BOOK_PATH, CostError, load_price_book
from jobs.cost.render import render_cost
from jobs.cost.report import cost_report

EXIT_OK = 0
EXIT_INVALID = 2


def _document(stack: str, root: Path) -> dict[str, Any]:
    # Imported here: only --stack / --diff synthesize (a --head-json run needs no Pulumi).
    from jobs.harness import synthesize
    from jobs.synth_document import to_json

    return json.loads(json.dumps(to_json(synthesize(stack, root=root)), default=str))


def _empty(stack: str, like: Mapping[str, Any]) -> dict[str, Any]:
    return {"stack": stack, "resources": [], "outputs": like.get("outputs") or {}}


def _read_document(path: Path) -> dict[str, Any]:
    """A synth document (`jobs.synth --json`); CostError if it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CostError(f"{path} is not a synth document (jobs.synth --json): {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise CostError(f"{path} is not a synth document (no 'resources' list)")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    from components.settings import SettingsError
    from jobs.harness import REPO_ROOT, StackConfigError

    parser = argparse.ArgumentParser(prog="python -m jobs.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--diff", metavar="OTHER_STACK", help="cost of --stack relative to this")
    parser.add_argument("--base-ref", metavar="REF", help="cost change of this checkout over REF")
    parser.add_argument("--base-json", type=Path, help="base synth document (jobs.synth --json)")
    parser.add_argument("--head-json", type=Path, help="head synth document (default: --stack)")
    parser.add_argument("--price-book", type=Path, default=PRICE_BOOK_PATH)
    parser.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="markdown tables (default) or Infracost-shaped JSON (docs/cost.md)",
    )
    parser.add_argument(
        "--max-monthly-increase",
        metavar="USD",
        help="with a base (--diff, --base-ref, --base-json): exit 1 when the worst-case monthly "
        "cost rises by more than USD",
    )
    args = parser.parse_args(argv)
    if not args.stack and not args.head_json:
        parser.error("give --stack (or --head-json)")
    bases = [
        flag
        for flag in ("--diff", "--base-ref", "--base-json")
        if getattr(args, flag[2:].replace("-", "_"))
    ]
    if len(bases) > 1:
        parser.error(f"{' and '.join(bases)} each name the base; give one")
    if not args.project_dir.is_dir():
        parser.error(f"--project-dir {args.project_dir} is not a directory")
    for flag, path in (("--head-json", args.head_json), ("--base-json", args.base_json)):
        if path is not None and not path.is_file():
            parser.error(f"{flag} {path}: no such file")
    max_increase = None
    if args.max_monthly_increase is not None:
        if not bases:
            parser.error("--max-monthly-increase needs a base: --diff, --base-ref or --base-json")
        try:
            max_increase = parse_usd(args.max_monthly_increase)
        except ValueError as error:
            parser.error(str(error))

    try:
        try:
            book = load_price_book(args.price_book)
        except (
            OSError,
            YamlFileError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            ArithmeticError,
        ) as error:
            raise CostError(
                f"the price book {args.price_book} cannot be used: {type(error).__name__}: {error}"
            ) from None
        if args.head_json:
            head_doc = _read_document(args.head_json)
        else:
            head_doc = _document(args.stack, args.project_dir)
        stack = args.stack or str(head_doc.get("stack"))
        base_doc: dict[str, Any] | None = None
        base_label = ""
        if args.base_json:
            base_doc = _read_document(args.base_json)
        elif args.diff:
            base_doc = _document(args.diff, args.project_dir)
        elif args.base_ref:
            # Seconds to a minute (a git worktree and a second synth): say so on stderr.
            print(
                f"cost: synthesizing stack {stack} at {args.base_ref} in a temporary git worktree "
                "with that revision's own code ...",
                file=sys.stderr,
                flush=True,
            )
            base_doc = synthesize_ref(args.base_ref, stack, args.project_dir)
            if base_doc is None:
                print(f"note: stack {stack} does not exist at {args.base_ref}; all of it is new")
                base_doc = _empty(stack, head_doc)
            base_label = f"{stack}@{args.base_ref}"
        head = cost_report(head_doc, book)
        if base_doc is None:
            as_json = args.format == "json"
            print(json.dumps(cost_json(head), indent=2) if as_json else render_cost(head))
            return EXIT_OK
        base = cost_report(base_doc, book, label=base_label)
        diff = diff_cost(base, head)
        if args.format == "json":
            print(json.dumps(cost_diff_json(diff, max_increase), indent=2))
        else:
            print(render_cost_diff(diff))
    except (SettingsError, StackConfigError, CostError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    problem = gate_problem(diff, max_increase) if max_increase is not None else None
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_OVER_BUDGET
    return EXIT_OK


if __name__ == "__main__":
    from jobs.harness import exit_without_final_collection

    exit_without_final_collection(main())

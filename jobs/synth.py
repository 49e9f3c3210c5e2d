"""Offline synth: what a stack declares, and how two stacks differ, without credentials.

    python -m jobs.synth --stack dev                  # tree by component + count by type
    python -m jobs.synth --stack prod --json out.json # every resource, inputs redacted
    python -m jobs.synth --stack prod --diff staging  # what prod declares differently
    python -m jobs.synth --stack prod --check         # the policy pack, offline (docs/policies.md)
    python -m jobs.synth --stack prod --check --format sarif   # the same for code scanning
    python -m jobs.synth --stack prod --cost          # what it may spend (docs/cost.md)
    python -m jobs.synth --stack prod --cost --diff staging
    python -m jobs.synth --stack prod --cost --format json     # Infracost-shaped (docs/cost.md)
    python -m jobs.synth --stack prod --graph         # a Mermaid picture (docs/graph.md)
    python -m jobs.synth --stack prod --graph --diff staging

Exit codes: 0 ok, 1 a mandatory policy violation (--check), 2 the stack config is invalid or
missing (the message says what and where).

This module is the command line; the run is jobs.harness, the tree jobs/synth_tree.py, the diff
jobs/synth_diff.py and the --json document jobs/synth_document.py.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A one-shot CLI: the cyclic collector would only re-scan the many long-lived objects the
    # imports below create (typed SDK classes, pydantic models). Paused until main() starts;
    # synthesize() pauses it again for the run (BENCHMARKS.md, synth start-up).
    gc.disable()

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from components.settings import SettingsError
from jobs.harness import (
    REPO_ROOT,
    StackConfigError,
    Synthesis,
    exit_without_final_collection,
    synthesize,
)
from jobs.synth_diff import graph_marks, render_diff
from jobs.synth_document import to_json
from jobs.synth_tree import render_tree

EXIT_OK = 0
EXIT_INVALID = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.synth", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=REPO_ROOT,
        help="directory holding Pulumi.yaml, the stack files and __main__.py (default: this repo)",
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="write every resource as JSON")
    parser.add_argument("--diff", metavar="OTHER_STACK", help="compare with another stack")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="with --diff: keep differences that are only name suffixes",
    )
    parser.add_argument(
        "--graph",
        action="store_true",
        help="print a Mermaid diagram of the services and their links; with --diff, what "
        "changed from OTHER_STACK, marked as --diff reports it (docs/graph.md)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run the policy pack offline with policies/config/<stack>.json and validate the "
        "Kubernetes objects (docs/policies.md); exit 1 on a mandatory violation",
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="print the cost table; with --diff, the cost change from OTHER_STACK (docs/cost.md)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="with --check: text (default), json or sarif (SARIF 2.1.0, for code scanning); "
        "with --cost: text or json",
    )
    parser.add_argument(
        "--policy-override",
        metavar="POLICY=REASON",
        action="append",
        default=[],
        help="with --check: accept that POLICY (or 'all') is disabled in a prod policy config, "
        "for the REASON given (shown in the report); repeatable",
    )
    args = parser.parse_args(argv)
    problem = _flag_problem(args)
    if problem:
        parser.error(problem)  # exit 2 with usage, like any other misuse
    try:
        overrides = _policy_overrides(args.policy_override)
    except ValueError as error:
        parser.error(str(error))

    try:
        synthesis = synthesize(args.stack, root=args.project_dir)
        other = synthesize(args.diff, root=args.project_dir) if args.diff else None
    except (SettingsError, StackConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID

    if args.json:
        try:
            args.json.write_text(json.dumps(to_json(synthesis), indent=2, sort_keys=True) + "\n")
        except OSError as error:
            print(f"error: cannot write {args.json}: {error.strerror or error}", file=sys.stderr)
            return EXIT_INVALID
        print(f"wrote {len(synthesis.resources)} resources to {args.json}")
    if args.check:
        return _print_check(synthesis, args.project_dir, overrides, args.format)
    if args.cost:
        return _print_cost(synthesis, other, args.format)
    if args.graph:
        return _print_graph(synthesis, other, hide_suffixes=not args.raw)
    if other is not None:
        print(render_diff(other, synthesis, hide_suffixes=not args.raw))
    else:
        print(render_tree(synthesis))
    return EXIT_OK


def _flag_problem(args: argparse.Namespace) -> str | None:
    """Flag combinations that would silently do nothing, and paths that cannot work."""
    if not args.stack:
        return "--stack needs a stack name"
    if not args.project_dir.is_dir():
        return f"--project-dir {args.project_dir} is not a directory"
    if args.raw and not args.diff:
        return "--raw only changes --diff output; add --diff OTHER_STACK or drop --raw"
    if args.check and (args.cost or args.diff):
        return "--check runs alone; run --cost or --diff in a separate command"
    if args.diff and args.diff == args.stack:
        return f"--diff {args.diff} compares the stack with itself; name another stack"
    if args.graph and (args.check or args.cost):
        return "--graph prints the picture alone; run --check or --cost in a separate command"
    if args.policy_override and not args.check:
        return "--policy-override only applies to --check"
    if args.format != "text" and not (args.check or args.cost):
        return f"--format {args.format} applies to --check or --cost; add one of them"
    if args.format == "sarif" and not args.check:
        return "--format sarif applies to --check only (--cost has text or json)"
    if args.json:
        if args.json.is_dir():
            return f"--json {args.json} is a directory; give a file name"
        if not args.json.parent.is_dir():
            return f"--json {args.json}: directory {args.json.parent} does not exist"
    return None


def _policy_overrides(values: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for value in values:
        name, _, reason = value.partition("=")
        if not name.strip() or not reason.strip():
            raise ValueError(
                f"--policy-override {value!r}: expected POLICY=REASON (a reason is required)"
            )
        overrides[name.strip()] = reason.strip()
    return overrides


def _print_check(
    synthesis: Synthesis, project_dir: Path, overrides: dict[str, str], output: str = "text"
) -> int:
    from jobs.check import PolicyConfigError, load_policy_config, render_check, run_checks
    from jobs.stack_identity import guard_rail_violations, stack_identity_violations

    try:
        config = load_policy_config(synthesis.stack)
        report = run_checks(synthesis, config)
    except PolicyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    report.violations.extend(stack_identity_violations(project_dir))
    report.violations.extend(
        guard_rail_violations(synthesis, config, report.policies, overrides, report)
    )
    if output == "text":
        print(render_check(report))
    else:
        from jobs.check import machine

        document = (machine.to_sarif if output == "sarif" else machine.to_json)(report, project_dir)
        print(json.dumps(document, indent=2))
    return report.exit_code


def _print_cost(synthesis: Synthesis, other: Synthesis | None, output: str = "text") -> int:
    from jobs import cost  # imported here: only --cost needs the price book (one-way arrow)

    try:
        book = cost.load_price_book()
    except cost.CostError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as error:
        print(
            f"error: the price book cannot be used: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        head = cost.cost_report(to_json(synthesis), book)
        base = cost.cost_report(to_json(other), book) if other is not None else None
        if output == "json":
            from jobs.cost import machine

            document = (
                machine.cost_json(head)
                if base is None
                else machine.cost_diff_json(cost.diff_cost(base, head))
            )
            print(json.dumps(document, indent=2))
        elif base is None:
            print(cost.render_cost(head))
        else:
            print(cost.render_cost_diff(cost.diff_cost(base, head)))
    except cost.CostError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _print_graph(synthesis: Synthesis, other: Synthesis | None, hide_suffixes: bool) -> int:
    from jobs import graph, graph_mermaid  # imported here: only --graph draws

    try:
        head = graph.build_graph(to_json(synthesis))
        base = graph.build_graph(to_json(other)) if other is not None else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    if base is None or other is None:
        print(graph_mermaid.render_graph(head))
    else:
        marks = graph_marks(other, synthesis, hide_suffixes)
        print(graph_mermaid.render_graph_diff(base, head, marks))
    return EXIT_OK


if __name__ == "__main__":
    gc.enable()
    try:
        exit_without_final_collection(main())
    except BrokenPipeError:  # `... | head`: the reader left; not an error of ours
        sys.stderr.close()
        sys.exit(EXIT_OK)

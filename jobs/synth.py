"""Offline synth: what a stack declares, and how two stacks differ, without credentials.

    python -m jobs.synth --stack dev                  # tree by component + count by type
    python -m jobs.synth --stack prod --json out.json # every resource, inputs redacted
    python -m jobs.synth --stack prod --diff staging  # what prod declares differently
    python -m jobs.synth --stack prod --check         # the policy pack, offline (docs/policies.md)
    python -m jobs.synth --stack prod --cost          # what it may spend (docs/cost.md)
    python -m jobs.synth --stack prod --cost --diff staging
    python -m jobs.synth --stack prod --graph         # a Mermaid picture (docs/graph.md)
    python -m jobs.synth --stack prod --graph --diff staging

Exit codes: 0 ok, 1 a mandatory policy violation (--check), 2 the stack config is invalid or
missing (the message says what and where).
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
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from components.settings import SettingsError
from jobs.harness import (
    REPO_ROOT,
    DeclaredResource,
    StackConfigError,
    Synthesis,
    exit_without_final_collection,
    synthesize,
)
from jobs.synth_document import to_json

EXIT_OK = 0
EXIT_INVALID = 2
_MAX_VALUE = 100


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
        return _print_check(synthesis, args.project_dir, overrides)
    if args.cost:
        return _print_cost(synthesis, other)
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


def _print_check(synthesis: Synthesis, project_dir: Path, overrides: dict[str, str]) -> int:
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
    print(render_check(report))
    return report.exit_code


def _print_cost(synthesis: Synthesis, other: Synthesis | None) -> int:
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
        if other is None:
            print(cost.render_cost(head))
        else:
            base = cost.cost_report(to_json(other), book)
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


def graph_marks(
    base: Synthesis, head: Synthesis, hide_suffixes: bool = True
) -> dict[tuple[str, str], str]:
    """--diff's verdict per resource, keyed by (type, logical name), for the graph's marks."""
    old, new = (_without_suffix(base), _without_suffix(head)) if hide_suffixes else (base, head)
    kinds = {key: kind for kind, key, _ in diff_resources(old, new)}
    return {
        (r.type, r.name): kinds[_identity(r)]
        for r in [*base.resources, *head.resources]
        if _identity(r) in kinds
    }


# --- tree ---------------------------------------------------------------------------------------


def render_tree(synthesis: Synthesis) -> str:
    children: dict[str, list[DeclaredResource]] = defaultdict(list)
    urns = {r.urn for r in synthesis.resources}
    # Registration order depends on thread timing; sorting keeps the output stable between runs.
    for resource in sorted(synthesis.resources, key=lambda r: (r.name, r.type)):
        parent = resource.parent if resource.parent in urns else ""
        children[parent].append(resource)

    lines = [f"Stack {synthesis.stack}: {len(synthesis.resources)} resources declared", ""]
    for resource in children[""]:
        lines.extend(_render_node(resource, children, prefix="", last=True, top=True))
    lines += ["", "Count by type:"]
    counts = Counter(r.type for r in synthesis.resources)
    width = max(len(t) for t in counts) if counts else 0
    lines += [f"  {t.ljust(width)}  {n}" for t, n in sorted(counts.items())]
    lines += ["", "Stack outputs:"]
    lines += [f"  {k}: {_short(v, 200)}" for k, v in sorted(synthesis.outputs.items())]
    return "\n".join(lines)


def _render_node(
    resource: DeclaredResource,
    children: dict[str, list[DeclaredResource]],
    prefix: str,
    last: bool,
    top: bool = False,
) -> Iterator[str]:
    branch = "" if top else ("└─ " if last else "├─ ")
    flags = [
        f for f, on in (("protect", resource.protect), ("retain", resource.retain_on_delete)) if on
    ]
    if resource.provider and not resource.type.startswith("pulumi:providers:"):
        flags.append(f"provider={resource.provider}")
    suffix = f"  [{', '.join(flags)}]" if flags else ""
    yield f"{prefix}{branch}{_short_type(resource.type)}  {resource.name}{suffix}"
    body_prefix = prefix + ("" if top else ("   " if last else "│  "))
    kids = children.get(resource.urn, [])
    rail = "│  " if kids else "   "
    for key, value in flatten(resource.inputs):
        yield f"{body_prefix}{rail}  {key}: {_short(value)}"
    for index, child in enumerate(kids):
        yield from _render_node(child, children, body_prefix, last=index == len(kids) - 1)


def _short_type(type_: str) -> str:
    """snowflake:index/warehouse:Warehouse -> snowflake:Warehouse; components stay as they are."""
    package, _, rest = type_.partition(":")
    module, _, name = rest.rpartition(":")
    if "/" in module and module.startswith("index/"):
        return f"{package}:{name}"
    return type_


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Reviewer-friendly key paths; lists of scalars and small records stay on one line.

    Inputs that are documents in a string (an agent's YAML specification, a gateway's JSON
    config) are parsed and shown field by field, so a diff points at the field that changed.
    """
    document = _embedded_document(value)
    if document is not None:
        yield from flatten(document, prefix)
    elif isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if item is None or item == [] or item == {}:
                continue
            yield from flatten(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            line = _one_line(item)
            if len(line) <= _MAX_VALUE:
                yield f"{prefix}[{index}]", line
            else:
                yield from flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _embedded_document(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str) or not (value.startswith("{") or "\n" in value):
        return None
    try:
        parsed = yaml.safe_load(value)  # YAML is a superset of JSON
    except yaml.YAMLError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _one_line(record: dict[str, Any]) -> str:
    parts = []
    for key in sorted(record, key=lambda k: (k not in ("name", "type"), k)):
        item = record[key]
        if item is None or item == [] or item == {}:
            continue
        if isinstance(item, dict):
            item = "{" + _one_line(item) + "}"
        parts.append(f"{key}={item}")
    return " ".join(parts)


def _short(value: Any, limit: int = _MAX_VALUE) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- diff ---------------------------------------------------------------------------------------


def render_diff(base: Synthesis, head: Synthesis, hide_suffixes: bool = True) -> str:
    """What `head` declares differently from `base` (by logical resource identity).

    Account-level names differ between stacks only by their suffix (SOPHIA_AI_STAGING vs
    SOPHIA_AI); those differences are expected, so they are hidden unless `hide_suffixes` is off.
    """
    if hide_suffixes:
        base, head = _without_suffix(base), _without_suffix(head)
    changes = list(diff_resources(base, head))
    lines = [f"Diff {base.stack} -> {head.stack}: {len(changes)} resources differ"]
    if hide_suffixes:
        lines.append(
            "(name differences that are only the stack suffix are hidden; --raw shows them)"
        )
    for kind, key, details in changes:
        lines.append(f"{ {'added': '+', 'removed': '-', 'changed': '~'}[kind] } {key}")
        lines.extend(f"      {line}" for line in details)
    output_changes = list(_diff_values(base.outputs, head.outputs, ""))
    if output_changes:
        lines += ["", "Stack outputs:"]
        lines += [f"  ~ {line}" for line in output_changes]
    return "\n".join(lines)


def diff_resources(base: Synthesis, head: Synthesis) -> Iterator[tuple[str, str, list[str]]]:
    base_index = {_identity(r): r for r in base.resources}
    head_index = {_identity(r): r for r in head.resources}
    for key in sorted(set(base_index) | set(head_index)):
        old, new = base_index.get(key), head_index.get(key)
        if old is None:
            assert new is not None
            yield "added", key, [f"{k}: {_short(v)}" for k, v in flatten(new.inputs)]
        elif new is None:
            yield "removed", key, []
        else:
            details = list(_diff_values(old.inputs, new.inputs, ""))
            for option in ("protect", "retain_on_delete"):
                if getattr(old, option) != getattr(new, option):
                    details.append(f"({option}): {getattr(old, option)} -> {getattr(new, option)}")
            if details:
                yield "changed", key, details


def _without_suffix(synthesis: Synthesis) -> Synthesis:
    suffix = synthesis.outputs.get("nameSuffix") or ""
    pattern = re.compile(re.escape(suffix) + r"(?![A-Z0-9_])")

    def strip(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub("", value) if suffix else value
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    resources = [replace(r, inputs=strip(r.inputs)) for r in synthesis.resources]
    outputs = {k: strip(v) for k, v in synthesis.outputs.items() if k != "nameSuffix"}
    return replace(synthesis, resources=resources, outputs=outputs)


def _identity(resource: DeclaredResource) -> str:
    return f"{_short_type(resource.type)} {resource.name}"


def _diff_values(old: Any, new: Any, path: str) -> Iterator[str]:
    old_flat = dict(flatten(old, path)) if isinstance(old, dict) else {path: old}
    new_flat = dict(flatten(new, path)) if isinstance(new, dict) else {path: new}
    for key in sorted(set(old_flat) | set(new_flat)):
        a, b = old_flat.get(key), new_flat.get(key)
        if key in old_flat and key in new_flat and _same(a, b):
            continue
        if key not in old_flat or key not in new_flat:
            shown_a = _short(a, 40) if key in old_flat else "(absent)"
            shown_b = _short(b, 40) if key in new_flat else "(absent)"
        else:
            shown_a, shown_b = _differing(a, b)
        yield f"{key}: {shown_a} -> {shown_b}"


def _same(a: Any, b: Any) -> bool:
    """Equal as a reviewer means it: True is not 1, "1" is not 1 (1 and 1.0 are the same)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _differing(a: Any, b: Any, limit: int = 40) -> tuple[str, str]:
    """Both values shortened so that they still look different (the differing part shown)."""
    shown_a, shown_b = _short(a, limit), _short(b, limit)
    if shown_a != shown_b:
        return shown_a, shown_b
    full_a, full_b = json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)
    if full_a == full_b:  # same text, different types (e.g. "1" and 1 after json.dumps)
        return f"{full_a} ({type(a).__name__})", f"{full_b} ({type(b).__name__})"
    if len(full_a) <= limit and len(full_b) <= limit:
        return full_a, full_b
    start = next(
        (i for i, (x, y) in enumerate(zip(full_a, full_b, strict=False)) if x != y),
        min(len(full_a), len(full_b)),
    )
    begin = max(0, start - 10)

    def window(text: str) -> str:
        piece = text[begin : begin + limit]
        return ("..." if begin else "") + piece + ("..." if begin + limit < len(text) else "")

    return window(full_a), window(full_b)


if __name__ == "__main__":
    gc.enable()
    try:
        exit_without_final_collection(main())
    except BrokenPipeError:  # `... | head`: the reader left; not an error of ours
        sys.stderr.close()
        sys.exit(EXIT_OK)

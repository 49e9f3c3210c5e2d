"""Offline synth: what a stack declares, and how two stacks differ, without credentials.

    python -m jobs.synth --stack dev                  # tree by component + count by type
    python -m jobs.synth --stack prod --json out.json # every resource, inputs redacted
    python -m jobs.synth --stack prod --diff staging  # what prod declares differently
    python -m jobs.synth --stack prod --check         # the policy pack, offline (docs/policies.md)
    python -m jobs.synth --stack prod --cost          # what it may spend (docs/cost.md)
    python -m jobs.synth --stack prod --cost --diff staging

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
    SECRET_MARK,
    DeclaredResource,
    StackConfigError,
    Synthesis,
    synthesize,
)

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
    args = parser.parse_args(argv)

    try:
        synthesis = synthesize(args.stack, root=args.project_dir)
        other = synthesize(args.diff, root=args.project_dir) if args.diff else None
    except (SettingsError, StackConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID

    if args.json:
        args.json.write_text(json.dumps(to_json(synthesis), indent=2, sort_keys=True) + "\n")
        print(f"wrote {len(synthesis.resources)} resources to {args.json}")
    if args.check:
        return _print_check(synthesis)
    if args.cost:
        return _print_cost(synthesis, other)
    if other is not None:
        print(render_diff(other, synthesis, hide_suffixes=not args.raw))
    else:
        print(render_tree(synthesis))
    return EXIT_OK


def _print_check(synthesis: Synthesis) -> int:
    from jobs.check import PolicyConfigError, load_policy_config, render_check, run_checks

    try:
        report = run_checks(synthesis, load_policy_config(synthesis.stack))
    except PolicyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(render_check(report))
    return report.exit_code


def _print_cost(synthesis: Synthesis, other: Synthesis | None) -> int:
    from jobs import cost  # imported here: only --cost needs the price book

    try:
        book = cost.load_price_book()
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


def to_json(synthesis: Synthesis) -> dict[str, Any]:
    return {
        "stack": synthesis.stack,
        "resources": [r.to_json() for r in synthesis.resources],
        "outputs": synthesis.outputs,
        "secretOutputs": synthesis.secret_outputs,
        "counts": dict(sorted(Counter(r.type for r in synthesis.resources).items())),
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
        if a == b or (a == SECRET_MARK and b == SECRET_MARK):
            continue
        yield f"{key}: {_short(a, 40) if key in old_flat else '(absent)'} -> " + (
            _short(b, 40) if key in new_flat else "(absent)"
        )


if __name__ == "__main__":
    gc.enable()
    sys.exit(main())

"""The synth's stack diff: what one stack declares differently from another.

`graph_marks` hands the same comparison, per resource, to `--graph --diff` (docs/graph.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from jobs.harness import DeclaredResource, Synthesis
from jobs.synth_tree import _short, _short_type, flatten, flatten_inputs


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
            f"(differences that are only the stack in a name are hidden: the suffix, and "
            f"{base.stack}/{head.stack} shown as {STACK_MARK}; --raw shows them)"
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
            yield "added", key, [f"{k}: {_short(v)}" for k, v in flatten_inputs(new)]
        elif new is None:
            yield "removed", key, []
        else:
            details = list(_diff_flat(dict(flatten_inputs(old)), dict(flatten_inputs(new))))
            for option in ("protect", "retain_on_delete"):
                if getattr(old, option) != getattr(new, option):
                    details.append(f"({option}): {getattr(old, option)} -> {getattr(new, option)}")
            if details:
                yield "changed", key, details


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


STACK_MARK = "<stack>"


def _without_suffix(synthesis: Synthesis) -> Synthesis:
    """Names that differ only by the stack: the Snowflake suffix (`_STAGING`) removed, and the
    stack name inside a longer name (`sophia-staging`, `sophia/staging/`, `api.staging.sophia.ai`,
    `@openai-staging`: next to '-', '/', '.', '_' or '@') replaced by `<stack>`. A value that is
    the stack name alone (an environment label) is not a name and stays."""
    suffix = synthesis.outputs.get("nameSuffix") or ""
    pattern = re.compile(re.escape(suffix) + r"(?![A-Z0-9_])")
    name = re.escape(synthesis.stack)
    in_name = re.compile(
        rf"(?<=[-/._@]){name}(?![A-Za-z0-9])|(?<![A-Za-z0-9]){name}(?=[-/._][A-Za-z0-9])"
    )

    def strip(value: Any) -> Any:
        if isinstance(value, str):
            value = pattern.sub("", value) if suffix else value
            return in_name.sub(STACK_MARK, value)
        if isinstance(value, dict):
            return {strip(k): strip(v) for k, v in value.items()}
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
    yield from _diff_flat(old_flat, new_flat)


def _diff_flat(old_flat: dict[str, Any], new_flat: dict[str, Any]) -> Iterator[str]:
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

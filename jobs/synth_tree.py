"""The synth's tree: what a stack declares, by component, then the count by type and the outputs.

Also the reviewer-friendly values both views print (`flatten`, `_short`, `_short_type`), which
the stack diff (jobs/synth_diff.py) reuses so that both show a value the same way.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import yaml

from jobs.harness import DeclaredResource, Synthesis

_MAX_VALUE = 100


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
    for key, value in flatten_inputs(resource):
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


# Kinds whose `data` values are strings to the API server (ConfigMap data is map[string]string;
# Secret stringData likewise): a JSON document there is one string, shown as one.
_STRING_DATA = {"kubernetes:core/v1:ConfigMap": "data", "kubernetes:core/v1:Secret": "stringData"}


def flatten_inputs(resource: DeclaredResource) -> Iterator[tuple[str, Any]]:
    """A resource's inputs as `flatten` shows them, but string data stays a string."""
    field = _STRING_DATA.get(resource.type)
    yield from flatten({k: v for k, v in resource.inputs.items() if k != field})
    data = resource.inputs.get(field) if field else None
    if isinstance(data, dict):
        for name in sorted(data):
            yield f"{field}.{name}", data[name]


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
    """A value on one line; an empty string shows as `""`, never as a blank."""
    if value == "":
        return '""'
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."

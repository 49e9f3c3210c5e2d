"""Folding a stream of Pulumi engine events into an `EngineOutcome`.

Input: `EngineEvent`-shaped objects (as `pulumi.automation.events.EngineEvent.from_json` builds
them, or as the Automation API hands them to `on_event`). This module only reads attributes,
so it imports nothing from Pulumi.

Engine facts this relies on (see the Pulumi brief, section 4):
- a refresh step's `resourcePreEvent` has op `refresh`; its `resOutputsEvent` carries the
  result op: `same`, `update` or `delete`;
- a replacement shows up as `replace`, `create-replacement` and `delete-replaced` steps on the
  same URN; they collapse into one `replace` here;
- `detailedDiff` maps property paths to `{diffKind, inputDiff}`;
- secret values (envelopes, the `[secret]` sentinel) are `jobs.engine_events.values`' concern:
  never rendered, their plaintexts collected so a report can be scrubbed of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jobs.engine_events.outcome import (
    EngineOutcome,
    PolicyViolation,
    PropertyChange,
    ResourceChange,
)
from jobs.engine_events.values import _collect_secrets, _render_at, _state

_OP_ALIASES = {
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "discard-replaced": "replace",
    "import-replacement": "replace",
    "read-replacement": "replace",
    "discard": "delete",
}
_NO_CHANGE_OPS = frozenset({"same", "read", "refresh", "remove-pending-replace"})
_OP_RANK = {"create": 1, "import": 1, "update": 2, "delete": 3, "replace": 4}

_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*m")


def op_name(op: Any) -> str:
    """`OpType.UPDATE` or "update" -> "update"."""
    return str(getattr(op, "value", op) or "")


def clean_message(message: str) -> str:
    """Without colour tags; a Python traceback (how a dynamic provider's failure arrives)
    shortened to the text before it and its last line, the exception."""
    text = _COLOR_TAG.sub("", message or "").strip()
    head, marker, trace = text.partition("Traceback (most recent call last):")
    if not marker:
        return text
    lines = [line.strip() for line in trace.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return f"{head.strip()} {last}".strip()


def summarize(events: Iterable[Any]) -> EngineOutcome:
    """Fold a stream of engine events into the changes, errors and policy results it reports."""
    best: dict[str, tuple[int, str, Any]] = {}  # urn -> (rank, op, metadata)
    errors: list[str] = []
    warnings: list[str] = []
    violations: list[PolicyViolation] = []
    secrets: set[str] = set()
    summary: dict[str, int] | None = None

    for event in events:
        diag = getattr(event, "diagnostic_event", None)
        if diag is not None:
            message = clean_message(diag.message)
            if diag.severity == "error" and message:
                errors.append(message)
            elif diag.severity == "warning" and message:
                warnings.append(message)
        policy = getattr(event, "policy_event", None)
        if policy is not None:
            violations.append(
                PolicyViolation(
                    policy_pack=policy.policy_pack_name,
                    policy_name=policy.policy_name,
                    enforcement_level=(policy.enforcement_level or "").lower(),
                    message=clean_message(policy.message),
                    urn=policy.resource_urn,
                )
            )
        failed = getattr(event, "res_op_failed_event", None)
        if failed is not None:
            md = failed.metadata
            _collect_secrets(md, secrets)
            errors.append(f"{op_name(md.op)} failed for {md.urn} (status {failed.status})")
        if getattr(event, "summary_event", None) is not None:
            summary = {op_name(k): int(v) for k, v in event.summary_event.resource_changes.items()}
        for payload, is_result in (
            (getattr(event, "resource_pre_event", None), False),
            (getattr(event, "res_outputs_event", None), True),
        ):
            if payload is None:
                continue
            md = payload.metadata
            _collect_secrets(md, secrets)
            op = _effective_op(md, is_result)
            if op is None:
                continue
            rank = _OP_RANK.get(op, 0)
            if md.urn not in best or rank > best[md.urn][0]:
                best[md.urn] = (rank, op, md)

    changes = tuple(_to_change(op, md) for _, op, md in best.values())
    return EngineOutcome(
        changes=changes,
        errors=tuple(errors),
        warnings=tuple(warnings),
        policy_violations=tuple(violations),
        summary=summary,
        secrets=frozenset(secrets),
    )


# --- internals ---------------------------------------------------------------------------


def _effective_op(md: Any, is_result: bool) -> str | None:
    raw = op_name(md.op)
    if raw == "refresh":
        if not is_result:
            return None  # the outputs event carries the refresh's result
        # Defensive: an engine that reports the result event as "refresh" too.
        if md.new is None and md.old is not None:
            return "delete"
        return "update" if (md.detailed_diff or md.diffs) else None
    op = _OP_ALIASES.get(raw, raw)
    if op in _NO_CHANGE_OPS or not op:
        return None
    return op


def _to_change(op: str, md: Any) -> ResourceChange:
    protected = bool(
        (md.old is not None and md.old.protect) or (md.new is not None and md.new.protect)
    )
    properties: tuple[PropertyChange, ...] = ()
    if op in ("update", "replace"):
        properties = tuple(_property_changes(md))
    return ResourceChange(
        urn=md.urn, type=md.type, op=op, properties=properties, protected=protected
    )


def _property_changes(md: Any) -> list[PropertyChange]:
    old_in = _state(md.old, "inputs")
    old_out = _state(md.old, "outputs")
    new_in = _state(md.new, "inputs")
    new_out = _state(md.new, "outputs")
    kinds: dict[str, tuple[str, bool]] = {}
    outputs_only: set[str] = set()
    for path, diff in sorted((md.detailed_diff or {}).items()):
        kinds[path] = (op_name(diff.diff_kind), bool(diff.input_diff))
    if not kinds and md.old is not None and md.new is not None:
        # No detailed diff: what Python dynamic providers give (pulumi/dynamic/__main__.py Diff
        # sends no keys). The engine's own `diffs` list then names every key that differs
        # between the old outputs and the new inputs, outputs-only keys included, so it is not
        # used. Instead: the declared inputs that changed (an update); else, as in a refresh,
        # where the recorded inputs are kept, the outputs of declared keys that changed; else
        # every output that changed.
        kinds = {k: ("update", True) for k in _changed_keys(old_in, new_in)}
        if not kinds:
            declared = set(old_in) | set(new_in)
            changed = _changed_keys(old_out, new_out)
            kinds = {k: ("update", False) for k in changed if k in declared} or {
                k: ("update", False) for k in changed
            }
            outputs_only = set(kinds)
    if not kinds:
        for path in md.diffs or []:
            kinds[path] = ("update", False)
    changes = []
    for path, (kind, input_diff) in kinds.items():
        before_sources = (old_in, old_out) if input_diff else (old_out, old_in)
        after_sources = (new_in, new_out) if input_diff else (new_out, new_in)
        if path in outputs_only:
            # Found by comparing outputs (a refresh): an output the read no longer returns is
            # gone from the live object (Estuary drops a capture's `interval` when it is the 5m
            # default); falling back to the recorded inputs would show the old value as "after".
            before_sources, after_sources = (old_out,), (new_out,)
        changes.append(
            PropertyChange(
                path=path,
                kind=kind,
                before=_render_at(before_sources, path),
                after=_render_at(after_sources, path),
            )
        )
    return changes


def _changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [
        key
        for key in sorted(set(old) | set(new))
        if not key.startswith("__") and old.get(key) != new.get(key)
    ]

"""Pure parsing and classification of Pulumi engine events.

Input: `EngineEvent`-shaped objects (as `pulumi.automation.events.EngineEvent.from_json` builds
them, or as the Automation API hands them to `on_event`). This module only reads attributes,
so it imports nothing from Pulumi.

Engine facts this relies on (see the Pulumi brief, section 4):
- a refresh step's `resourcePreEvent` has op `refresh`; its `resOutputsEvent` carries the
  result op: `same`, `update` or `delete`;
- a replacement shows up as `replace`, `create-replacement` and `delete-replaced` steps on the
  same URN; they collapse into one `replace` here;
- `detailedDiff` maps property paths to `{diffKind, inputDiff}`;
- secret values travel as `{"4dabf...": "1b470...", ...}` envelopes or as the `[secret]`
  sentinel. Neither value is ever rendered; plaintexts found in envelopes are collected so
  a report can be scrubbed of them as a last line of defence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"
SECRET_SENTINEL = "[secret]"
# How the engine sends a value that is not known until the update runs (pulumi.runtime.rpc).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN = "(known after the update)"
REDACTED = "[secret]"

# Property names whose values are treated as secret even when the engine did not mark them.
_SECRET_NAME = re.compile(
    r"password|passphrase|secret|token|private_?key|api_?key|credential|access_?key", re.I
)
# Shortest plaintext we scrub from rendered text; shorter strings would mangle ordinary words.
_MIN_SCRUB_LENGTH = 6
_MAX_VALUE_CHARS = 160

# Types whose deletion or replacement loses data (or, for Estuary captures, re-backfills).
DATA_HOLDING_TYPES = frozenset(
    {
        "snowflake:index/database:Database",
        "snowflake:index/schema:Schema",
        "snowflake:index/table:Table",
        "pulumi-python:dynamic/estuary:Capture",
    }
)

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
DESTRUCTIVE_OPS = frozenset({"delete", "replace"})

_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: str  # add | update | delete, optionally with -replace
    before: str | None  # rendered, redacted; None when absent
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    op: str  # create | update | delete | replace | import
    properties: tuple[PropertyChange, ...] = ()
    protected: bool = False

    @property
    def name(self) -> str:
        return resource_name(self.urn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "operation": self.op,
            "protected": self.protected,
            "properties": [p.to_dict() for p in self.properties],
        }


@dataclass(frozen=True)
class PolicyViolation:
    policy_pack: str
    policy_name: str
    enforcement_level: str  # advisory | mandatory | remediate | disabled
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level in ("mandatory", "remediate")

    def describe(self) -> str:
        where = f" on {self.urn}" if self.urn else ""
        policy = f"{self.policy_pack}/{self.policy_name} ({self.enforcement_level})"
        return f"{policy}{where}: {self.message}"


@dataclass(frozen=True)
class EngineOutcome:
    changes: tuple[ResourceChange, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    policy_violations: tuple[PolicyViolation, ...] = ()
    summary: dict[str, int] | None = None
    secrets: frozenset[str] = field(default_factory=frozenset)

    @property
    def mandatory_violations(self) -> tuple[PolicyViolation, ...]:
        return tuple(v for v in self.policy_violations if v.mandatory)

    def failure_reason(self) -> str | None:
        """Why this run cannot be trusted, or None when the engine finished cleanly."""
        if self.errors:
            return "; ".join(self.errors)
        if self.summary is None:
            return "the engine never reported a summary (the operation did not finish)"
        return None


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


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


def destructive_changes(changes: Iterable[ResourceChange]) -> list[ResourceChange]:
    """Deletes or replacements of protected or data-holding resources."""
    return [
        c
        for c in changes
        if c.op in DESTRUCTIVE_OPS and (c.protected or c.type in DATA_HOLDING_TYPES)
    ]


def is_named(change: ResourceChange, names: Iterable[str]) -> bool:
    """True when `names` lists this resource by full URN or by its resource name."""
    wanted = set(names)
    return change.urn in wanted or change.name in wanted


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret plaintext in `text` (longest first) with the redaction mark."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= _MIN_SCRUB_LENGTH:
            text = text.replace(secret, REDACTED)
            # The JSON-escaped form too, in case the secret held quotes or backslashes.
            escaped = json.dumps(secret)[1:-1]
            if escaped != secret:
                text = text.replace(escaped, REDACTED)
    return text


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


def _state(meta: Any, attr: str) -> Mapping[str, Any]:
    if meta is None:
        return {}
    return getattr(meta, attr, None) or {}


def _is_envelope(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def parse_path(path: str) -> list[str | int]:
    """Split a Pulumi property path (`a.b[0]["c.d"]`) into keys and indexes."""
    segments: list[str | int] = []
    current = ""
    i = 0
    try:
        while i < len(path):
            ch = path[i]
            if ch == ".":
                if current:
                    segments.append(current)
                current = ""
                i += 1
            elif ch == "[":
                if current:
                    segments.append(current)
                current = ""
                if path[i + 1] == '"':
                    end = path.index('"]', i + 2)
                    segments.append(path[i + 2 : end])
                    i = end + 2
                else:
                    end = path.index("]", i)
                    inner = path[i + 1 : end]
                    segments.append(int(inner) if inner.isdigit() else inner)
                    i = end + 1
            else:
                current += ch
                i += 1
    except (ValueError, IndexError):
        return [path]
    if current:
        segments.append(current)
    return segments


_MISSING = object()


def _lookup(mapping: Mapping[str, Any], path: str) -> tuple[Any, bool]:
    """(value or _MISSING, whether anything on the way marks it secret)."""
    secret = False
    node: Any = mapping
    for segment in parse_path(path):
        if _is_envelope(node):
            return _MISSING, True
        if isinstance(segment, str) and _SECRET_NAME.search(segment):
            secret = True
        in_mapping = isinstance(node, Mapping) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and segment < len(node)
        if not (in_mapping or in_list):
            return _MISSING, secret
        node = node[segment]
    if _is_envelope(node) or node == SECRET_SENTINEL:
        secret = True
    return node, secret


def _render_at(sources: Sequence[Mapping[str, Any]], path: str) -> str | None:
    for source in sources:
        value, secret = _lookup(source, path)
        if secret:
            return REDACTED
        if value is not _MISSING:
            return render_value(value)
    return None


def redact(value: Any) -> Any:
    """A copy of `value` with envelopes, sentinels and secret-named keys replaced."""
    if _is_envelope(value) or value == SECRET_SENTINEL:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _SECRET_NAME.search(str(k)) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def render_value(value: Any) -> str:
    if value == UNKNOWN_SENTINEL:
        return UNKNOWN
    value = redact(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


def _collect_secrets(md: Any, into: set[str]) -> None:
    for meta in (md.old, md.new):
        for attr in ("inputs", "outputs"):
            _walk_secrets(_state(meta, attr), into, inside_secret=False)


def _walk_secrets(value: Any, into: set[str], *, inside_secret: bool) -> None:
    if _is_envelope(value):
        payload: Any = value.get("value")
        if "plaintext" in value:
            try:
                payload = json.loads(value["plaintext"])
            except (TypeError, ValueError):
                payload = value["plaintext"]
        _walk_secrets(payload, into, inside_secret=True)
    elif isinstance(value, Mapping):
        # Only what the engine marks secret: key names alone would collect Kubernetes names
        # such as a Secret's `secretName` (seen in real events), and scrubbing would then
        # blank those names out of every report. Rendering still redacts by key name.
        for v in value.values():
            _walk_secrets(v, into, inside_secret=inside_secret)
    elif isinstance(value, list):
        for v in value:
            _walk_secrets(v, into, inside_secret=inside_secret)
    elif inside_secret and isinstance(value, str) and value != SECRET_SENTINEL:
        into.add(value)

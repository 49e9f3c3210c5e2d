"""Values inside engine events: rendering them for a report, and keeping secrets out of it.

Secret values travel as `{"4dabf...": "1b470...", ...}` envelopes or as the `[secret]`
sentinel. Neither value is ever rendered; plaintexts found in envelopes are collected so a
report can be scrubbed of them as a last line of defence. Like the rest of
`jobs.engine_events`, this reads attributes only and imports nothing from Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
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

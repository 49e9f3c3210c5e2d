"""Pure helpers (no I/O) for the Estuary providers: canonical forms, and the normalization
that makes a declared spec and its live, re-serialized copy compare equal.

What the control plane adds or drops when it stores a spec (the agent re-serializes every
spec through the `models` crate, estuary/flow crates/models):
- captures.rs: `interval` is skipped when it is the 5m default and written by humantime
  ("1h 30m"); `AutoDiscover` fields are always written; a `CaptureBinding` drops
  `disable: false` and `backfill: 0`.
- materializations.rs: `MaterializationBinding.fields` is `#[serde(default)]` and always
  written, default `{"recommended": true}`; `disable: false`, `priority: 0`, `backfill: 0`
  are dropped; `fields.include` is read as its new name `require`.
- ShardTemplate: dropped when empty.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

# flowctl's default data plane (estuary/flow crates/flowctl); used when a task is created.
DEFAULT_DATA_PLANE = "ops/dp/public/gcp-us-central1-c1"
# `expect_pub_id` meaning "must not exist yet" (estuary/flow supabase/migrations/07_drafts.sql).
MUST_NOT_EXIST = "00:00:00:00:00:00:00:00"

# pulumi.runtime.rpc.UNKNOWN: how the dynamic host shows values unknown during preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Key names whose values are credentials; their plaintext must never leave encrypt-config.
SECRET_KEY = re.compile(r"(token|secret|password|private_key|access_key|api_key|client_id)", re.I)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return type(value).__name__ == "Unknown"


def config_hash(config: Any, salt: str) -> str:
    """HMAC-SHA256 of the canonical plaintext config; the salt stops dictionary guessing."""
    return hmac.new(salt.encode(), canonical(config).encode(), hashlib.sha256).hexdigest()


def duration_seconds(value: str) -> float:
    """Parse a humantime-style duration ("5m", "1h30m", "1h 30m"). Raises ValueError."""
    text = value.replace(" ", "")
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(value)
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)


def interval_key(value: Any) -> Any:
    # Estuary's default capture interval is 5m: unset and "5m" are the same declaration.
    if value is None:
        return 300.0
    try:
        return float(duration_seconds(str(value)))
    except ValueError:
        return value


def clean(value: Any) -> Any:
    """Drop None values from mappings so `{"x": None}` equals `{}`."""
    if isinstance(value, Mapping):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def split_image(full: str) -> tuple[str, str]:
    name, sep, tag = full.rpartition(":")
    if not sep or "/" in tag:
        return full, ""
    return name, tag


def bare_tag(tag: Any) -> str:
    return str(tag or "").lstrip(":")


def capture_binding(binding: Mapping[str, Any]) -> dict[str, Any]:
    item = clean(dict(binding))
    for key, default in (("disable", False), ("backfill", 0)):
        if item.get(key, default) == default:
            item.pop(key, None)
    return item


def materialization_binding(binding: Mapping[str, Any]) -> dict[str, Any]:
    item = capture_binding(binding)
    if item.get("priority", 0) == 0:
        item.pop("priority", None)
    fields = dict(item.get("fields") or {})
    if "include" in fields:
        fields["require"] = fields.pop("include")
    fields = {k: v for k, v in fields.items() if v not in ([], {}, None)}
    if fields.get("recommended", True) is True:
        fields.pop("recommended", None)
    if fields:
        item["fields"] = fields
    else:
        item.pop("fields", None)
    return item


def sops_free(config: Any) -> Any:
    """The config with the sops envelope and encrypted values masked (what is readable)."""
    if isinstance(config, Mapping):
        return {
            k: ("<encrypted>" if k.endswith("_sops") else sops_free(v))
            for k, v in config.items()
            if k != "sops"
        }
    if isinstance(config, list):
        return [sops_free(v) for v in config]
    return config


# ---- ciphertext kept opaque ---------------------------------------------------------------
# sops' MAC covers values in document order (getsops/sops#833), and Pulumi does not keep key
# order through its state (outputs travel as protobuf Structs and are checkpointed with
# sorted keys). So the ciphertext is kept as the exact JSON text Estuary returned and parsed
# back (Python keeps key order) only when it is staged again.
def dump_ciphertext(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def load_ciphertext(value: Any) -> Any:
    """The sops document from state; None when it is missing or not an opaque string (state
    written before ciphertext was kept opaque: its key order cannot be trusted)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def secret_leaves(config: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, value) of non-empty string leaves under a credential-looking key name."""
    out: list[tuple[str, str]] = []
    if isinstance(config, Mapping):
        for key, value in config.items():
            child = f"{path}/{key}"
            if isinstance(value, str) and SECRET_KEY.search(str(key)):
                if value:
                    out.append((child, value))
            else:
                out += secret_leaves(value, child)
    elif isinstance(config, list):
        for i, value in enumerate(config):
            out += secret_leaves(value, f"{path}/{i}")
    return out

"""What the control plane's build does to specs, rule by rule: the `models` crate's
(de)serialization (so live specs come back re-serialized) and the catalog checks of
`crates/validation` that this project can trip. Each rule names its source.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

ZERO_ID = "00:00:00:00:00:00:00:00"


class ModelError(Exception):
    """A spec the models crate would not deserialize (deny_unknown_fields, wrong shape)."""


def display_id(colon_id: str | None) -> str:
    """models::Id's Display: 16 hex digits, no colons (as in draft_errors texts)."""
    return (colon_id or ZERO_ID).replace(":", "")


# ---- humantime (models captures.rs `interval`: `with = "humantime_serde"`) -----------------
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_PART = re.compile(r"(\d+)\s*(ms|s|m|h|d)")


def parse_duration(text: str) -> int:
    compact = text.replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ModelError(f"invalid duration {text!r}")
    scale = {"ms": 0, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(n) * scale[u] for n, u in parts)


def format_duration(seconds: int) -> str:
    # humantime's FormattedDuration: largest units first, joined by spaces ("1h 30m").
    out = []
    for unit, size in _UNITS:
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(out) or "0s"


# ---- re-serialization ------------------------------------------------------------------
# Field names each struct accepts (serde `deny_unknown_fields`), from the models crate.
_CAPTURE_FIELDS = {"endpoint", "bindings", "interval", "shards", "autoDiscover", "expectPubId",
                   "delete", "redactSalt"}  # fmt: skip
_CAPTURE_BINDING_FIELDS = {"resource", "target", "disable", "backfill"}
_MATERIALIZATION_FIELDS = {"endpoint", "bindings", "shards", "source", "sourceCapture",
                           "onIncompatibleSchemaChange", "expectPubId", "delete"}  # fmt: skip
_MATERIALIZATION_BINDING_FIELDS = {"resource", "source", "disable", "priority", "fields",
                                   "backfill", "onIncompatibleSchemaChange"}  # fmt: skip
_FIELDS_FIELDS = {"groupBy", "require", "include", "exclude", "recommended"}
_COLLECTION_FIELDS = {"schema", "writeSchema", "readSchema", "key", "projections", "journals",
                      "derive", "expectPubId", "delete"}  # fmt: skip


def _only(obj: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise ModelError(f"{what} must be an object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ModelError(f"unknown field `{unknown[0]}` in {what}")
    return dict(obj)


def _shards(spec: dict[str, Any]) -> None:
    # ShardTemplate: `skip_serializing_if = "ShardTemplate::is_empty"`; `disable` skips false.
    shards = {k: v for k, v in (spec.get("shards") or {}).items() if v not in (False, None)}
    if shards:
        spec["shards"] = shards
    else:
        spec.pop("shards", None)


def reserialize_capture(spec: Mapping[str, Any]) -> dict[str, Any]:
    """models/src/captures.rs: `interval` skipped when it is the 5m default (and written by
    humantime), `AutoDiscover` fields `#[serde(default)]` and always written, `CaptureBinding`
    skips `disable: false` and `backfill: 0`."""
    out = _only(copy.deepcopy(spec), _CAPTURE_FIELDS, "capture")
    if "interval" in out:
        seconds = parse_duration(str(out["interval"]))
        if seconds == 300:
            del out["interval"]
        else:
            out["interval"] = format_duration(seconds)
    auto = out.get("autoDiscover")
    if auto is not None:
        auto = _only(auto, {"addNewBindings", "evolveIncompatibleCollections"}, "autoDiscover")
        out["autoDiscover"] = {
            "addNewBindings": bool(auto.get("addNewBindings", False)),
            "evolveIncompatibleCollections": bool(auto.get("evolveIncompatibleCollections", False)),
        }
    bindings = []
    for b in out.get("bindings") or []:
        b = _only(b, _CAPTURE_BINDING_FIELDS, "capture binding")
        if not b.get("disable"):
            b.pop("disable", None)
        if not b.get("backfill"):
            b.pop("backfill", None)
        bindings.append(b)
    out["bindings"] = bindings
    out.pop("expectPubId", None)
    _shards(out)
    return out


def reserialize_materialization(spec: Mapping[str, Any]) -> dict[str, Any]:
    """models/src/materializations.rs (search id 26191898987): `MaterializationBinding.fields`
    is `#[serde(default)]` with no skip, and `MaterializationFields::default()` is
    `recommended: true`; so every live binding carries `"fields": {"recommended": true}`.
    `disable: false`, `priority: 0` and `backfill: 0` are skipped."""
    out = _only(copy.deepcopy(spec), _MATERIALIZATION_FIELDS, "materialization")
    bindings = []
    for b in out.get("bindings") or []:
        b = _only(b, _MATERIALIZATION_BINDING_FIELDS, "materialization binding")
        fields = _only(b.get("fields") or {}, _FIELDS_FIELDS, "fields")
        if "include" in fields:  # `alias = "include"`: written back as `require`
            fields["require"] = fields.pop("include")
        fields = {k: v for k, v in fields.items() if v not in ([], {}, None)}
        fields.setdefault("recommended", True)
        b["fields"] = fields
        for key, empty in (("disable", False), ("priority", 0), ("backfill", 0)):
            if b.get(key, empty) == empty:
                b.pop(key, None)
        bindings.append(b)
    out["bindings"] = bindings
    out.pop("expectPubId", None)
    _shards(out)
    return out


def reserialize_collection(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = _only(copy.deepcopy(spec), _COLLECTION_FIELDS, "collection")
    out.pop("expectPubId", None)
    for key in ("projections", "journals"):
        if not out.get(key):
            out.pop(key, None)
    return out


RESERIALIZE = {
    "capture": reserialize_capture,
    "materialization": reserialize_materialization,
    "collection": reserialize_collection,
}


# ---- collection checks (crates/validation schema walk) --------------------------------------
# The key rule differs by version. Older: a key location must be `is_keyable_type()` (one of
# boolean, integer, number or string, optionally nullable), error "locations used as keys
# may only be null-able integers, strings, or booleans" (json `schema::types::Set`, search
# id 26436279774; validation errors, id 34240705909). Newer `walk_keyed_location` (id
# 39802226027) only disallows object, array and fractional types. The stand-in enforces
# BOTH (the stricter intersection): one scalar type among boolean, integer, string, plus
# optional null. Both versions require the key to exist (`KeyMayNotExist`).
_KEYABLE = {"boolean", "integer", "string"}
INFERRED = "flow://inferred-schema"
WRITE = "flow://write-schema"


def _locate(schema: Any, pointer: str) -> tuple[Any, bool]:
    """(sub-schema at pointer, whether every step is required). Properties only."""
    node, must = schema, True
    for part in pointer.strip("/").split("/"):
        if not isinstance(node, Mapping):
            return None, False
        must = must and part in (node.get("required") or [])
        node = (node.get("properties") or {}).get(part)
    return node, must


def collection_errors(name: str, spec: Mapping[str, Any]) -> list[str]:
    errors = []
    has_schema = "schema" in spec
    has_rw = "writeSchema" in spec or "readSchema" in spec
    if has_schema == has_rw or ("writeSchema" in spec) != ("readSchema" in spec):
        return [f"{name}: a collection needs `schema`, or both `writeSchema` and `readSchema`"]
    schema = spec.get("schema") or spec.get("writeSchema")
    key = spec.get("key")
    if not isinstance(key, list) or not key:
        return [f"{name}: collection key must be a non-empty list of JSON pointers"]
    for ptr in key:
        node, must = _locate(schema, ptr)
        if node is None:
            errors.append(f"location {ptr} is unknown in schema {name}")
            continue
        types = node.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if not must:
            errors.append(f"location {ptr} (having type {types}) must be required to exist")
        scalar = [t for t in types if t != "null"]
        if len(scalar) != 1 or scalar[0] not in _KEYABLE:
            errors.append(
                f"location {ptr} accepts {types} in schema {name}, but locations used as keys "
                "may only be null-able integers, strings, or booleans"
            )
    read = spec.get("readSchema")
    if read is not None:
        # Inference is on when the read schema references flow://inferred-schema
        # (docs.estuary.dev/concepts/schemas); other flow:// refs are unknown.
        refs = re.findall(r'"\$ref":\s*"(flow://[^"]+)"', str(read).replace("'", '"'))
        unknown = [r for r in refs if r not in (WRITE, INFERRED)]
        if unknown:
            errors.append(f"{name}: readSchema references unknown {unknown[0]}")
    return errors


def uses_inference(spec: Mapping[str, Any]) -> bool:
    """The collection's readSchema references the inferred schema. `x-infer-schema` is no
    longer relevant (flow test SQL "The x-infer-schema annotation used to be relevant, but
    no longer is", search id 34217176120)."""
    return INFERRED in str(spec.get("readSchema") or "")


def name_collisions(names: list[str]) -> list[tuple[str, str]]:
    """crates/validation `NameCollision`: a name that is a prohibited prefix of another."""
    ordered = sorted(set(names))
    return [(a, b) for a in ordered for b in ordered if a != b and b.startswith(a + "/")]

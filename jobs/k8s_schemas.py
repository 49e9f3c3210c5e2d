"""Custom resources checked against the committed upstream schemas, strictly.

    validate_custom_resource(obj) -> CustomResourceResult | None   (None: no schema for the kind)

The schemas are components/k8s/schemas/*.json, generated from the pinned @kubernetes-models npm
packages (components/k8s/schemas/generate.py says how and why). Two passes, as the API server
does for a custom resource:

1. `jsonschema` over the schema: types, `required`, `enum` (the server's OpenAPI validation);
2. the strict walk: every field must be declared by the schema, except below a node with
   `x-kubernetes-preserve-unknown-fields: true` or a map (`additionalProperties`). This is what
   `kubectl apply --validate=strict` / `fieldValidation=Strict` does with a structural schema
   (Kubernetes docs, "Field validation" and "CustomResourceDefinition: pruning"); without it the
   server silently drops the misspelt field and the controller never sees it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "components" / "k8s" / "schemas"
PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"


@dataclass(frozen=True)
class SchemaError:
    path: str  # dotted, e.g. spec.strategy.canary.canaryMetdata
    message: str


@dataclass
class CustomResourceResult:
    source: str  # "@kubernetes-models/argo-rollouts 2.0.0"
    errors: list[SchemaError] = field(default_factory=list)


def _file_name(api_version: str, kind: str) -> str:
    return f"{api_version.replace('/', '_')}_{kind}.json"


@cache
def load_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    path = SCHEMA_DIR / _file_name(api_version, kind)
    return json.loads(path.read_text()) if path.exists() else None


def schema_source(schema: dict[str, Any]) -> str:
    source = schema["x-sophia-source"]
    return f"{source['package']} {source['version']}"


def known_kinds() -> list[tuple[str, str]]:
    kinds = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        gvk = json.loads(path.read_text())["x-kubernetes-group-version-kind"]
        kinds.append((gvk["apiVersion"], gvk["kind"]))
    return kinds


def _path(parts: Any) -> str:
    return ".".join(str(part) for part in parts) or "(top)"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        schema = root["$defs"][name]
    return schema


def unknown_fields(
    value: Any, schema: dict[str, Any], root: dict[str, Any], where: tuple[Any, ...] = ()
) -> Iterator[SchemaError]:
    """Fields the schema does not declare (the strict walk; see the module docstring)."""
    schema = _resolve(schema, root)
    if schema.get(PRESERVE_UNKNOWN):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                yield from unknown_fields(item, properties[key], root, (*where, key))
            elif isinstance(extra, dict):
                yield from unknown_fields(item, extra, root, (*where, key))
            elif properties is not None or extra is False:
                known = ", ".join(sorted(properties or {})) or "none"
                yield SchemaError(
                    _path((*where, key)), f"unknown field {key!r} (the schema allows: {known})"
                )
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from unknown_fields(item, schema["items"], root, (*where, index))


def validate_custom_resource(obj: dict[str, Any]) -> CustomResourceResult | None:
    schema = load_schema(str(obj.get("apiVersion")), str(obj.get("kind")))
    if schema is None:
        return None
    result = CustomResourceResult(schema_source(schema))
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
        result.errors.append(SchemaError(_path(error.absolute_path), error.message))
    result.errors.extend(unknown_fields(obj, schema, schema))
    return result

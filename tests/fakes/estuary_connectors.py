"""The connectors the stand-in control plane knows: image tags, their published schemas
(estuary_connector_specs.py, each with its source), the checks each connector's Validate RPC
makes, and validation the way Flow does it. A connector or tag not listed here is unknown: the
stand-in answers `connector_tags` with no row (as PostgREST does) and a build that names it
fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from tests.fakes.estuary_connector_specs import (
    AIRBYTE_RESOURCE,
    CDK_RESOURCE,
    GITHUB_ENDPOINT,
    GITHUB_STREAMS,
    GONG_ENDPOINT,
    HTTP_INGEST_ENDPOINT,
    HTTP_INGEST_RESOURCE,
    HUBSPOT_ENDPOINT,
    INTERCOM_ENDPOINT,
    SLACK_ENDPOINT,
    SLACK_STREAMS,
    SNOWFLAKE_ENDPOINT,
    SNOWFLAKE_RESOURCE,
)

Validate = Callable[[Mapping[str, Any], list[Mapping[str, Any]]], list[str]]


@dataclass(frozen=True)
class Connector:
    image: str
    tags: tuple[str, ...]  # connector_tags.image_tag values, with the leading ':'
    endpoint_schema: dict[str, Any]
    resource_schema: dict[str, Any]
    source: str
    validate: Validate | None = None  # connector-specific rules of its Validate RPC


def _no_rules(_config: Mapping[str, Any], _bindings: list[Mapping[str, Any]]) -> list[str]:
    return []


def _http_ingest_rules(config: Mapping[str, Any], bindings: list[Mapping[str, Any]]) -> list[str]:
    # lib.rs `do_validate`: every endpoint path must be some binding's resource `path`, and
    # two paths that differ only in parameter names conflict.
    errors = []
    paths = set(config.get("paths") or [])
    seen: dict[str, str] = {}
    for binding in bindings:
        path = (binding.get("resource") or {}).get("path")
        if path:
            paths.discard(path)
            ident = re.sub(r"\{[^}]*\}", "{parameter}", path)
            if ident in seen:
                errors.append(
                    f"path parameter conflict: {seen[ident]} and {path} both match requests "
                    "for the same paths. Remove or change one of the paths"
                )
            seen[ident] = path
    if paths:
        errors.append(
            f"endpoint config contains paths [{', '.join(sorted(paths))}], which are not "
            "represented in the list of bindings"
        )
    return errors


def _gong_rules(config: Mapping[str, Any], _bindings: list[Mapping[str, Any]]) -> list[str]:
    # GUESS: the connector does not check the region itself; a region that yields a host
    # outside <region>.api.gong.io (e.g. region "api" -> api.api.gong.io) fails at its first
    # request, which Validate makes. The stand-in reports it at Validate time.
    region = config.get("region", "us-55616")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(region)) or region == "api":
        return [f"request to https://{region}.api.gong.io failed: unknown host"]
    return []


def _airbyte_streams(streams: tuple[str, ...]) -> Validate:
    def rules(_config: Mapping[str, Any], bindings: list[Mapping[str, Any]]) -> list[str]:
        unknown = [
            b["resource"].get("stream")
            for b in bindings
            if (b.get("resource") or {}).get("stream") not in streams
        ]
        return [f"stream {s!r} is not one of the connector's streams" for s in unknown]

    return rules


CONNECTORS: dict[str, Connector] = {
    c.image: c
    for c in (
        Connector(
            "ghcr.io/estuary/source-http-ingest",
            # GUESS (tag): ':v1' appears in Estuary's docs samples (search id 62353605446).
            (":v1",),
            HTTP_INGEST_ENDPOINT,
            HTTP_INGEST_RESOURCE,
            "estuary/connectors source-http-ingest/src/lib.rs",
            _http_ingest_rules,
        ),
        Connector(
            "ghcr.io/estuary/materialize-snowflake",
            # ':v4' per the connector README (review H9); ':v3' kept so an old pin is known.
            (":v3", ":v4"),
            SNOWFLAKE_ENDPOINT,
            SNOWFLAKE_RESOURCE,
            "estuary/connectors materialize-snowflake/.snapshots/TestSpecification",
        ),
        Connector(
            "ghcr.io/estuary/source-hubspot-native",
            (":v1",),  # GUESS (tag)
            HUBSPOT_ENDPOINT,
            CDK_RESOURCE,
            "estuary/connectors source-hubspot-native spec snapshot",
        ),
        Connector(
            "ghcr.io/estuary/source-intercom-native",
            (":v1",),  # GUESS (tag)
            INTERCOM_ENDPOINT,
            CDK_RESOURCE,
            "estuary/connectors source-intercom-native spec snapshot",
        ),
        Connector(
            "ghcr.io/estuary/source-gong",
            # ':v1' in Estuary's Gong docs sample (search id 51940037808).
            (":v1",),
            GONG_ENDPOINT,
            CDK_RESOURCE,
            "estuary/connectors source-gong spec snapshot",
            _gong_rules,
        ),
        Connector(
            "ghcr.io/estuary/source-github",
            (":v1",),  # ':v1' existed (review H9, 2022 logs)
            GITHUB_ENDPOINT,
            AIRBYTE_RESOURCE,
            "estuary/flow site docs github.md + airbytehq/airbyte source-github spec.json",
            _airbyte_streams(GITHUB_STREAMS),
        ),
        Connector(
            "ghcr.io/estuary/source-slack",
            (":v1",),  # GUESS (tag)
            SLACK_ENDPOINT,
            AIRBYTE_RESOURCE,
            "estuary/airbyte source-slack spec.json",
            _airbyte_streams(SLACK_STREAMS),
        ),
    )
}


# --------------------------------------------------------------------------------------
# Validation the way Flow's validator does it: JSON Schema plus `format` (Flow enforces
# formats: `Keyword::Format` -> `FormatNotMatched`; docs/estuary.md H4).
# --------------------------------------------------------------------------------------
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time")(lambda v: not isinstance(v, str) or bool(_DATE_TIME.match(v)))
FORMATS.checks("duration")(lambda v: not isinstance(v, str) or bool(_DURATION.match(v)))


def schema_errors(schema: Mapping[str, Any], instance: Any) -> list[dict[str, str]]:
    """Basic-output-style errors: keywordLocation, instanceLocation and a message.

    The message is jsonschema's own, which (like Flow's) can quote the instance value.
    """
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        out.append(
            {
                "keywordLocation": "/" + "/".join(str(p) for p in err.absolute_schema_path),
                "instanceLocation": "/" + "/".join(str(p) for p in err.absolute_path),
                "error": err.message,
            }
        )
    return out


def _deref(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _deref(target, root)
    return node


def secret_pointers(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """Locations the validator annotates `secret` (or `airbyte_secret`), like
    config-encryption's `encrypt_ptrs`: only annotations of branches that validate count."""
    out: list[str] = []

    def walk(node: Mapping[str, Any], value: Any, ptr: str) -> None:
        node = _deref(node, schema)
        if node.get("secret") is True or node.get("airbyte_secret") is True:
            out.append(ptr)
            return
        for sub in node.get("allOf", []):
            walk(sub, value, ptr)
        for key in ("oneOf", "anyOf"):
            for sub in node.get(key, []):
                branch = {**_deref(sub, schema), "$defs": schema.get("$defs", {})}
                if jsonschema.Draft202012Validator(branch).is_valid(value):
                    walk(sub, value, ptr)
        if isinstance(value, Mapping):
            for name, sub in (node.get("properties") or {}).items():
                if name in value:
                    walk(sub, value[name], f"{ptr}/{name}")

    walk(schema, instance, "")
    return out


def validate_task(
    connector: Connector, config: Mapping[str, Any], bindings: list[Mapping[str, Any]]
) -> list[str]:
    """What the connector's Validate RPC reports for a decrypted config and its bindings."""
    errors = [
        f"endpoint config {e['instanceLocation']}: {e['keywordLocation']} failed"
        for e in schema_errors(connector.endpoint_schema, config)
    ]
    for i, binding in enumerate(bindings):
        if binding.get("disable"):
            continue  # models: "Disabled bindings are inactive, and not validated."
        errors += [
            f"bindings[{i}].resource {e['instanceLocation']}: {e['keywordLocation']} failed"
            for e in schema_errors(connector.resource_schema, binding.get("resource"))
        ]
    if not errors:
        errors += (connector.validate or _no_rules)(config, bindings)
    return errors

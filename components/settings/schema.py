"""What is not in the schema is refused: unknown top-level keys, and values whose type
contradicts the type `Pulumi.yaml` declares for their key.

Inside an area, the pydantic models refuse unknown keys (`extra="forbid"`). A top-level key the
program never reads (`sophia-infra:cortexs:`) was accepted: the program asks only for the keys it
knows, so a typo left the stack on defaults. The Pulumi CLI does not refuse it either: it checks
only keys Pulumi.yaml declares (missing ones, and their declared `type`), and accepts any other
key in the project's namespace (pulumi sdk/go/common/workspace/config.go `mergeConfig`,
`validateStackConfigValues`). So both rules are ours; the type rule follows the CLI's own
(`ValidateConfigValue`, sdk/go/common/workspace/project.go), so what passes here passes there.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from components.settings.commands import SECRET_OBJECT_LEAF_HINTS
from components.settings.credentials import SECRET_KEYS

PROJECT = "sophia-infra"

# How the program reads the keys that are not areas (every area key is an object, validated by
# its model): a Pulumi.yaml `type` must agree. Object-valued secrets hold one secret per leaf.
SCALAR_AND_SECRET_TYPES: dict[str, str] = {
    "environment": "string",
    **{key: "object" if key in SECRET_OBJECT_LEAF_HINTS else "string" for key in SECRET_KEYS},
}
_INTEGER = re.compile(r"^[+-]?[0-9]+$")  # Go strconv.Atoi


def unknown_key_problems(keys: Iterable[str], known: Iterable[str]) -> list[str]:
    """Keys in the project's namespace the program does not read, each with the nearest known
    key (difflib, as the Pulumi CLI suggests the nearest attribute of Pulumi.yaml)."""
    known = sorted(known)
    problems = []
    for key in sorted(set(keys) - set(known)):
        nearest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean '{nearest[0]}'?" if nearest else "the keys are " + ", ".join(known)
        problems.append(
            f"{PROJECT}:{key}: unknown key; {hint} (Pulumi.yaml declares every key the "
            "program reads)"
        )
    return problems


def cli_view(value: Any) -> Any:
    """A stack-file value as the CLI hands it to type validation: a scalar as its text
    (config.Value keeps the YAML scalar's text), an object or list as its structure."""
    if isinstance(value, Mapping | list):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def accepts(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """pulumi `ValidateConfigValue` (sdk/go/common/workspace/project.go), rule by rule."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value == int(value)
        return isinstance(value, str) and bool(_INTEGER.match(value))
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, Mapping)
    if not isinstance(value, list) or not isinstance(items, Mapping):
        return False
    item_type = items.get("type")
    return isinstance(item_type, str) and all(
        accepts(item_type, items.get("items"), item) for item in value
    )


def declared_type_problems(
    project_config: Mapping[str, Any],
    stack: str,
    stack_config: Mapping[str, Any],
    area_keys: Iterable[str] = (),
) -> list[str]:
    """Pulumi.yaml types agree with the program; stack values agree with Pulumi.yaml.

    `stack_config` has short keys and the values as written in Pulumi.<stack>.yaml; `secure:`
    values are not typed here (the CLI decrypts them first; we cannot). `area_keys` are the
    object-valued keys the program reads (settings.AREA_MODELS)."""
    program_types = {**{key: "object" for key in area_keys}, **SCALAR_AND_SECRET_TYPES}
    problems = []
    for raw_key, spec in project_config.items():
        key = str(raw_key).removeprefix(f"{PROJECT}:")
        if not isinstance(spec, Mapping) or "type" not in spec:
            continue
        declared = spec["type"]
        expected = program_types.get(key)
        if expected is not None and declared != expected:
            problems.append(
                f"Pulumi.yaml: config.{key} declares type {declared!r}, but the program reads "
                f"{key} as {'an object' if expected == 'object' else 'a string'}; "
                + ("remove the type" if expected == "object" else f"declare type {expected!r}")
            )
            continue
        if key not in stack_config:
            continue
        value = stack_config[key]
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            continue
        if not accepts(str(declared), spec.get("items"), cli_view(value)):
            problems.append(
                f"{PROJECT}:{key}: Pulumi.yaml declares type {declared!r} and Pulumi.{stack}.yaml "
                f"holds {_kind(value)} (the CLI refuses it: \"Stack '{stack}' with configuration "
                f"key '{key}' must be of type '{declared}'\")"
            )
    return problems


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"

"""The policy config: `policies/config/<stack>.json`, read strictly, resolved per policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pulumi_policy import EnforcementLevel, Policy

from jobs.harness import REPO_ROOT
from policies.sophia_policies.common import with_defaults

POLICY_CONFIG_DIR = REPO_ROOT / "policies" / "config"
PACK_ENFORCEMENT = EnforcementLevel.MANDATORY  # policies/__main__.py


class PolicyConfigError(Exception):
    """The policy config file is missing, not JSON, or does not match a policy's schema."""


def load_policy_config(
    stack: str, directory: Path | None = None, environment: str | None = None
) -> dict[str, Any]:
    """`policies/config/<stack>.json`: the file `pulumi preview --policy-pack-config` takes.

    Strict JSON: UTF-8, no duplicate keys (Python keeps the last one silently), no NaN/Infinity
    (not JSON; a NaN threshold compares false with everything and so switches a rule off).
    `environment` (the stack's stage) only makes the message for a missing file exact.
    """
    directory = directory if directory is not None else POLICY_CONFIG_DIR
    path = directory / f"{stack}.json"
    if not path.exists():
        raise PolicyConfigError(missing_config_message(stack, directory, environment))
    try:
        data = json.loads(
            path.read_bytes().decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as error:
        raise PolicyConfigError(f"{path.name} is not UTF-8 (byte {error.start})") from None
    except (json.JSONDecodeError, ValueError) as error:
        raise PolicyConfigError(f"{path.name} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path.name} must be a JSON object keyed by policy name")
    return data


def missing_config_message(stack: str, directory: Path, environment: str | None) -> str:
    """Where the file goes, how to make it, and where it is documented."""
    path = _shown(directory / f"{stack}.json")
    known = sorted(p.stem for p in directory.glob("*.json"))
    base = environment if environment in known else (known[0] if known else None)
    how = (
        f"create it from its stage's thresholds: `cp {_shown(directory / f'{base}.json')} {path}`"
        if base
        else "create it (a JSON object keyed by policy name)"
    )
    return (
        f"no policy config {path} for stack {stack!r} (the thresholds `--check` and `pulumi "
        f"preview --policy-pack-config {path}` use); {how}, then tune it (docs/policies.md, "
        f"'Per-stack policy config'; `python -m jobs.new_stack` writes it for a new stack); "
        f"known: {', '.join(known) or 'none'}"
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"duplicate key(s) {', '.join(repeated)}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class _Configured:
    enforcement: EnforcementLevel
    properties: dict[str, Any]


def configure(policies: list[Policy], config: Mapping[str, Any]) -> dict[str, _Configured]:
    """Per policy: the enforcement level and properties the engine would hand it.

    Mirrors the CLI: a value is an enforcement level or an object with `enforcementLevel` plus
    properties; `all` sets every policy's level; properties are validated against the policy's
    config schema (defaults are filled in by the rules themselves).
    """
    names = {p.name for p in policies}
    unknown = sorted(set(config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(
            f"policy config names unknown polic{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(unknown)}; the pack has {', '.join(sorted(names))}"
        )
    all_level = _level(config.get("all"), "all")
    result: dict[str, _Configured] = {}
    for policy in policies:
        raw = config.get(policy.name)
        level = _level(raw, policy.name)
        properties = (
            {k: v for k, v in raw.items() if k != "enforcementLevel"}
            if isinstance(raw, dict)
            else {}
        )
        if properties:
            if policy.config_schema is None:
                raise PolicyConfigError(
                    f"policy {policy.name} takes no configuration; got {sorted(properties)}"
                )
            schema = {
                "type": "object",
                "properties": policy.config_schema.properties,
                "additionalProperties": False,
            }
            if policy.config_schema.required:
                schema["required"] = policy.config_schema.required
            try:
                jsonschema.validate(properties, schema)
            except jsonschema.ValidationError as error:
                where = ".".join(str(p) for p in error.absolute_path) or "(top)"
                raise PolicyConfigError(
                    f"policy {policy.name} config {where}: {error.message}"
                ) from error
        try:
            with_defaults(policy.config_schema, properties)
        except ValueError as error:
            raise PolicyConfigError(f"policy {policy.name} config: {error}") from None
        effective = level or all_level or policy.enforcement_level or PACK_ENFORCEMENT
        result[policy.name] = _Configured(effective, properties)
    return result


def _level(raw: Any, name: str) -> EnforcementLevel | None:
    value = raw.get("enforcementLevel") if isinstance(raw, dict) else raw
    if value is None:
        return None
    try:
        return EnforcementLevel(value)
    except ValueError as error:
        levels = ", ".join(level.value for level in EnforcementLevel)
        raise PolicyConfigError(
            f"policy {name}: enforcementLevel {value!r} is not one of {levels}"
        ) from error

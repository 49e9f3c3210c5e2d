"""Stack config as Pulumi hands it to the program, read offline from the project's YAML files.

`Pulumi.yaml` defaults and `Pulumi.<stack>.yaml`, fully-qualified keys and string values, with
`secure:` values replaced by placeholders that stay secret (part of `jobs.harness`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.yaml_files import YamlFileError, load_yaml_file

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "sophia-infra"


class StackConfigError(Exception):
    """The stack file is missing or not valid YAML."""


def stack_file(stack: str, root: Path = REPO_ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def available_stacks(root: Path = REPO_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def load_stack_config(
    stack: str,
    root: Path = REPO_ROOT,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, str], set[str]]:
    """Stack config as Pulumi hands it to the program: fully-qualified keys, string values.

    `overrides` maps short project keys (or `ns:key`) to replacement values; a value of `None`
    removes the key. Returns the config and the set of keys that are secret.
    """
    if not root.is_dir():
        raise StackConfigError(f"project directory {root} does not exist")
    if not (root / "Pulumi.yaml").is_file():
        raise StackConfigError(f"no Pulumi.yaml in {root}; give the project directory")
    project_doc = _read_yaml(root / "Pulumi.yaml")
    path = stack_file(stack, root)
    if not path.exists():
        known = ", ".join(available_stacks(root)) or "none"
        raise StackConfigError(f"no stack file {path.name}; known stacks: {known}")
    stack_doc = _read_yaml(path)

    values: dict[str, Any] = {}
    for key, declaration in _mapping(project_doc.get("config"), "Pulumi.yaml: config").items():
        if isinstance(declaration, dict) and "default" in declaration:
            values[_qualify(key)] = copy.deepcopy(declaration["default"])
    for key, value in _mapping(stack_doc.get("config"), f"{path.name}: config").items():
        if not isinstance(key, str) or not key:
            raise StackConfigError(f"{path.name}: config keys must be strings; got {key!r}")
        values[_qualify(key)] = value
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(_qualify(key), None)
        else:
            values[_qualify(key)] = value

    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in values.items():
        value, is_secret = _replace_secure(key, value)
        if is_secret:
            secret_keys.add(key)
        config[key] = value if isinstance(value, str) else _config_string(value)
    return config, secret_keys


def _qualify(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _replace_secure(key: str, value: Any) -> tuple[Any, bool]:
    """Swap `secure:` leaves for placeholders; report whether any were found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return f"synth-placeholder-for-{key}", True
        found = False
        replaced = {}
        for k, v in value.items():
            replaced[k], secret = _replace_secure(f"{key}.{k}", v)
            found = found or secret
        return replaced, found
    if isinstance(value, list):
        items = [_replace_secure(f"{key}[{i}]", v) for i, v in enumerate(value)]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _config_string(value: Any) -> str:
    """How the CLI hands a value to the program: scalars as text, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise StackConfigError(f"a config value cannot be represented as JSON: {error}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    """A project or stack file: strict YAML (components/yaml_files.py), a mapping."""
    try:
        document = load_yaml_file(path)
    except YamlFileError as error:
        raise StackConfigError(str(error)) from None
    return _mapping(document, path.name)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StackConfigError(
            f"{what} must be a YAML mapping (key: value lines); got {type(value).__name__}"
        )
    return value

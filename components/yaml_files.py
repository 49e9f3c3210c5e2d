"""Read every YAML file the project reads (stack files, Pulumi.yaml, agents.yaml, price books) the
way the Pulumi CLI does, and refuse what PyYAML would silently accept.

- A duplicate key is an error. PyYAML keeps the last value (a second `environment:` turns prod
  into dev); the CLI reads stack files with gopkg.in/yaml.v3, which refuses them ("mapping key ...
  already defined", yaml.v3 decode.go `d.merge`/`mapping` duplicate check).
- A timestamp-looking scalar stays a string. yaml.v3 decodes an unquoted `2025-01-01` into an
  `interface{}` as the string "2025-01-01" ("for backward compatibility reasons we set it as a
  string", go-yaml decode.go `scalar`), so the program sees a string; PyYAML would hand us a
  `datetime.date` that no JSON encoder accepts.
- Only `true`/`false` are booleans (YAML 1.2 core schema, which yaml.v3 follows when decoding into
  `interface{}`); PyYAML's YAML 1.1 `yes`/`no`/`on`/`off` stay strings, so a typed model refuses
  them instead of receiving a bool the CLI would never have produced.
- The file must be UTF-8 (YAML 1.2 section 5.2; the CLI refuses other bytes too); the error says
  at which byte it is not.

`load_yaml_file` and `load_yaml_text` raise `YamlFileError` (a ValueError) whose message names
the file and the line; they never echo file contents beyond the YAML parser's own pointer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """A YAML file cannot be read, is not UTF-8, is not YAML, or repeats a key."""


# libyaml's parser when PyYAML was built with it (the PyPI wheels are): about ten times faster than
# the pure-Python parser, and closer to the CLI, whose gopkg.in/yaml.v3 is a Go port of libyaml
# (its syntax errors read as the CLI's do, e.g. "did not find expected ',' or ']'" and "mapping
# values are not allowed in this context", go-yaml parserc.go/scannerc.go).
# Construction and scalar resolution stay in Python, so the rules below apply either way.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader that refuses duplicate keys and resolves scalars like yaml.v3 into interface{}."""


# Drop YAML 1.1 implicit resolvers for bool and timestamp, then add back a 1.2-style bool.
StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1}; YAML keeps only one, "
                "the Pulumi CLI refuses the file)",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_text(text: str, label: str) -> Any:
    """Parse `text` (from the file `label`) strictly; raise YamlFileError on any problem."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
    except yaml.YAMLError as error:
        raise YamlFileError(f"{label} is not valid YAML: {_describe(error)}") from None


def _describe(error: yaml.YAMLError) -> str:
    """Problem and position only: PyYAML's own text quotes the offending line, which may hold a
    secret (a pasted key), so it is never shown."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return type(error).__name__
    parts = []
    mark = error.problem_mark or error.context_mark
    if mark is not None:
        parts.append(f"line {mark.line + 1}, column {mark.column + 1}")
    parts.append(str(error.problem or error.context or "syntax error"))
    if error.context and error.problem and error.context_mark is not None:
        parts.append(f"({error.context} on line {error.context_mark.line + 1})")
    return ": ".join(parts[:2]) + (" " + parts[2] if len(parts) > 2 else "")


def load_yaml_file(path: Path, label: str | None = None) -> Any:
    """Read `path` as UTF-8 and parse it strictly; raise YamlFileError on any problem."""
    label = label or path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise YamlFileError(f"{label} cannot be read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlFileError(
            f"{label} is not UTF-8 text (byte {error.start}: {data[error.start]:#04x}); "
            "save it as UTF-8"
        ) from None
    return load_yaml_text(text.removeprefix("\ufeff"), label)

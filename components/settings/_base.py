"""Shared building blocks for the typed stack settings.

Every settings model is frozen (a component cannot mutate what it was handed), forbids unknown
keys (a typo in Pulumi.<stack>.yaml is an error, not a silently ignored value) and refuses
infinite and NaN numbers; `components.settings.load` validates stack config in pydantic's strict
mode (a boolean is not a number, a number is not a string). Validators raise
`ValueError` with a message that says what is allowed; `components.settings.load` turns that into
one error naming the stack, the key and the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

# Snowflake unquoted identifiers: start with a letter or underscore, then letters, digits,
# underscores or dollar signs; at most 255 characters. We stay upper-case so names never need
# quoting and never differ in case between stacks.
_SNOWFLAKE_IDENTIFIER = re.compile(r"^[A-Z_][A-Z0-9_$]{0,254}$")


def _check_snowflake_identifier(value: str) -> str:
    if not _SNOWFLAKE_IDENTIFIER.match(value):
        raise ValueError(
            "must be an unquoted Snowflake identifier: upper-case letters, digits, '_' or '$', "
            "starting with a letter or '_', at most 255 characters"
        )
    return value


SnowflakeIdentifier = Annotated[str, AfterValidator(_check_snowflake_identifier)]


class FrozenModel(BaseModel):
    """Base for every settings model: immutable, strict about unknown keys and types."""

    # allow_inf_nan=False: a YAML `.inf`/`.nan` is refused here rather than reaching a provider
    # or a JSON document (json.dumps writes the non-standard `NaN`/`Infinity`).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _each_once(cls, value: Any) -> Any:
        """Every list in a stack file is a set: each value (or named item) once. One rule for
        every model, so a new list field is covered without a validator of its own."""
        repeated = repeated_items(value)
        if repeated:
            raise ValueError(
                "lists each value once; repeated: " + ", ".join(repr(item) for item in repeated)
            )
        return value


class CamelModel(FrozenModel):
    """A settings model whose stack-config keys are camelCase (Pulumi convention)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class KeyedValueError(ValueError):
    """A validation error about a key other than the one being validated.

    Cross-field rules (for example "prod needs 7 days of retention") run on an enclosing model, but
    the message must still name the exact key and value; the loader reads `path` and `value`.
    """

    def __init__(self, path: tuple[str | int, ...], value: object, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.value = value
        self.message = message


def repeated_items(value: Any) -> list[Any]:
    """Items a list/tuple holds more than once: scalars by value, models by their `name`.

    No list this project reads means anything by a repeat (a notify threshold, a repository, an
    IP range, a status code, a target named twice); a repeat is a copy-paste slip, and for some
    (Snowflake's NOTIFY triggers, Estuary bindings) the service refuses it at `up` instead."""
    if not isinstance(value, tuple | list):
        return []
    keys = []
    for item in value:
        if isinstance(item, BaseModel):
            name = getattr(item, "name", None)
            if not isinstance(name, str):
                return []
            keys.append(name)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            keys.append(item)
        else:
            return []
    seen: set[Any] = set()
    repeated: list[Any] = []
    for key in keys:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


def raw_value(value: Any, *path: str) -> Any:
    """The value at `path` in raw (unvalidated) stack config, or None where any step is missing."""
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value

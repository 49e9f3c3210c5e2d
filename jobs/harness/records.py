"""What a run under mocks records: each declared resource, and the stack's synthesis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECRET_MARK = "[secret]"


@dataclass
class DeclaredResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: list[str]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    provider: str
    additional_secret_outputs: list[str]
    delete_before_replace: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    # customTimeouts as registered: only the operations that set one ("create": "15m", ...).
    custom_timeouts: dict[str, str]
    # deletedWith: the URN whose deletion also deletes this resource ("" when none).
    deleted_with: str
    # Only when the monitor was asked to keep them (component tests): the inputs as the provider
    # receives them, secrets unwrapped. Never part of `to_json` (that is what the synth prints).
    revealed_inputs: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        shown = dict(self.__dict__)
        del shown["revealed_inputs"]
        return shown


@dataclass
class Synthesis:
    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    secret_outputs: list[str]
    config: dict[str, str] = field(repr=False, default_factory=dict)

    def by_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> DeclaredResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"expected one {type_} named {name}, found {len(matches)}")
        return matches[0]

"""What a run of the engine reported: resource changes, policy violations, errors, and the
destructive-change classification over them (`jobs.engine_events.fold` builds these)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Types whose deletion or replacement loses data (or, for Estuary captures, re-backfills).
DATA_HOLDING_TYPES = frozenset(
    {
        "snowflake:index/database:Database",
        "snowflake:index/schema:Schema",
        "snowflake:index/table:Table",
        "pulumi-python:dynamic/estuary:Capture",
    }
)
DESTRUCTIVE_OPS = frozenset({"delete", "replace"})


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: str  # add | update | delete, optionally with -replace
    before: str | None  # rendered, redacted; None when absent
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    op: str  # create | update | delete | replace | import
    properties: tuple[PropertyChange, ...] = ()
    protected: bool = False

    @property
    def name(self) -> str:
        return resource_name(self.urn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "operation": self.op,
            "protected": self.protected,
            "properties": [p.to_dict() for p in self.properties],
        }


@dataclass(frozen=True)
class PolicyViolation:
    policy_pack: str
    policy_name: str
    enforcement_level: str  # advisory | mandatory | remediate | disabled
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level in ("mandatory", "remediate")

    def describe(self) -> str:
        where = f" on {self.urn}" if self.urn else ""
        policy = f"{self.policy_pack}/{self.policy_name} ({self.enforcement_level})"
        return f"{policy}{where}: {self.message}"


@dataclass(frozen=True)
class EngineOutcome:
    changes: tuple[ResourceChange, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    policy_violations: tuple[PolicyViolation, ...] = ()
    summary: dict[str, int] | None = None
    secrets: frozenset[str] = field(default_factory=frozenset)

    @property
    def mandatory_violations(self) -> tuple[PolicyViolation, ...]:
        return tuple(v for v in self.policy_violations if v.mandatory)

    def failure_reason(self) -> str | None:
        """Why this run cannot be trusted, or None when the engine finished cleanly."""
        if self.errors:
            return "; ".join(self.errors)
        if self.summary is None:
            return "the engine never reported a summary (the operation did not finish)"
        return None


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


def destructive_changes(changes: Iterable[ResourceChange]) -> list[ResourceChange]:
    """Deletes or replacements of protected or data-holding resources."""
    return [
        c
        for c in changes
        if c.op in DESTRUCTIVE_OPS and (c.protected or c.type in DATA_HOLDING_TYPES)
    ]


def is_named(change: ResourceChange, names: Iterable[str]) -> bool:
    """True when `names` lists this resource by full URN or by its resource name."""
    wanted = set(names)
    return change.urn in wanted or change.name in wanted

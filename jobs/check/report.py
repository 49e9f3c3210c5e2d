"""What the offline policy check found: violations, skipped rules and schemas, the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_VIOLATIONS = 1


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str  # "mandatory" | "advisory"
    message: str
    urn: str | None  # None: the stack as a whole
    resource_type: str = ""
    resource_name: str = ""


@dataclass(frozen=True)
class Skipped:
    """A policy that reported itself not applicable, or could not run on a value (unknown)."""

    policy: str
    resource_name: str
    reason: str


@dataclass(frozen=True)
class SchemaSkip:
    resource_type: str
    resource_name: str
    reason: str


@dataclass
class CheckReport:
    stack: str
    policies: list[str]
    resources: int
    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    kubernetes_version: str = ""
    schema_valid: list[str] = field(default_factory=list)
    schema_skipped: list[SchemaSkip] = field(default_factory=list)
    schema_sources: set[str] = field(default_factory=set)  # custom-resource schemas used

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATIONS if self.mandatory else EXIT_OK

    def by_policy(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == name]

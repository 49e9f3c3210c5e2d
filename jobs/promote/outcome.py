"""How a promotion ends: refused by a gate, failed, or promoted (a PromotionResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.stack_file import file_diff


class GateRefused(Exception):
    """A gate said no. Exit code 1."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(f"refused by gate {gate}: {reason}")
        self.gate = gate
        self.reason = reason


class PromotionFailed(Exception):
    """A gate could not be checked, or the apply failed. Exit code 2."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(f"{gate}: {reason}")
        self.gate = gate
        self.reason = reason


@dataclass
class PromotionResult:
    source: str
    target: str
    release: dict[str, Any]
    stack_file: Path
    old_text: str
    new_text: str
    passed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    def diff(self) -> str:
        return file_diff(self.stack_file.name, self.old_text, self.new_text)

"""A bad-input case (what it breaks, what it expects), its outcome, and the helpers that build
mutations of a stack file."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
STACKS = ("dev", "staging", "prod")
P = "sophia-infra:"


@dataclass
class Case:
    name: str
    expect: str  # "bad": must be rejected; "fine": accepting it is correct
    stack: str = "dev"
    mutate: Callable[[dict[str, Any]], None] | None = None  # the stack file as a dict
    text: Callable[[str], str | bytes] | None = None  # the stack file as text
    project: Callable[[Path], None] | None = None  # anything else in the scratch project
    args: list[str] = field(default_factory=list)  # extra CLI args ({dir} = scratch dir)
    tool: str = "synth"  # or "cost", "restore"
    patch: Callable[[Path], contextlib.AbstractContextManager[Any]] | None = None


@dataclass
class Outcome:
    case: Case
    kind: str  # rejected | accepted | crashed
    code: int | None
    output: str
    leaked: list[str]

    @property
    def harmful(self) -> bool:
        return self.kind == "crashed" or (self.kind == "accepted" and self.case.expect == "bad")


# --- helpers that build mutations -----------------------------------------------------------------


def _at(path: str, value: Any, delete: bool = False) -> Callable[[dict[str, Any]], None]:
    """Set (or delete) `config.<path>`; path parts split on '/', e.g. 'snowflake/warehouses/API_WH'."""  # noqa: E501

    def mutate(doc: dict[str, Any]) -> None:
        parts = path.split("/")
        node: Any = doc["config"]
        first = P + parts[0] if not parts[0].startswith(P) else parts[0]
        parts = [first, *parts[1:]]
        for part in parts[:-1]:
            key: Any = int(part) if isinstance(node, list) else part
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
        if delete:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)

    return mutate


def _cases_values(prefix: str, stack: str, path: str, values: list[Any]) -> Iterator[Case]:
    for value in values:
        yield Case(f"{prefix} {path}={value!r:.40}", "bad", stack, _at(path, value))


def _stack_text(stack: str) -> str:
    return (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text()


def _require_change(before: object, after: object, what: str) -> None:
    """A case whose edit changes nothing tests nothing (the file it edits moved on): fail it."""
    if after == before:
        raise AssertionError(f"{what}: the case's edit changed nothing; fix the case")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise AssertionError(f"{path.name}: {old!r} not found")
    path.write_text(text.replace(old, new, 1))

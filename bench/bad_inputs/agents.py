# ruff: noqa: E501 - a table of cases reads better one case per line
"""Cases for the agent catalog (components/snowflake/agents.yaml)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from bench.bad_inputs.case import REPO_ROOT, Case, _require_change


def agents_cases() -> list[Case]:
    found: list[Case] = []

    # agents.yaml
    def agents(edit: Callable[[str], str | bytes]) -> Callable[[Path], Any]:
        def patch(directory: Path) -> Any:
            target = directory / "agents.yaml"
            source = (REPO_ROOT / "components/snowflake/agents.yaml").read_text()
            new = edit(source)
            _require_change(source, new, "agents.yaml")
            target.write_bytes(new if isinstance(new, bytes) else new.encode())
            return mock.patch("components.settings.agents.AGENTS_FILE", target)

        return patch

    for name, edit in (
        ("$$ in an instruction", lambda t: t.replace("You operate the", "You operate $$ the", 1)),
        (">100 KB instruction", lambda t: t.replace("You operate the", "x" * 120_000 + " You operate the", 1)),
        ("duplicate key", lambda t: re.sub(r"^(version: \d+\n)", r"\1\1", t, count=1, flags=re.M)),
        ("invalid UTF-8", lambda t: t.encode() + b"\xff"),
        ("a list", lambda t: "- a\n"),
        ("not YAML", lambda t: "agents: [\n"),
        ("a temperature", lambda t: t.replace("    model: mistral-large\n", "    model: mistral-large\n    temperature: 0.2\n", 1)),
        ("unknown model", lambda t: t.replace("model: mistral-7b", "model: gpt-9", 1)),
        ("empty", lambda t: ""),
    ):  # fmt: skip
        found.append(Case(f"agents.yaml {name}", "bad", "dev", patch=agents(edit)))
    return found

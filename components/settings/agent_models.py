"""The Cortex Agents orchestration-model lifecycle (components/snowflake/agent_models.yaml).

Read as a data file (settings import no component). `today()` is the clock the check uses; tests
move it with monkeypatch. A model without a row, or past its `retired_on`, is refused by the agent
catalog (components/settings/agents.py) before any resource is registered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from components.yaml_files import load_yaml_file

LIFECYCLE_PATH = Path(__file__).resolve().parents[1] / "snowflake" / "agent_models.yaml"


def today() -> date:
    return datetime.now(UTC).date()


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgentModel(_Strict):
    deprecated_on: date | None
    retired_on: date | None
    source: str
    checked: date
    note: str | None = None

    def retired(self, on: date) -> bool:
        return self.retired_on is not None and on >= self.retired_on


class AgentModelTable(_Strict):
    version: int
    date: date
    models: dict[str, AgentModel]

    def served(self, on: date) -> list[str]:
        return sorted(m for m, row in self.models.items() if not row.retired(on))

    def problem(self, model: str, on: date | None = None) -> str | None:
        """Why `model` cannot orchestrate an agent on `on` (default today), or None."""
        on = on or today()
        row = self.models.get(model)
        if row is None:
            return (
                f"{model!r} has no row in agent_models.yaml v{self.version}; add it with the "
                f"source of its lifecycle first; served: {', '.join(self.served(on))}"
            )
        if row.retired(on):
            return (
                f"{model!r} was retired on {row.retired_on} ({row.source}); served: "
                f"{', '.join(self.served(on))}"
            )
        return None


@cache
def load_agent_models(path: Path = LIFECYCLE_PATH) -> AgentModelTable:
    return AgentModelTable.model_validate(load_yaml_file(path))

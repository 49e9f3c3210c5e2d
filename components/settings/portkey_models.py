"""The model lifecycle table (components/portkey/model_lifecycle.yaml) and the served-model check.

Read as a data file (settings import no component). `today()` is the clock every check uses; tests
move it with monkeypatch to see a model pass its retirement date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from components.yaml_files import load_yaml_file

LIFECYCLE_PATH = Path(__file__).resolve().parents[1] / "portkey" / "model_lifecycle.yaml"
OUTPUT_PARAMS = ("max_tokens", "max_completion_tokens")


def today() -> date:
    """The date served-model checks run against (UTC)."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ModelLifecycle:
    model: str
    provider: str
    output_param: str
    deprecated_on: date | None
    retired_on: date | None
    source: str
    checked: date

    def retired(self, on: date) -> bool:
        return self.retired_on is not None and on >= self.retired_on


@dataclass(frozen=True)
class LifecycleTable:
    version: int
    date: str
    models: dict[str, ModelLifecycle]
    plan_model_mapping: dict[str, dict[str, str]]

    def problem(self, model: str, on: date | None = None) -> str | None:
        """Why `model` cannot be routed to on `on` (default today), or None when it is served."""
        on = on or today()
        if model.endswith("-latest"):
            return (
                f"'{model}' is a moving alias; name a dated model id (see "
                f"model_lifecycle.yaml v{self.version})"
            )
        entry = self.models.get(model)
        if entry is None:
            served = sorted(m for m, e in self.models.items() if not e.retired(on))
            return (
                f"'{model}' is not in the model lifecycle table (model_lifecycle.yaml "
                f"v{self.version}); add it with its provider's deprecation source first. "
                f"Served models: {served}"
            )
        if entry.retired(on):
            return (
                f"'{model}' was retired by {entry.provider} on {entry.retired_on} "
                f"(source: {entry.source}); requests to it fail. Use the plan mapping in "
                "model_lifecycle.yaml"
            )
        return None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@cache
def load_lifecycle(path: Path = LIFECYCLE_PATH) -> LifecycleTable:
    raw = load_yaml_file(path)  # dates stay strings: _date parses them
    models = {}
    for model, entry in raw["models"].items():
        if entry["output_param"] not in OUTPUT_PARAMS:
            raise ValueError(f"{path.name}: {model}.output_param must be one of {OUTPUT_PARAMS}")
        models[model] = ModelLifecycle(
            model=model,
            provider=str(entry["provider"]),
            output_param=str(entry["output_param"]),
            deprecated_on=_date(entry.get("deprecated_on")),
            retired_on=_date(entry.get("retired_on")),
            source=str(entry["source"]),
            checked=_date(entry["checked"]) or date.min,
        )
    return LifecycleTable(
        version=int(raw["version"]),
        date=str(raw["date"]),
        models=models,
        plan_model_mapping={k: dict(v) for k, v in raw["plan_model_mapping"].items()},
    )

"""Shared by the engine-event tests: the events recorded from real runs
(tests/jobs/events/, written by `python -m tests.engine.record_events`)."""

from __future__ import annotations

import json
from pathlib import Path

from pulumi.automation.events import EngineEvent

from jobs.engine_events.fold import summarize

EVENTS_DIR = Path(__file__).parents[1] / "events"


def load_events(name: str) -> list[EngineEvent]:
    raw = json.loads((EVENTS_DIR / name).read_text())["events"]
    return [EngineEvent.from_json(event) for event in raw]


def summary_of(name: str):
    return summarize(load_events(name))

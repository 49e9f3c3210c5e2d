"""Shared fixtures: a fresh event loop per test, and the real program run per stack under mocks."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from jobs.harness import REPO_ROOT, Synthesis, synthesize

STACKS = ("dev", "staging", "prod")


@pytest.fixture(autouse=True)
def fresh_event_loop() -> Iterator[None]:
    """Pulumi's runtime binds to the current loop; each test gets its own (pulumi #24338)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


_SYNTH_CACHE: dict[str, Synthesis] = {}


@pytest.fixture
def synthesized() -> Callable[[str], Synthesis]:
    """The committed stack's declared resources; run once per stack per test session."""

    def get(stack: str) -> Synthesis:
        if stack not in _SYNTH_CACHE:
            _SYNTH_CACHE[stack] = synthesize(stack)
        return _SYNTH_CACHE[stack]

    return get


def stack_config(stack: str) -> dict[str, Any]:
    """A deep copy of Pulumi.<stack>.yaml's config, keyed without the project prefix."""
    doc = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {
        key.split(":", 1)[1] if key.startswith("sophia-infra:") else key: copy.deepcopy(value)
        for key, value in doc["config"].items()
    }


def committed_stack_configs() -> dict[str, dict[str, Any]]:
    """Each committed stack file's `config:` block, keys as written (`sophia-infra:portkey`)."""
    return {
        stack: yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        for stack in STACKS
    }

"""Fixtures for the Kubernetes component tests; the harness itself is in harness.py."""

from __future__ import annotations

import asyncio

import pytest

from tests.components.k8s.harness import STACKS, Rendered, render


@pytest.fixture(autouse=True)
def fresh_event_loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def rendered_stacks() -> dict[str, Rendered]:
    asyncio.set_event_loop(asyncio.new_event_loop())
    return {stack: render(stack) for stack in STACKS}

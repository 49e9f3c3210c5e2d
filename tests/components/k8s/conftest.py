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


# --- promtool: `needs_promtool` tests run only where promtool/ensure.sh installed it -------------

_PROMTOOL_DESELECTED: list[pytest.Item] = []
_PROMTOOL_SELECTED: list[pytest.Item] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.components.k8s.promtool import find_promtool

    wanted = [item for item in items if item.get_closest_marker("needs_promtool")]
    if not wanted:
        return
    if isinstance(find_promtool(), str):
        _PROMTOOL_DESELECTED.extend(wanted)
        items[:] = [item for item in items if item not in wanted]
        config.hook.pytest_deselected(items=wanted)
    else:
        _PROMTOOL_SELECTED.extend(wanted)


def pytest_terminal_summary(terminalreporter) -> None:
    from tests.components.k8s.promtool import find_promtool, version

    promtool = find_promtool()
    if _PROMTOOL_DESELECTED:
        terminalreporter.write_line(
            f"promtool tests: {len(_PROMTOOL_DESELECTED)} not run (deselected): {promtool}",
            yellow=True,
        )
    elif _PROMTOOL_SELECTED and not isinstance(promtool, str):
        terminalreporter.write_line(
            f"promtool tests: {len(_PROMTOOL_SELECTED)} ran on {version(promtool)} ({promtool})"
        )

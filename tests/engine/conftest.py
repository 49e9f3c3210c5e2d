"""Real-engine tests: run only when a Pulumi engine is available (docs/engine.md).

Without one, every `needs_engine` test is deselected and the run prints one line saying how
many and why (never a run that silently tested less). With one, the line says which CLI ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.toolchain import Engine, find_engine
from tests.engine.workspace import WEBHOOKS_SKIPPED, EngineWorkspace

_ENGINE: Engine | str | None = None
_DESELECTED: list[pytest.Item] = []
_SELECTED: list[pytest.Item] = []


def engine_or_reason() -> Engine | str:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = find_engine()
    return _ENGINE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [item for item in items if item.get_closest_marker("needs_engine")]
    if not wanted:
        return
    if isinstance(engine_or_reason(), str):
        _DESELECTED.extend(wanted)
        items[:] = [item for item in items if item not in wanted]
        config.hook.pytest_deselected(items=wanted)
    else:
        _SELECTED.extend(wanted)


def pytest_terminal_summary(terminalreporter) -> None:
    engine = engine_or_reason()
    if _DESELECTED:
        terminalreporter.write_line(
            f"real-engine tests: {len(_DESELECTED)} not run (deselected): {engine}", yellow=True
        )
    elif _SELECTED and isinstance(engine, Engine):
        terminalreporter.write_line(
            f"real-engine tests: {len(_SELECTED)} ran on pulumi {engine.version} "
            f"({engine.source}: {engine.pulumi})"
        )
        terminalreporter.write_line(f"real-engine tests: {WEBHOOKS_SKIPPED}", yellow=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only engine tests were asked for and there is no engine: the line above says so.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and _DESELECTED:
        session.exitstatus = pytest.ExitCode.OK


@pytest.fixture(scope="module")
def engine() -> Engine:
    found = engine_or_reason()
    assert isinstance(found, Engine), found  # deselected above when absent
    return found


@pytest.fixture(scope="module")
def workspace(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineWorkspace]:
    ws = EngineWorkspace(engine, tmp_path_factory.mktemp("engine"))
    try:
        yield ws
    finally:
        ws.close()
    ws.assert_stand_ins_understood()

"""The jobs' failure paths on the real CLI: a failure is exit 2 with its cause, never "no drift"."""

from __future__ import annotations

import pytest

from jobs import drift
from tests.engine.workspace import EngineWorkspace

pytestmark = pytest.mark.needs_engine


def test_drift_on_an_unknown_stack_is_exit_2(
    workspace: EngineWorkspace, capsys, monkeypatch
) -> None:
    workspace.init_project()
    for key, value in workspace.env().items():
        monkeypatch.setenv(key, value)
    code = drift.main(
        ["--stack", "no-such-stack-for-drift-test", "--work-dir", str(workspace.work_dir)]
    )
    out, err = capsys.readouterr()
    assert code == drift.EXIT_FAILED
    assert "no-such-stack-for-drift-test" in err
    assert "Drift check failed" in out

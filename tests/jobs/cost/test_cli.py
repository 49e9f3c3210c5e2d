"""`python -m jobs.cost`: a stack, a stack diff, and two JSON documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from jobs import cost
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import (
    compact,
    document,
)


def test_synth_cli_cost_flags_through_jobs_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Cost view: dev\n")
    assert "| API_WH_DEV " in out
    assert cost.main(["--stack", "prod", "--diff", "staging"]) == 0
    assert capsys.readouterr().out.startswith("## Cost diff: staging -> prod (5 priced resources")


def test_base_and_head_from_json_files(
    tmp_path: Path, synthesized: Callable[[str], Synthesis], capsys: pytest.CaptureFixture[str]
) -> None:
    base = document(synthesized("prod"))
    head = copy.deepcopy(base)
    head["resources"] = [
        r for r in head["resources"] if r["inputs"].get("name") != "ESTUARY_LOAD_WH"
    ]
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "head.json").write_text(json.dumps(head))
    args = ["--base-json", str(tmp_path / "base.json"), "--head-json", str(tmp_path / "head.json")]
    assert cost.main(args) == 0
    out = compact(capsys.readouterr().out)
    assert "| - | warehouse ESTUARY_LOAD_WH | -1,460 cr (-$4,380.00) | -220 cr (-$660.00) |" in out

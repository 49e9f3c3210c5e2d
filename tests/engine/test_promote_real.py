"""`jobs.promote` between two real local stacks: dev -> staging, gates on the real history.

Both stacks run the real program on their committed settings, with two deliberate changes:
dev carries a new release image (the thing being promoted), and staging does not install the
Argo Rollouts Helm chart (a chart comes from a repository over the network; the Rollout and its
analysis are still declared and rendered).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from jobs.promote import cli
from tests.engine.workspace import PROJECT, EngineWorkspace

pytestmark = pytest.mark.needs_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
NEW_IMAGE = "ghcr.io/sophia-ai/api@sha256:" + "5a" * 32


def committed(stack: str, key: str) -> dict:
    return copy.deepcopy(
        yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][
            f"{PROJECT}:{key}"
        ]
    )


@pytest.fixture(scope="module")
def stacks(workspace: EngineWorkspace):
    kubernetes = committed("staging", "kubernetes")
    kubernetes["argoRollouts"]["install"] = False
    dev = workspace.create_stack("dev", overrides={"release": {"apiImage": NEW_IMAGE}})
    staging = workspace.create_stack("staging", overrides={"kubernetes": kubernetes})
    for name, stack in (("dev", dev), ("staging", staging)):
        result, _ = workspace.run(f"up-{name}", stack.up)
        assert result.summary.result == "succeeded", name
    # promote reads policies/ and Pulumi.<target>.yaml from its repo root: the workspace here.
    (workspace.work_dir / "policies").symlink_to(REPO_ROOT / "policies")
    return dev, staging


def run_promote(workspace: EngineWorkspace, capsys, *args: str) -> tuple[int, str, str]:
    argv = ["--from", "dev", "--to", "staging", "--repo-root", str(workspace.work_dir), *args]
    code = cli.main(argv, ops=workspace.ops())
    out, err = capsys.readouterr()
    return code, out, err


def test_soak_gate_reads_the_real_history(workspace: EngineWorkspace, stacks, capsys) -> None:
    before = workspace.stack_file("staging").read_text()
    code, out, err = run_promote(workspace, capsys, "--min-soak", "1h")
    assert code == cli.EXIT_REFUSED, out + err
    # The file backend does not number updates: the update is named by its start time.
    assert err.startswith("refused by gate source-soak: dev has soaked 0m since the update of "), (
        err
    )
    assert "ok  source-last-update: the update of 20" in out
    assert workspace.stack_file("staging").read_text() == before  # nothing written


def test_promote_with_apply_moves_the_release(workspace: EngineWorkspace, stacks, capsys) -> None:
    _, staging = stacks
    assert staging.outputs()["release"].value["apiImage"] != NEW_IMAGE
    code, out, err = run_promote(workspace, capsys, "--min-soak", "0m", "--apply")
    assert code == cli.EXIT_PROMOTED, out + err
    for gate in (
        "stage-order",
        "source-last-update",
        "source-soak",
        "source-drift",
        "source-release",
        "target-policy-preview",
        "release-verify",
    ):
        assert f"ok  {gate}:" in out, gate
    written = yaml.safe_load(workspace.stack_file("staging").read_text())
    assert written["config"][f"{PROJECT}:release"]["apiImage"] == NEW_IMAGE
    assert staging.outputs()["release"].value["apiImage"] == NEW_IMAGE
    history = workspace.ops().history("staging")
    assert [r.kind for r in history[:2]] == ["update", "update"]
    assert history[0].result == "succeeded"

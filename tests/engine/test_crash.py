"""A `pulumi up` killed with SIGKILL in the middle, then run again: nothing is duplicated.

The kill lands after the first object exists in a stand-in and before the update finishes,
so the engine's state has pending creates for resources the stand-ins may already hold. The
re-run must adopt or finish them, never create a second copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.engine.workspace import EngineWorkspace

pytestmark = pytest.mark.needs_engine

STACK = "dev"
REPO_ROOT = Path(__file__).resolve().parents[2]


WRITES = {
    # the kill lands right after the first object of that stand-in exists
    "estuary": lambda ws: bool(ws.estuary.state.live_names("capture")),
    "portkey": lambda ws: bool(ws.portkey.configs),
}


@pytest.mark.parametrize("kill_after", sorted(WRITES))
def test_killed_up_then_rerun_leaves_no_duplicates(
    engine, tmp_path_factory: pytest.TempPathFactory, kill_after: str
) -> None:
    workspace = EngineWorkspace(engine, tmp_path_factory.mktemp(f"crash-{kill_after}"))
    try:
        _kill_and_rerun(workspace, WRITES[kill_after])
    finally:
        workspace.close()
    workspace.assert_stand_ins_understood()


def _kill_and_rerun(workspace: EngineWorkspace, first_write_seen) -> None:
    stack = workspace.create_stack(STACK)
    log = (workspace.root / "killed-up.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.run_up", str(workspace.root), STACK],
        cwd=REPO_ROOT,
        env={**os.environ, **workspace.env()},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the CLI and providers die with it
    )
    deadline = time.monotonic() + 300
    try:
        while not first_write_seen(workspace):
            assert child.poll() is None, "the update finished before anything was written"
            assert time.monotonic() < deadline, "no write reached the stand-ins in 300 s"
            time.sleep(0.02)
    finally:
        plugins = _kill_tree(child.pid)
        child.wait(timeout=60)
        log.close()
    assert child.returncode == -signal.SIGKILL
    # The CLI starts each plugin (pulumi-resource-kubernetes, the dynamic-provider host) in a
    # process group of its own, so killing the update's group leaves them running, orphaned,
    # waiting on a dead engine; a crashed machine would not keep them either.
    assert plugins, "the kill found no plugin processes under the update"
    assert not [pid for pid in plugins if _alive(pid)], "plugin processes outlived the kill"

    # The checkpoint itself is never torn: fileblob writes it to a temp file and renames it.
    # Its `.attrs` sidecar is rewritten in place, so a kill can leave that one empty; the
    # user's recovery (docs/engine.md, "A killed `up`") is to delete it.
    _remove_torn_sidecars(workspace.root / "state")
    # What the CLI tells a user after a killed update: the file backend's lock is left behind,
    # "delete the lock file with `pulumi cancel`".
    stack.cancel()
    result, _ = workspace.run("up-after-kill", stack.up)
    assert result.summary.result == "succeeded"

    captures = workspace.estuary.state.live_names("capture")
    # (the dev stack's webhook source is off here: workspace.WEBHOOKS_SKIPPED)
    assert captures == ["sophia/dev/github/source-github"]
    assert workspace.estuary.state.live_names("materialization") == [
        "sophia/dev/snowflake/materialize-snowflake"
    ]
    names = Counter(c["name"] for c in workspace.portkey.configs.values())
    assert names == {"sophia-dev-routing": 1}, names
    # And the state agrees with the world: a preview has nothing to do.
    preview, _ = workspace.run("preview-after-kill", stack.preview)
    assert {op for op, n in preview.change_summary.items() if n and op != "same"} == set()


def _remove_torn_sidecars(state: Path) -> list[Path]:
    """Delete `.attrs` sidecars a kill left unreadable; every checkpoint must still parse.

    gocloud.dev v0.46 fileblob `writerWithSidecar.Close` (blob/fileblob/fileblob.go) writes
    the sidecar with `setAttrs` (attrs.go: `os.Create`, which truncates, then one JSON
    encode) before it renames the checkpoint's temp file into place. A SIGKILL between the
    two leaves an empty sidecar next to the old, intact checkpoint; `Bucket.Exists` reads the
    sidecar (`getAttrs`, a `json.Decoder`), so every later command fails "failed to load
    checkpoint: EOF". A missing sidecar is read as defaults (`getAttrs`), so deleting it is
    safe."""
    removed = []
    for sidecar in sorted(state.rglob("*.attrs")):
        try:
            json.loads(sidecar.read_text())
        except ValueError:
            sidecar.unlink()
            removed.append(sidecar)
    for checkpoint in (state / ".pulumi" / "stacks").rglob("*.json"):
        json.loads(checkpoint.read_text())  # never torn: written by temp file and rename
    return removed


def _kill_tree(pid: int) -> list[int]:
    """SIGKILL the update's process group and every process started under it; return the
    descendants found. The group is stopped first, so no plugin starts between the look and
    the kill (a killed parent's children are re-parented and could no longer be found)."""
    with contextlib.suppress(ProcessLookupError):  # it may have failed on its own
        os.killpg(pid, signal.SIGSTOP)
    found = _descendants(pid)
    for target in (pid, *found):
        with contextlib.suppress(ProcessLookupError):
            if target == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(target, signal.SIGKILL)
    for target in found:  # reap-free wait: they are not our children once their parent died
        deadline = time.monotonic() + 10
        while _alive(target) and time.monotonic() < deadline:
            time.sleep(0.05)
    return found


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (field 4 of /proc/<pid>/stat is the parent)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie holds no resources, only its exit status)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"

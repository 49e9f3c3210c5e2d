"""Re-record tests/jobs/events/ from real engine runs: `python -m tests.engine.record_events`.

Each fixture is what the Pulumi CLI wrote to its event log during one operation on the
engine-test workspace (tests/engine/workspace.py: the dev stack's real settings, Estuary and
Portkey on their stand-ins, Kubernetes rendered to a folder), with a header naming the CLI,
the plugin and the scenario. The jobs' unit tests (test_drift, test_promote,
tests/jobs/engine_events/) read them, so the event shapes they rely on are the engine's own.

Needs an engine (`make engine`); takes a few minutes. Timestamps and ids change on every run;
the tests only rely on what each scenario is about.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import events as auto_events

from tests.engine.toolchain import Engine, find_engine, pinned_versions
from tests.engine.workspace import PROJECT, EngineWorkspace, secret_plaintexts

EVENTS_DIR = Path(__file__).resolve().parents[1] / "jobs" / "events"
POLICIES = Path(__file__).resolve().parents[2] / "policies"
STACK = "dev"
GITHUB = "sophia/dev/github/source-github"
# The dev stack's webhook source (UserGems) is off on the engine (workspace.WEBHOOKS_SKIPPED):
# the deleted-capture and destructive scenarios use the GitHub capture.


@contextlib.contextmanager
def raw_events(into: list[dict[str, Any]]) -> Iterator[None]:
    """Keep each event's JSON as the CLI wrote it (the Automation API parses every line of the
    event log with `EngineEvent.from_json`)."""
    original = auto_events.EngineEvent.from_json

    def keep(data: dict[str, Any]) -> auto_events.EngineEvent:
        into.append(copy.deepcopy(data))
        return original(data)

    auto_events.EngineEvent.from_json = staticmethod(keep)  # type: ignore[method-assign]
    try:
        yield
    finally:
        auto_events.EngineEvent.from_json = original  # type: ignore[method-assign]


class Recorder:
    def __init__(self, workspace: EngineWorkspace, engine: Engine, out: Path) -> None:
        self.workspace = workspace
        self.engine = engine
        self.out = out
        self.written: list[str] = []

    def record(self, name: str, scenario: str, operation: Callable[[], Any]) -> None:
        captured: list[dict[str, Any]] = []
        with raw_events(captured):
            try:
                operation()
            except Exception as err:  # the failing scenarios fail on purpose
                print(f"{name}: the operation failed as recorded: {type(err).__name__}")
        if not captured:
            raise SystemExit(f"{name}: the engine wrote no events")
        text = json.dumps(
            {
                "recordedWith": {
                    "pulumi": self.engine.version,
                    "kubernetesPlugin": pinned_versions().get("KUBERNETES_PROVIDER_VERSION"),
                    "by": "python -m tests.engine.record_events",
                    "scenario": scenario,
                },
                "events": captured,
            },
            indent=2,
            sort_keys=True,
        )
        for secret in secret_plaintexts(*self.workspace.provider_credentials()):
            if secret in text:
                raise SystemExit(f"{name}: a secret value reached the event log")
        (self.out / name).write_text(text + "\n")
        self.written.append(name)
        print(f"wrote {name}: {len(captured)} events")


def config_variant(workspace: EngineWorkspace, folder: Path, edit: Callable[[dict], None]) -> str:
    doc = yaml.safe_load(workspace.stack_file(STACK).read_text())
    edit(doc["config"])
    path = folder / f"Pulumi.{STACK}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def record_all(engine: Engine, out: Path) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="record-events-") as scratch:
        root = Path(scratch)
        workspace = EngineWorkspace(engine, root / "ws")
        try:
            return _scenarios(Recorder(workspace, engine, out), workspace, root)
        finally:
            workspace.close()


def _scenarios(rec: Recorder, workspace: EngineWorkspace, root: Path) -> list[str]:
    stack = workspace.create_stack(STACK)
    stack.up(color="never")
    ops = workspace.ops()
    state = workspace.estuary.state

    rec.record(
        "refresh-no-drift.json",
        "refresh preview of the dev stack right after `up`: nothing changed",
        lambda: ops.preview_refresh(STACK),
    )

    def out_of_band(name: str, scenario: str, mutate: Callable[[], None]) -> None:
        saved = copy.deepcopy(state.live)
        mutate()
        try:
            rec.record(name, scenario, lambda: ops.preview_refresh(STACK))
        finally:
            with state.lock:
                state.live = saved

    out_of_band(
        "refresh-capture-interval.json",
        "the GitHub capture's interval changed to 10m in the Estuary UI",
        lambda: state.oob_update(GITHUB, lambda spec: spec.update(interval="10m")),
    )
    out_of_band(
        "refresh-capture-interval-default.json",
        "the GitHub capture's interval changed to 5m, the default, which Estuary drops from the "
        "spec",
        lambda: state.oob_update(GITHUB, lambda spec: spec.update(interval="5m")),
    )
    out_of_band(
        "refresh-secret-changed.json",
        "the GitHub capture's endpoint config (holding the token) re-saved in the Estuary UI",
        lambda: state.oob_update(
            GITHUB,
            lambda spec: spec["endpoint"]["connector"]["config"].update(
                repository="sophia-ai/sophia-main"
            ),
        ),
    )
    out_of_band(
        "refresh-capture-deleted.json",
        "the GitHub capture deleted in the Estuary UI",
        lambda: state.oob_delete(GITHUB),
    )

    # The control plane unreachable: the provider's read fails, so the refresh does.
    workspace.estuary.stop()
    try:
        rec.record(
            "refresh-engine-error.json",
            "refresh preview while the Estuary control plane is unreachable",
            lambda: ops.preview_refresh(STACK),
        )
    finally:
        workspace.estuary.start()  # on a new port: the environment changes
    ops = workspace.ops()

    policy = {
        "policy_packs": [str(POLICIES)],
        "policy_pack_configs": [str(POLICIES / "config" / f"{STACK}.json")],
    }
    rec.record(
        "preview-policy-clean.json",
        "preview of the committed dev stack with the policy pack and its dev config",
        lambda: ops.preview(STACK, **policy),
    )
    timeout = config_variant(
        workspace,
        _folder(root, "timeout"),
        lambda c: c[f"{PROJECT}:portkey"].update(requestTimeoutMs=120000),
    )
    rec.record(
        "preview-policy-violation.json",
        "preview with portkey.requestTimeoutMs 120000 (dev allows 60000): mandatory violation",
        lambda: ops.preview(STACK, config_file=timeout, **policy),
    )

    def drop_github(config: dict) -> None:
        config[f"{PROJECT}:estuary"]["sources"]["github"]["enabled"] = False

    destructive = config_variant(workspace, _folder(root, "destructive"), drop_github)
    rec.record(
        "preview-destructive.json",
        "preview with the GitHub source disabled: its capture is deleted",
        lambda: ops.preview(STACK, config_file=destructive),
    )
    workspace.select(STACK).destroy(color="never")
    return rec.written


def _folder(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engine.record_events")
    parser.add_argument("--out", type=Path, default=EVENTS_DIR)
    args = parser.parse_args(argv)
    engine = find_engine()
    if not isinstance(engine, Engine):
        print(f"error: {engine}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    written = record_all(engine, args.out)
    print(f"recorded {len(written)} fixtures with pulumi {engine.version} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""jobs/harness/: one recording monitor for the synth and the component tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi.runtime import resource as pulumi_resource

from jobs.harness import (
    REPO_ROOT,
    SECRET_MARK,
    RecordingMonitor,
    Synthesis,
    SynthMocks,
    synthesize_component,
)

_SUBCLASS_OF_MOCK_MONITOR = re.compile(r"^\s*class\s+(\w+)\s*\([^)]*\bMockMonitor\b", re.MULTILINE)


def _python_files() -> list[Path]:
    skipped = {".venv", "node_modules", ".git", "__pycache__"}
    return [
        path
        for path in REPO_ROOT.rglob("*.py")
        if not skipped.intersection(path.relative_to(REPO_ROOT).parts)
    ]


def test_there_is_one_mock_monitor_in_the_tree() -> None:
    found = {
        f"{path.relative_to(REPO_ROOT)}:{name}"
        for path in _python_files()
        for name in _SUBCLASS_OF_MOCK_MONITOR.findall(path.read_text())
    }
    assert found == {"jobs/harness/mocks.py:RecordingMonitor"}


def test_the_pattern_finds_a_subclass() -> None:
    # The test above proves nothing if the pattern misses the usual spellings.
    assert _SUBCLASS_OF_MOCK_MONITOR.findall("class Spy(pulumi_mocks.MockMonitor):\n") == ["Spy"]
    assert _SUBCLASS_OF_MOCK_MONITOR.findall("class Spy(MockMonitor):\n") == ["Spy"]


def test_the_harness_is_one_module_per_concern_each_read_in_one_sitting() -> None:
    package = REPO_ROOT / "jobs" / "harness"
    assert not (REPO_ROOT / "jobs" / "harness.py").exists()  # the single module, if it came back
    assert sorted(p.stem for p in package.glob("*.py")) == [
        "__init__",
        "mocks",
        "records",
        "run",
        "stack_config",
    ]
    for path in package.glob("*.py"):
        # CONTRIBUTING.md: split a module that passes ~400 lines
        assert len(path.read_text().splitlines()) <= 400, path.name


class _Thing(pulumi.CustomResource):
    def __init__(self, name: str, props: dict[str, Any], opts: Any = None) -> None:
        super().__init__("test:index:Thing", name, props, opts)


def _declare_with_options() -> dict[str, Any]:
    first = _Thing("first", {"size": 3})
    second = _Thing(
        "second",
        {"token": pulumi.Output.secret("s3cr3t"), "count": 2.0, "plain": "x"},
        pulumi.ResourceOptions(
            depends_on=[first],
            custom_timeouts=pulumi.CustomTimeouts(create="15m", delete="2m"),
            retain_on_delete=True,
            deleted_with=first,
            ignore_changes=["plain"],
        ),
    )
    return {"second": second.urn}


def test_a_component_run_records_every_option_the_component_tests_read() -> None:
    monitor = RecordingMonitor(SynthMocks(), reveal_inputs=True)
    synthesis = synthesize_component("dev", _declare_with_options, monitor)
    assert isinstance(synthesis, Synthesis)
    first = synthesis.one("test:index:Thing", "first")
    second = synthesis.one("test:index:Thing", "second")
    assert second.custom_timeouts == {"create": "15m", "delete": "2m"}
    assert second.retain_on_delete is True
    assert second.deleted_with == first.urn
    assert second.dependencies == [first.urn]
    assert second.ignore_changes == ["plain"]
    assert second.parent.endswith("pulumi:pulumi:Stack::sophia-infra-dev")
    assert first.custom_timeouts == {} and first.deleted_with == ""
    # What the synth shows: the secret redacted; what the provider receives: the value.
    assert second.inputs == {"token": SECRET_MARK, "count": 2, "plain": "x"}
    assert second.secret_inputs == ["token"]
    assert second.revealed_inputs == {"token": "s3cr3t", "count": 2, "plain": "x"}
    assert "revealed_inputs" not in second.to_json()
    assert "s3cr3t" not in repr(second)
    assert synthesis.outputs == {"second": second.urn}


def test_inputs_are_revealed_only_when_asked() -> None:
    synthesis = synthesize_component("dev", _declare_with_options)
    assert all(r.revealed_inputs is None for r in synthesis.resources)


def test_a_run_skips_the_sdks_stack_trace_and_restores_it(monkeypatch) -> None:
    calls: list[int] = []
    original = pulumi_resource._get_stack_trace  # the SDK still has it (fails on a rename)

    def counting() -> Any:
        calls.append(1)
        return original()

    monkeypatch.setattr(pulumi_resource, "_get_stack_trace", counting)
    synthesize_component("dev", _declare_with_options)
    assert calls == []
    assert pulumi_resource._get_stack_trace is counting


def _unnamed_config_map() -> dict[str, Any]:
    config = k8s.core.v1.ConfigMap("app-config", metadata={"labels": {"a": "b"}}, data={"A": "1"})
    named = k8s.core.v1.ConfigMap("named", metadata={"name": "fixed"}, data={"A": "1"})
    return {"generated": config.metadata.name, "fixed": named.metadata.name}


def test_kubernetes_objects_are_auto_named_only_when_asked() -> None:
    named = synthesize_component("dev", _unnamed_config_map, RecordingMonitor(SynthMocks(True)))
    # pulumi-kubernetes naming.go: "<logical name>-<8 characters>"
    assert re.fullmatch(r"app-config-[0-9a-f]{8}", named.outputs["generated"])
    assert named.outputs["fixed"] == "fixed"
    # The synth's own mocks say the name is computed (issue 27: it was a blank in envFrom).
    plain = synthesize_component("dev", _unnamed_config_map)
    assert plain.outputs["generated"] == "(computed: app-config-<random suffix>)"
    assert plain.outputs["fixed"] == "fixed"


def test_a_cli_exits_with_its_code_and_its_output_flushed_after_freezing() -> None:
    """`exit_without_final_collection` skips only the shutdown collection: the exit code, the
    buffered output and atexit handlers are as with a plain sys.exit."""
    import subprocess
    import sys

    script = (
        "import atexit, gc, sys\n"
        "from jobs.harness import exit_without_final_collection\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "sys.stdout.write('buffered, no newline')\n"
        "print(gc.get_freeze_count() == 0, end=' ')\n"
        "exit_without_final_collection(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "buffered, no newlineTrue atexit ran\n"


def test_a_run_undoes_the_pickler_wrapping_of_pulumi_serialize_provider() -> None:
    """serialize_provider (pulumi 3.272.0) wraps pickle._Pickler._batch_setitems once per dynamic
    resource and never unwraps it: ~980 in one process overflow the stack. A run restores it."""
    import pickle

    from pulumi.dynamic.dynamic import serialize_provider

    from components.estuary.capture import CaptureProvider
    from jobs.harness import synthesize_component

    original = pickle._Pickler._batch_setitems

    def build() -> None:
        for _ in range(3):
            serialize_provider(CaptureProvider())
        assert pickle._Pickler._batch_setitems is not original  # the SDK's wrapping, as described

    synthesize_component("dev", build)
    assert pickle._Pickler._batch_setitems is original

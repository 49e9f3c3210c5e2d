"""Run a program under the synth's mocks: the whole stack (`synthesize`) or one component.

Also the CLIs' exit (`exit_without_final_collection`), part of `jobs.harness`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import pickle
import runpy
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pulumi
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2

from jobs.harness.mocks import RecordingMonitor, SynthMocks
from jobs.harness.records import SECRET_MARK, Synthesis
from jobs.harness.stack_config import PROJECT, REPO_ROOT, load_stack_config

# pulumi 3.272.0 `pulumi.dynamic.dynamic.serialize_provider` wraps `pickle._Pickler._batch_setitems`
# in a sorting wrapper on every call and never restores it (it restores only `pickle.Pickler`), so
# each dynamic resource adds a layer and the 981st in one process fails with RecursionError
# (measured; upstream pulumi/pulumi#17803 reports the symptom). A `pulumi up` of our stacks makes
# about ten; a test session runs hundreds of syntheses in one process, so each run restores it.
_BATCH_SETITEMS = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


def synthesize(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    root: Path = REPO_ROOT,
    monitor: RecordingMonitor | None = None,
) -> Synthesis:
    """Run the program for `stack` under mocks; raises whatever the program raises.

    Pass your own `monitor` to inspect what was registered even when the program fails.
    """
    config, secret_keys = load_stack_config(stack, root, overrides)

    project_dir, main_py = root.resolve(), (root / "__main__.py").resolve()

    def program() -> Mapping[str, Any]:
        # The engine runs the program in the project directory; settings read the stack
        # files there (components/settings load's project_dir). `_run` restores the cwd.
        os.chdir(project_dir)
        runpy.run_path(str(main_py), run_name="__main__")
        stack_resource = pulumi_settings.get_root_resource()
        return dict(getattr(stack_resource, "outputs", {}) or {})

    return _run(stack, program, config, secret_keys, monitor)


def synthesize_component(
    stack: str,
    build: Callable[[], Mapping[str, Any] | None],
    monitor: RecordingMonitor | None = None,
    config: Mapping[str, str] | None = None,
) -> Synthesis:
    """Run `build` (which declares resources, e.g. one component) under the synth's mocks.

    What `build` returns (name -> value or Output) becomes the outputs, resolved as stack
    outputs are. `config` is the Pulumi config the component may read (none by default). Runs on
    the caller's event loop when one is set (so Outputs made before the call belong to it).
    """

    def program() -> Mapping[str, Any]:
        return dict(build() or {})

    return _run(stack, program, dict(config or {}), set(), monitor, _current_loop())


def _run(
    stack: str,
    program: Callable[[], Mapping[str, Any]],
    config: dict[str, str],
    secret_keys: set[str],
    monitor: RecordingMonitor | None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Synthesis:
    own_loop = loop is None
    working_directory = os.getcwd()
    if loop is None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    # A run allocates many small, short-lived objects and few cycles; pausing the cyclic
    # collector keeps large stacks linear (measured in BENCHMARKS.md) at a bounded memory cost.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    stack_trace = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        pulumi_settings.ROOT.set(None)
        set_all_config(config, secret_keys)
        monitor = monitor or RecordingMonitor(SynthMocks())
        pulumi.runtime.set_mocks(
            monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor
        )
        exports: dict[str, Any] = {}
        secret_exports: list[str] = []

        @pulumi.runtime.test
        def run() -> pulumi.Output[Any]:
            collected = []
            for name, value in program().items():
                output = pulumi.Output.from_input(value)
                collected.append(
                    pulumi.Output.all(
                        pulumi.Output.from_input(name),
                        output,
                        pulumi.Output.from_input(output.is_secret()),
                    )
                )
            return pulumi.Output.all(*collected).apply(_store(exports, secret_exports))

        run()
        return Synthesis(
            stack=stack,
            resources=monitor.declared,
            outputs=exports,
            secret_outputs=sorted(secret_exports),
            config=config,
        )
    finally:
        os.chdir(working_directory)
        pulumi_resource._get_stack_trace = stack_trace
        pickle._Pickler._batch_setitems = _BATCH_SETITEMS  # type: ignore[attr-defined]
        if gc_was_enabled:
            gc.enable()
        if own_loop:
            asyncio.set_event_loop(None)
            loop.close()


def exit_without_final_collection(code: int) -> NoReturn:
    """End a CLI that has written its output: `sys.exit(code)` after `gc.freeze()`.

    What is left is the interpreter's shutdown, whose final cyclic collection walks every object
    the SDKs and the run made: about 1 s for the prod synth, more than declaring its resources
    (BENCHMARKS.md). Frozen objects are skipped by it; the process still exits normally (atexit
    handlers run, buffered output is flushed) and the OS frees the memory.
    """
    gc.freeze()
    sys.exit(code)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:  # none set on this thread
        return None
    return None if loop.is_closed() else loop


def _no_stack_trace() -> source_pb2.StackTrace:
    """Stands in for the SDK's `_get_stack_trace` during a run under mocks.

    pulumi/runtime/resource.py `register_resource` and `read_resource` call `_get_stack_trace()`
    for each resource (`traceback.extract_stack()`, a stat of every frame's file, a URI per
    frame); the engine uses it for error locations, but `MockMonitor.RegisterResource` and
    `ReadResource` (pulumi/runtime/mocks.py) never read `stackTrace` or `sourcePosition`. Under
    mocks it is pure cost (about a fifth of declaring prod, BENCHMARKS.md). An empty
    `StackTrace` is what the SDK itself sends when it finds no user frame.
    """
    return source_pb2.StackTrace()


def _store(exports: dict[str, Any], secret_exports: list[str]):
    def store(items: list[list[Any]]) -> None:
        for name, value, is_secret in items:
            exports[name] = SECRET_MARK if is_secret else value
            if is_secret:
                secret_exports.append(name)

    return store

"""Run the real Pulumi program offline, under mocks, and record what it declares.

This is the engine of `jobs.synth` and of the tests: it loads `Pulumi.yaml` defaults and
`Pulumi.<stack>.yaml`, replaces `secure:` values with placeholders that stay secret, runs
`__main__.py` in-process with a recording mock monitor, and returns every registered resource
(type, name, parent, inputs with secrets redacted, options) plus the stack outputs.
`synthesize_component` runs one component the same way, for the component tests: one mock
monitor and one set of mocks serve the synth, the cost view, the policy check and the tests.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import hashlib
import json
import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2

from components.yaml_files import YamlFileError, load_yaml_file

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "sophia-infra"
SECRET_MARK = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"


class StackConfigError(Exception):
    """The stack file is missing or not valid YAML."""


@dataclass
class DeclaredResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: list[str]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    provider: str
    additional_secret_outputs: list[str]
    delete_before_replace: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    # customTimeouts as registered: only the operations that set one ("create": "15m", ...).
    custom_timeouts: dict[str, str]
    # deletedWith: the URN whose deletion also deletes this resource ("" when none).
    deleted_with: str
    # Only when the monitor was asked to keep them (component tests): the inputs as the provider
    # receives them, secrets unwrapped. Never part of `to_json` (that is what the synth prints).
    revealed_inputs: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        shown = dict(self.__dict__)
        del shown["revealed_inputs"]
        return shown


@dataclass
class Synthesis:
    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    secret_outputs: list[str]
    config: dict[str, str] = field(repr=False, default_factory=dict)

    def by_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> DeclaredResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"expected one {type_} named {name}, found {len(matches)}")
        return matches[0]


def stack_file(stack: str, root: Path = REPO_ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def available_stacks(root: Path = REPO_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def load_stack_config(
    stack: str,
    root: Path = REPO_ROOT,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, str], set[str]]:
    """Stack config as Pulumi hands it to the program: fully-qualified keys, string values.

    `overrides` maps short project keys (or `ns:key`) to replacement values; a value of `None`
    removes the key. Returns the config and the set of keys that are secret.
    """
    if not root.is_dir():
        raise StackConfigError(f"project directory {root} does not exist")
    if not (root / "Pulumi.yaml").is_file():
        raise StackConfigError(f"no Pulumi.yaml in {root}; give the project directory")
    project_doc = _read_yaml(root / "Pulumi.yaml")
    path = stack_file(stack, root)
    if not path.exists():
        known = ", ".join(available_stacks(root)) or "none"
        raise StackConfigError(f"no stack file {path.name}; known stacks: {known}")
    stack_doc = _read_yaml(path)

    values: dict[str, Any] = {}
    for key, declaration in _mapping(project_doc.get("config"), "Pulumi.yaml: config").items():
        if isinstance(declaration, dict) and "default" in declaration:
            values[_qualify(key)] = copy.deepcopy(declaration["default"])
    for key, value in _mapping(stack_doc.get("config"), f"{path.name}: config").items():
        if not isinstance(key, str) or not key:
            raise StackConfigError(f"{path.name}: config keys must be strings; got {key!r}")
        values[_qualify(key)] = value
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(_qualify(key), None)
        else:
            values[_qualify(key)] = value

    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in values.items():
        value, is_secret = _replace_secure(key, value)
        if is_secret:
            secret_keys.add(key)
        config[key] = value if isinstance(value, str) else _config_string(value)
    return config, secret_keys


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


class SynthMocks(pulumi.runtime.Mocks):
    """Answer each registration with the outputs only a provider could compute.

    `kubernetes_auto_names`: answer a Kubernetes object registered without `metadata.name` with
    the name the provider would assign, so what consumes `obj.metadata.name` (a pod's
    `configMapRef`) sees a name. Off for the synth, whose output shows such names as absent.
    """

    def __init__(self, kubernetes_auto_names: bool = False) -> None:
        # The monitor calls new_resource on the registering thread; the recording monitor reads
        # the inputs back from here instead of deserializing the request a second time.
        self.last_inputs = threading.local()
        self.kubernetes_auto_names = kubernetes_auto_names

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.last_inputs.value = args.inputs
        # Only computed outputs: outside preview the SDK resolves every other output from the
        # resource's own inputs (secrets stay secret), so echoing the inputs back would only
        # serialize and parse them twice more.
        state: dict[str, Any] = {}
        if args.typ.startswith("snowflake:") and "name" in args.inputs:
            state["fullyQualifiedName"] = _snowflake_fqn(args.inputs)
        for key in _dynamic_outputs().get(args.typ, ()):
            # Dynamic resources' outputs exist only after create; name them as computed so what
            # consumes them (the API's ConfigMap, stack outputs) shows where the value comes from.
            if key not in args.inputs:
                state[key] = f"(computed: {key})"
        if self.kubernetes_auto_names and _auto_named_kubernetes(args):
            state["metadata"] = _kubernetes_auto_name(args.name, args.inputs.get("metadata"))
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        return {}


@functools.cache
def _dynamic_outputs() -> dict[str, tuple[str, ...]]:
    """Type token -> the `pulumi.Output` attributes each dynamic resource class declares."""
    found: dict[str, tuple[str, ...]] = {}
    pending = list(pulumi.dynamic.Resource.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        annotations = getattr(cls, "__annotations__", {})
        found[f"pulumi-python:{cls._resource_type_name}"] = tuple(
            key for key, hint in annotations.items() if "Output" in str(hint)
        )
    return found


def _auto_named_kubernetes(args: pulumi_mocks.MockResourceArgs) -> bool:
    # A Helm release is not a Kubernetes object: it has no metadata to name.
    if not args.typ.startswith("kubernetes:") or args.typ.startswith("kubernetes:helm.sh/"):
        return False
    metadata = args.inputs.get("metadata")
    return not (isinstance(metadata, dict) and metadata.get("name"))


def _kubernetes_auto_name(name: str, metadata: Any) -> dict[str, Any]:
    """The metadata the provider returns for an unnamed object.

    pulumi-kubernetes provider/pkg/metadata/naming.go `AssignNameIfAutonamable`: the name is
    `<logical name>-<8 random DNS-1123 characters>`, plus the `pulumi.com/autonamed: "true"`
    annotation. The suffix here is a hash of the logical name (8 hex characters, a subset of that
    alphabet) so that runs are reproducible.
    """
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    shown = dict(metadata) if isinstance(metadata, dict) else {}
    annotations = shown.get("annotations")
    shown["annotations"] = {
        **(annotations if isinstance(annotations, dict) else {}),
        "pulumi.com/autonamed": "true",
    }
    shown["name"] = f"{name}-{suffix}"
    return shown


def _snowflake_fqn(state: Mapping[str, Any]) -> str:
    parts = [state.get("database"), state.get("schema"), state.get("name")]
    return ".".join(f'"{p}"' for p in parts if isinstance(p, str) and p)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps each registration's options and secret-ness of inputs.

    The one mock monitor in the tree (tests/jobs/test_harness.py holds it to that). With
    `reveal_inputs`, each record also keeps its inputs with secrets unwrapped
    (`DeclaredResource.revealed_inputs`), for tests that check what a provider would receive.
    """

    def __init__(self, mocks: SynthMocks, reveal_inputs: bool = False) -> None:
        super().__init__(mocks)
        self.synth_mocks = mocks
        self.reveal_inputs = reveal_inputs
        self.declared: list[DeclaredResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            return response
        raw_inputs = self.synth_mocks.last_inputs.value
        secret_paths: list[str] = []
        inputs = _redact(raw_inputs, "", secret_paths)
        self.declared.append(
            DeclaredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=inputs,
                secret_inputs=secret_paths,
                protect=bool(request.HasField("protect") and request.protect),
                retain_on_delete=bool(
                    request.HasField("retainOnDelete") and request.retainOnDelete
                ),
                dependencies=sorted(request.dependencies),
                provider=_provider_name(request.provider),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                replace_on_changes=list(request.replaceOnChanges),
                # proto RegisterResourceRequest (pulumi/proto/pulumi/resource.proto)
                custom_timeouts=_custom_timeouts(request),
                deleted_with=request.deletedWith,
                revealed_inputs=_reveal(raw_inputs) if self.reveal_inputs else None,
            )
        )
        return response


def _custom_timeouts(request: Any) -> dict[str, str]:
    if not request.HasField("customTimeouts"):
        return {}
    timeouts = request.customTimeouts
    return {
        operation: getattr(timeouts, operation)
        for operation in ("create", "update", "delete")
        if getattr(timeouts, operation)
    }


def _reveal(value: Any) -> Any:
    """Inputs as the provider receives them: secrets unwrapped, the wire's integral floats
    back to ints, the dynamic provider's pickled code left out."""
    if rpc.is_rpc_secret(value):
        return _reveal(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _redact(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Replace secret values with a marker and remember where they were."""
    if rpc.is_rpc_secret(value):
        secret_paths.append(path or "<whole>")
        return SECRET_MARK
    if isinstance(value, dict):
        return {
            k: _redact(v, f"{path}.{k}" if path else k, secret_paths)
            for k, v in value.items()
            if k != "__provider"  # dynamic providers' pickled code: not a reviewable input
        }
    if isinstance(value, list):
        return [_redact(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    if type(value).__name__ == "Unknown":
        return "<unknown>"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _qualify(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _replace_secure(key: str, value: Any) -> tuple[Any, bool]:
    """Swap `secure:` leaves for placeholders; report whether any were found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return f"synth-placeholder-for-{key}", True
        found = False
        replaced = {}
        for k, v in value.items():
            replaced[k], secret = _replace_secure(f"{key}.{k}", v)
            found = found or secret
        return replaced, found
    if isinstance(value, list):
        items = [_replace_secure(f"{key}[{i}]", v) for i, v in enumerate(value)]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _config_string(value: Any) -> str:
    """How the CLI hands a value to the program: scalars as text, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise StackConfigError(f"a config value cannot be represented as JSON: {error}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    """A project or stack file: strict YAML (components/yaml_files.py), a mapping."""
    try:
        document = load_yaml_file(path)
    except YamlFileError as error:
        raise StackConfigError(str(error)) from None
    return _mapping(document, path.name)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StackConfigError(
            f"{what} must be a YAML mapping (key: value lines); got {type(value).__name__}"
        )
    return value


def _provider_name(reference: str) -> str:
    """`<provider urn>::<id>` -> the provider's logical name."""
    parts = reference.split("::")
    return parts[-2] if len(parts) >= 2 else ""

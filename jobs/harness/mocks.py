"""The synth's mocks and its one mock monitor, which records each registration.

`SynthMocks` answers a registration with the outputs only a provider could compute;
`RecordingMonitor` keeps each registration's type, name, parent, inputs (secrets redacted) and
options as a `DeclaredResource` (part of `jobs.harness`).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from jobs.harness.records import SECRET_MARK, DeclaredResource

STACK_TYPE = "pulumi:pulumi:Stack"


class SynthMocks(pulumi.runtime.Mocks):
    """Answer each registration with the outputs only a provider could compute.

    `kubernetes_auto_names`: answer a Kubernetes object registered without `metadata.name` with
    the name the provider would assign, so what consumes `obj.metadata.name` (a pod's
    `configMapRef`) sees a name. Off for the synth, which shows `(computed: <name>-<random
    suffix>)` there instead.
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
        if _auto_named_kubernetes(args):
            state["metadata"] = _kubernetes_auto_name(
                args.name, args.inputs.get("metadata"), computed=not self.kubernetes_auto_names
            )
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


def _kubernetes_auto_name(name: str, metadata: Any, computed: bool = False) -> dict[str, Any]:
    """The metadata the provider returns for an unnamed object.

    pulumi-kubernetes provider/pkg/metadata/naming.go `AssignNameIfAutonamable`: the name is
    `<logical name>-<8 random DNS-1123 characters>`, plus the `pulumi.com/autonamed: "true"`
    annotation. The suffix here is a hash of the logical name (8 hex characters, a subset of that
    alphabet) so that runs are reproducible; `computed` (the synth) says what it will be instead,
    `(computed: <name>-<random suffix>)`, so what consumes it (a pod's `configMapRef`, a
    `secretKeyRef`) shows where its value comes from rather than a blank.
    """
    suffix = "<random suffix>" if computed else hashlib.sha256(name.encode()).hexdigest()[:8]
    shown = dict(metadata) if isinstance(metadata, dict) else {}
    annotations = shown.get("annotations")
    shown["annotations"] = {
        **(annotations if isinstance(annotations, dict) else {}),
        "pulumi.com/autonamed": "true",
    }
    shown["name"] = f"(computed: {name}-{suffix})" if computed else f"{name}-{suffix}"
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


def _provider_name(reference: str) -> str:
    """`<provider urn>::<id>` -> the provider's logical name."""
    parts = reference.split("::")
    return parts[-2] if len(parts) >= 2 else ""

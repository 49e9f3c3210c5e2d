"""Run `ApiService` under Pulumi mocks and record every registered resource.

Inputs arrive as the engine would see them: camelCase wire keys, and secret values wrapped as
`{SIG_KEY: SECRET_SIG, "value": ...}`. `plain()` unwraps that into the Kubernetes JSON a cluster
would receive, for schema validation.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor

from components.k8s.api_service import ApiService, ApiServiceArgs
from components.settings.kubernetes import KubernetesSettings, ReleaseSettings

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
STACKS = ("dev", "staging", "prod")
_REPO_ROOT = Path(__file__).resolve().parents[3]

PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq-test-only-key\n-----END PRIVATE KEY-----"
)
PORTKEY_API_KEY = "pk-test-4b8e1f0c2d9a7e65"
RUNTIME_CONFIG = {
    "SNOWFLAKE_ACCOUNT": "sophia-xy12345",
    "SNOWFLAKE_WAREHOUSE": "SOPHIA_API_WH",
    "SNOWFLAKE_DATABASE": "SOPHIA",
    "CORTEX_SEARCH_SERVICE": "SOPHIA.CORTEX.DOCS_SEARCH",
    "CORTEX_AGENT": "SOPHIA.CORTEX.SOPHIA_AGENT",
    "PORTKEY_CONFIG": "pc-sophia-prod-3f2a",
    "ESTUARY_PREFIX": "sophia-ai/prod",
}


def stack_config(stack: str) -> dict[str, Any]:
    # The committed stack files: what is tested is what the stacks declare.
    return yaml.safe_load((_REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def stack_settings(stack: str) -> tuple[KubernetesSettings, ReleaseSettings]:
    config = stack_config(stack)
    return (
        KubernetesSettings.model_validate(config["sophia-infra:kubernetes"]),
        ReleaseSettings.model_validate(config["sophia-infra:release"]),
    )


def is_secret_wrapper(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def plain(value: Any) -> Any:
    """Unwrap secrets and turn the wire's integral floats back into ints."""
    if is_secret_wrapper(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def obj(self) -> dict[str, Any]:
        return plain(self.inputs)


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    resources: list[Registered] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, copy.deepcopy(args.inputs)))
        # Echo the inputs (secrets stay wrapped, so outputs stay secret) and auto-name the way
        # the provider does for objects without metadata.name.
        state = copy.deepcopy(args.inputs)
        if args.typ.startswith("kubernetes:") and "helm.sh" not in args.typ:
            metadata = state.setdefault("metadata", {})
            if not metadata.get("name"):
                suffix = hashlib.sha256(args.name.encode()).hexdigest()[:8]
                metadata["name"] = f"{args.name}-{suffix}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {[r.name for r in found]}"
        return found[0]


class OptionRecordingMonitor(MockMonitor):
    """Also keeps the resource options the Mocks API does not show (ignore_changes, timeouts,
    retain_on_delete, deleted_with)."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:
        timeouts = request.customTimeouts
        self.options[request.name] = {
            "ignore_changes": list(request.ignoreChanges),
            "timeouts": {"create": timeouts.create, "update": timeouts.update},
            "dependencies": list(request.dependencies),
            # proto RegisterResourceRequest fields (pulumi/proto/resource.proto)
            "retain_on_delete": request.retainOnDelete
            if request.HasField("retainOnDelete")
            else None,
            "deleted_with": request.deletedWith,
            "parent": request.parent,
        }
        return super().RegisterResource(request)


@dataclass
class Rendered:
    mocks: RecordingMocks
    outputs: dict[str, Any]
    settings: KubernetesSettings


def render(
    environment: str,
    settings: KubernetesSettings | None = None,
    image: str | None = None,
    runtime_config: dict[str, Any] | None = None,
    private_key: Any = None,
    portkey_api_key: Any = None,
    mocks: RecordingMocks | None = None,
) -> Rendered:
    """Build the component for `environment` (Pulumi.<stack>.yaml values unless overridden)."""
    default_settings, release = stack_settings(environment)
    settings = settings or default_settings
    mocks = mocks if mocks is not None else RecordingMocks()
    monitor = OptionRecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="sophia-infra", stack=environment, preview=False, monitor=monitor
    )
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        service = ApiService(
            "sophia-api",
            ApiServiceArgs(
                environment=environment,
                settings=settings,
                canary=settings.canary,
                image=image or release.api_image,
                runtime_config=RUNTIME_CONFIG if runtime_config is None else runtime_config,
                snowflake_private_key=(
                    pulumi.Output.secret(PRIVATE_KEY) if private_key is None else private_key
                ),
                portkey_api_key=(
                    pulumi.Output.secret(PORTKEY_API_KEY)
                    if portkey_api_key is None
                    else portkey_api_key
                ),
            ),
        )
        outputs["host"] = service.host
        outputs["workload_kind"] = service.workload_kind
        return pulumi.Output.all(service.namespace, service.service_name).apply(
            lambda values: outputs.update(namespace=values[0], service_name=values[1])
        )

    run()
    for registered in mocks.resources:
        registered.options = monitor.options.get(registered.name, {})
    return Rendered(mocks, outputs, settings)

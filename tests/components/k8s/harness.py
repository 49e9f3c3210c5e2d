"""Run `ApiService` under the synth's own mocks and monitor (`jobs.harness`), per stack.

Each registration is a `DeclaredResource`: `inputs` as the synth shows them (camelCase wire keys,
secrets as `[secret]`, their paths in `secret_inputs`) and `revealed_inputs`, the Kubernetes JSON
a cluster would receive (secrets unwrapped), for schema validation. Objects without
`metadata.name` are answered with the provider's auto-name (`SynthMocks(kubernetes_auto_names=
True)`), so what consumes a generated name sees one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.k8s.api_service import ApiService, ApiServiceArgs
from components.settings.kubernetes import KubernetesSettings, ReleaseSettings
from jobs.harness import (
    DeclaredResource,
    RecordingMonitor,
    Synthesis,
    SynthMocks,
    synthesize_component,
)

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


def recording_monitor() -> RecordingMonitor:
    """A fresh recording monitor, for a test that inspects what was registered after a failure."""
    return RecordingMonitor(SynthMocks(kubernetes_auto_names=True), reveal_inputs=True)


@dataclass
class Rendered:
    synthesis: Synthesis
    settings: KubernetesSettings

    @property
    def resources(self) -> list[DeclaredResource]:
        return self.synthesis.resources

    @property
    def outputs(self) -> dict[str, Any]:
        return self.synthesis.outputs

    def of_type(self, typ: str) -> list[DeclaredResource]:
        return self.synthesis.by_type(typ)

    def one(self, typ: str) -> DeclaredResource:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {[r.name for r in found]}"
        return found[0]


def render(
    environment: str,
    settings: KubernetesSettings | None = None,
    image: str | None = None,
    runtime_config: dict[str, Any] | None = None,
    private_key: Any = None,
    portkey_api_key: Any = None,
    recorder: RecordingMonitor | None = None,
) -> Rendered:
    """Build the component for `environment` (Pulumi.<stack>.yaml values unless overridden)."""
    default_settings, release = stack_settings(environment)
    settings = settings or default_settings

    def build() -> dict[str, Any]:
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
        return {
            "host": service.host,
            "workload_kind": service.workload_kind,
            "namespace": service.namespace,
            "service_name": service.service_name,
        }

    synthesis = synthesize_component(environment, build, recorder or recording_monitor())
    return Rendered(synthesis, settings)

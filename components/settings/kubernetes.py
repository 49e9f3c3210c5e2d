"""Typed settings for the Sophia API on Kubernetes: `sophia-infra:kubernetes` (with its `canary`
block) and `sophia-infra:release`.

The stacks differ only in these values: dev runs a plain rolling update, staging holds the new
version beside the old one under analysis (parallel run), prod starts at 10% and steps up under
analysis. Checks that need the stack's environment (an image pinned by digest, a canary in
staging/prod) are plain functions the central loader calls, because a model cannot see the stack.
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings._base import CamelModel

ENVIRONMENTS = ("dev", "staging", "prod")
# Stacks whose image must be immutable: what staging tested is byte-for-byte what prod runs.
DIGEST_REQUIRED_ENVIRONMENTS = ("staging", "prod")
# Stacks that must ship through an analysed canary (parallel run) rather than a rolling update.
CANARY_REQUIRED_ENVIRONMENTS = ("staging", "prod")

# preStop `sleep` (no shell needed in a distroless image) and `matchLabelKeys` in topology spread
# are on by default from Kubernetes 1.30.
MIN_CLUSTER_MINOR = 30

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$"
)
_DURATION = re.compile(r"^([1-9][0-9]*)(s|m|h)$")
_CPU = re.compile(r"^([0-9]+)m$|^([0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^([0-9]+)(Ki|Mi|Gi|Ti)?$")
_CLUSTER_VERSION = re.compile(r"^1\.([0-9]{2})$")
_CHART_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
_PLUGIN_VERSION = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")
# OCI reference: registry[:port]/path[:tag][@sha256:<64 hex>], lower-case path components.
_IMAGE = re.compile(
    r"^(?P<repository>[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9]+([._-][a-z0-9]+)*)*(:[0-9]+)?"
    r"(/[a-z0-9]+([._-][a-z0-9]+)*)+)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
# A kubeconfig context name: any printable text kubectl accepts; we refuse spaces, quotes and
# control characters (ours: names that need quoting in a shell are mistakes here).
_KUBE_CONTEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/+-]{0,252}$")
# The API server of a kubeconfig `cluster` entry: https only (ours: a deploy over plain http would
# send the credentials in clear), host[:port], optional path.
_API_SERVER = re.compile(r"^https://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?(/[^\s]*)?$")
_UNITS_TO_SECONDS = {"s": 1, "m": 60, "h": 3600}
_MEMORY_FACTORS = {None: 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def duration_seconds(duration: str) -> int:
    """Seconds in an Argo-style duration such as `30s`, `10m` or `1h`."""
    match = _DURATION.match(duration)
    if not match:
        raise ValueError(f"{duration!r} is not a duration like '30s', '10m' or '1h'")
    return int(match.group(1)) * _UNITS_TO_SECONDS[match.group(2)]


def _check_duration(value: str) -> str:
    duration_seconds(value)
    return value


def _check_dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending "
            "with a letter or digit, at most 63 characters"
        )
    return value


def _check_hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError("must be a fully qualified lower-case DNS name such as 'api.sophia.ai'")
    return value


def _check_cpu(value: str) -> str:
    if not _CPU.match(value):
        raise ValueError("must be a CPU quantity such as '500m' or '2'")
    return value


def _check_memory(value: str) -> str:
    if not _MEMORY.match(value):
        raise ValueError("must be a memory quantity such as '512Mi' or '2Gi'")
    return value


def cpu_millicores(quantity: str) -> int:
    match = _CPU.match(quantity)
    if not match:
        raise ValueError(f"{quantity!r} is not a CPU quantity")
    if match.group(1) is not None:
        return int(match.group(1))
    return round(float(match.group(2)) * 1000)


def memory_bytes(quantity: str) -> int:
    match = _MEMORY.match(quantity)
    if not match:
        raise ValueError(f"{quantity!r} is not a memory quantity")
    return int(match.group(1)) * _MEMORY_FACTORS[match.group(2)]


Duration = Annotated[str, AfterValidator(_check_duration)]
DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]
Hostname = Annotated[str, AfterValidator(_check_hostname)]
CpuQuantity = Annotated[str, AfterValidator(_check_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_check_memory)]


# --- release -------------------------------------------------------------------------------------


def _check_image_syntax(value: str) -> str:
    if not _IMAGE.match(value):
        raise ValueError(
            "must be an image reference like 'ghcr.io/sophia-ai/api@sha256:<64 hex>' "
            "(lower-case registry/path, optional ':tag', optional '@sha256:' digest)"
        )
    return value


class ReleaseSettings(CamelModel):
    """`sophia-infra:release`: what is deployed. Promotion copies this object between stacks."""

    api_image: Annotated[str, AfterValidator(_check_image_syntax)] = Field(
        description="API container image, e.g. ghcr.io/sophia-ai/api@sha256:<64 hex>."
    )


def check_image_reference(image: str, environment: str, repository: str | None = None) -> str:
    """Reject an image the stack must not run; returns the image unchanged.

    staging and prod need a digest: a tag can move between the staging test and the prod rollout.
    With `repository`, the image must also come from that repository (no image from elsewhere).
    """
    if environment not in ENVIRONMENTS:
        raise ValueError(
            f"environment must be one of {', '.join(ENVIRONMENTS)}; got {environment!r}"
        )
    match = _IMAGE.match(image)
    if not match:
        _check_image_syntax(image)  # raises with the syntax message
    assert match is not None
    if environment in DIGEST_REQUIRED_ENVIRONMENTS and not match.group("digest"):
        raise ValueError(
            f"the API image must be pinned by digest in {environment} "
            f"('<repository>@sha256:<64 hex>'); got {image!r}"
        )
    if repository is not None and match.group("repository") != repository:
        raise ValueError(
            f"the API image must come from {repository!r}; got {match.group('repository')!r}"
        )
    return image


# --- canary --------------------------------------------------------------------------------------


class PauseSpec(CamelModel):
    duration: Duration = Field(description="Required: an open pause would hold `pulumi up`.")


class CanaryStep(CamelModel):
    """One Argo Rollouts step: exactly one of `setWeight` or `pause`."""

    set_weight: int | None = None
    pause: PauseSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CanaryStep:
        if (self.set_weight is None) == (self.pause is None):
            raise ValueError(
                "each canary step is either {setWeight: <1..100>} or {pause: {duration}}"
            )
        if self.set_weight is not None and not 1 <= self.set_weight <= 100:
            raise ValueError(
                "canary setWeight must be between 1 and 100 (percent of traffic); "
                f"got {self.set_weight}"
            )
        return self


class CanarySettings(CamelModel):
    """`sophia-infra:kubernetes` `canary`: how a new image reaches users, when it is rolled back."""

    strategy: Literal["rolling", "canary"]
    steps: tuple[CanaryStep, ...] = ()
    parallel_run_hold: Duration | None = Field(
        default=None,
        description="Parallel run: hold the new version at parallelRunWeight for this long.",
    )
    parallel_run_weight: int = Field(default=50, ge=1, le=99)
    max_error_rate: float | None = Field(
        default=None, description="5xx ratio of canary traffic that aborts the rollout."
    )
    analysis_interval: Duration = "1m"
    failure_limit: int = Field(default=1, ge=0, le=10)

    @model_validator(mode="after")
    def _coherent(self) -> CanarySettings:
        if self.max_error_rate is not None and not 0 < self.max_error_rate <= 1:
            raise ValueError(
                "maxErrorRate must be a fraction of requests in (0, 1], e.g. 0.01 for 1%; "
                f"got {self.max_error_rate}"
            )
        if self.strategy == "rolling":
            if self.steps or self.parallel_run_hold is not None or self.max_error_rate is not None:
                raise ValueError(
                    "strategy rolling takes no steps, parallelRunHold or maxErrorRate "
                    "(a failed readiness probe stops the rollout)"
                )
            return self
        if self.max_error_rate is None:
            raise ValueError("strategy canary needs maxErrorRate (e.g. 0.01 for 1%)")
        if bool(self.steps) == (self.parallel_run_hold is not None):
            raise ValueError(
                "strategy canary needs exactly one of steps (stepped canary) or "
                "parallelRunHold (new version held beside the old one)"
            )
        weights = [step.set_weight for step in self.steps if step.set_weight is not None]
        if self.steps and not weights:
            raise ValueError("canary steps need at least one setWeight step")
        if any(later <= earlier for earlier, later in itertools.pairwise(weights)):
            raise ValueError(
                "canary setWeight values must strictly increase; got "
                + ", ".join(str(weight) for weight in weights)
            )
        if self.steps and not any(step.pause is not None for step in self.steps):
            raise ValueError(
                "canary steps need at least one pause so the analysis can judge traffic"
            )
        return self

    def effective_steps(self) -> tuple[CanaryStep, ...]:
        """The Rollout steps: the explicit ones, or the parallel-run split and hold."""
        if self.parallel_run_hold is not None:
            return (
                CanaryStep(set_weight=self.parallel_run_weight),
                CanaryStep(pause=PauseSpec(duration=self.parallel_run_hold)),
            )
        return self.steps


# --- kubernetes ----------------------------------------------------------------------------------


class ResourceQuantities(CamelModel):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ContainerResources(CamelModel):
    requests: ResourceQuantities
    limits: ResourceQuantities

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> ContainerResources:
        if cpu_millicores(self.limits.cpu) < cpu_millicores(self.requests.cpu):
            raise ValueError(
                f"resources.limits.cpu ({self.limits.cpu}) must be at least "
                f"resources.requests.cpu ({self.requests.cpu})"
            )
        if memory_bytes(self.limits.memory) < memory_bytes(self.requests.memory):
            raise ValueError(
                f"resources.limits.memory ({self.limits.memory}) must be at least "
                f"resources.requests.memory ({self.requests.memory})"
            )
        return self


class AutoscalingSettings(CamelModel):
    min_replicas: int = Field(ge=1, description="Floor; sized in docs/kubernetes.md.")
    max_replicas: int = Field(ge=1, le=1000)  # ours: int32 in the API, 1000 pods is a mistake
    target_cpu_utilization: int = Field(ge=10, le=95, description="Percent of the CPU request.")

    @model_validator(mode="after")
    def _bounds_in_order(self) -> AutoscalingSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"autoscaling.minReplicas ({self.min_replicas}) must not exceed "
                f"autoscaling.maxReplicas ({self.max_replicas})"
            )
        return self


class GatewayParentRef(CamelModel):
    """The Gateway the HTTPRoute attaches to (it must allow routes from our namespace)."""

    name: DnsLabel
    namespace: DnsLabel
    section_name: DnsLabel | None = None


class RouterSettings(CamelModel):
    kind: Literal["gatewayApi", "nginx"] = Field(
        description="gatewayApi (HTTPRoute + Argo Gateway API plugin) or nginx (Ingress)."
    )
    gateway_parent_ref: GatewayParentRef | None = None
    ingress_class_name: DnsLabel | None = None
    source_namespace: DnsLabel = Field(
        description="Namespace of the gateway/ingress data-plane pods; the only ingress source."
    )
    path_prefix: str = Field(default="/api", pattern=r"^/[A-Za-z0-9/_.-]*$")
    websocket_timeout_seconds: int = Field(default=3600, ge=60, le=86400)

    @model_validator(mode="after")
    def _router_has_its_target(self) -> RouterSettings:
        if self.kind == "gatewayApi" and self.gateway_parent_ref is None:
            raise ValueError(
                "router.kind gatewayApi needs router.gatewayParentRef {name, namespace}"
            )
        if self.kind == "nginx" and self.ingress_class_name is None:
            raise ValueError("router.kind nginx needs router.ingressClassName")
        return self


# Versions that exist (docs/kubernetes.md "Versions" says where each was checked): chart
# argo-rollouts-2.41.0 ships Argo Rollouts v1.9.0; the plugin image is published per tag.
DEFAULT_CHART_VERSION = "2.41.0"
DEFAULT_GATEWAY_API_PLUGIN_VERSION = "v0.8.0"


class ArgoRolloutsSettings(CamelModel):
    install: bool = Field(
        description="true: this stack installs the controller (Helm); false: it must be present. "
        "At most one stack per `cluster` may say true (checked across stacks by jobs.check)."
    )
    chart_version: Annotated[str, Field(pattern=_CHART_VERSION.pattern)] = DEFAULT_CHART_VERSION
    namespace: DnsLabel = "argo-rollouts"
    service_account: DnsLabel = "argo-rollouts"
    gateway_api_plugin_version: Annotated[str, Field(pattern=_PLUGIN_VERSION.pattern)] = (
        DEFAULT_GATEWAY_API_PLUGIN_VERSION
    )


class KubernetesSettings(CamelModel):
    """`sophia-infra:kubernetes`."""

    cluster: DnsLabel = Field(
        description="Identity of the cluster this stack deploys to; stacks sharing a cluster "
        "must say the same name (one Argo Rollouts controller per cluster)."
    )
    namespace: DnsLabel
    context: Annotated[str, Field(pattern=_KUBE_CONTEXT.pattern)] | None = Field(
        default=None,
        description="The kubeconfig context the stack deploys with (default: the `cluster` "
        "value). Its cluster and namespace are checked against this stack's before anything "
        "registers (components/k8s/cluster.py, docs/kubernetes.md).",
    )
    api_server: Annotated[str, Field(pattern=_API_SERVER.pattern)] | None = Field(
        default=None,
        description="The cluster's API server URL (https://...). When set, the context's "
        "cluster must have this `server`; when not, its kubeconfig name must equal `cluster`.",
    )
    image_repository: str = Field(description="The only repository release.apiImage may use.")
    replicas: int = Field(
        ge=1, le=1000, description="Replicas at creation (at most 1000); the HPA owns it after."
    )
    uvicorn_workers: int = Field(default=2, ge=1, le=16)
    resources: ContainerResources
    autoscaling: AutoscalingSettings
    router: RouterSettings
    host: Hostname
    argo_rollouts: ArgoRolloutsSettings
    prometheus_address: str = Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    monitoring_namespace: DnsLabel | None = Field(
        default=None, description="Namespace allowed to scrape the metrics port."
    )
    pod_monitor_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels the Prometheus `podMonitorSelector` selects (e.g. the release label "
        "of kube-prometheus-stack); put on the PodMonitor that feeds the canary analysis.",
    )
    target_cluster_version: str = Field(description="Kubernetes minor, e.g. '1.34'.")
    topology_spread: bool = Field(description="Spread pods evenly across zones.")
    termination_grace_seconds: int = Field(ge=30, le=3600)
    pre_stop_sleep_seconds: int = Field(default=10, ge=1, le=60)
    canary: CanarySettings

    @model_validator(mode="after")
    def _consistent(self) -> KubernetesSettings:
        match = _CLUSTER_VERSION.match(self.target_cluster_version)
        if not match or int(match.group(1)) < MIN_CLUSTER_MINOR:
            raise ValueError(
                f"targetClusterVersion must be a Kubernetes minor '1.{MIN_CLUSTER_MINOR}' or newer "
                f"written like '1.34'; got {self.target_cluster_version!r}"
            )
        if not self.autoscaling.min_replicas <= self.replicas <= self.autoscaling.max_replicas:
            raise ValueError(
                f"replicas ({self.replicas}) must lie within autoscaling.minReplicas "
                f"({self.autoscaling.min_replicas}) and autoscaling.maxReplicas "
                f"({self.autoscaling.max_replicas})"
            )
        # Endpoints must be removed from the router before the drain starts, and the drain needs
        # time of its own after the preStop sleep.
        if self.termination_grace_seconds < self.pre_stop_sleep_seconds + 20:
            raise ValueError(
                f"terminationGraceSeconds ({self.termination_grace_seconds}) must be at least "
                f"preStopSleepSeconds ({self.pre_stop_sleep_seconds}) + 20 to drain WebSockets"
            )
        if self.canary.strategy == "canary" and self.monitoring_namespace is None:
            raise ValueError(
                "canary.strategy canary needs monitoringNamespace: the analysis reads the "
                "canary's request metrics, which the PodMonitor and the NetworkPolicy's metrics "
                "rule provide for that namespace's Prometheus"
            )
        if not _IMAGE.match(self.image_repository) or ":" in self.image_repository.split("/")[-1]:
            raise ValueError(
                "imageRepository must be a repository without tag or digest, "
                f"e.g. 'ghcr.io/sophia-ai/api'; got {self.image_repository!r}"
            )
        return self


def check_canary_for_environment(canary: CanarySettings, environment: str) -> CanarySettings:
    """staging and prod ship through an analysed canary; dev may use either strategy."""
    if environment not in ENVIRONMENTS:
        raise ValueError(
            f"environment must be one of {', '.join(ENVIRONMENTS)}; got {environment!r}"
        )
    if environment in CANARY_REQUIRED_ENVIRONMENTS and canary.strategy != "canary":
        raise ValueError(
            f"{environment} must use strategy canary (parallel run with automatic rollback); "
            f"got {canary.strategy}"
        )
    return canary

"""`sophia:k8s:ApiService`: the Sophia FastAPI service (REST + WebSocket) on Kubernetes.

dev runs a plain Deployment with a rolling update (a pod that fails readiness stops it). staging
and prod run an Argo Rollouts `Rollout`: a canary behind stable/canary Services, weighted by the
router, judged by a Prometheus analysis that aborts at the stack's 5xx threshold. Around the
workload: namespace, config, credentials, HPA, disruption budget, network policy and the route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.canary import (
    ROLLOUTS_API_VERSION,
    WAIT_FOR_ANNOTATION,
    WAIT_FOR_HEALTHY,
    analysis_template_spec,
    rollout_spec,
    rollout_timeout_minutes,
)
from components.k8s.guards import (
    autoscaler_spec,
    disruption_budget_spec,
    network_policy_spec,
)
from components.k8s.legacy_objects import legacy_config, reference_grant
from components.k8s.migration import MigrationPlan, rollout_weight_paths
from components.k8s.monitoring import PROMETHEUS_OPERATOR_API_VERSION, pod_monitor_spec
from components.k8s.names import common_labels, dns_label, selector_labels
from components.k8s.pod import (
    DEPLOYMENT_HASH_LABEL,
    PORTKEY_KEY,
    ROLLOUT_HASH_LABEL,
    SNOWFLAKE_KEY_FILE,
    pod_template,
)
from components.k8s.routing import (
    ARGO_HELM_REPO,
    GATEWAY_API_VERSION,
    controller_chart_values,
    http_route_spec,
    ingress_annotations,
    ingress_spec,
    plugin_role_rules,
    traffic_routing,
)
from components.k8s.runtime_config import (
    RUNTIME_CONFIG_KEYS as RUNTIME_CONFIG_KEYS,  # re-exported: callers import it from here
)
from components.k8s.runtime_config import (
    check_runtime_config,
    refuse_secret,
)
from components.settings.kubernetes import (
    CanarySettings,
    KubernetesSettings,
    check_canary_for_environment,
    check_image_reference,
)

SERVICE_PORT = 80
# Label on every ConfigMap/Secret a pod template references: `jobs.rollout_gate --prune` deletes
# the ones no ReplicaSet references any more (docs/kubernetes.md "Config of earlier revisions").
RETAINED_CONFIG_LABEL = "sophia.ai/retained-config"


@dataclass(frozen=True)
class ApiServiceArgs:
    environment: str  # "dev" | "staging" | "prod"
    settings: KubernetesSettings
    canary: CanarySettings
    image: str  # digest-pinned reference from ReleaseSettings
    runtime_config: Mapping[str, pulumi.Input[str]]  # non-secret runtime settings for the ConfigMap
    snowflake_private_key: pulumi.Input[str]  # secret Output
    portkey_api_key: pulumi.Input[str]  # secret Output
    page_alert: str | None = None
    """An SLO page alert (components/k8s/slo_rules.py) that fails the canary while it fires."""
    migration: MigrationPlan = field(default_factory=MigrationPlan)  # the migration rows


class ApiService(pulumi.ComponentResource):
    """The API workload and everything around it in one namespace."""

    namespace: pulumi.Output[str]
    """Name of the namespace holding the service."""
    service_name: pulumi.Output[str]
    """The Service that receives production traffic (the stable one during a canary)."""
    host: str
    """Public host name routed to the service."""
    workload_kind: str
    """`Deployment` (rolling update) or `Rollout` (Argo Rollouts canary)."""

    def __init__(
        self, name: str, args: ApiServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Refuse bad input before anything is registered.
        settings, canary = args.settings, args.canary
        check_image_reference(args.image, args.environment, settings.image_repository)
        check_canary_for_environment(canary, args.environment)
        check_runtime_config(args.runtime_config)
        super().__init__("sophia:k8s:ApiService", name, None, opts)

        self._name = name
        self._settings = settings
        self._page_alert = args.page_alert
        self._labels = common_labels(name, args.environment)
        self._selector = selector_labels(name)
        self._is_canary = canary.strategy == "canary"
        namespace_name = settings.namespace

        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": dns_label(namespace_name),
                "labels": {
                    **self._labels,
                    # Every pod here must pass the `restricted` Pod Security Standard.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": (
                        f"v{settings.target_cluster_version}"
                    ),
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._namespace = ns.metadata.name

        self._controller = self._argo_controller() if self._is_canary else None

        # Auto-named and immutable: a change creates a new object with a new name, so the pod
        # template changes and the new config reaches users through the same canary as an image.
        # Replacing one must not delete the old one: the stable ReplicaSet (and any rollback to
        # a kept revision) still starts pods from it. `retain_on_delete` leaves it in the
        # cluster when Pulumi replaces it (Pulumi docs, "retainOnDelete": no provider Delete on
        # delete or replace); the gate prunes it once no ReplicaSet references it, and deleting
        # the namespace (`pulumi destroy`) removes what is left.
        retained = {**self._labels, RETAINED_CONFIG_LABEL: "true"}
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"namespace": self._namespace, "labels": retained},
            immutable=True,
            data={key: refuse_secret(key, value) for key, value in args.runtime_config.items()},
            opts=self._retained_config_options(),
        )
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata={"namespace": self._namespace, "labels": retained},
            immutable=True,
            type="Opaque",
            string_data={
                SNOWFLAKE_KEY_FILE: pulumi.Output.secret(args.snowflake_private_key),
                PORTKEY_KEY: pulumi.Output.secret(args.portkey_api_key),
            },
            # The SDK also marks `data`/`stringData` outputs secret; wrapping the inputs keeps
            # them secret even if a caller hands over a plain string.
            opts=self._retained_config_options(),
        )

        self._migration = args.migration
        migration_env, flags_name = legacy_config(
            name, self._namespace, retained, self._migration, self._retained_config_options()
        )
        template = pod_template(
            labels=self._labels,
            selector=self._selector,
            image=args.image,
            environment=args.environment,
            settings=settings,
            config_map_name=config_map.metadata.name,
            secret_name=secret.metadata.name,
            hash_label=ROLLOUT_HASH_LABEL if self._is_canary else DEPLOYMENT_HASH_LABEL,
            migration_env=migration_env,
            flags_config_map=flags_name,
        )

        if self._is_canary:
            service, stable_name = self._service("stable")
            canary_service, canary_name = self._service("canary")
            route, route_name = self._route(stable_name=stable_name, canary_name=canary_name)
            workload_deps: list[pulumi.Resource] = [service, canary_service, route]
            if settings.router.kind == "gatewayApi":
                workload_deps.append(self._plugin_access())
            self._rollout(canary, template, stable_name, canary_name, route_name, workload_deps)
            self.workload_kind = "Rollout"
        else:
            service, service_name = self._service(None)
            self._route(stable_name=service_name, canary_name=None)
            self._deployment(template)
            self.workload_kind = "Deployment"

        self._autoscaler()
        self._disruption_budget()
        self._network_policy()
        if settings.monitoring_namespace:
            self._pod_monitor()

        self.namespace = self._namespace
        self.service_name = service.metadata.name
        self.host = settings.host
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_name": self.service_name,
                "host": self.host,
                "workload_kind": self.workload_kind,
            }
        )

    # --- helpers (each declares one or two children) --------------------------------------------

    def _retained_config_options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, retain_on_delete=True)

    def _child(
        self, depends_on: list[pulumi.Resource] | None = None, **extra: Any
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on, **extra)

    def _metadata(self, k8s_name: str, **extra: Any) -> dict[str, Any]:
        return {"name": k8s_name, "namespace": self._namespace, "labels": self._labels, **extra}

    @property
    def _workload_name(self) -> str:
        return dns_label(self._name)

    def _argo_controller(self) -> k8s.helm.v3.Release | None:
        argo = self._settings.argo_rollouts
        if not argo.install:
            return None
        return k8s.helm.v3.Release(
            f"{self._name}-argo-rollouts",
            name="argo-rollouts",
            chart="argo-rollouts",
            version=argo.chart_version,
            repository_opts={"repo": ARGO_HELM_REPO},
            namespace=argo.namespace,
            create_namespace=True,
            atomic=True,
            values=controller_chart_values(argo, self._settings.router),
            opts=self._child(),
        )

    def _service(self, role: str | None) -> tuple[k8s.core.v1.Service, str]:
        """A ClusterIP Service; during a canary the controller pins `stable`/`canary` selectors."""
        service_name = dns_label(self._name, role) if role else self._workload_name
        service = k8s.core.v1.Service(
            f"{self._name}-service-{role}" if role else f"{self._name}-service",
            metadata=self._metadata(service_name),
            spec={
                "type": "ClusterIP",
                "selector": self._selector,
                "ports": [
                    {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
                ],
            },
            opts=self._child(),
        )
        return service, service_name

    def _route(self, *, stable_name: str, canary_name: str | None) -> tuple[pulumi.Resource, str]:
        router, host = self._settings.router, self._settings.host
        route_name = self._workload_name
        if router.kind == "gatewayApi":
            legacy = self._migration.legacy_backend
            spec = http_route_spec(
                router,
                host,
                stable_service=stable_name,
                canary_service=canary_name,
                port=SERVICE_PORT,
                legacy=legacy,
            )
            grant = None
            if legacy is not None:
                grant = reference_grant(
                    self._name, self._settings.namespace, self._labels, legacy, self._child()
                )
            weights = rollout_weight_paths(len(spec["rules"])) if canary_name else None
            route = k8s.apiextensions.CustomResource(
                f"{self._name}-route",
                api_version=GATEWAY_API_VERSION,
                kind="HTTPRoute",
                metadata=self._metadata(route_name),
                spec=spec,
                opts=self._child(depends_on=[grant] if grant else None, ignore_changes=weights),
            )
        else:
            route = k8s.networking.v1.Ingress(
                f"{self._name}-ingress",
                metadata=self._metadata(route_name, annotations=ingress_annotations(router)),
                spec=ingress_spec(router, host, service=stable_name, port=SERVICE_PORT),
                opts=self._child(),
            )
        return route, route_name

    def _plugin_access(self) -> pulumi.Resource:
        """Let the controller's Gateway API plugin edit our HTTPRoute (and nothing elsewhere)."""
        argo = self._settings.argo_rollouts
        role_name = dns_label(self._name, "rollouts-gatewayapi")
        role = k8s.rbac.v1.Role(
            f"{self._name}-rollouts-role",
            metadata=self._metadata(role_name),
            rules=plugin_role_rules(),
            opts=self._child(),
        )
        return k8s.rbac.v1.RoleBinding(
            f"{self._name}-rollouts-binding",
            metadata=self._metadata(role_name),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
            subjects=[
                {
                    "kind": "ServiceAccount",
                    "name": argo.service_account,
                    "namespace": argo.namespace,
                }
            ],
            opts=self._child(depends_on=[role]),
        )

    def _rollout(
        self,
        canary: CanarySettings,
        template: dict[str, Any],
        stable_name: str,
        canary_name: str,
        route_name: str,
        depends_on: list[pulumi.Resource],
    ) -> None:
        settings = self._settings
        analysis_name = dns_label(self._name, "error-ratio")
        analysis = k8s.apiextensions.CustomResource(
            f"{self._name}-analysis",
            api_version=ROLLOUTS_API_VERSION,
            kind="AnalysisTemplate",
            metadata=self._metadata(analysis_name),
            spec=analysis_template_spec(
                canary, settings, settings.namespace, page_alert=self._page_alert
            ),
            # The controller's chart brings the CRDs.
            opts=self._child(depends_on=[self._controller] if self._controller else None),
        )
        timeout = f"{rollout_timeout_minutes(canary)}m"
        k8s.apiextensions.CustomResource(
            f"{self._name}-rollout",
            api_version=ROLLOUTS_API_VERSION,
            kind="Rollout",
            # Pulumi waits until the controller reports Healthy; an aborted canary is Degraded,
            # so `pulumi up` fails instead of reporting success.
            metadata=self._metadata(
                self._workload_name, annotations={WAIT_FOR_ANNOTATION: WAIT_FOR_HEALTHY}
            ),
            spec=rollout_spec(
                canary=canary,
                settings=settings,
                selector=self._selector,
                template=template,
                stable_service=stable_name,
                canary_service=canary_name,
                analysis_template=analysis_name,
                traffic_routing=traffic_routing(
                    settings.router, route_name=route_name, namespace=settings.namespace
                ),
            ),
            opts=self._child(
                depends_on=[
                    *depends_on,
                    analysis,
                    *([self._controller] if self._controller else []),
                ],
                ignore_changes=["spec.replicas"],  # the HPA owns the count
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            ),
        )

    def _deployment(self, template: dict[str, Any]) -> None:
        k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._metadata(self._workload_name),
            spec={
                "replicas": self._settings.replicas,
                "revisionHistoryLimit": 5,
                "minReadySeconds": 10,
                "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": self._selector},
                # Never below the current count: a new pod that fails readiness leaves the old
                # ones serving and Pulumi's await reports the failure.
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "template": template,
            },
            opts=self._child(ignore_changes=["spec.replicas"]),
        )

    def _autoscaler(self) -> None:
        kind = "Rollout" if self._is_canary else "Deployment"
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa",
            metadata=self._metadata(self._workload_name),
            spec=autoscaler_spec(self._settings.autoscaling, kind, self._workload_name),
            opts=self._child(),
        )

    def _disruption_budget(self) -> None:
        k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb",
            metadata=self._metadata(self._workload_name),
            spec=disruption_budget_spec(self._selector),
            opts=self._child(),
        )

    def _network_policy(self) -> None:
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol",
            metadata=self._metadata(self._workload_name),
            spec=network_policy_spec(self._settings, self._selector, self._migration.egress),
            opts=self._child(),
        )

    def _pod_monitor(self) -> None:
        """The scrape that gives the canary analysis its `role`-labelled series."""
        extra = self._settings.pod_monitor_labels
        k8s.apiextensions.CustomResource(
            f"{self._name}-pod-monitor",
            api_version=PROMETHEUS_OPERATOR_API_VERSION,
            kind="PodMonitor",
            metadata={**self._metadata(self._workload_name), "labels": {**self._labels, **extra}},
            spec=pod_monitor_spec(self._selector),
            opts=self._child(),
        )

"""How traffic reaches the API: a Gateway API HTTPRoute (default) or an nginx Ingress, and how the
Argo Rollouts controller is told to shift weight on it.

ingress-nginx is retired (no releases or security fixes since March 2026), so gatewayApi is the
default; nginx stays available for clusters that still run an nginx ingress controller.
"""

from __future__ import annotations

from typing import Any

from components.k8s.canary import GATEWAY_API_PLUGIN
from components.k8s.migration import LegacyBackend, pin_rules
from components.settings.kubernetes import ArgoRolloutsSettings, RouterSettings

GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
ARGO_HELM_REPO = "https://argoproj.github.io/argo-helm"
_PLUGIN_IMAGE = "ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi"
_PLUGIN_DIR = "/plugins"


def _backend(service: str, port: int, weight: int) -> dict[str, Any]:
    return {"group": "", "kind": "Service", "name": service, "port": port, "weight": weight}


def http_route_spec(
    router: RouterSettings,
    host: str,
    *,
    stable_service: str,
    canary_service: str | None,
    port: int,
    legacy: LegacyBackend | None = None,
) -> dict[str, Any]:
    """One rule to the API; with a canary, both Services sit in it (stable 100, canary 0).

    With a legacy backend (migration row apiEdge parallel or cutover) it is the main rule's
    third ref, and two more rules pin a request to one side by header (components/k8s/
    migration.py)."""
    assert router.gateway_parent_ref is not None
    parent: dict[str, Any] = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": router.gateway_parent_ref.name,
        "namespace": router.gateway_parent_ref.namespace,
    }
    if router.gateway_parent_ref.section_name:
        parent["sectionName"] = router.gateway_parent_ref.section_name

    def new_side() -> list[dict[str, Any]]:
        backends = [_backend(stable_service, port, 100)]
        if canary_service is not None:
            backends.append(_backend(canary_service, port, 0))
        return backends

    timeout = f"{router.websocket_timeout_seconds}s"
    # WebSocket streams live as long as the request; the default would cut them.
    extra = {"timeouts": {"request": timeout, "backendRequest": timeout}}
    match = {"path": {"type": "PathPrefix", "value": router.path_prefix}}
    main = new_side()
    if legacy is not None:
        main.append(legacy.ref(weight=legacy.weight))
    rules = [{"matches": [match], "backendRefs": main, **extra}]
    if legacy is not None:
        rules += pin_rules(match, new_side(), legacy, extra)
    return {"parentRefs": [parent], "hostnames": [host], "rules": rules}


def ingress_spec(router: RouterSettings, host: str, *, service: str, port: int) -> dict[str, Any]:
    return {
        "ingressClassName": router.ingress_class_name,
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": router.path_prefix,
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": port}}},
                        }
                    ]
                },
            }
        ],
    }


def ingress_annotations(router: RouterSettings) -> dict[str, str]:
    seconds = str(router.websocket_timeout_seconds)  # nginx annotations must be strings
    return {
        "nginx.ingress.kubernetes.io/proxy-read-timeout": seconds,
        "nginx.ingress.kubernetes.io/proxy-send-timeout": seconds,
    }


def traffic_routing(router: RouterSettings, *, route_name: str, namespace: str) -> dict[str, Any]:
    """The Rollout's `trafficRouting`: which object the controller rewrites to shift weight."""
    if router.kind == "gatewayApi":
        return {"plugins": {GATEWAY_API_PLUGIN: {"httpRoute": route_name, "namespace": namespace}}}
    # The controller creates and owns a second, canary Ingress next to this one.
    return {"nginx": {"stableIngress": route_name}}


def plugin_role_rules() -> list[dict[str, Any]]:
    """What the Gateway API plugin does in our namespace, so a controller this stack did not
    install (whose ClusterRole we cannot see) can still shift weight.

    - services get, httproutes get/list/update/patch: the plugin docs' RBAC;
    - configmaps get/create/update: the plugin keeps its managed-route state in the ConfigMap
      `argo-gatewayapi-configmap` of the rollout's namespace (`GetOrCreateConfigMap`, then
      Update: internal/utils/common.go and pkg/plugin/httproute.go in
      argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi). The chart's ClusterRole grants
      this only when this stack installs it (`providerRBAC.providers.gatewayAPI`).
    """
    return [
        {"apiGroups": [""], "resources": ["services"], "verbs": ["get"]},
        {
            "apiGroups": ["gateway.networking.k8s.io"],
            "resources": ["httproutes"],
            "verbs": ["get", "list", "update", "patch"],
        },
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "update"]},
    ]


def controller_chart_values(argo: ArgoRolloutsSettings, router: RouterSettings) -> dict[str, Any]:
    """Helm values for the argo-rollouts chart; loads the Gateway API plugin from a pinned image."""
    values: dict[str, Any] = {"installCRDs": True, "controller": {"replicas": 2}}
    if router.kind == "gatewayApi":
        binary = f"{_PLUGIN_DIR}/rollouts-plugin-trafficrouter-gatewayapi"
        values["controller"].update(
            {
                # Copied from an image rather than downloaded at start: no egress to GitHub and
                # the version is pinned like the chart.
                "initContainers": [
                    {
                        "name": "copy-gatewayapi-plugin",
                        "image": f"{_PLUGIN_IMAGE}:{argo.gateway_api_plugin_version}",
                        "command": ["/bin/sh", "-c"],
                        "args": [f"cp /bin/rollouts-plugin-trafficrouter-gatewayapi {_PLUGIN_DIR}"],
                        "volumeMounts": [{"name": "gatewayapi-plugin", "mountPath": _PLUGIN_DIR}],
                    }
                ],
                "trafficRouterPlugins": [
                    {"name": GATEWAY_API_PLUGIN, "location": f"file://{binary}"}
                ],
                "volumes": [{"name": "gatewayapi-plugin", "emptyDir": {}}],
                "volumeMounts": [{"name": "gatewayapi-plugin", "mountPath": _PLUGIN_DIR}],
            }
        )
    return values

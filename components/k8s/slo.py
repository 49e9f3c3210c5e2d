"""`sophia:k8s:SloMonitoring`: the stack's objectives in the cluster's Prometheus.

Two custom resources of the Prometheus Operator, in the API's namespace:
- a `PrometheusRule` with the recordings and alerts of `components.k8s.slo_rules`; the operator
  loads it when the Prometheus' `ruleSelector` matches its labels (`slo.ruleLabels`) and its
  `ruleNamespaceSelector` the namespace (prometheus-operator Documentation/
  developer/alerting.md; GUESS: the cluster's selectors are unknown, docs/slo.md);
- a `ScrapeConfig` (monitoring.coreos.com/v1alpha1) that scrapes Estuary's OpenMetrics endpoint
  for the materialization's freshness gauge, as Estuary's own Prometheus example does
  (https://docs.estuary.dev/reference/openmetrics-api: scheme https, bearer refresh token,
  metrics_path /api/v1/metrics/<prefix>/, scrape interval 1m). The bearer token is read from a
  Secret the stack owner creates (docs/slo.md "What the stack owner sets"): the refresh token is
  a tenant credential, never stack config in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.monitoring import PROMETHEUS_OPERATOR_API_VERSION
from components.k8s.names import common_labels, dns_label
from components.k8s.slo_rules import slo_rule_groups
from components.settings.slo import SloSettings

SCRAPE_CONFIG_API_VERSION = "monitoring.coreos.com/v1alpha1"
# Estuary's OpenMetrics host (docs.estuary.dev reference/openmetrics-api).
ESTUARY_METRICS_HOST = "agent-api-1084703453822.us-central1.run.app"
ESTUARY_SCRAPE_INTERVAL = "1m"  # Estuary's recommended polling interval (same page)
# The Secret (in the API namespace) holding an Estuary refresh token under this key.
ESTUARY_TOKEN_SECRET = "estuary-openmetrics"
ESTUARY_TOKEN_KEY = "token"


@dataclass(frozen=True)
class SloMonitoringArgs:
    settings: SloSettings
    environment: str
    namespace: pulumi.Input[str]  # the API's namespace (created by ApiService)
    namespace_name: str  # the same, as plain text, for the PromQL selectors
    tenant_prefix: str  # Estuary catalog prefix, e.g. 'sophia/prod/'


def estuary_scrape_config_spec(tenant_prefix: str) -> dict[str, Any]:
    return {
        "jobName": "estuary-openmetrics",
        "scheme": "HTTPS",
        "metricsPath": f"/api/v1/metrics/{tenant_prefix}",
        "scrapeInterval": ESTUARY_SCRAPE_INTERVAL,
        "authorization": {
            "type": "Bearer",
            "credentials": {"name": ESTUARY_TOKEN_SECRET, "key": ESTUARY_TOKEN_KEY},
        },
        "staticConfigs": [{"targets": [ESTUARY_METRICS_HOST]}],
        # Estuary's samples carry `task` and `collection`; keep them, they are what alerts use.
        "honorLabels": True,
    }


class SloMonitoring(pulumi.ComponentResource):
    rule_name: pulumi.Output[str]
    scrape_config_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SloMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("sophia:k8s:SloMonitoring", name, None, opts)
        labels = {**common_labels(name, args.environment), **args.settings.rule_labels}

        def declare(role: str, api_version: str, kind: str, spec: dict[str, Any]) -> pulumi.Output:
            """One operator object in the API's namespace; its name once it is declared."""
            object_name = dns_label(name, role)
            resource = k8s.apiextensions.CustomResource(
                f"{name}-{role}",
                api_version=api_version,
                kind=kind,
                metadata={"name": object_name, "namespace": args.namespace, "labels": labels},
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
            return resource.urn.apply(lambda _: object_name)

        groups = slo_rule_groups(args.settings, args.namespace_name, args.tenant_prefix)
        self.rule_name = declare(
            "rules", PROMETHEUS_OPERATOR_API_VERSION, "PrometheusRule", {"groups": groups}
        )
        self.scrape_config_name = declare(
            "estuary",
            SCRAPE_CONFIG_API_VERSION,
            "ScrapeConfig",
            estuary_scrape_config_spec(args.tenant_prefix),
        )
        self.register_outputs(
            {"rule_name": self.rule_name, "scrape_config_name": self.scrape_config_name}
        )

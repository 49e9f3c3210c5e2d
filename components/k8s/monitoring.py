"""The PodMonitor that produces the series the canary analysis queries.

The AnalysisTemplate's PromQL (canary.error_ratio_query) selects
`http_requests_total{namespace=..., role="canary"}`. prometheus-operator builds the scrape config
from this object (pkg/prometheus/promcfg.go, generatePodMonitorConfig):
- only pods matching `selector` in the PodMonitor's own namespace (namespaceSelector unset);
- only the container port named `port` (here `metrics`, pod.METRICS_PORT);
- `namespace`, `pod` and `container` target labels from the pod's metadata;
- each pod label in `podTargetLabels` copied onto the target's series: `role` (set by the
  Rollout's canaryMetadata/stableMetadata) and the ReplicaSet hash, so a series says which
  version served the request.
Prometheus only loads PodMonitors its `podMonitorSelector` selects: `podMonitorLabels` in the
settings carries that label.
"""

from __future__ import annotations

from typing import Any

from components.k8s.canary import ROLE_LABEL
from components.k8s.pod import ROLLOUT_HASH_LABEL

PROMETHEUS_OPERATOR_API_VERSION = "monitoring.coreos.com/v1"
METRICS_PORT_NAME = "metrics"
METRICS_PATH = "/metrics"
# Four samples in the analysis' shortest rate window (60 s): rate() needs at least two.
SCRAPE_INTERVAL = "15s"


def pod_monitor_spec(selector: dict[str, str]) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": selector},
        "podMetricsEndpoints": [
            {"port": METRICS_PORT_NAME, "path": METRICS_PATH, "interval": SCRAPE_INTERVAL}
        ],
        "podTargetLabels": [ROLE_LABEL, ROLLOUT_HASH_LABEL],
    }

"""What the cost models read from a synth document: resource types and how to select them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

WAREHOUSE = "snowflake:index/warehouse:Warehouse"
MONITOR = "snowflake:index/resourceMonitor:ResourceMonitor"
SEARCH = "snowflake:index/cortexSearchService:CortexSearchService"
GATEWAY_CONFIG = "pulumi-python:dynamic/portkey:GatewayConfig"
USAGE_LIMITS = "pulumi-python:dynamic/portkey:UsageLimitsPolicy"
# Types that cost money but are not priced here (docs/cost.md says why); the report lists them.
NOT_PRICED = {
    "snowflake:index/cortexAgent:CortexAgent": "Cortex Agents (per-call LLM tokens)",
    "snowflake:index/database:Database": "Snowflake storage (per TB-month of data)",
    "pulumi-python:dynamic/estuary:Capture": "Estuary Flow (per GB moved and per connector task)",
    "kubernetes:argoproj.io/v1alpha1:Rollout": "the API's Kubernetes nodes (no cluster here)",
}

UNCAPPED = "UNCAPPED"


def of_type(resources: Iterable[Mapping[str, Any]], type_: str) -> list[Mapping[str, Any]]:
    return sorted((r for r in resources if r.get("type") == type_), key=lambda r: r["name"])

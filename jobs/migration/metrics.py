"""Staging's error ratio and p95 per side of a migration row, from Prometheus.

The HTTP API is Prometheus' own (`GET /api/v1/query`, answer `{"status": "success", "data":
{"resultType": "vector", "result": [{"metric": {...}, "value": [<unix time>, "<number>"]}]}}`,
https://prometheus.io/docs/prometheus/latest/querying/api/); answers are parsed into the models
below at this boundary. An empty vector, or NaN (a ratio over no requests), is "no data".

GUESS: the metric and label names. The API must export them for the gate to measure anything
(docs/migration.md, "What the API must implement"): `http_requests_total` and
`http_request_duration_seconds` (prometheus-fastapi-instrumentator's names, as the canary analysis
already assumes, components/k8s/canary.py) with the labels `migration_row` and `migration_side`
(`new` | `legacy`) on every request served through a migrated path.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from components.settings.slo import SloSettings

REQUESTS_METRIC = "http_requests_total"
DURATION_METRIC = "http_request_duration_seconds"
ROW_LABEL, SIDE_LABEL = "migration_row", "migration_side"
TIMEOUT_SECONDS = 10


class MetricsUnavailable(Exception):
    """Prometheus did not answer (or answered something that is not its API)."""


@dataclass(frozen=True)
class Objectives:
    """What a side must meet over the soak window: the target stack's SLO (`objectives_from_slo`);
    these defaults are the plan's (1 % errors, p95 < 500 ms) for a stack without one."""

    max_error_ratio: float = 0.01
    p95_ms: float = 500.0
    quantile: float = 0.95  # the latency objective's share: its quantile must be <= p95_ms

    def describe(self) -> str:
        return (
            f"errors <= {self.max_error_ratio:.4%}, p{self.quantile * 100:g} <= {self.p95_ms:g} ms"
        )


def objectives_from_slo(raw_slo: Any) -> Objectives:
    """The objectives of a stack's `sophia-infra:slo` (components/settings/slo.py, docs/slo.md):
    the error ratio the availability objective allows, and the latency objective as a quantile
    (objectivePercent of requests within thresholdSeconds)."""
    slo = SloSettings.model_validate(raw_slo or {})
    return Objectives(
        max_error_ratio=round(1 - slo.availability.objective_percent / 100, 10),
        p95_ms=slo.latency.threshold_seconds * 1000,
        quantile=slo.latency.objective_percent / 100,
    )


class _Sample(BaseModel):
    model_config = ConfigDict(extra="ignore")
    metric: dict[str, str]
    value: tuple[float, str]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")
    resultType: Literal["vector", "scalar", "matrix", "string"]
    result: list[_Sample]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["success", "error"]
    data: _Data | None = None
    error: str | None = None


def _selector(row: str, side: str, namespace: str) -> str:
    return f'namespace="{namespace}",{ROW_LABEL}="{row}",{SIDE_LABEL}="{side}"'


def error_ratio_query(row: str, side: str, namespace: str, window: timedelta) -> str:
    selector = _selector(row, side, namespace)
    span = f"{int(window.total_seconds())}s"
    errors = f'sum(rate({REQUESTS_METRIC}{{{selector},status=~"5.."}}[{span}]))'
    total = f"sum(rate({REQUESTS_METRIC}{{{selector}}}[{span}]))"
    # No `or vector(0)`: a side with no requests must read as no data, never as 0 errors.
    return f"{errors} / {total}"


def p95_query(
    row: str, side: str, namespace: str, window: timedelta, quantile: float = 0.95
) -> str:
    selector = _selector(row, side, namespace)
    span = f"{int(window.total_seconds())}s"
    return (
        f"histogram_quantile({quantile:g}, sum by (le) "
        f"(rate({DURATION_METRIC}_bucket{{{selector}}}[{span}])))"
    )


class PrometheusClient:
    def __init__(self, address: str) -> None:
        self.address = address.rstrip("/")

    def query(self, promql: str) -> float | None:
        """One instant query; the single sample's value, or None for no data."""
        url = f"{self.address}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()  # Prometheus answers 400/422 with its error shape
        except (urllib.error.URLError, OSError) as error:
            raise MetricsUnavailable(f"{self.address}: {getattr(error, 'reason', error)}") from None
        try:
            answer = _Answer.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            raise MetricsUnavailable(f"{self.address} did not answer as Prometheus does") from None
        if answer.status != "success" or answer.data is None:
            raise MetricsUnavailable(f"{self.address}: query failed: {answer.error}")
        if not answer.data.result:
            return None
        value = float(answer.data.result[0].value[1])
        return None if math.isnan(value) or math.isinf(value) else value

    def per_side(
        self, row: str, namespace: str, window: timedelta, quantile: float = 0.95
    ) -> dict[str, tuple[float | None, float | None]]:
        """(error ratio, p95 in ms) per side."""
        measured = {}
        for side in ("new", "legacy"):
            ratio = self.query(error_ratio_query(row, side, namespace, window))
            p95 = self.query(p95_query(row, side, namespace, window, quantile))
            measured[side] = (ratio, None if p95 is None else p95 * 1000)
        return measured

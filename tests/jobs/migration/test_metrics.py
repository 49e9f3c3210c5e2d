"""The metrics check against a stand-in of Prometheus' query API on 127.0.0.1.

The stand-in answers as Prometheus' HTTP API does (https://prometheus.io/docs/prometheus/latest/
querying/api/): `{"status": "success", "data": {"resultType": "vector", "result": [...]}}`, an
empty vector when no series match, and `{"status": "error", "errorType": "bad_data", "error":
...}` with HTTP 400 for a query it cannot parse. The queries' metric names are a GUESS about the
API (jobs/migration/metrics.py); what is tested here is the gate's reading of the answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from jobs.migration.gate import Move, metrics
from jobs.migration.metrics import Objectives, PrometheusClient, objectives_from_slo
from jobs.migration.rows import RowValue

WEEK = timedelta(days=7)
MOVE = Move("prod", "prod", "aiAgents", RowValue("not-started", 0), RowValue("parallel", 10))


@pytest.fixture
def prometheus() -> Iterator[Callable[[Callable[[str], object]], PrometheusClient]]:
    servers = []

    def start(answer: Callable[[str], object]) -> PrometheusClient:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)["query"][0]
                value = answer(query)
                if value == "parse-error":
                    status = 400
                    body = {"status": "error", "errorType": "bad_data", "error": "parse error"}
                else:
                    status = 200
                    result = [] if value is None else [{"metric": {}, "value": [1.7e9, str(value)]}]
                    body = {"status": "success", "data": {"resultType": "vector", "result": result}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return PrometheusClient(f"http://127.0.0.1:{server.server_address[1]}")

    yield start
    for server in servers:
        server.shutdown()


def answers(errors: dict[str, object], p95: dict[str, object]) -> Callable[[str], object]:
    def answer(query: str) -> object:
        side = "new" if 'migration_side="new"' in query else "legacy"
        return p95[side] if query.startswith("histogram_quantile") else errors[side]

    return answer


OBJECTIVES = Objectives(max_error_ratio=0.001, p95_ms=500, quantile=0.95)


def test_both_sides_within_the_objectives_pass(prometheus) -> None:
    client = prometheus(answers({"new": 0.0004, "legacy": 0.0002}, {"new": 0.41, "legacy": 0.3}))
    verdict = metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=False)
    assert verdict.ok is True, verdict
    assert verdict.detail == (
        "aiAgents in staging: new errors 0.0400%, p95 410 ms; legacy errors 0.0200%, p95 300 ms"
    )


def test_a_side_over_an_objective_refuses(prometheus) -> None:
    client = prometheus(answers({"new": 0.02, "legacy": 0.0}, {"new": 0.9, "legacy": 0.3}))
    verdict = metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=False)
    assert verdict.ok is False
    assert "new: error ratio 2.0000% > 0.1000%; new: p95 900 ms > 500 ms" in verdict.detail


@pytest.mark.parametrize("empty", [None, "NaN"])
def test_no_data_refuses(prometheus, empty: object) -> None:
    client = prometheus(answers({"new": empty, "legacy": 0.0}, {"new": 0.2, "legacy": 0.2}))
    verdict = metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=False)
    assert verdict.ok is False
    assert "new: no data over 7d (a gate never passes on no data)" in verdict.detail


def test_unreachable_is_said_and_refuses_only_when_required() -> None:
    client = PrometheusClient("http://127.0.0.1:9")  # discard port: nothing listens
    skipped = metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=False)
    assert skipped.ok is None and skipped.detail.startswith("Prometheus not reachable:")
    assert metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=True).ok is False


def test_a_query_error_is_not_a_pass(prometheus) -> None:
    client = prometheus(lambda _query: "parse-error")
    verdict = metrics(MOVE, client, OBJECTIVES, WEEK, "sophia-staging", require=True)
    assert verdict.ok is False and "query failed: parse error" in verdict.detail


def test_objectives_come_from_the_stacks_slo() -> None:
    objectives = objectives_from_slo(
        {"availability": {"objectivePercent": 99.99}, "latency": {"objectivePercent": 95}}
    )
    assert objectives == Objectives(max_error_ratio=0.0001, p95_ms=500.0, quantile=0.95)

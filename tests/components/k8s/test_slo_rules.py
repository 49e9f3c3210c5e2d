"""The stack's SLO rules, run by the real promtool (`promtool check rules`, `promtool test rules`).

Series are generated here from traffic shapes (requests per second, error share per minute), and
every expected outcome is computed from the SRE workbook's arithmetic in the test's comment, not
from the generator: a rule that fires where the arithmetic says it must not, or stays quiet where
it must fire, fails. docs/slo.md explains each case.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.k8s.slo_rules import slo_rule_groups
from components.settings.slo import (
    AVAILABILITY_PAGE_ALERT,
    AVAILABILITY_SLO,
    AVAILABILITY_TICKET_ALERT,
    BURN_WINDOWS,
    FRESHNESS_ALERT,
    LATENCY_PAGE_ALERT,
    LATENCY_SLO,
    SloSettings,
)
from components.yaml_files import load_yaml_file
from tests.components.k8s.promtool import REPO_ROOT, find_promtool, run

STACKS = ("dev", "staging", "prod")
pytestmark = pytest.mark.needs_promtool


def stack_slo(stack: str) -> tuple[SloSettings, str, str]:
    """The committed stack file's slo settings, namespace and Estuary tenant prefix."""
    config = load_yaml_file(REPO_ROOT / f"Pulumi.{stack}.yaml")["config"]
    slo = SloSettings.model_validate(config.get("sophia-infra:slo", {}))
    return (
        slo,
        config["sophia-infra:kubernetes"]["namespace"],
        config["sophia-infra:estuary"]["tenantPrefix"],
    )


def rules_file(tmp_path: Path, stack: str, slo: SloSettings | None = None) -> Path:
    stack_settings, namespace, prefix = stack_slo(stack)
    groups = slo_rule_groups(slo or stack_settings, namespace, prefix)
    path = tmp_path / f"{stack}-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def promtool() -> Path:
    found = find_promtool()
    assert not isinstance(found, str), found  # deselected by conftest when absent
    return found


# --- series ---------------------------------------------------------------------------------------


def counter(per_minute: list[float]) -> str:
    """A counter sampled every minute that grows by per_minute[i] in minute i (starts at 0)."""
    values, total = ["0"], 0.0
    for increase in per_minute:
        total += increase
        values.append(f"{total:.6f}".rstrip("0").rstrip("."))
    return " ".join(values)


def traffic(segments: list[tuple[int, float, float]]) -> tuple[list[float], list[float]]:
    """(minutes, requests per second, error share) segments -> per-minute ok and error counts."""
    ok: list[float] = []
    errors: list[float] = []
    for minutes, rps, share in segments:
        ok += [rps * 60 * (1 - share)] * minutes
        errors += [rps * 60 * share] * minutes
    return ok, errors


def request_series(namespace: str, segments: list[tuple[int, float, float]]) -> list[dict]:
    ok, errors = traffic(segments)
    return [
        {
            "series": f'http_requests_total{{namespace="{namespace}",status="2xx"}}',
            "values": counter(ok),
        },
        {
            "series": f'http_requests_total{{namespace="{namespace}",status="5xx"}}',
            "values": counter(errors),
        },
    ]


def latency_series(namespace: str, minutes: int, rps: float, slow_share: float) -> list[dict]:
    """Histogram buckets as prometheus_client writes them (le="0.5"); the WebSocket handler is
    always slow and must not count."""
    fast = [rps * 60 * (1 - slow_share)] * minutes
    total = [rps * 60] * minutes
    ws = [60.0] * minutes
    api = f'namespace="{namespace}",handler="/api/search",method="POST"'
    websocket = f'namespace="{namespace}",handler="/ws",method="GET"'
    return [
        {
            "series": f'http_request_duration_seconds_bucket{{{api},le="0.5"}}',
            "values": counter(fast),
        },
        {"series": f"http_request_duration_seconds_count{{{api}}}", "values": counter(total)},
        {
            "series": f'http_request_duration_seconds_bucket{{{websocket},le="0.5"}}',
            "values": counter([0.0] * minutes),
        },
        {"series": f"http_request_duration_seconds_count{{{websocket}}}", "values": counter(ws)},
        *request_series(namespace, [(minutes, rps, 0.0)]),
    ]


def alert_of(groups: list[dict], name: str) -> dict[str, Any]:
    return next(rule for group in groups for rule in group["rules"] if rule.get("alert") == name)


def expected(stack: str, name: str, slo_name: str | None, **extra_labels: str) -> dict[str, Any]:
    slo, namespace, prefix = stack_slo(stack)
    rule = alert_of(slo_rule_groups(slo, namespace, prefix), name)
    labels = dict(rule["labels"])
    if slo_name is not None:
        labels |= {
            "sloth_id": f"sophia-api-{slo_name}",
            "sloth_service": "sophia-api",
            "sloth_slo": slo_name,
            "namespace": namespace,
        }
    labels |= extra_labels
    return {"exp_labels": labels, "exp_annotations": dict(rule["annotations"])}


def run_tests(promtool: Path, tmp_path: Path, rules: Path, tests: list[dict]) -> str:
    path = tmp_path / "tests.yaml"
    path.write_text(
        yaml.safe_dump(
            {"rule_files": [rules.name], "evaluation_interval": "1m", "tests": tests},
            sort_keys=False,
        )
    )
    result = run(promtool, "test", "rules", path.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- prod: 99.99 % availability (budget 1e-4), 95 % within 0.5 s, freshness 900 s ------------------

PROD_NS = "sophia-prod"


def prod_cases() -> dict[str, dict]:
    page = expected("prod", AVAILABILITY_PAGE_ALERT, AVAILABILITY_SLO)
    ticket = expected("prod", AVAILABILITY_TICKET_ALERT, AVAILABILITY_SLO)
    latency_page = expected("prod", LATENCY_PAGE_ALERT, LATENCY_SLO)
    return {
        # 100 req/s, 0.005 % errors = 0.5x burn: nothing fires.
        "healthy": {
            "interval": "1m",
            "input_series": request_series(PROD_NS, [(180, 100, 0.00005)]),
            "alert_rule_test": [
                {"eval_time": "3h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
                {"eval_time": "3h", "alertname": AVAILABILITY_TICKET_ALERT, "exp_alerts": []},
            ],
        },
        # 0.2 % errors = 20x burn for 2 h: the 1 h and 5 m windows both exceed 14.4x -> page.
        "fast burn": {
            "interval": "1m",
            "input_series": request_series(PROD_NS, [(120, 100, 0.002)]),
            "alert_rule_test": [
                {"eval_time": "2h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]}
            ],
        },
        # 6 h at 0.5x, then 20x: at +30 min the 1 h window holds half and half (10.25x < 14.4x)
        # -> quiet; at +59 min it holds ~19.7x (> 14.4x) while 6 h is ~3.7x (< 6x) -> page by
        # the 1 h/5 m pair alone. A factor above 19.7 misses it.
        "fast burn after healthy": {
            "interval": "1m",
            "input_series": request_series(PROD_NS, [(360, 100, 0.00005), (60, 100, 0.002)]),
            "alert_rule_test": [
                {"eval_time": "6h30m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
                {"eval_time": "6h59m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]},
            ],
        },
        # 6 h at 0.5x, then 0.08 % errors = 8x. The 1 h pair never fires (8 < 14.4); the 6 h
        # window averages (6 - t) x 0.5 + t x 8 over 6 h, above 6x once t > 4.4 h: quiet at
        # +4 h (5.5x), page at +5 h (6.75x; the 30 m window is at 8x). A factor of 8 misses it.
        "slow page": {
            "interval": "1m",
            "input_series": request_series(PROD_NS, [(360, 100, 0.00005), (330, 100, 0.0008)]),
            "alert_rule_test": [
                {"eval_time": "10h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
                {"eval_time": "11h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]},
            ],
        },
        # 0.04 % errors = 4x for 25 h: no page (4 < 6), but the 1 d/2 h ticket pair (> 3x)
        # opens a ticket once the day is in the window.
        "slow burn ticket": {
            "interval": "1m",
            "input_series": request_series(PROD_NS, [(1500, 100, 0.0004)]),
            "alert_rule_test": [
                {"eval_time": "25h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
                {
                    "eval_time": "25h",
                    "alertname": AVAILABILITY_TICKET_ALERT,
                    "exp_alerts": [ticket],
                },
            ],
        },
        # A quiet hour: 0.2 req/s (720 requests) with one error in it. The ratio (1/720 = 0.14 %
        # on 1 h, 1/60 on 5 m) is above 14.4x, but traffic is under minRequestsPerSecond (0.5):
        # no page.
        "quiet hour, one error": {
            "interval": "1m",
            "input_series": [
                {
                    "series": f'http_requests_total{{namespace="{PROD_NS}",status="2xx"}}',
                    "values": counter([12.0] * 60),
                },
                {
                    "series": f'http_requests_total{{namespace="{PROD_NS}",status="5xx"}}',
                    "values": counter([0.0] * 57 + [1.0] + [0.0] * 2),
                },
            ],
            "alert_rule_test": [
                {"eval_time": "59m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
                {"eval_time": "1h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
            ],
        },
        # Reset: 2 h healthy, 2 min full outage, then healthy. Both pairs fire at +1 min; at +22
        # min the 5 m window is clean but the 30 m/6 h pair still holds the outage
        # (2/30 = 6.7 % > 0.06 %, 2/360 = 0.56 % > 0.06 %); at +35 min both short windows are
        # clean: resolved, although the 1 h and 6 h windows are still high.
        "reset after recovery": {
            "interval": "1m",
            "input_series": request_series(
                PROD_NS, [(120, 100, 0.0), (2, 100, 1.0), (60, 100, 0.0)]
            ),
            "alert_rule_test": [
                {"eval_time": "2h2m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]},
                {"eval_time": "2h24m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]},
                {"eval_time": "2h37m", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []},
            ],
        },
        # Latency: 10 % of requests over 500 ms = 2x burn at 95 %: no page. The WebSocket
        # handler, slow on every request, is excluded.
        "latency spike under budget": {
            "interval": "1m",
            "input_series": latency_series(PROD_NS, 120, 100, 0.10),
            "alert_rule_test": [
                {"eval_time": "2h", "alertname": LATENCY_PAGE_ALERT, "exp_alerts": []}
            ],
        },
        # 80 % over 500 ms = 16x (> 14.4x) for 2 h: page.
        "latency fast burn": {
            "interval": "1m",
            "input_series": latency_series(PROD_NS, 120, 100, 0.80),
            "alert_rule_test": [
                {"eval_time": "2h", "alertname": LATENCY_PAGE_ALERT, "exp_alerts": [latency_page]}
            ],
        },
        **freshness_cases("prod", "sophia/prod/", 900),
    }


def humanize_duration(seconds: int) -> str:
    """Prometheus's `humanizeDuration` for whole seconds >= 60 (prometheus/prometheus
    template/template.go: "%dd %dh %dm %ds", leading zero units dropped)."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m {secs}s"
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s"


def freshness_cases(stack: str, prefix: str, objective: int) -> dict[str, dict]:
    """The gauge holds the publication time of the newest materialized document: `lag` behind
    the clock at every sample. Over the objective for 5 min -> the alert; under it -> quiet."""
    task, collection = f"{prefix}snowflake", f"{prefix}github/issues"
    labels = f'task="{task}",collection="{collection}"'

    def gauge(lag: int, minutes: int) -> str:
        return f"{-lag}+60x{minutes}"

    stale = expected(stack, FRESHNESS_ALERT, None, task=task, collection=collection)
    late = objective + 300
    stale["exp_annotations"] = {
        key: value.replace("{{ $labels.collection }}", collection)
        .replace("{{ $labels.task }}", task)
        .replace("{{ $value | humanizeDuration }}", humanize_duration(late))
        for key, value in stale["exp_annotations"].items()
    }
    return {
        "stale data": {
            "interval": "1m",
            "input_series": [
                {
                    "series": f"materialized_last_source_published_at_time_seconds{{{labels}}}",
                    "values": gauge(late, 30),
                }
            ],
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": FRESHNESS_ALERT, "exp_alerts": []},
                {"eval_time": "20m", "alertname": FRESHNESS_ALERT, "exp_alerts": [stale]},
            ],
        },
        "fresh data": {
            "interval": "1m",
            "input_series": [
                {
                    "series": f"materialized_last_source_published_at_time_seconds{{{labels}}}",
                    "values": gauge(objective - 60, 30),
                }
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": FRESHNESS_ALERT, "exp_alerts": []}
            ],
        },
    }


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_checks_every_stacks_rules(promtool, tmp_path, stack):
    result = run(promtool, "check", "rules", rules_file(tmp_path, stack))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_prod_rules_fire_and_stay_quiet_as_the_arithmetic_says(promtool, tmp_path):
    rules = rules_file(tmp_path, "prod")
    cases = prod_cases()
    out = run_tests(promtool, tmp_path, rules, [{"name": n, **c} for n, c in cases.items()])
    assert "SUCCESS" in out


def test_staging_pages_at_its_own_objective(promtool, tmp_path):
    # Staging: 99.9 % (budget 1e-3). 2 % errors = 20x pages; 0.5 % = 5x does not (< 6x).
    rules = rules_file(tmp_path, "staging")
    page = expected("staging", AVAILABILITY_PAGE_ALERT, AVAILABILITY_SLO)
    ns = "sophia-staging"
    tests = [
        {
            "name": "staging fast burn",
            "interval": "1m",
            "input_series": request_series(ns, [(120, 10, 0.02)]),
            "alert_rule_test": [
                {"eval_time": "2h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [page]}
            ],
        },
        {
            "name": "staging 5x",
            "interval": "1m",
            "input_series": request_series(ns, [(420, 10, 0.005)]),
            "alert_rule_test": [
                {"eval_time": "7h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": []}
            ],
        },
        *[{"name": n, **c} for n, c in freshness_cases("staging", "sophia/staging/", 4500).items()],
    ]
    assert "SUCCESS" in run_tests(promtool, tmp_path, rules, tests)


def test_dev_fast_burn_is_a_warning_not_a_page(promtool, tmp_path):
    rules = rules_file(tmp_path, "dev")
    ns = stack_slo("dev")[1]
    warning = expected("dev", AVAILABILITY_PAGE_ALERT, AVAILABILITY_SLO)
    assert warning["exp_labels"]["severity"] == "warning"
    tests = [
        {
            "name": "dev fast burn",
            "interval": "1m",
            "input_series": request_series(ns, [(120, 1, 0.5)]),
            "alert_rule_test": [
                {"eval_time": "2h", "alertname": AVAILABILITY_PAGE_ALERT, "exp_alerts": [warning]}
            ],
        }
    ]
    assert "SUCCESS" in run_tests(promtool, tmp_path, rules, tests)


# --- mutants: a wrong factor, window or threshold must make the suite fail -----------------------

_PAGE_1H, _PAGE_6H, *_TICKETS = BURN_WINDOWS
MUTANTS = {
    "1h factor 14.4 -> 28.8": (
        (replace(_PAGE_1H, budget_percent=4), _PAGE_6H, *_TICKETS),
        {},
    ),
    "6h factor 6 -> 8": (
        (_PAGE_1H, replace(_PAGE_6H, budget_percent=20 / 3), *_TICKETS),
        {},
    ),
    "fast window 1h -> 2h": (
        (replace(_PAGE_1H, long="2h", long_hours=1), _PAGE_6H, *_TICKETS),
        {},
    ),
    "objective 99.99 -> 99.9 (threshold x10)": (
        BURN_WINDOWS,
        {"availability": {"objectivePercent": 99.9, "page": True}},
    ),
    "no minimum traffic": (BURN_WINDOWS, {"minRequestsPerSecond": 0}),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_a_mutated_rule_fails_the_suite(promtool, tmp_path, monkeypatch, mutant):
    windows, overrides = MUTANTS[mutant]
    monkeypatch.setattr("components.k8s.slo_rules.BURN_WINDOWS", windows)
    slo, _, _ = stack_slo("prod")
    mutated = slo.model_validate({**slo.model_dump(by_alias=True), **overrides})
    rules = rules_file(tmp_path, "prod", mutated)
    # The page cases (the 25-hour ticket case is left out: no mutant here touches a ticket pair).
    cases = {k: v for k, v in prod_cases().items() if "data" not in k and "ticket" not in k}
    path = tmp_path / "tests.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "rule_files": [rules.name],
                "evaluation_interval": "1m",
                "tests": [{"name": n, **c} for n, c in cases.items()],
            },
            sort_keys=False,
        )
    )
    result = run(promtool, "test", "rules", path.name, cwd=tmp_path)
    assert result.returncode != 0, f"mutant {mutant!r} survived:\n{result.stdout}{result.stderr}"
    assert "FAILED" in result.stdout + result.stderr

"""The SLO objects in the cluster: PrometheusRule and ScrapeConfig against the upstream schemas,
and the canary analysis that fails while the page alert fires."""

from __future__ import annotations

import pytest

from components.settings.slo import AVAILABILITY_PAGE_ALERT
from jobs.k8s_schemas import validate_custom_resource

STACKS = ("dev", "staging", "prod")
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
SCRAPE = "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig"
ANALYSIS = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"


def _object(resource) -> dict:
    inputs = resource.inputs
    return {k: inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


@pytest.mark.parametrize("stack", STACKS)
def test_rule_and_scrape_config_match_the_prometheus_operator_schemas(synthesized, stack):
    synthesis = synthesized(stack)
    for type_ in (RULE, SCRAPE):
        [resource] = synthesis.by_type(type_)
        result = validate_custom_resource(_object(resource))
        assert result is not None, f"no schema for {type_}"
        assert result.errors == [], result.errors
        assert "@kubernetes-models/prometheus-operator 6.0.0" in result.source


def test_prod_rule_carries_the_rule_selector_labels_and_every_alert(synthesized):
    [rule] = synthesized("prod").by_type(RULE)
    assert rule.inputs["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = [r["alert"] for g in rule.inputs["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert alerts == [
        "SophiaApiAvailabilityBudgetBurn",
        "SophiaApiAvailabilityBudgetSlowBurn",
        "SophiaApiLatencyBudgetBurn",
        "SophiaApiLatencyBudgetSlowBurn",
        "SophiaEstuaryMaterializationStale",
    ]


def test_scrape_config_reads_estuarys_openmetrics_for_the_tenant(synthesized):
    [scrape] = synthesized("prod").by_type(SCRAPE)
    spec = scrape.inputs["spec"]
    assert spec["metricsPath"] == "/api/v1/metrics/sophia/prod/"
    assert spec["staticConfigs"] == [{"targets": ["agent-api-1084703453822.us-central1.run.app"]}]
    assert spec["authorization"]["type"] == "Bearer"


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_canary_analysis_fails_while_the_page_alert_fires(synthesized, stack):
    [template] = synthesized(stack).by_type(ANALYSIS)
    metrics = {m["name"]: m for m in template.inputs["spec"]["metrics"]}
    page = metrics["slo-page-alert"]
    assert page["failureCondition"] == "result[0] >= 1"
    assert page["failureLimit"] == 0
    query = page["provider"]["prometheus"]["query"]
    assert f'alertname="{AVAILABILITY_PAGE_ALERT}"' in query
    assert 'alertstate="firing"' in query
    assert query.endswith("or vector(0)")

"""The offline policy check (jobs.check) over the real program's stacks."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from components.settings import SettingsError
from jobs.check.config import PolicyConfigError, load_policy_config
from jobs.check.kubernetes import SCHEMA_RULE
from jobs.check.render import render_check
from jobs.check.report import EXIT_OK, EXIT_VIOLATIONS, CheckReport
from jobs.check.runner import run_checks
from jobs.harness import SECRET_MARK, DeclaredResource, Synthesis, synthesize
from policies.sophia_policies import POLICIES
from tests.conftest import STACKS, stack_config

SECRET = "kubernetes:core/v1:Secret"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
DATABASE = "snowflake:index/database:Database"


def check(synthesis: Synthesis) -> CheckReport:
    return run_checks(synthesis, load_policy_config(synthesis.stack))


def mutated(stack: str, key: str, change: Callable[[dict[str, Any]], None]) -> Synthesis:
    """The real program run with a modified copy of the committed stack config."""
    config = stack_config(stack)
    change(config)
    return synthesize(stack, overrides={key: config[key]})


def one(synthesis: Synthesis, type_: str) -> DeclaredResource:
    (found,) = synthesis.by_type(type_)
    return found


def mandatory_rules(report: CheckReport) -> set[str]:
    return {v.policy for v in report.mandatory}


# --- the committed stacks -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_passes(synthesized: Callable[[str], Synthesis], stack: str) -> None:
    report = check(synthesized(stack))
    assert report.mandatory == [], render_check(report)
    assert report.advisory == []
    assert report.exit_code == EXIT_OK
    assert report.policies == [p.name for p in POLICIES]
    assert report.kubernetes_version == "1.34"
    # the only rule that cannot see what it needs offline says so
    assert [(s.policy, s.resource_name) for s in report.skipped] == [
        ("estuary-materialization-key-pair", "estuary-snowflake")
    ]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_custom_resources_are_validated_against_upstream_schemas(
    synthesized: Callable[[str], Synthesis], stack: str
) -> None:
    report = check(synthesized(stack))
    skipped = {(s.resource_type.rsplit(":", 1)[-1], s.reason) for s in report.schema_skipped}
    assert skipped == {("Release", "a Helm release, not a Kubernetes object")}
    assert report.schema_sources == {
        "@kubernetes-models/argo-rollouts 2.0.0",
        "@kubernetes-models/gateway-api 2.0.0",
        "@kubernetes-models/prometheus-operator 6.0.0",
    }
    for entry in (
        "kubernetes:argoproj.io/v1alpha1:Rollout sophia-api-rollout "
        "(@kubernetes-models/argo-rollouts 2.0.0)",
        "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate sophia-api-analysis "
        "(@kubernetes-models/argo-rollouts 2.0.0)",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute sophia-api-route "
        "(@kubernetes-models/gateway-api 2.0.0)",
        "kubernetes:monitoring.coreos.com/v1:PodMonitor sophia-api-pod-monitor "
        "(@kubernetes-models/prometheus-operator 6.0.0)",
    ):
        assert entry in report.schema_valid
    assert f"{ROLLOUT} spec.template (as PodTemplate) sophia-api-rollout" in report.schema_valid
    kinds = {entry.split(" ")[0].rsplit(":", 1)[-1] for entry in report.schema_valid}
    assert {"Namespace", "ConfigMap", "Secret", "Service", "HorizontalPodAutoscaler"} <= kinds
    assert {"PodDisruptionBudget", "NetworkPolicy", "Role", "RoleBinding"} <= kinds
    text = render_check(report)
    assert (
        "Kubernetes schemas (1.34, kubernetes-validate; @kubernetes-models/argo-rollouts 2.0.0; "
        "@kubernetes-models/gateway-api 2.0.0; @kubernetes-models/prometheus-operator 6.0.0)"
    ) in text


def test_a_misspelt_rollout_field_fails_the_check(synthesized: Callable[[str], Synthesis]) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    (rollout,) = synthesis.by_type(ROLLOUT)
    rollout.inputs["spec"]["strategy"]["canary"]["canaryMetdata"] = {"labels": {"role": "canary"}}
    report = check(synthesis)
    assert [v.message.split(" (the schema")[0] for v in report.by_policy(SCHEMA_RULE)] == [
        f"{ROLLOUT} does not match its schema (@kubernetes-models/argo-rollouts 2.0.0) at "
        "spec.strategy.canary.canaryMetdata: unknown field 'canaryMetdata'"
    ]
    assert report.exit_code == EXIT_VIOLATIONS


def test_the_report_renders_a_pass(synthesized: Callable[[str], Synthesis]) -> None:
    text = render_check(check(synthesized("prod")))
    lines = text.splitlines()
    assert re.fullmatch(
        rf"Policy check of stack prod: pack sophia-infra, {len(POLICIES)} policies over \d+ declared resources \(config policies/config/prod\.json\)",
        lines[0],
    )
    assert lines[1] == "0 mandatory and 0 advisory violation(s)"
    assert (
        "  estuary-materialization-key-pair on estuary-snowflake: endpointConfig is secret and redacted offline; the engine (pulumi preview --policy-pack) checks the credentials"
        in lines
    )
    assert lines[-1] == "PASS: no mandatory violations"


# --- mutations of a real stack's config -------------------------------------------------------------


def test_a_warehouse_that_idles_for_two_hours_fails_prod() -> None:
    def change(config: dict[str, Any]) -> None:
        config["snowflake"]["warehouses"]["API_WH"]["autoSuspendSeconds"] = 7200

    report = check(mutated("prod", "snowflake", change))
    assert report.exit_code == EXIT_VIOLATIONS
    assert [(v.policy, v.resource_name, v.message) for v in report.mandatory] == [
        (
            "snowflake-warehouse-auto-suspend",
            "warehouse-api-wh-warehouse",
            "warehouse API_WH auto-suspends after 7200s; this stack allows at most 600s (maxAutoSuspendSeconds) so idle compute stops billing",
        )
    ]
    text = render_check(report)
    assert (
        "snowflake:index/warehouse:Warehouse warehouse-api-wh-warehouse\n"
        "  [mandatory] snowflake-warehouse-auto-suspend: warehouse API_WH auto-suspends after 7200s; this stack allows at most 600s (maxAutoSuspendSeconds) so idle compute stops billing"
    ) in text
    assert text.endswith("FAIL: 1 mandatory violation(s)")


def test_an_unprotected_prod_stack_fails_on_every_data_object() -> None:
    def change(config: dict[str, Any]) -> None:
        config["snowflake"]["protect"] = False  # the settings loader accepts this; policy does not

    report = check(mutated("prod", "snowflake", change))
    assert mandatory_rules(report) == {"snowflake-data-protected"}
    assert sorted(v.resource_name for v in report.mandatory) == [
        "sophia-database",
        "sophia-schema-business_enriched",
        "sophia-schema-cortex_vectors",
        "sophia-schema-estuary_realtime",
        "sophia-table-cortex_vectors-embeddings",
        "sophia-table-public-user_sessions",
    ]


def test_a_bigger_warehouse_than_staging_allows_fails() -> None:
    def change(config: dict[str, Any]) -> None:
        config["snowflake"]["warehouses"]["API_WH"]["size"] = "XLARGE"

    report = check(mutated("staging", "snowflake", change))
    assert [v.message for v in report.mandatory] == [
        "warehouse API_WH_STAGING is XLARGE; this stack allows at most SMALL (maxWarehouseSize)"
    ]


def test_a_canary_that_starts_at_80_percent_fails_prod() -> None:
    def change(config: dict[str, Any]) -> None:
        steps = config["kubernetes"]["canary"]["steps"]
        steps[0], steps[2], steps[4] = {"setWeight": 80}, {"setWeight": 90}, {"setWeight": 95}
        # At 95 % the gate must be <= 14.4 x 1e-4 / 0.95 or the settings refuse it before the
        # policy runs (docs/slo.md, the canary and the budget).
        config["kubernetes"]["canary"]["maxErrorRate"] = 0.0015

    report = check(mutated("prod", "kubernetes", change))
    assert [(v.policy, v.message) for v in report.mandatory] == [
        (
            "k8s-canary-first-weight",
            "Rollout sophia-api's first canary step sends 80% of traffic to the new version; this stack allows 1..50% (minFirstWeight..maxFirstWeight)",
        )
    ]


def test_a_looser_error_threshold_fails_staging() -> None:
    def change(config: dict[str, Any]) -> None:
        config["kubernetes"]["canary"]["maxErrorRate"] = 0.2

    report = check(mutated("staging", "kubernetes", change))
    assert [(v.policy, v.resource_name, v.message) for v in report.mandatory] == [
        (
            "k8s-canary-analysis",
            "sophia-api-analysis",
            "AnalysisTemplate sophia-api-error-ratio fails the canary only at an error ratio of 0.2; this stack's threshold is 0.05 (maxErrorRate)",
        )
    ]


def test_an_hpa_floor_of_one_fails_prod() -> None:
    def change(config: dict[str, Any]) -> None:
        config["kubernetes"]["autoscaling"]["minReplicas"] = 1

    report = check(mutated("prod", "kubernetes", change))
    assert mandatory_rules(report) == {"k8s-autoscaling-and-disruption-budget"}


def test_a_latest_image_fails_dev() -> None:
    def change(config: dict[str, Any]) -> None:
        config["release"]["apiImage"] = "ghcr.io/sophia-ai/api:latest"

    report = check(mutated("dev", "release", change))
    assert [v.message for v in report.mandatory] == [
        "Deployment sophia-api container api runs 'ghcr.io/sophia-ai/api:latest'; 'latest' moves, pin a version or digest"
    ]


def test_a_raised_llm_ceiling_fails_the_policy_ceiling() -> None:
    def change(config: dict[str, Any]) -> None:
        config["portkey"]["maxCostPerRequestUsd"] = 0.5  # the program derives bigger max_tokens

    report = check(mutated("prod", "portkey", change))
    assert mandatory_rules(report) == {"portkey-cost-ceiling"}
    assert report.mandatory[0].message == (
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[0] (gpt-5.4-2026-03-05) can cost $0.49652 per request (2000 prompt + 32768 output tokens, prices.yaml v2); this stack's ceiling is $0.1 (maxCostPerRequestUsd)"
    )


def test_a_staging_gateway_without_fallback_fails() -> None:
    def change(config: dict[str, Any]) -> None:
        config["portkey"]["fallback"] = {"order": ["primary-openai"]}

    report = check(mutated("staging", "portkey", change))
    assert mandatory_rules(report) == {"portkey-fallback"}


def test_a_long_request_timeout_fails() -> None:
    def change(config: dict[str, Any]) -> None:
        config["portkey"]["requestTimeoutMs"] = 600000

    assert mandatory_rules(check(mutated("prod", "portkey", change))) == {"portkey-request-timeout"}


def test_settings_reject_some_mutations_before_policy_sees_them() -> None:
    def change(config: dict[str, Any]) -> None:
        config["snowflake"]["database"]["dataRetentionDays"] = 1

    with pytest.raises(SettingsError, match="prod needs at least 7 days of time travel"):
        mutated("prod", "snowflake", change)


# --- mutations of the declared resources (what settings would refuse, or no setting can make) -------


def test_one_day_of_retention_in_prod_fails(synthesized: Callable[[str], Synthesis]) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    one(synthesis, DATABASE).inputs["dataRetentionTimeInDays"] = 1
    report = check(synthesis)
    assert [(v.policy, v.message) for v in report.mandatory] == [
        (
            "snowflake-data-retention",
            "database SOPHIA_AI keeps 1 day(s) of time travel; this stack needs at least 7 (minRetentionDays)",
        )
    ]


def test_a_plaintext_portkey_key_in_the_secret_fails(
    synthesized: Callable[[str], Synthesis],
) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    secret = one(synthesis, SECRET)
    secret.inputs["stringData"] = {
        "portkey-api-key": "pk-fake-0000",
        "snowflake-private-key.p8": SECRET_MARK,
    }
    secret.secret_inputs = ["stringData.snowflake-private-key.p8"]
    report = check(synthesis)
    assert [(v.policy, v.resource_name, v.message) for v in report.mandatory] == [
        (
            "no-plaintext-credentials",
            "sophia-api-credentials",
            "Secret sophia-api-credentials: input stringData.portkey-api-key looks like a credential but is not secret; pass it as a secret (pulumi config set --secret, pulumi.Output.secret)",
        )
    ]


def test_a_plaintext_portkey_key_in_the_pod_env_fails(
    synthesized: Callable[[str], Synthesis],
) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    env = one(synthesis, ROLLOUT).inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    (entry,) = [e for e in env if e["name"] == "PORTKEY_API_KEY"]
    entry.pop("valueFrom")
    entry["value"] = "pk-fake-0000"
    report = check(synthesis)
    assert [(v.policy, v.message) for v in report.mandatory] == [
        (
            "no-plaintext-credentials",
            "Rollout sophia-api container api sets env PORTKEY_API_KEY to a literal value; read it from a Secret (valueFrom.secretKeyRef)",
        )
    ]


def test_an_estuary_config_declared_in_plain_text_fails(
    synthesized: Callable[[str], Synthesis],
) -> None:
    synthesis = copy.deepcopy(synthesized("dev"))
    capture = synthesis.one("pulumi-python:dynamic/estuary:Capture", "estuary-github")
    capture.inputs["endpointConfig"] = {"credentials": {"access_token": "ghp_fake"}}
    capture.secret_inputs = []
    report = check(synthesis)
    assert sorted((v.policy, v.message) for v in report.mandatory) == [
        (
            "estuary-endpoint-config-secret",
            "capture sophia/dev/github/source-github declares endpointConfig as a plain value; wrap it in pulumi.Output.secret so the credentials in it never reach state unencrypted",
        ),
        (
            "no-plaintext-credentials",
            "Capture estuary-github: input endpointConfig.credentials.access_token looks like a credential but is not secret; pass it as a secret (pulumi config set --secret, pulumi.Output.secret)",
        ),
    ]


def test_a_misspelt_pod_field_fails_the_kubernetes_schema(
    synthesized: Callable[[str], Synthesis],
) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    container = one(synthesis, ROLLOUT).inputs["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["pth"] = "/x"
    report = check(synthesis)
    assert [v.policy for v in report.mandatory] == [SCHEMA_RULE]
    assert report.mandatory[0].message.startswith(
        f"{ROLLOUT} spec.template (as PodTemplate) does not match the Kubernetes 1.34 schema at "
    )
    assert "pth" in report.mandatory[0].message


# --- config -------------------------------------------------------------------------------------------


def test_an_advisory_override_reports_without_failing(
    synthesized: Callable[[str], Synthesis],
) -> None:
    synthesis = copy.deepcopy(synthesized("prod"))
    one(synthesis, DATABASE).inputs["dataRetentionTimeInDays"] = 1
    config = load_policy_config("prod")
    config["snowflake-data-retention"] = {
        **config["snowflake-data-retention"],
        "enforcementLevel": "advisory",
    }
    report = run_checks(synthesis, config)
    assert [v.policy for v in report.advisory] == ["snowflake-data-retention"]
    assert report.exit_code == EXIT_OK
    assert (
        "  [advisory] snowflake-data-retention: database SOPHIA_AI keeps 1 day(s)"
        in render_check(report)
    )
    config["snowflake-data-retention"]["enforcementLevel"] = "disabled"
    assert run_checks(synthesis, config).violations == []


def test_a_missing_policy_config_names_the_path_and_how_to_create_it() -> None:
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config("qa", environment="staging")
    assert str(raised.value) == (
        "no policy config policies/config/qa.json for stack 'qa' (the thresholds `--check` and "
        "`pulumi preview --policy-pack-config policies/config/qa.json` use); create it from its "
        "stage's thresholds: `cp policies/config/staging.json policies/config/qa.json`, then tune "
        "it (docs/policies.md, 'Per-stack policy config'; `python -m jobs.new_stack` writes it "
        "for a new stack); known: dev, prod, staging"
    )

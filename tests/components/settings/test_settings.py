"""Every bad setting is rejected before any resource exists, naming stack, key, value, allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.settings import SettingsError
from jobs.harness import RecordingMonitor, SynthMocks, synthesize
from tests.conftest import stack_config


def _reject(stack: str, mutate: Callable[[dict[str, Any]], None]) -> str:
    config = stack_config(stack)
    mutate(config)
    overrides = {key: config.get(key) for key in set(stack_config(stack)) | set(config)}
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(SettingsError) as raised:
        synthesize(stack, overrides=overrides, monitor=monitor)
    assert monitor.declared == [], "no resource may be registered after a bad value"
    message = str(raised.value)
    assert f"stack '{stack}'" in message
    return message


def _warehouse(config: dict[str, Any], name: str = "API_WH") -> dict[str, Any]:
    return config["snowflake"]["warehouses"][name]


def test_unknown_warehouse_size() -> None:
    message = _reject("dev", lambda c: _warehouse(c).update(size="HUGE"))
    assert "sophia-infra:snowflake.warehouses.API_WH.size = 'HUGE'" in message
    assert "'XSMALL', 'SMALL', 'MEDIUM'" in message


def test_auto_suspend_below_60_seconds() -> None:
    message = _reject("staging", lambda c: _warehouse(c).update(autoSuspendSeconds=30))
    assert (
        "warehouses.API_WH.autoSuspendSeconds = 30: must be greater than or equal to 60" in message
    )


def test_auto_suspend_missing() -> None:
    message = _reject("dev", lambda c: _warehouse(c).pop("autoSuspendSeconds"))
    assert (
        "sophia-infra:snowflake.warehouses.API_WH.autoSuspendSeconds: missing (required)" in message
    )


@pytest.mark.parametrize("quota", [0, -5])
def test_credit_quota_must_be_positive(quota: int) -> None:
    message = _reject("prod", lambda c: _warehouse(c).update(creditQuota=quota))
    assert f"warehouses.API_WH.creditQuota = {quota}: must be greater than 0" in message


@pytest.mark.parametrize("days", [-1, 91])
def test_retention_outside_0_to_90(days: int) -> None:
    message = _reject("dev", lambda c: c["snowflake"]["database"].update(dataRetentionDays=days))
    assert f"snowflake.database.dataRetentionDays = {days}: must be" in message


def test_prod_retention_below_seven_days() -> None:
    message = _reject("prod", lambda c: c["snowflake"]["database"].update(dataRetentionDays=1))
    assert (
        "sophia-infra:snowflake.database.dataRetentionDays = 1: prod needs at least 7 days"
        in message
    )
    assert "allowed: 7..90" in message


def test_identifier_snowflake_would_reject() -> None:
    message = _reject("dev", lambda c: c["snowflake"].update(deployUser="deploy user"))
    assert "sophia-infra:snowflake.deployUser = 'deploy user'" in message
    assert "unquoted Snowflake identifier" in message


def test_missing_required_key() -> None:
    message = _reject("dev", lambda c: c.pop("snowflake"))
    assert "sophia-infra:snowflake: missing (required)" in message


def test_missing_secret() -> None:
    message = _reject("dev", lambda c: c.pop("snowflakePrivateKey"))
    assert (
        "sophia-infra:snowflakePrivateKey: missing; set it with `pulumi config set --secret"
        in message
    )


def test_wrong_type() -> None:
    message = _reject(
        "dev", lambda c: c["snowflake"]["database"].update(dataRetentionDays="a week")
    )
    assert "dataRetentionDays = 'a week': must be a valid integer" in message


def test_area_that_is_not_an_object() -> None:
    message = _reject("dev", lambda c: c.update(snowflake="SOPHIA"))
    assert "sophia-infra:snowflake = 'SOPHIA': must be an object" in message


def test_unknown_key_is_a_typo_not_ignored() -> None:
    message = _reject("dev", lambda c: _warehouse(c).update(autoSuspendSecs=60))
    assert "warehouses.API_WH.autoSuspendSecs: unknown key" in message


def test_missing_platform_warehouse() -> None:
    message = _reject("dev", lambda c: c["snowflake"]["warehouses"].pop("ESTUARY_LOAD_WH"))
    assert "missing warehouse(s) ESTUARY_LOAD_WH" in message


def test_min_clusters_above_max() -> None:
    message = _reject("prod", lambda c: _warehouse(c).update(minClusterCount=5, maxClusterCount=2))
    assert "minClusterCount (5) must not exceed maxClusterCount (2)" in message


def test_environment_must_be_known() -> None:
    message = _reject("dev", lambda c: c.update(environment="qa"))
    assert "sophia-infra:environment = 'qa': must be 'dev', 'staging' or 'prod'" in message


def test_public_key_shape() -> None:
    message = _reject(
        "dev",
        lambda c: c["snowflake"]["serviceUsers"]["api"].update(rsaPublicKey="not-a-key"),
    )
    assert "serviceUsers.api.rsaPublicKey = 'not-a-key': must be an RSA public key" in message


def test_every_problem_reported_at_once() -> None:
    def many(config: dict[str, Any]) -> None:
        _warehouse(config).update(size="HUGE", autoSuspendSeconds=10)
        config["snowflake"]["database"]["dataRetentionDays"] = 200

    message = _reject("dev", many)
    assert message.count("\n  - ") == 3


def test_enabled_source_without_credentials() -> None:
    message = _reject("staging", lambda c: c["estuarySourceCredentials"].pop("gong"))
    assert (
        "sophia-infra:estuarySourceCredentials.gong: missing, but estuary.sources.gong is enabled"
        in message
    )
    assert "pulumi config set --secret --path" in message


def test_prod_must_not_auto_add_bindings() -> None:
    message = _reject("prod", lambda c: c["estuary"].update(addNewBindings=True))
    assert (
        "sophia-infra:estuary.addNewBindings = true: prod must not let Estuary add bindings"
        in message
    )


def test_portkey_policy_over_the_cost_ceiling() -> None:
    def expensive(config: dict[str, Any]) -> None:
        config["portkey"]["targets"][0]["maxTokens"] = 100000

    message = _reject("prod", expensive)
    assert "sophia-infra:portkey" in message
    assert "gpt-5.4-2026-03-05" in message


def test_bad_estuary_prefix_names_the_key() -> None:
    message = _reject("dev", lambda c: c["estuary"].update(tenantPrefix="sophia dev"))
    assert "sophia-infra:estuary.tenantPrefix = 'sophia dev'" in message
    assert "ending in '/'" in message


# --- one message listing every problem; strict types; bounds; formats ---------------------------


def test_prod_rules_are_reported_beside_field_errors() -> None:
    """The README's example, exactly: a field error no longer hides the prod rules."""

    def both(config: dict[str, Any]) -> None:
        _warehouse(config).update(size="HUGE")
        config["snowflake"]["database"]["dataRetentionDays"] = 3

    message = _reject("prod", both)
    assert message == (
        "Invalid configuration for stack 'prod' (Pulumi.prod.yaml):\n"
        "  - sophia-infra:snowflake.warehouses.API_WH.size = 'HUGE': must be 'XSMALL', 'SMALL', "
        "'MEDIUM', 'LARGE', 'XLARGE', 'XXLARGE', 'XXXLARGE', 'X4LARGE', 'X5LARGE' or 'X6LARGE'\n"
        "  - sophia-infra:snowflake.database.dataRetentionDays = 3: prod needs at least 7 days of "
        "time travel so CLONE ... AT (TIMESTAMP => ...) rollbacks work; allowed: 7..90"
    )


def test_a_boolean_is_not_a_number() -> None:
    message = _reject("dev", lambda c: _warehouse(c).update(creditQuota=True))
    assert (
        "sophia-infra:snowflake.warehouses.API_WH.creditQuota = true: must be a valid integer"
        in (message)
    )


def test_a_number_is_not_a_string() -> None:
    message = _reject("dev", lambda c: c["kubernetes"].update(targetClusterVersion=1.34))
    assert "sophia-infra:kubernetes.targetClusterVersion = 1.34: must be a valid string" in message


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_infinity_are_refused(value: float) -> None:
    message = _reject("dev", lambda c: c["portkey"]["targets"][0].update(weight=value))
    assert "sophia-infra:portkey.targets[0].weight = " in message
    assert ": must be a finite number" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: _warehouse(c).update(autoSuspendSeconds=10**12),
            "warehouses.API_WH.autoSuspendSeconds = 1000000000000: must be less than or equal "
            "to 86400",
        ),
        (
            lambda c: _warehouse(c).update(creditQuota=10**15),
            "warehouses.API_WH.creditQuota = 1000000000000000: must be less than or equal to "
            "1000000",
        ),
        (
            lambda c: c["kubernetes"]["autoscaling"].update(maxReplicas=10**9),
            "kubernetes.autoscaling.maxReplicas = 1000000000: must be less than or equal to 1000",
        ),
    ],
)
def test_upper_bounds(mutate: Callable[[dict[str, Any]], None], expected: str) -> None:
    assert expected in _reject("dev", mutate)


def test_a_date_that_is_no_day_is_refused() -> None:
    message = _reject(
        "dev", lambda c: c["estuary"]["sources"]["github"].update(startDate="2025-02-30")
    )
    assert (
        "sophia-infra:estuary.sources.github.startDate = '2025-02-30': '2025-02-30' is not a "
        "date; allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)" in message
    )


def test_embedding_model_must_be_a_known_model() -> None:
    message = _reject("dev", lambda c: c["cortex"].update(embeddingModel="x'; DROP TABLE t; --"))
    assert 'sophia-infra:cortex.embeddingModel = "x\'; DROP TABLE t; --": String should match' in (
        message
    )


@pytest.mark.parametrize("url", ["http://api.estuary.dev", "ftp://api.estuary.dev"])
def test_control_plane_url_must_be_https(url: str) -> None:
    message = _reject("dev", lambda c: c["estuary"].update(agentUrl=url))
    assert (
        f"sophia-infra:estuary.agentUrl = '{url}': must be https://<host>[/path] (the token "
        "would travel in clear); http:// only to a loopback test server" in message
    )


def test_url_with_credentials_is_refused_without_showing_them() -> None:
    message = _reject(
        "dev", lambda c: c["portkey"].update(adminBaseUrl="https://admin:hunter2@api.portkey.ai")
    )
    assert "sophia-infra:portkey.adminBaseUrl: not a plain https URL" in message
    assert "hunter2" not in message


def test_loopback_http_is_allowed_for_tests() -> None:
    config = stack_config("dev")
    config["portkey"]["adminBaseUrl"] = "http://127.0.0.1:8787/v1"
    synthesize("dev", overrides={"portkey": config["portkey"]})


def test_agent_instruction_with_dollar_quotes_fails_before_any_resource(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components.settings import agents

    text = agents.AGENTS_FILE.read_text().replace("You operate the", "You operate $$ the", 1)
    (tmp_path / "agents.yaml").write_text(text)
    monkeypatch.setattr(agents, "AGENTS_FILE", tmp_path / "agents.yaml")
    message = _reject("dev", lambda c: None)
    assert (
        "components/snowflake/agents.yaml: agent 'snowflake_ops_agent': an agent specification "
        "may not contain '$$'" in message
    )


def test_agent_specification_over_100_kb_fails_before_any_resource(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components.settings import agents

    text = agents.AGENTS_FILE.read_text().replace("You operate the", "x" * 120_000 + " the", 1)
    (tmp_path / "agents.yaml").write_text(text)
    monkeypatch.setattr(agents, "AGENTS_FILE", tmp_path / "agents.yaml")
    message = _reject("dev", lambda c: None)
    assert "agent 'snowflake_ops_agent': an agent specification is 12" in message
    assert "bytes; Snowflake allows 100000" in message

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

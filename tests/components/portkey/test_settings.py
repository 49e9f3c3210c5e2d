"""`sophia-infra:portkey` validation: each bad value gets a message saying what is allowed.

(Lives here rather than tests/components/settings/ because that folder belongs to the settings
owner; move it when the lead folds settings tests together.)
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from components.settings import SettingsError
from components.settings.portkey import PortkeySettings
from jobs.harness import RecordingMonitor, SynthMocks, synthesize
from tests.conftest import committed_stack_configs, stack_config

POLICIES = committed_stack_configs()


def _raw() -> dict[str, Any]:
    return copy.deepcopy(POLICIES["prod"]["sophia-infra:portkey"])


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        PortkeySettings.model_validate(raw)
    return str(caught.value)


@pytest.mark.parametrize("stack", sorted(POLICIES))
def test_stack_policies_validate(stack: str) -> None:
    settings = PortkeySettings.model_validate(POLICIES[stack]["sophia-infra:portkey"])
    assert settings.admin_base_url == "https://api.portkey.ai/v1"
    assert settings.fallback.order[0] in {t.name for t in settings.targets}


def test_camel_and_snake_keys_both_work_and_settings_are_frozen() -> None:
    settings = PortkeySettings.model_validate(_raw())
    assert settings.max_cost_per_request_usd == Decimal("0.10")
    assert settings.usage_limit is not None
    assert settings.usage_limit.monthly_credit_limit_usd == 9300
    by_name = PortkeySettings(**settings.model_dump())
    assert by_name == settings
    with pytest.raises(ValidationError):
        settings.config_name = "x"  # type: ignore[misc]


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[int(last) if last.isdigit() else last] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("retry.attempts", 6, "allowed: 0..5 (Portkey's maximum is 5)"),
        (
            "retry.onStatusCodes",
            [200],
            "status codes [200] are not errors; allowed: HTTP codes 400..599",
        ),
        ("fallback.onStatusCodes", [], "needs at least one status code (400..599)"),
        (
            "fallback.order",
            ["primary-openai", "gpt-5"],
            "fallback.order: unknown target(s) ['gpt-5']; allowed:",
        ),
        (
            "fallback.order",
            ["primary-openai", "primary-openai"],
            "lists each value once; repeated: 'primary-openai'",
        ),
        ("budget.target", "nope", "budget.target: unknown target 'nope'; allowed:"),
        ("cache", {"mode": "simple", "maxAge": 59}, "allowed: 60..7776000 seconds"),
        ("cache", {"mode": "fuzzy"}, "Input should be 'simple' or 'semantic'"),
        ("maxCostPerRequestUsd", 0, "allowed: more than 0 and at most 10 (USD per request)"),
        ("requestTimeoutMs", 10, "allowed: 1000..600000 milliseconds"),
        ("targets.0.provider", "openai-prod", "must be a Portkey provider slug: '@' then"),
        ("targets.0.model", "@openai-prod/gpt-4-turbo", "must be a bare model id"),
        ("targets.0.name", "GPT 4", "allowed: lower-case letters, digits and '-'"),
        ("targets.0.weight", -1, "allowed: a number >= 0"),
        ("targets.0.maxTokens", 0, "allowed: a whole number of tokens >= 1"),
        ("usageLimit.monthlyCreditLimitUsd", 0.5, "allowed: at least 1 (USD"),
        ("usageLimit.alertThresholdUsd", 9300, "must be > 0 and below monthlyCreditLimitUsd 9300"),
        ("usageLimit.groupBy", ["team"], "'team' is not allowed; allowed: api_key, workspace_id"),
        (
            "usageLimit.conditions",
            [{"key": "user", "value": "x"}],
            "allowed: api_key, workspace_id",
        ),
        (
            "adminBaseUrl",
            "api.portkey.ai",
            "must be an http(s) URL such as https://api.portkey.ai/v1",
        ),
        ("configName", "", "allowed: 1..100 letters, digits"),
        ("budget.metadataKey", "a b", "allowed: 1..64 letters, digits"),
        ("tier", "gold", "Extra inputs are not permitted"),
        ("apiKeyId", "pk-live-123", "must be the UUID of a Portkey API key"),
    ],
)
def test_bad_values_say_what_is_allowed(path: str, value: Any, expected: str) -> None:
    assert expected in _error(_set(_raw(), path, value))


def test_duplicate_target_names_are_named() -> None:
    raw = _raw()
    raw["targets"][1]["name"] = "primary-openai"
    # One rule for every list (components/settings/_base.py): named items once, by name.
    assert "lists each value once; repeated: 'primary-openai'" in _error(raw)


def test_usage_limit_needs_a_workspace() -> None:
    raw = _raw()
    del raw["workspaceId"]
    assert "workspaceId: required when usageLimit is set" in _error(raw)


def test_organisation_id_is_not_a_documented_policy_key() -> None:
    # OAS lists organisation_id; the budget-policies docs do not: only keys both accept pass.
    raw = _set(_raw(), "usageLimit.groupBy", ["organisation_id"])
    assert "'organisation_id' is not allowed" in _error(raw)


def test_missing_ceiling_is_required() -> None:
    raw = _raw()
    del raw["maxCostPerRequestUsd"]
    assert "maxCostPerRequestUsd\n  Field required" in _error(raw)


def _reject_stack(stack: str, mutate) -> str:
    config = stack_config(stack)
    mutate(config["portkey"])
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(SettingsError) as raised:
        synthesize(stack, overrides={"portkey": config["portkey"]}, monitor=monitor)
    assert monitor.declared == [], "no resource may be registered after a bad value"
    return str(raised.value)


def test_prod_must_bind_the_config_to_the_app_key() -> None:
    message = _reject_stack("prod", lambda portkey: portkey.pop("apiKeyId"))
    assert "stack 'prod'" in message
    assert "sophia-infra:portkey.apiKeyId" in message
    assert "required in prod: the UUID of the Portkey API key the API sends" in message


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_other_stacks_may_leave_the_key_unbound(stack: str) -> None:
    settings = PortkeySettings.model_validate(POLICIES[stack]["sophia-infra:portkey"])
    assert settings.api_key_id is None and settings.allow_config_override is False


def test_override_flag_needs_a_bound_key() -> None:
    raw = _raw()
    del raw["apiKeyId"]
    raw["allowConfigOverride"] = True
    assert "allowConfigOverride: only means something with apiKeyId" in _error(raw)

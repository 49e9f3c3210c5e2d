"""Routing policy -> Portkey config: max_tokens derivation, ceiling refusal, schema validation."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from components.portkey.routing import (
    ConfigSchemaError,
    RoutingPolicyError,
    build_config,
    load_price_table,
    validate_config,
    with_inline_providers,
    worst_case_per_target,
)
from components.settings.portkey import PortkeySettings
from tests.conftest import committed_stack_configs

POLICIES = committed_stack_configs()


def _raw(stack: str = "prod") -> dict[str, Any]:
    return copy.deepcopy(POLICIES[stack]["sophia-infra:portkey"])


def _policy(raw: dict[str, Any]) -> PortkeySettings:
    return PortkeySettings.model_validate(raw)


def test_price_table_is_versioned_and_complete() -> None:
    prices = load_price_table()
    assert prices.version >= 1 and prices.date and "list prices" in prices.source
    assert prices.assumed_prompt_tokens == 2000
    for stack in POLICIES:
        for target in _policy(_raw(stack)).routed_targets():
            assert target.model in prices.models


def test_max_tokens_is_derived_from_the_ceiling_and_capped_by_the_model() -> None:
    costs = {c.target: c for c in worst_case_per_target(_policy(_raw("prod")))}

    # gpt-4-turbo: (0.10 - 2000 * 0.01/1K) / (0.03/1K) = 2666.67 -> 2666
    assert costs["gpt-4-turbo"].max_tokens == 2666
    assert costs["gpt-4-turbo"].worst_case_usd == Decimal("0.09998")
    # Cheaper models hit their 4096 output limit before the ceiling.
    assert costs["claude-3-sonnet"].max_tokens == 4096
    assert costs["claude-3-sonnet"].worst_case_usd == Decimal("0.06744")
    assert costs["gpt-35-turbo"].max_tokens == 4096
    assert all(c.worst_case_usd <= c.ceiling_usd == Decimal("0.10") for c in costs.values())
    assert list(costs) == ["gpt-4-turbo", "claude-3-sonnet", "mistral-large", "gpt-35-turbo"]


def test_prod_config_has_the_planned_shape() -> None:
    config = build_config(_policy(_raw("prod")))

    assert config["strategy"] == {
        "mode": "conditional",
        "conditions": [{"query": {"metadata.tier": {"$eq": "budget"}}, "then": "budget"}],
        "default": "premium",
    }
    budget, premium = config["targets"]
    assert budget == {
        "name": "budget",
        "provider": "@openai-prod",
        "override_params": {"model": "gpt-3.5-turbo", "max_tokens": 4096},
    }
    assert premium["strategy"] == {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]}
    assert [t["override_params"]["model"] for t in premium["targets"]] == [
        "gpt-4-turbo",
        "claude-3-sonnet-20240229",
        "mistral-large-latest",
    ]
    assert config["retry"] == {"attempts": 2, "on_status_codes": [429, 502, 503, 504]}
    assert config["request_timeout"] == 30000
    assert "cache" not in config


def test_policy_without_budget_or_fallback_is_a_single_target() -> None:
    raw = _raw("dev")
    del raw["budget"]
    config = build_config(_policy(raw))
    assert config["strategy"] == {"mode": "single"}
    assert [t["override_params"]["model"] for t in config["targets"]] == ["gpt-3.5-turbo"]


def test_cache_and_weight_are_carried() -> None:
    raw = _raw("prod")
    raw["cache"] = {"mode": "simple", "maxAge": 3600}
    raw["targets"][1]["weight"] = 0.5
    config = build_config(_policy(raw))
    assert config["cache"] == {"mode": "simple", "max_age": 3600}
    assert config["targets"][1]["targets"][1]["weight"] == 0.5


def test_ceiling_too_low_for_a_model_is_refused_with_the_numbers() -> None:
    raw = _raw("prod")
    raw["maxCostPerRequestUsd"] = 0.02  # gpt-4-turbo's assumed prompt alone costs $0.02
    with pytest.raises(RoutingPolicyError) as caught:
        build_config(_policy(raw))
    message = str(caught.value)
    assert "target 'gpt-4-turbo' (gpt-4-turbo)" in message
    assert "$0.02" in message and "leaves 0 output tokens" in message


def test_explicit_max_tokens_over_the_ceiling_is_refused() -> None:
    raw = _raw("prod")
    raw["targets"][0]["maxTokens"] = 4000
    with pytest.raises(RoutingPolicyError) as caught:
        worst_case_per_target(_policy(raw))
    assert str(caught.value) == (
        "target 'gpt-4-turbo' (gpt-4-turbo): worst case $0.14 per request (2000 prompt + 4000 "
        "output tokens, prices v1) exceeds the ceiling $0.10; lower its maxTokens or raise "
        "maxCostPerRequestUsd."
    )


def test_unpriced_model_is_refused() -> None:
    raw = _raw("prod")
    raw["targets"][2]["model"] = "mistral-medium"
    with pytest.raises(RoutingPolicyError, match="model 'mistral-medium' has no price"):
        build_config(_policy(raw))


def test_unrouted_targets_are_not_cost_checked() -> None:
    raw = _raw("prod")
    raw["targets"].append({"name": "spare", "provider": "@x", "model": "not-priced"})
    assert len(worst_case_per_target(_policy(raw))) == 4


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {
                "strategy": {"mode": "fallback"},
                "targets": [{"provider": "@a"}],
                "retry": {"attempts": 6},
            },
            "at config.retry.attempts: 6 is greater than the maximum of 5",
        ),
        (
            {"strategy": {"mode": "fallback"}, "targets": [{"provider": "@a", "modle": "x"}]},
            "at config.targets[0]: Additional properties are not allowed ('modle' was unexpected)",
        ),
        (
            {"strategy": {"mode": "conditional"}, "targets": [{"provider": "@a"}]},
            "at config.strategy: 'conditions' is a required property",
        ),
        (
            {"strategy": {"mode": "roundrobin"}, "targets": [{"provider": "@a"}]},
            "at config.strategy.mode: 'roundrobin' is not one of",
        ),
        ({"cache": {"mode": "simple", "max_age": 30}}, "at config.cache.max_age: 30 is less than"),
        ({"strategy": {"mode": "fallback"}}, "at config: 'targets' is a dependency of 'strategy'"),
        ({"metadata": {}}, "Additional properties are not allowed ('metadata' was unexpected)"),
        (
            {"strategy": {"mode": "fallback"}, "targets": [{"weight": 1}]},
            "at config.targets[0]: needs one of: provider; virtual_key; strategy + targets",
        ),
        (
            {"cb_config": {"failure_threshold": 0, "cooldown_interval": 1000}},
            "at config.cb_config.cooldown_interval: 1000 is less than the minimum of 30000",
        ),
    ],
)
def test_schema_violations_are_reported_with_path_and_reason(
    config: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigSchemaError) as caught:
        validate_config(config)
    assert expected in str(caught.value)
    assert str(caught.value).startswith("Portkey config does not match")


def test_every_stack_policy_builds_a_valid_config() -> None:
    for stack in POLICIES:
        validate_config(build_config(_policy(_raw(stack))))


def test_inline_providers_overlay_keeps_production_shape_separate() -> None:
    config = build_config(_policy(_raw("dev")))
    inline = with_inline_providers(
        config,
        {"@openai-dev": {"provider": "openai", "api_key": "k", "custom_host": "http://h/v1"}},
    )
    assert inline["targets"][0]["provider"] == "openai"
    assert config["targets"][0]["provider"] == "@openai-dev"  # original untouched
    with pytest.raises(KeyError, match="@openai-dev"):
        with_inline_providers(config, {})

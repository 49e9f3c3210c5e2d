"""Routing policy -> Portkey config: max_tokens derivation, ceiling refusal, schema validation."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from components.settings.portkey import PortkeySettings
from components.settings.portkey_routing import (
    ConfigSchemaError,
    RoutingPolicyError,
    build_config,
    load_price_table,
    validate_config,
    with_inline_providers,
    worst_case_per_target,
)
from tests.conftest import committed_stack_configs

POLICIES = committed_stack_configs()


def _raw(stack: str = "prod") -> dict[str, Any]:
    return copy.deepcopy(POLICIES[stack]["sophia-infra:portkey"])


def _policy(raw: dict[str, Any]) -> PortkeySettings:
    return PortkeySettings.model_validate(raw)


def test_price_table_is_versioned_and_complete() -> None:
    prices = load_price_table()
    assert prices.version >= 1 and prices.date and "list prices" in prices.source.lower()
    assert prices.assumed_prompt_tokens == 2000
    for stack in POLICIES:
        for target in _policy(_raw(stack)).routed_targets():
            assert target.model in prices.models


def test_max_tokens_is_derived_from_the_ceiling_and_capped_by_the_model() -> None:
    costs = {c.target: c for c in worst_case_per_target(_policy(_raw("prod")))}

    # gpt-5.4: (0.10 - 2000 * 0.0025/1K) / (0.015/1K) = 6333.3 -> 6333
    assert costs["primary-openai"].max_tokens == 6333
    assert costs["primary-openai"].worst_case_usd == Decimal("0.099995")
    # claude-sonnet-4-6: (0.10 - 2000 * 0.003/1K) / (0.015/1K) = 6266.7 -> 6266
    assert costs["fallback-anthropic"].max_tokens == 6266
    assert costs["fallback-anthropic"].worst_case_usd == Decimal("0.09999")
    # Mistral hits its 4096 output limit before the ceiling; the budget tier has an explicit cap.
    assert costs["fallback-mistral"].max_tokens == 4096
    assert costs["fallback-mistral"].worst_case_usd == Decimal("0.007144")
    assert costs["budget-openai"].max_tokens == 4096
    assert costs["budget-openai"].worst_case_usd == Decimal("0.019932")
    assert all(c.worst_case_usd <= c.ceiling_usd == Decimal("0.10") for c in costs.values())
    assert list(costs) == [
        "primary-openai",
        "fallback-anthropic",
        "fallback-mistral",
        "budget-openai",
    ]


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
        "override_params": {
            "model": "gpt-5.4-mini-2026-03-17",
            "max_tokens": None,
            "max_completion_tokens": 4096,
            "max_output_tokens": 4096,
        },
    }
    assert premium["strategy"] == {
        "mode": "fallback",
        "on_status_codes": [404, 408, 429, 500, 502, 503, 504, 529],
    }
    assert [t["override_params"] for t in premium["targets"]] == [
        # Every output-token alias the gateway knows is overridden; GPT-5 refuses a numeric
        # max_tokens, so a client's max_tokens is cleared (null) there instead of capped.
        {
            "model": "gpt-5.4-2026-03-05",
            "max_tokens": None,
            "max_completion_tokens": 6333,
            "max_output_tokens": 6333,
        },
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 6266,
            "max_completion_tokens": 6266,
            "max_output_tokens": 6266,
        },
        {
            "model": "mistral-large-2512",
            "max_tokens": 4096,
            "max_completion_tokens": 4096,
            "max_output_tokens": 4096,
        },
    ]
    assert config["retry"] == {"attempts": 2, "on_status_codes": [429, 502, 503, 504, 529]}
    assert config["request_timeout"] == 30000
    assert "cache" not in config


def test_policy_without_budget_or_fallback_is_a_single_target() -> None:
    raw = _raw("dev")
    del raw["budget"]
    config = build_config(_policy(raw))
    assert config["strategy"] == {"mode": "single"}
    assert [t["override_params"]["model"] for t in config["targets"]] == ["gpt-5.4-mini-2026-03-17"]


def test_cache_and_weight_are_carried() -> None:
    raw = _raw("prod")
    raw["cache"] = {"mode": "simple", "maxAge": 3600}
    raw["targets"][1]["weight"] = 0.5
    config = build_config(_policy(raw))
    assert config["cache"] == {"mode": "simple", "max_age": 3600}
    assert config["targets"][1]["targets"][1]["weight"] == 0.5


def test_ceiling_too_low_for_a_model_is_refused_with_the_numbers() -> None:
    raw = _raw("prod")
    raw["maxCostPerRequestUsd"] = 0.005  # gpt-5.4's assumed prompt alone costs $0.005
    with pytest.raises(RoutingPolicyError) as caught:
        build_config(_policy(raw))
    message = str(caught.value)
    assert "target 'primary-openai' (gpt-5.4-2026-03-05)" in message
    assert "$0.005" in message and "leaves 0 output tokens" in message


def test_explicit_max_tokens_over_the_ceiling_is_refused() -> None:
    raw = _raw("prod")
    raw["targets"][0]["maxTokens"] = 7000
    with pytest.raises(RoutingPolicyError) as caught:
        worst_case_per_target(_policy(raw))
    assert str(caught.value) == (
        "target 'primary-openai' (gpt-5.4-2026-03-05): worst case $0.11 per request (2000 prompt "
        "+ 7000 output tokens, prices v2) exceeds the ceiling $0.10; lower its maxTokens or raise "
        "maxCostPerRequestUsd."
    )


def test_unpriced_model_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _policy(_raw("prod"))
    prices = load_price_table()
    del prices.models["mistral-large-2512"]
    with pytest.raises(RoutingPolicyError, match="model 'mistral-large-2512' has no price"):
        build_config(policy, prices)


def test_unrouted_targets_are_not_cost_checked() -> None:
    raw = _raw("prod")
    raw["targets"].append({"name": "spare", "provider": "@x", "model": "claude-sonnet-4-6"})
    prices = load_price_table()
    assert len(worst_case_per_target(_policy(raw), prices)) == 4


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

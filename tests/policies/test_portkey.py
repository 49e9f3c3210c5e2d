"""Portkey gateway rules over the GatewayConfig `config` JSON."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies.sophia_policies import portkey
from tests.policies.support import check

COVERED = {
    "portkey-fallback",
    "portkey-retry-attempts",
    "portkey-request-timeout",
    "portkey-cost-ceiling",
    "portkey-no-inline-credentials",
}

# The prod config as the program builds it (jobs.synth --stack prod).
CONFIG: dict[str, Any] = {
    "request_timeout": 30000,
    "retry": {"attempts": 2, "on_status_codes": [429, 502, 503, 504]},
    "strategy": {
        "mode": "conditional",
        "conditions": [{"query": {"metadata.tier": {"$eq": "budget"}}, "then": "budget"}],
        "default": "premium",
    },
    "targets": [
        {
            "name": "budget",
            "provider": "@openai-prod",
            "override_params": {"max_tokens": 4096, "model": "gpt-3.5-turbo"},
        },
        {
            "name": "premium",
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
            "targets": [
                {
                    "provider": "@openai-prod",
                    "override_params": {"max_tokens": 2666, "model": "gpt-4-turbo"},
                },
                {
                    "provider": "@anthropic-prod",
                    "override_params": {"max_tokens": 4096, "model": "claude-3-sonnet-20240229"},
                },
            ],
        },
    ],
}


def gateway(config: dict[str, Any]) -> dict[str, Any]:
    return {"name": "sophia-prod-routing", "config": json.dumps(config)}


def changed(**top: Any) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    for key, value in top.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


PROD = {"maxCostPerRequestUsd": 0.10}


@pytest.mark.parametrize("name", sorted(COVERED))
def test_the_prod_config_passes_every_rule(name: str) -> None:
    assert check(name, portkey.GATEWAY_CONFIG, gateway(CONFIG), PROD) == []


def test_no_fallback_fires_where_required() -> None:
    single = changed(strategy=None, targets=[CONFIG["targets"][0]])
    assert check(
        "portkey-fallback", portkey.GATEWAY_CONFIG, gateway(single), {"requireFallback": True}
    ) == [
        "gateway config sophia-prod-routing has no fallback group with at least 2 targets; this stack needs a second provider to take over when the first fails (requireFallback)"
    ]
    assert (
        check(
            "portkey-fallback", portkey.GATEWAY_CONFIG, gateway(single), {"requireFallback": False}
        )
        == []
    )


def test_a_fallback_with_one_target_does_not_count() -> None:
    config = copy.deepcopy(CONFIG)
    config["targets"][1]["targets"] = config["targets"][1]["targets"][:1]
    assert len(check("portkey-fallback", portkey.GATEWAY_CONFIG, gateway(config))) == 1


def test_too_many_retries_fire() -> None:
    config = changed(retry={"attempts": 8})
    assert check("portkey-retry-attempts", portkey.GATEWAY_CONFIG, gateway(config)) == [
        "gateway config sophia-prod-routing retries 8 times at config; at most 5 (maxRetryAttempts): each retry can be a paid upstream call"
    ]


def test_no_request_timeout_fires_for_each_target() -> None:
    config = changed(request_timeout=None)
    config["targets"][1]["request_timeout"] = 20000  # the fallback group has its own
    assert check("portkey-request-timeout", portkey.GATEWAY_CONFIG, gateway(config)) == [
        "gateway config sophia-prod-routing sets no request_timeout for config.targets[0](budget); a hung upstream would hold the API worker (set request_timeout in milliseconds)"
    ]


def test_a_request_timeout_above_the_bound_fires() -> None:
    config = changed(request_timeout=600000)
    messages = check(
        "portkey-request-timeout",
        portkey.GATEWAY_CONFIG,
        gateway(config),
        {"maxRequestTimeoutMs": 60000},
    )
    assert messages[0] == (
        "gateway config sophia-prod-routing waits 600000 ms for config.targets[0](budget); at most 60000 ms (maxRequestTimeoutMs)"
    )
    assert len(messages) == 3


def test_a_target_above_the_cost_ceiling_fires() -> None:
    config = copy.deepcopy(CONFIG)
    config["targets"][1]["targets"][0]["override_params"]["max_tokens"] = 4096
    assert check("portkey-cost-ceiling", portkey.GATEWAY_CONFIG, gateway(config), PROD) == [
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[0] (gpt-4-turbo) can cost $0.14288 per request (2000 prompt + 4096 output tokens, prices.yaml v1); this stack's ceiling is $0.1 (maxCostPerRequestUsd)"
    ]


def test_a_target_without_max_tokens_is_priced_at_the_model_maximum() -> None:
    config = copy.deepcopy(CONFIG)
    del config["targets"][0]["override_params"]["max_tokens"]
    assert check(
        "portkey-cost-ceiling",
        portkey.GATEWAY_CONFIG,
        gateway(config),
        {"maxCostPerRequestUsd": 0.005},
    ) == [
        "gateway config sophia-prod-routing: config.targets[0](budget) (gpt-3.5-turbo) can cost $0.007144 per request (2000 prompt + 4096 output tokens, no max_tokens, prices.yaml v1); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[0] (gpt-4-turbo) can cost $0.09998 per request (2000 prompt + 2666 output tokens, prices.yaml v1); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[1] (claude-3-sonnet-20240229) can cost $0.06744 per request (2000 prompt + 4096 output tokens, prices.yaml v1); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
    ]


def test_an_unpriced_model_fires_and_prices_can_come_from_policy_config() -> None:
    config = copy.deepcopy(CONFIG)
    config["targets"][0]["override_params"]["model"] = "gpt-5-mega"
    assert check("portkey-cost-ceiling", portkey.GATEWAY_CONFIG, gateway(config), PROD)[0] == (
        "gateway config sophia-prod-routing routes config.targets[0](budget) to model 'gpt-5-mega', which has no price in prices.yaml v1; add it before routing to it"
    )
    table = {
        "assumed_prompt_tokens": 1000,
        "models": {
            "gpt-5-mega": {
                "input_per_1k": 0.001,
                "output_per_1k": 0.001,
                "max_output_tokens": 4096,
            },
            "gpt-4-turbo": {"input_per_1k": 0.01, "output_per_1k": 0.03, "max_output_tokens": 4096},
            "claude-3-sonnet-20240229": {
                "input_per_1k": 0.003,
                "output_per_1k": 0.015,
                "max_output_tokens": 4096,
            },
        },
    }
    assert (
        check(
            "portkey-cost-ceiling",
            portkey.GATEWAY_CONFIG,
            gateway(config),
            {**PROD, "priceTable": table},
        )
        == []
    )


def test_the_price_table_is_the_components_data_file() -> None:
    models, prompt_tokens, source = portkey.price_table({"pricesFile": portkey.DEFAULT_PRICES_FILE})
    assert prompt_tokens == 2000
    assert source == "prices.yaml v1"
    assert models["gpt-4-turbo"]["output_per_1k"] == 0.03


def test_an_inline_api_key_fires() -> None:
    config = copy.deepcopy(CONFIG)
    config["targets"][0]["api_key"] = "pk-fake-0000"
    assert check("portkey-no-inline-credentials", portkey.GATEWAY_CONFIG, gateway(config)) == [
        "gateway config sophia-prod-routing carries a credential in plain text at config.targets[0](budget).api_key; reference a Portkey provider (@slug) or virtual key instead"
    ]


def test_an_unreadable_config_is_reported_not_passed() -> None:
    assert check(
        "portkey-retry-attempts", portkey.GATEWAY_CONFIG, {"name": "x", "config": "not json"}
    ) == ["gateway config x: cannot check retries because its config is not a JSON object"]

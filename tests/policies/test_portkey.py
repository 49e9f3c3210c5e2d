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
    "portkey-model-retired",
    "portkey-model-retiring",
}

# The prod config as the program builds it (jobs.synth --stack prod), first fallback only.
CONFIG: dict[str, Any] = {
    "request_timeout": 30000,
    "retry": {"attempts": 2, "on_status_codes": [429, 502, 503, 504, 529]},
    "strategy": {
        "mode": "conditional",
        "conditions": [{"query": {"metadata.tier": {"$eq": "budget"}}, "then": "budget"}],
        "default": "premium",
    },
    "targets": [
        {
            "name": "budget",
            "provider": "@openai-prod",
            "override_params": {"max_completion_tokens": 4096, "model": "gpt-5.4-mini-2026-03-17"},
        },
        {
            "name": "premium",
            "strategy": {
                "mode": "fallback",
                "on_status_codes": [404, 408, 429, 500, 502, 503, 504, 529],
            },
            "targets": [
                {
                    "provider": "@openai-prod",
                    "override_params": {
                        "max_completion_tokens": 6333,
                        "model": "gpt-5.4-2026-03-05",
                    },
                },
                {
                    "provider": "@anthropic-prod",
                    "override_params": {
                        "max_tokens": 6266,
                        "max_completion_tokens": 6266,
                        "model": "claude-sonnet-4-6",
                    },
                },
            ],
        },
    ],
}
ON = "2026-12-01"  # the lifecycle table's date: pin the policies' clock to it


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


PROD = {"maxCostPerRequestUsd": 0.10, "asOf": ON, "warnDaysBeforeRetirement": 90}


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
    config["targets"][1]["targets"][0]["override_params"]["max_completion_tokens"] = 7000
    assert check("portkey-cost-ceiling", portkey.GATEWAY_CONFIG, gateway(config), PROD) == [
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[0] (gpt-5.4-2026-03-05) can cost $0.11 per request (2000 prompt + 7000 output tokens, prices.yaml v2); this stack's ceiling is $0.1 (maxCostPerRequestUsd)"
    ]


def test_a_target_without_an_output_cap_is_priced_at_the_model_maximum() -> None:
    config = copy.deepcopy(CONFIG)
    del config["targets"][0]["override_params"]["max_completion_tokens"]
    assert check(
        "portkey-cost-ceiling",
        portkey.GATEWAY_CONFIG,
        gateway(config),
        {"maxCostPerRequestUsd": 0.005},
    ) == [
        "gateway config sophia-prod-routing: config.targets[0](budget) (gpt-5.4-mini-2026-03-17) can cost $0.075228 per request (2000 prompt + 16384 output tokens, no max_completion_tokens override, prices.yaml v2); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[0] (gpt-5.4-2026-03-05) can cost $0.099995 per request (2000 prompt + 6333 output tokens, prices.yaml v2); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[1] (claude-sonnet-4-6) can cost $0.09999 per request (2000 prompt + 6266 output tokens, prices.yaml v2); this stack's ceiling is $0.005 (maxCostPerRequestUsd)",
    ]


def test_a_max_tokens_override_alone_is_not_a_cap() -> None:
    # A client-sent max_completion_tokens replaces max_tokens on Anthropic (the gateway maps both
    # onto max_tokens, later key wins): the leaf is priced as uncapped.
    config = copy.deepcopy(CONFIG)
    del config["targets"][1]["targets"][1]["override_params"]["max_completion_tokens"]
    assert check("portkey-cost-ceiling", portkey.GATEWAY_CONFIG, gateway(config), PROD) == [
        "gateway config sophia-prod-routing: config.targets[1](premium).targets[1] (claude-sonnet-4-6) can cost $0.966 per request (2000 prompt + 64000 output tokens, no max_completion_tokens override, prices.yaml v2); this stack's ceiling is $0.1 (maxCostPerRequestUsd)"
    ]


def test_an_unpriced_model_fires_and_prices_can_come_from_policy_config() -> None:
    config = copy.deepcopy(CONFIG)
    config["targets"][0]["override_params"]["model"] = "gpt-5-mega"
    assert check("portkey-cost-ceiling", portkey.GATEWAY_CONFIG, gateway(config), PROD)[0] == (
        "gateway config sophia-prod-routing routes config.targets[0](budget) to model 'gpt-5-mega', which has no price in prices.yaml v2; add it before routing to it"
    )
    cheap = {"input_per_1k": 0.001, "output_per_1k": 0.001, "max_output_tokens": 4096}
    table = {
        "assumed_prompt_tokens": 1000,
        "models": {m: cheap for m in ("gpt-5-mega", "gpt-5.4-2026-03-05", "claude-sonnet-4-6")},
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
    assert source == "prices.yaml v2"
    assert models["gpt-5.4-2026-03-05"]["output_per_1k"] == 0.015


def _with_budget_model(model: str) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    config["targets"][0]["override_params"]["model"] = model
    return gateway(config)


def test_the_retirement_rules_have_their_enforcement_levels() -> None:
    from pulumi_policy import EnforcementLevel

    from tests.policies.support import policy

    assert policy("portkey-model-retired").enforcement_level == EnforcementLevel.MANDATORY
    assert policy("portkey-model-retiring").enforcement_level == EnforcementLevel.ADVISORY


def test_moving_the_clock_turns_a_warning_into_a_failure() -> None:
    props = _with_budget_model("gpt-3.5-turbo")  # retired 2026-10-23
    early = {**PROD, "asOf": "2026-07-01"}  # 114 days before: outside the 90-day window
    warn = {**PROD, "asOf": "2026-09-01"}  # 52 days before
    after = {**PROD, "asOf": "2026-10-23"}  # the retirement day
    assert check("portkey-model-retiring", portkey.GATEWAY_CONFIG, props, early) == []
    assert check("portkey-model-retired", portkey.GATEWAY_CONFIG, props, warn) == []
    assert check("portkey-model-retiring", portkey.GATEWAY_CONFIG, props, warn) == [
        "gateway config sophia-prod-routing routes config.targets[0](budget) to gpt-3.5-turbo, which openai retires on 2026-10-23 (52 days; warnDaysBeforeRetirement 90, model_lifecycle.yaml v2); move to its replacement before then"
    ]
    assert check("portkey-model-retiring", portkey.GATEWAY_CONFIG, props, after) == []
    [failure] = check("portkey-model-retired", portkey.GATEWAY_CONFIG, props, after)
    assert failure.startswith(
        "gateway config sophia-prod-routing routes config.targets[0](budget) to gpt-3.5-turbo, "
        "retired by openai on 2026-10-23 (source: https://spybara.com/"
    )


def test_a_model_missing_from_the_lifecycle_table_fails() -> None:
    props = _with_budget_model("gpt-9-ultra")
    assert check("portkey-model-retired", portkey.GATEWAY_CONFIG, props, PROD) == [
        "gateway config sophia-prod-routing routes config.targets[0](budget) to model 'gpt-9-ultra', which is not in model_lifecycle.yaml v2; add it with its provider's deprecation source, or route to a served model"
    ]


def test_the_lifecycle_table_can_come_from_policy_config() -> None:
    table = {"models": {"gpt-9-ultra": {"provider": "openai", "retired_on": "2027-01-10"}}}
    props = _with_budget_model("gpt-9-ultra")
    config = {**PROD, "lifecycleTable": table, "warnDaysBeforeRetirement": 60}
    assert len(check("portkey-model-retiring", portkey.GATEWAY_CONFIG, props, config)) == 1
    assert len(check("portkey-model-retired", portkey.GATEWAY_CONFIG, props, config)) == 2


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

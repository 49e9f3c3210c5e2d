"""The Gateway component under Pulumi mocks: what it registers, with which inputs and outputs."""

from __future__ import annotations

import asyncio
import json

import pulumi
import pytest

from components.settings.portkey import PortkeySettings
from tests.conftest import committed_stack_configs

POLICIES = committed_stack_configs()


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ.startswith("pulumi-python:dynamic/"):
            self.registered.append(args)
        state = dict(args.inputs)
        if args.typ.endswith(":GatewayConfig"):
            state |= {
                "slug": "pc-sophia-abc123",
                "config_id": "c0ffee00-0000-4000-8000-000000000001",
                "version_id": "v-1",
                "status": "active",
            }
            return "pc-sophia-abc123", state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture(autouse=True)
def _event_loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()


@pytest.fixture
def mocks() -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="sophia-infra", stack="prod", preview=False)
    return mocks


def _settings(stack: str) -> PortkeySettings:
    return PortkeySettings.model_validate(POLICIES[stack]["sophia-infra:portkey"])


@pulumi.runtime.test
def test_prod_gateway_registers_config_and_usage_limits(mocks: Mocks):
    from components.portkey.gateway import Gateway, GatewayArgs

    gateway = Gateway("llm", GatewayArgs(settings=_settings("prod")))

    def check(values):
        slug, version, config_json, header, bound = values
        assert (slug, version) == ("pc-sophia-abc123", "v-1")
        # Bound key: the app must not send x-portkey-config (a locked key refuses it).
        assert (header, bound) == ("", True)
        types = {args.name: args.typ for args in mocks.registered}
        assert types == {
            "llm-config": "pulumi-python:dynamic/portkey:GatewayConfig",
            "llm-usage-limits": "pulumi-python:dynamic/portkey:UsageLimitsPolicy",
            "llm-api-key-binding": "pulumi-python:dynamic/portkey:ApiKeyConfigBinding",
        }
        [binding] = [a for a in mocks.registered if a.name == "llm-api-key-binding"]
        assert binding.inputs["api_key_id"] == _settings("prod").api_key_id
        assert binding.inputs["config_id"] == "c0ffee00-0000-4000-8000-000000000001"
        assert binding.inputs["config_slug"] == "pc-sophia-abc123"
        assert binding.inputs["allow_config_override"] is False
        [config] = [a for a in mocks.registered if a.name == "llm-config"]
        assert config.inputs["name"] == "sophia-prod-routing"
        assert json.loads(config.inputs["config"]) == json.loads(config_json)
        assert json.loads(config_json)["strategy"]["mode"] == "conditional"
        [policy] = [a for a in mocks.registered if a.name == "llm-usage-limits"]
        assert policy.inputs["credit_limit"] == 9300.0
        assert policy.inputs["alert_threshold"] == 7440.0
        assert policy.inputs["group_by"] == [{"key": "metadata.environment"}]

    return pulumi.Output.all(
        gateway.config_slug,
        gateway.config_version,
        gateway.config_json,
        gateway.config_header,
        gateway.config_bound_to_api_key,
    ).apply(check)


@pulumi.runtime.test
def test_dev_gateway_has_no_usage_limits(mocks: Mocks):
    from components.portkey.gateway import Gateway, GatewayArgs

    gateway = Gateway("llm", GatewayArgs(settings=_settings("dev")))

    def check(values):
        header, bound = values
        assert [a.name for a in mocks.registered] == ["llm-config"]
        assert (header, bound) == ("pc-sophia-abc123", False)  # unbound: the app sends the slug

    return pulumi.Output.all(gateway.config_header, gateway.config_bound_to_api_key).apply(check)


def test_prod_declares_a_weekly_policy_from_the_daily_budget(synthesized) -> None:
    policies = {
        r.inputs["name"]: r.inputs
        for r in synthesized("prod").by_type("pulumi-python:dynamic/portkey:UsageLimitsPolicy")
    }
    weekly = policies["sophia-prod-llm-weekly"]
    monthly = policies["sophia-prod-llm-monthly"]
    assert weekly["periodic_reset"] == "weekly"
    assert weekly["credit_limit"] == 2100.0  # 7 x $300
    assert weekly["alert_threshold"] == 1680.0  # 80 %
    for key in ("conditions", "group_by", "workspace_id", "type"):
        assert weekly[key] == monthly[key]


def test_stacks_without_a_monthly_policy_declare_no_weekly_one(synthesized) -> None:
    for stack in ("dev", "staging"):
        assert synthesized(stack).by_type("pulumi-python:dynamic/portkey:UsageLimitsPolicy") == []

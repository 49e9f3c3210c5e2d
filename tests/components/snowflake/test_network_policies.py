"""Network policies that cannot lock anyone out (review F1, F2; rows 2, 38).

The committed prod stack leaves the API's ranges, the break-glass admin and the notify users unset:
its synth shows the stack with a readiness gate that every Snowflake provider waits for, and whose
provider refuses the real preview. With the owner's values set the gate is gone, the API user is
fenced, and the deploy user's policy (opt-in) is attached after every other Snowflake resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.snowflake.readiness import ReadinessGateProvider
from jobs.harness import Synthesis, synthesize
from tests.conftest import STACKS, committed_stack_configs, stack_config
from tests.fakes.snowflake_account import Replay

Synth = Callable[[str], Synthesis]
USER = "snowflake:index/serviceUser:ServiceUser"
POLICY = "snowflake:index/networkPolicy:NetworkPolicy"
ATTACHMENT = "snowflake:index/networkPolicyAttachment:NetworkPolicyAttachment"
GATE = "pulumi-python:dynamic/snowflake:ReadinessGate"
PROVIDER = "pulumi:providers:snowflake"

# What the prod owner sets before the first real `up` (public, routable example addresses).
OWNER_VALUES: dict[str, Any] = {
    "api": ["34.120.10.0/28"],
    "deployUser": ["35.190.20.5/32"],
}


def _ready_prod() -> Synthesis:
    config = stack_config("prod")
    config["snowflake"]["networkPolicies"].update(OWNER_VALUES)
    config["snowflake"].update(breakGlassAdmin="BREAK_GLASS_ADMIN", monitorNotifyUsers=["ONCALL"])
    return synthesize("prod", overrides=config)


@pytest.fixture(scope="module")
def ready_prod() -> Synthesis:
    return _ready_prod()


def test_the_unfinished_prod_stack_is_gated_on_exactly_what_the_owner_must_set(
    synthesized: Synth,
) -> None:
    prod = synthesized("prod")
    (gate,) = prod.by_type(GATE)
    assert [item[0] for item in gate.inputs["items"]] == [
        "sophia-infra:snowflake.networkPolicies.api",
        "sophia-infra:snowflake.breakGlassAdmin",
        "sophia-infra:snowflake.monitorNotifyUsers",
    ]
    assert not prod.by_type(ATTACHMENT), "the deploy user's policy is opt-in"


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_reaches_snowflake_before_the_gate(stack: str, synthesized: Synth) -> None:
    """Every Snowflake resource is made by a provider that depends on the gate, if there is one."""
    synthesis = synthesized(stack)
    gates = synthesis.by_type(GATE)
    assert len(gates) == (1 if stack == "prod" else 0)
    providers = synthesis.by_type(PROVIDER)
    for provider in providers:
        assert provider.dependencies == [g.urn for g in gates], provider.name
    provider_names = {p.name for p in providers}
    for resource in synthesis.resources:
        if resource.type.startswith("snowflake:"):
            assert resource.provider in provider_names, resource.name


def test_the_gate_refuses_the_preview_with_the_checklist(synthesized: Synth) -> None:
    (gate,) = synthesized("prod").by_type(GATE)
    result = ReadinessGateProvider().check({}, dict(gate.inputs))
    assert [f.property for f in result.failures] == ["items"] * 3
    assert result.failures[0].reason == (
        "not ready for a real `up`: sophia-infra:snowflake.networkPolicies.api: unset: prod fences "
        "every service user's key-pair login by IP; set the cluster's NAT egress IPs (the "
        "addresses the API's pods leave from) (one command per range, [0], [1], ...); set it "
        "with: pulumi config set --stack prod --path "
        "'sophia-infra:snowflake.networkPolicies.api[0]' '<egress CIDR>'"
    )
    assert ReadinessGateProvider().check({}, {"items": []}).failures == []


def test_a_ready_prod_stack_has_no_gate_and_fences_both_service_users(
    ready_prod: Synthesis,
) -> None:
    assert not ready_prod.by_type(GATE)
    policies = {p.inputs["name"]: p.inputs["allowedIpLists"] for p in ready_prod.by_type(POLICY)}
    users = {u.inputs["name"]: u.inputs for u in ready_prod.by_type(USER)}
    assert policies[users["ESTUARY_LOADER_SVC"]["networkPolicy"]] == [
        "34.121.207.128/32",
        "35.226.75.135/32",
        "34.68.62.148/32",
    ]
    assert policies[users["SOPHIA_API_SVC"]["networkPolicy"]] == ["34.120.10.0/28"]


def test_the_deploy_user_policy_is_attached_after_every_other_snowflake_resource(
    ready_prod: Synthesis,
) -> None:
    (attachment,) = ready_prod.by_type(ATTACHMENT)
    assert attachment.inputs["users"] == ["PULUMI_DEPLOY_SVC"]
    assert attachment.inputs["setForAccount"] is False
    replay = Replay(ready_prod)
    before = replay.ancestors(attachment.urn)
    others = {
        r.urn
        for r in replay.snowflake
        if r.urn != attachment.urn and not r.name.startswith("deploy-user-")
    }
    assert others - before == set()


def test_the_shared_deploy_user_is_fenced_by_one_stack_only() -> None:
    """A user has one network policy: two stacks attaching theirs would fight over it."""
    owners: dict[tuple[str, str, str], list[str]] = {}
    for stack, config in committed_stack_configs().items():
        snowflake = config["sophia-infra:snowflake"]
        if snowflake.get("networkPolicies", {}).get("deployUser"):
            key = (snowflake["organizationName"], snowflake["accountName"], snowflake["deployUser"])
            owners.setdefault(key, []).append(stack)
    assert all(len(stacks) == 1 for stacks in owners.values()), owners
    assert set(STACKS) >= {s for stacks in owners.values() for s in stacks}

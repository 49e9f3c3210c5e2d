"""Network policies on the service users and the deploying user (review rows 2, 38)."""

from __future__ import annotations

from collections.abc import Callable

from jobs.harness import Synthesis
from tests.conftest import STACKS, committed_stack_configs

Synth = Callable[[str], Synthesis]
USER = "snowflake:index/serviceUser:ServiceUser"
POLICY = "snowflake:index/networkPolicy:NetworkPolicy"
ATTACHMENT = "snowflake:index/networkPolicyAttachment:NetworkPolicyAttachment"


def test_prod_service_users_log_in_only_from_their_ranges(synthesized: Synth) -> None:
    prod = synthesized("prod")
    policies = {p.inputs["name"]: p.inputs["allowedIpLists"] for p in prod.by_type(POLICY)}
    users = {u.inputs["name"]: u.inputs for u in prod.by_type(USER)}
    loader_policy = users["ESTUARY_LOADER_SVC"]["networkPolicy"]
    assert policies[loader_policy] == ["34.121.207.128/32", "35.226.75.135/32", "34.68.62.148/32"]
    assert policies[users["SOPHIA_API_SVC"]["networkPolicy"]]


def test_prod_fences_the_deploying_user(synthesized: Synth) -> None:
    (attachment,) = synthesized("prod").by_type(ATTACHMENT)
    assert attachment.inputs["users"] == ["PULUMI_DEPLOY_SVC"]
    assert attachment.inputs["setForAccount"] is False


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

"""Ownership transfers: their order in the declared graph, and who owns what after up/destroy.

Rows 3, 12, 13, 28 of the Snowflake review. The account stand-in (tests/fakes/snowflake_account.py)
applies Snowflake's and the provider's rules, each with its source.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jobs.harness import Synthesis
from tests.fakes.snowflake_account import Account, Replay, SnowflakeError

Synth = Callable[[str], Synthesis]
OWNERSHIP = "snowflake:index/grantOwnership:GrantOwnership"
HIERARCHY_ADMIN = "access-hierarchy-admin"
CREATED_INSIDE = (
    "snowflake:index/table:Table",
    "snowflake:index/cortexSearchService:CortexSearchService",
    "snowflake:index/cortexAgent:CortexAgent",
)


def _by_name(synthesis: Synthesis, name: str) -> str:
    (resource,) = [r for r in synthesis.resources if r.name == name]
    return resource.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_transfer_waits_for_sophia_admin_under_sysadmin(
    stack: str, synthesized: Synth
) -> None:
    synthesis = synthesized(stack)
    replay = Replay(synthesis)
    hierarchy = _by_name(synthesis, HIERARCHY_ADMIN)
    transfers = synthesis.by_type(OWNERSHIP)
    assert len(transfers) == 7  # database, 3 schemas, 3 warehouses
    for transfer in transfers:
        assert hierarchy in replay.ancestors(transfer.urn), transfer.name
        # Replaced by delete-then-create: the other order hands the object back afterwards.
        assert transfer.delete_before_replace, transfer.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_what_sysadmin_creates_inside_transferred_objects_waits_for_both(
    stack: str, synthesized: Synth
) -> None:
    synthesis = synthesized(stack)
    replay = Replay(synthesis)
    hierarchy = _by_name(synthesis, HIERARCHY_ADMIN)
    transfers = {t.inputs["on"]["objectName"]: t.urn for t in synthesis.by_type(OWNERSHIP)}
    for type_ in CREATED_INSIDE:
        for resource in synthesis.by_type(type_):
            ancestors = replay.ancestors(resource.urn)
            database = resource.inputs["database"]
            schema = f'"{database}"."{resource.inputs["schema"]}"'
            assert hierarchy in ancestors, resource.name
            assert transfers[database] in ancestors, resource.name
            if schema in transfers:  # PUBLIC stays with SYSADMIN
                assert transfers[schema] in ancestors, resource.name
            if "warehouse" in resource.inputs:
                assert transfers[resource.inputs["warehouse"]] in ancestors, resource.name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_first_deploy_succeeds_whatever_order_the_engine_picks(
    stack: str, synthesized: Synth
) -> None:
    """Adversarial schedule: before each resource, every transfer that may run earlier has run."""
    synthesis = synthesized(stack)
    replay = Replay(synthesis)
    transfers = [r.urn for r in synthesis.by_type(OWNERSHIP)]
    for resource in replay.snowflake:
        descendants = {r.urn for r in replay.snowflake if resource.urn in replay.ancestors(r.urn)}
        before = replay.ancestors(resource.urn)
        for transfer in transfers:
            if transfer != resource.urn and transfer not in descendants:
                before |= {transfer} | replay.ancestors(transfer)
        account = Account()
        for urn in replay.topological(
            u for u in before if replay.is_snowflake(replay.resources[u])
        ):
            replay.create(account, replay.resources[urn])
        replay.create(account, resource)  # raises SnowflakeError if the schedule breaks it


def test_owners_after_deploy(synthesized: Synth) -> None:
    account = Replay(synthesized("dev")).deploy()
    owners = account.owner
    assert owners[("DATABASE", "SOPHIA_AI_DEV")] == "SOPHIA_ADMIN_DEV"
    assert owners[("SCHEMA", '"SOPHIA_AI_DEV"."CORTEX_VECTORS"')] == "SOPHIA_ADMIN_DEV"
    assert owners[("SCHEMA", '"SOPHIA_AI_DEV"."PUBLIC"')] == "SYSADMIN"
    assert owners[("WAREHOUSE", "API_WH_DEV")] == "SOPHIA_ADMIN_DEV"
    assert owners[("RESOURCE MONITOR", "API_WH_MONITOR_DEV")] == "ACCOUNTADMIN"
    assert owners[("TABLE", "SOPHIA_AI_DEV.PUBLIC.USER_SESSIONS")] == "SYSADMIN"
    assert owners[("CORTEX SEARCH SERVICE", "SOPHIA_SEARCH")] == "SYSADMIN"
    assert owners[("AGENT", "SEMANTIC_MEMORY_AGENT")] == "SYSADMIN"
    assert owners[("ROLE", "SOPHIA_API_DEV")] == "SECURITYADMIN"
    assert owners[("USER", "SOPHIA_API_SVC_DEV")] == "SECURITYADMIN"
    assert owners[("NETWORK POLICY", "ESTUARY_LOADER_SVC_DEV_NETWORK_POLICY")] == "SECURITYADMIN"
    assert account.user_policy["ESTUARY_LOADER_SVC_DEV"] == "ESTUARY_LOADER_SVC_DEV_NETWORK_POLICY"


def test_destroy_of_dev_hands_everything_back_and_drops_it(synthesized: Synth) -> None:
    replay = Replay(synthesized("dev"))
    account = replay.destroy(replay.deploy())
    # Everything this stack created is gone; the bootstrapped deploy user and the system roles'
    # grants remain, and no privilege grant is left behind.
    assert account.owner == {("USER", "PULUMI_DEPLOY_SVC"): "USERADMIN"}
    assert account.grants.rows == set()
    assert account.grants.future == set()
    transfers_undone = [line for line in account.log if line.startswith("delete GrantOwnership")]
    assert len(transfers_undone) == 7


def test_deleting_a_transfer_returns_the_object_to_its_creator(synthesized: Synth) -> None:
    synthesis = synthesized("dev")
    replay = Replay(synthesis)
    account = replay.deploy()
    for transfer in synthesis.by_type(OWNERSHIP):
        replay.delete(account, transfer)
    assert account.owner[("DATABASE", "SOPHIA_AI_DEV")] == "SYSADMIN"
    assert account.owner[("SCHEMA", '"SOPHIA_AI_DEV"."ESTUARY_REALTIME"')] == "SYSADMIN"
    assert account.owner[("WAREHOUSE", "CORTEX_COMPUTE_WH_DEV")] == "ACCOUNTADMIN"


@pytest.mark.parametrize("delete_first", [True, False])
def test_replacing_a_transfer_keeps_the_new_owner_only_when_deleted_first(
    delete_first: bool, synthesized: Synth
) -> None:
    synthesis = synthesized("dev")
    replay = Replay(synthesis)
    account = replay.deploy()
    (transfer,) = [
        t for t in synthesis.by_type(OWNERSHIP) if t.inputs["on"]["objectType"] == "DATABASE"
    ]
    if delete_first:  # what delete_before_replace=True makes the engine do
        replay.delete(account, transfer)
        replay.create(account, transfer)
    else:  # the engine's default: create the replacement, then delete the old one
        replay.create(account, transfer)
        replay.delete(account, transfer)
    owner = account.owner[("DATABASE", "SOPHIA_AI_DEV")]
    assert (owner == "SOPHIA_ADMIN_DEV") is delete_first
    assert transfer.delete_before_replace


def test_stand_in_refuses_what_snowflake_refuses(synthesized: Synth) -> None:
    """The stand-in is not permissive: a SYSADMIN monitor assignment fails, as row 3 says."""
    synthesis = synthesized("dev")
    replay = Replay(synthesis)
    account = replay.deploy()
    (warehouse,) = [
        w
        for w in synthesis.by_type("snowflake:index/warehouse:Warehouse")
        if w.name.startswith("warehouse-api")
    ]
    sysadmin = next(name for name, role in replay.roles.items() if role == "SYSADMIN")
    as_sysadmin = type(warehouse)(**{**warehouse.to_json(), "provider": sysadmin})
    with pytest.raises(SnowflakeError, match="assign a resource monitor"):
        replay.create(account, as_sysadmin)

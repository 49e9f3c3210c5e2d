"""What the account stand-in now models, and the review findings it catches (F3, F4, F5, F11).

Each test replays the synthesized stack on the stand-in (tests/fakes/snowflake_account.py): the
deploy user as `python -m jobs.bootstrap` leaves it (owned by USERADMIN, DEFAULT_SECONDARY_ROLES =
()), and the variants the bootstrap exists to prevent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from components.snowflake import access
from jobs.harness import Synthesis, synthesize
from tests.components.snowflake.test_network_policies import _ready_prod
from tests.fakes.snowflake_account import Replay, SnowflakeError

Synth = Callable[[str], Synthesis]
PRIVILEGES = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
EMBEDDINGS = ("SOPHIA_API_DEV", "SELECT", "TABLE", "SOPHIA_AI_DEV.CORTEX_VECTORS.EMBEDDINGS")


def _grants_by_sysadmin(synthesis: Synthesis) -> Synthesis:
    """The same stack with every privilege grant moved to the SYSADMIN provider (a regression)."""
    resources = [
        dataclasses.replace(r, provider="snowflake-sysadmin") if r.type == PRIVILEGES else r
        for r in synthesis.resources
    ]
    return dataclasses.replace(synthesis, resources=resources)


def test_secondary_roles_all_would_hide_a_grant_made_by_the_wrong_role(synthesized: Synth) -> None:
    """F4: with ('ALL') every session acts with every role of the deploy user, so a grant made
    by the SYSADMIN provider succeeds through SECURITYADMIN; with () it is refused."""
    replay = Replay(_grants_by_sysadmin(synthesized("dev")))
    replay.deploy(replay.bootstrapped(secondary_roles=("ALL",)))  # nothing notices
    with pytest.raises(SnowflakeError, match="SYSADMIN: insufficient privileges to grant"):
        replay.deploy(replay.bootstrapped(secondary_roles=()))


def test_the_committed_stacks_deploy_with_no_secondary_roles(synthesized: Synth) -> None:
    for stack in ("dev", "staging", "prod"):
        replay = Replay(synthesized(stack))
        replay.deploy(replay.bootstrapped(secondary_roles=()))


@pytest.fixture(scope="module")
def ready_prod() -> Synthesis:
    return _ready_prod()


def test_attaching_the_deploy_user_policy_needs_the_user_s_owner(ready_prod: Synthesis) -> None:
    """F3: ALTER USER needs OWNERSHIP of the user; SECURITYADMIN has it when USERADMIN owns it."""
    replay = Replay(ready_prod)
    account = replay.deploy(replay.bootstrapped(owner="USERADMIN"))
    assert account.user_policy["PULUMI_DEPLOY_SVC"] == "PULUMI_DEPLOY_SVC_NETWORK_POLICY"
    with pytest.raises(SnowflakeError, match=r"ALTER USER PULUMI_DEPLOY_SVC \(not its owner\)"):
        replay.deploy(replay.bootstrapped(owner="ACCOUNTADMIN"))
    # ... which secondary roles ('ALL') would have hidden, ACCOUNTADMIN being granted to the user.
    replay.deploy(replay.bootstrapped(owner="ACCOUNTADMIN", secondary_roles=("ALL",)))


def test_the_api_reads_embeddings_through_the_all_and_future_grants(synthesized: Synth) -> None:
    account = Replay(synthesized("dev")).deploy()
    assert account.grants.holds(*EMBEDDINGS)


def test_removing_a_grant_managed_twice_revokes_what_the_other_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """F5 on the stand-in: the old plan's explicit EMBEDDINGS grant, once removed, takes the row
    the ALL grant still declares with it; nothing puts it back (ALL grants are never read)."""
    plan = access.access_plan
    extra = access.Grant("api", ("SELECT",), "table", "CORTEX_VECTORS.EMBEDDINGS")
    monkeypatch.setattr(access, "access_plan", lambda s, w: (*plan(s, w), extra))
    old = synthesize("dev")
    replay = Replay(old)
    account = replay.deploy()
    (explicit,) = [
        r for r in old.resources if r.name == "access-api-table-cortex-vectors-embeddings"
    ]
    replay.delete(account, explicit)
    assert not account.grants.holds(*EMBEDDINGS)


def test_a_renamed_grant_without_aliases_revokes_itself(synthesized: Synth) -> None:
    """Create-then-delete of one grant under two names (a rename without `aliases`): the GRANT
    of the new name is a no-op, the REVOKE of the old name removes the row."""
    synthesis = synthesized("dev")
    replay = Replay(synthesis)
    account = replay.deploy()
    (grant,) = [r for r in synthesis.resources if r.name == "access-api-all-tables-cortex-vectors"]
    renamed = dataclasses.replace(grant, urn=grant.urn + "-renamed", name=grant.name + "-renamed")
    replay.create(account, renamed)
    replay.delete(account, grant)
    assert not account.grants.holds(*EMBEDDINGS)

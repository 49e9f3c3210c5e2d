"""The Snowflake part of the readiness checklist: pure, over the raw stack value."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.snowflake_readiness import snowflake_readiness
from tests.conftest import stack_config


def _prod() -> dict[str, Any]:
    return stack_config("prod")["snowflake"]


def test_the_committed_prod_stack_lists_exactly_what_its_owner_must_set() -> None:
    assert snowflake_readiness("prod", "prod", _prod()) == [
        (
            "sophia-infra:snowflake.networkPolicies.api",
            "unset: prod fences every service user's key-pair login by IP; set the cluster's "
            "NAT egress IPs (the addresses the API's pods leave from) (one command per range, "
            "[0], [1], ...)",
            "pulumi config set --stack prod --path 'sophia-infra:snowflake.networkPolicies.api[0]' "
            "'<egress CIDR>'",
        ),
        (
            "sophia-infra:snowflake.breakGlassAdmin",
            "unset: prod has no way back in if the deploy user is locked out or its key is lost; "
            "name the person-type ACCOUNTADMIN user outside every policy that "
            "`python -m jobs.bootstrap --stack prod` creates",
            "pulumi config set --stack prod --path 'sophia-infra:snowflake.breakGlassAdmin' "
            "'<BREAK_GLASS_USER>'",
        ),
        (
            "sophia-infra:snowflake.monitorNotifyUsers",
            "unset: every prod warehouse's resource monitor e-mails these users at its notify "
            "thresholds; each must exist with a verified e-mail address (CREATE RESOURCE MONITOR "
            "... NOTIFY_USERS) before the first `up`: run `python -m jobs.bootstrap --stack prod` "
            "and have the user verify the e-mail",
            "pulumi config set --stack prod --path 'sophia-infra:snowflake.monitorNotifyUsers[0]' "
            "PLATFORM_ONCALL",
        ),
    ]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_other_committed_stacks_are_ready(stack: str) -> None:
    assert snowflake_readiness(stack, stack, stack_config(stack)["snowflake"]) == []


def test_a_prod_stack_with_the_owner_s_values_is_ready() -> None:
    raw = _prod()
    raw["networkPolicies"]["api"] = ["34.120.10.0/28"]
    raw.update(breakGlassAdmin="BREAK_GLASS_ADMIN", monitorNotifyUsers=["PLATFORM_ONCALL"])
    assert snowflake_readiness("prod", "prod", raw) == []


def test_each_placeholder_range_is_named_with_the_command_for_its_index() -> None:
    raw = stack_config("staging")["snowflake"]
    raw["networkPolicies"]["api"] = ["34.120.10.0/28", "198.51.100.0/28"]
    (item,) = snowflake_readiness("staging", "staging", raw)
    assert item == (
        "sophia-infra:snowflake.networkPolicies.api",
        "198.51.100.0/28 is in the RFC 5737 documentation range 198.51.100.0/24 (TEST-NET-2), "
        "which never appears on the Internet: it is a placeholder, and a policy of placeholders "
        "locks the user out; set the cluster's NAT egress IPs (the addresses the API's pods "
        "leave from)",
        "pulumi config set --stack staging --path "
        "'sophia-infra:snowflake.networkPolicies.api[1]' '<egress CIDR>'",
    )


def test_fencing_the_deploy_user_anywhere_needs_the_break_glass_admin() -> None:
    raw = stack_config("dev")["snowflake"]
    raw["networkPolicies"]["deployUser"] = ["35.190.20.5/32"]
    ((key, why, _),) = snowflake_readiness("dev", "dev", raw)
    assert key == "sophia-infra:snowflake.breakGlassAdmin"
    assert why.startswith("unset: networkPolicies.deployUser fences the user every stack deploys")


def test_private_ranges_are_real_with_private_connectivity() -> None:
    raw = _prod()
    raw["networkPolicies"].update(api=["10.1.0.0/16"], privateConnectivity=True)
    raw.update(breakGlassAdmin="BREAK_GLASS_ADMIN", monitorNotifyUsers=["PLATFORM_ONCALL"])
    assert snowflake_readiness("prod", "prod", raw) == []


@pytest.mark.parametrize(
    "raw", [None, {}, {"networkPolicies": "x"}, {"networkPolicies": {"api": 3}}]
)
def test_garbage_is_reported_not_raised(raw: Any) -> None:
    keys = [item[0] for item in snowflake_readiness("prod", "prod", raw)]
    assert "sophia-infra:snowflake.networkPolicies.api" in keys

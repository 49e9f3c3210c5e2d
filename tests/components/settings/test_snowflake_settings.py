"""Account facts the Snowflake settings check (review rows 6-10, 2, 38), before any resource."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.cortex import refresh_credits_per_month
from jobs.harness import synthesize
from tests.components.settings.test_settings import _reject, _warehouse
from tests.conftest import stack_config


def _standard(config: dict[str, Any]) -> None:
    config["snowflake"]["edition"] = "STANDARD"


def test_multi_cluster_needs_enterprise() -> None:
    def standard_with_clusters(config: dict[str, Any]) -> None:
        _standard(config)
        config["snowflake"]["database"]["dataRetentionDays"] = 1

    message = _reject("staging", standard_with_clusters)
    assert "sophia-infra:snowflake.warehouses.API_WH.maxClusterCount = 2: multi-cluster" in message
    assert "snowflake.edition is STANDARD; allowed: 1" in message


def test_time_travel_over_a_day_needs_enterprise() -> None:
    message = _reject(
        "dev", lambda c: (_standard(c), c["snowflake"]["database"].update(dataRetentionDays=3))
    )
    assert "sophia-infra:snowflake.database.dataRetentionDays = 3: more than 1 day" in message
    assert "allowed: 0..1" in message


def test_edition_is_required() -> None:
    message = _reject("dev", lambda c: c["snowflake"].pop("edition"))
    assert "sophia-infra:snowflake.edition: missing (required)" in message


def test_credit_quota_is_a_whole_number() -> None:
    message = _reject("dev", lambda c: _warehouse(c).update(creditQuota=12.5))
    assert "warehouses.API_WH.creditQuota = 12.5: must be a valid integer" in message


def test_at_most_five_notify_triggers() -> None:
    message = _reject(
        "dev", lambda c: _warehouse(c).update(notifyAtPercent=[10, 20, 30, 40, 50, 60])
    )
    assert "warehouses.API_WH.notifyAtPercent" in message
    assert "6 notify thresholds; a resource monitor takes at most 5 NOTIFY actions" in message


def _policies(config: dict[str, Any]) -> dict[str, Any]:
    return config["snowflake"].setdefault("networkPolicies", {})


@pytest.mark.parametrize(
    ("stack", "key", "entry", "why"),
    [
        (
            "prod",
            "api",
            "203.0.113.0/28",
            "203.0.113.0/28 is in the RFC 5737 documentation range 203.0.113.0/24 (TEST-NET-3), "
            "which never appears on the Internet: it is a placeholder, and a policy of placeholders "
            "locks the user out",
        ),
        (
            "staging",
            "estuaryLoader",
            "10.20.0.0/16",
            "10.20.0.0/16 is a private (RFC 1918) range that Snowflake never sees as a source; "
            "with AWS PrivateLink / Azure Private Link / GCP Private Service Connect set "
            "networkPolicies.privateConnectivity: true",
        ),
        (
            "staging",
            "api",
            "100.64.0.0/10",
            "100.64.0.0/10 is a non-routable (IANA special-purpose) range that Snowflake never "
            "sees as a source",
        ),
        ("prod", "api", "0.0.0.0/0", "0.0.0.0/0 allows every address, which is no policy at all"),
    ],
)
def test_staging_and_prod_refuse_ranges_no_real_client_has(
    stack: str, key: str, entry: str, why: str
) -> None:
    """Review F1/F2: a placeholder range passed every check and would have locked users out."""
    message = _reject(stack, lambda c: _policies(c).update({key: ["34.121.207.128/32", entry]}))
    assert (
        f'  - sophia-infra:snowflake.networkPolicies.{key} = ["34.121.207.128/32", "{entry}"]: '
        f"{why}; allowed in {stack}: the public egress ranges that really connect "
        "(documentation, private and 0.0.0.0/0 ranges are refused)\n"
    ) in message + "\n"


def test_private_ranges_pass_where_the_stack_says_it_uses_private_connectivity() -> None:
    config = stack_config("staging")
    _policies(config).update(api=["10.20.0.0/16"], privateConnectivity=True)
    synthesize("staging", overrides=config)


def test_dev_may_try_any_range() -> None:
    config = stack_config("dev")
    _policies(config).update(api=["203.0.113.0/28"])
    synthesize("dev", overrides=config)


def test_fencing_the_deploy_user_needs_a_break_glass_admin() -> None:
    message = _reject("dev", lambda c: _policies(c).update(deployUser=["34.121.207.128/32"]))
    assert (
        "  - sophia-infra:snowflake.breakGlassAdmin = null: networkPolicies.deployUser fences the "
        "user every stack deploys as; a wrong range locks every stack out, so it is refused unless "
        "a break-glass admin outside the policy is named; allowed: the user "
        "`python -m jobs.bootstrap` creates for it"
    ) in message


def test_the_break_glass_admin_is_not_the_deploy_user() -> None:
    message = _reject("dev", lambda c: c["snowflake"].update(breakGlassAdmin="PULUMI_DEPLOY_SVC"))
    assert (
        "  - sophia-infra:snowflake.breakGlassAdmin = 'PULUMI_DEPLOY_SVC': the break-glass admin "
        "must be another user than deployUser"
    ) in message


def test_an_unfinished_prod_stack_still_synthesizes() -> None:
    """Missing prod items are a checklist (components/settings/snowflake_readiness.py) and a gate
    that refuses the real preview, not a settings error: the offline synth shows the stack."""
    config = stack_config("prod")
    assert "monitorNotifyUsers" not in config["snowflake"]
    assert "api" not in config["snowflake"]["networkPolicies"]
    synthesize("prod", overrides=config)


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "not-an-ip", "2001:db8::/32"])
def test_network_policy_entries_are_ipv4_ranges(entry: str) -> None:
    message = _reject("dev", lambda c: c["snowflake"]["networkPolicies"].update(api=[entry]))
    assert "sophia-infra:snowflake.networkPolicies.api" in message
    assert repr(entry) in message


def test_refresh_that_would_trip_the_monitor_is_refused() -> None:
    # Row 9: the old prod numbers (MEDIUM, 120 s auto-suspend, 1-minute lag, 400 cr quota).
    def old_prod(config: dict[str, Any]) -> None:
        _warehouse(config, "CORTEX_COMPUTE_WH").update(
            size="MEDIUM", autoSuspendSeconds=120, creditQuota=400
        )

    message = _reject("prod", old_prod)
    assert (
        "sophia-infra:cortex.searchTargetLag = '1 minute': refreshes on CORTEX_COMPUTE_WH"
        in message
    )
    assert "can spend 2920 credits a month, more than its monitor lets through" in message
    assert "(400 x 100% = 400)" in message
    assert "a lag of at least 1314 seconds, or a creditQuota of at least 2920" in message


def test_refresh_arithmetic() -> None:
    # (60 s billed + 60 s auto-suspend) / 3600 s x 730 h x 1 cr/h
    assert refresh_credits_per_month("1 hour", "XSMALL", 60) == pytest.approx(24.333, abs=0.001)
    assert refresh_credits_per_month("1 minute", "MEDIUM", 120) == 2920
    assert refresh_credits_per_month("1 minute", "XSMALL", 60) == 730


def test_refresh_rule_uses_the_cost_views_assumptions() -> None:
    """The settings rule and the cost view price the same worst case (jobs/prices)."""
    import yaml

    from components.settings import cortex
    from jobs.harness import REPO_ROOT

    book = yaml.safe_load((REPO_ROOT / "jobs/prices/price_book.yaml").read_text())
    search = book["snowflake"]["cortex_search"]
    billed = max(search["assumed_refresh_seconds"], search["minimum_billed_seconds"])
    assert billed == cortex.REFRESH_BILLED_SECONDS
    assert book["hours_per_month"] == cortex.HOURS_PER_MONTH

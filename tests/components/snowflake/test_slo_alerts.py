"""The Cortex Search freshness alert: its condition is a real Snowflake query (sqlglot's Snowflake
dialect, pinned in requirements-dev.txt), its warehouse, owner and only grant."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from components.snowflake.slo_alerts import freshness_condition

STACKS = ("dev", "staging", "prod")


def _alert(synthesis):
    [alert] = synthesis.by_type("snowflake:index/alert:Alert")
    return alert


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_condition_parses_as_a_snowflake_select(synthesized, stack):
    condition = _alert(synthesized(stack)).inputs["condition"]
    parsed = sqlglot.parse_one(condition, dialect="snowflake")
    # A fallback to an opaque Command would mean sqlglot did not understand the query.
    assert isinstance(parsed, exp.Select), type(parsed).__name__
    table = parsed.find(exp.Table)
    assert table is not None and table.name.upper() == "CORTEX_SEARCH_SERVICES"
    assert table.db.upper() == "INFORMATION_SCHEMA"


def test_the_condition_allows_factor_times_each_services_lag():
    condition = freshness_condition(
        "SOPHIA_AI", "CORTEX_VECTORS", {"SOPHIA_SEARCH": "1 minute", "DOCS": "2 hours"}, 2
    )
    parsed = sqlglot.parse_one(condition, dialect="snowflake")
    limits = sorted(
        int(node.expression.this)
        for node in parsed.find_all(exp.GT)
        if isinstance(node.this, exp.DateDiff)
    )
    assert limits == [120, 14400]  # 2 x 60 s, 2 x 7200 s
    assert "INDEXING_ERROR IS NOT NULL" in condition
    assert "SERVING_STATE <> 'RUNNING'" in condition


def test_prod_alert_runs_on_the_search_warehouse_and_owns_only_execute_alert(synthesized):
    synthesis = synthesized("prod")
    alert = _alert(synthesis)
    assert alert.inputs["warehouse"].startswith("CORTEX_COMPUTE_WH")
    assert alert.inputs["alertSchedule"] == {"interval": 5}
    assert alert.inputs["enabled"] is True
    assert alert.provider == "snowflake-sysadmin"
    grants = [
        r
        for r in synthesis.by_type(
            "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
        )
        if "slo" in r.name
    ]
    assert [
        (g.inputs["accountRoleName"], g.inputs["privileges"], g.inputs["onAccount"]) for g in grants
    ] == [("SYSADMIN", ["EXECUTE ALERT"], True)]
    assert grants[0].provider == "snowflake-monitor-admin"  # ACCOUNTADMIN grants it


def test_no_other_grant_resource_manages_execute_alert(synthesized):
    synthesis = synthesized("prod")
    holders = [
        r.name
        for r in synthesis.by_type(
            "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
        )
        if "EXECUTE ALERT" in (r.inputs.get("privileges") or [])
    ]
    assert holders == ["slo-search-freshness-execute-alert"]

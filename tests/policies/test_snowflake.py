"""Snowflake rules: a violating and a compliant resource for each."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.sophia_policies import snowflake as sf
from tests.policies.support import check, check_stack, resource

COVERED = {
    "snowflake-warehouse-auto-suspend",
    "snowflake-warehouse-auto-resume",
    "snowflake-warehouse-initially-suspended",
    "snowflake-warehouse-resource-monitor",
    "snowflake-warehouse-max-size",
    "snowflake-data-retention",
    "snowflake-data-protected",
    "snowflake-no-admin-role-grants",
    "snowflake-no-account-level-privileges",
    "snowflake-one-owner-per-privilege",
    "snowflake-service-user-key-pair",
    "snowflake-cortex-search-target-lag",
}

WAREHOUSE: dict[str, Any] = {
    "autoResume": "true",
    "autoSuspend": 120,
    "initiallySuspended": True,
    "name": "API_WH",
    "resourceMonitor": "API_WH_MONITOR",
    "warehouseSize": "MEDIUM",
    "warehouseType": "STANDARD",
}


def warehouse(**changes: Any) -> dict[str, Any]:
    props = copy.deepcopy(WAREHOUSE)
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


@pytest.mark.parametrize(
    "name",
    [
        "snowflake-warehouse-auto-suspend",
        "snowflake-warehouse-auto-resume",
        "snowflake-warehouse-initially-suspended",
        "snowflake-warehouse-resource-monitor",
        "snowflake-warehouse-max-size",
    ],
)
def test_a_compliant_warehouse_passes_every_warehouse_rule(name: str) -> None:
    assert check(name, sf.WAREHOUSE, WAREHOUSE) == []


def test_auto_suspend_above_the_bound_fires() -> None:
    assert check(
        "snowflake-warehouse-auto-suspend",
        sf.WAREHOUSE,
        warehouse(autoSuspend=7200),
        {"maxAutoSuspendSeconds": 600},
    ) == [
        "warehouse API_WH auto-suspends after 7200s; this stack allows at most 600s "
        "(maxAutoSuspendSeconds) so idle compute stops billing"
    ]


def test_auto_suspend_zero_means_never() -> None:
    assert check("snowflake-warehouse-auto-suspend", sf.WAREHOUSE, warehouse(autoSuspend=0)) == [
        "warehouse API_WH never auto-suspends (autoSuspend 0); set autoSuspend to 60..600 seconds so idle compute stops billing"
    ]


def test_auto_suspend_uses_the_schema_default_without_config() -> None:
    assert check("snowflake-warehouse-auto-suspend", sf.WAREHOUSE, warehouse(autoSuspend=600)) == []
    assert (
        len(check("snowflake-warehouse-auto-suspend", sf.WAREHOUSE, warehouse(autoSuspend=601)))
        == 1
    )


def test_auto_resume_off_fires() -> None:
    assert check(
        "snowflake-warehouse-auto-resume", sf.WAREHOUSE, warehouse(autoResume="false")
    ) == [
        "warehouse API_WH does not auto-resume (autoResume 'false'); set it to true so a suspended warehouse serves queries instead of failing them"
    ]


def test_auto_resume_accepts_a_real_boolean() -> None:
    assert check("snowflake-warehouse-auto-resume", sf.WAREHOUSE, warehouse(autoResume=True)) == []


def test_created_running_fires() -> None:
    assert check(
        "snowflake-warehouse-initially-suspended", sf.WAREHOUSE, warehouse(initiallySuspended=None)
    ) == [
        "warehouse API_WH is created running (initiallySuspended null); set initiallySuspended to true so creating it does not start billing"
    ]


def test_missing_resource_monitor_fires() -> None:
    assert check(
        "snowflake-warehouse-resource-monitor", sf.WAREHOUSE, warehouse(resourceMonitor=None)
    ) == [
        "warehouse API_WH has no resource monitor; attach one (resourceMonitor) so its credit quota suspends it"
    ]


def test_size_above_the_stack_maximum_fires() -> None:
    assert check(
        "snowflake-warehouse-max-size",
        sf.WAREHOUSE,
        warehouse(warehouseSize="X-LARGE"),
        {"maxWarehouseSize": "LARGE"},
    ) == ["warehouse API_WH is XLARGE; this stack allows at most LARGE (maxWarehouseSize)"]


@pytest.mark.parametrize(
    ("size", "canonical"),
    [
        ("X-Small", "XSMALL"),
        ("2X-LARGE", "XXLARGE"),
        ("xxxlarge", "XXXLARGE"),
        ("4X-Large", "X4LARGE"),
    ],
)
def test_size_names_snowflake_accepts_are_normalised(size: str, canonical: str) -> None:
    assert sf.normalize_size(size) == canonical


def test_size_within_the_maximum_passes() -> None:
    assert (
        check(
            "snowflake-warehouse-max-size",
            sf.WAREHOUSE,
            warehouse(warehouseSize="SMALL"),
            {"maxWarehouseSize": "SMALL"},
        )
        == []
    )


# --- retention and protection ---------------------------------------------------------------------


def test_prod_retention_of_one_day_fires() -> None:
    assert check(
        "snowflake-data-retention",
        sf.DATABASE,
        {"name": "SOPHIA_AI", "dataRetentionTimeInDays": 1},
        {"minRetentionDays": 7},
    ) == [
        "database SOPHIA_AI keeps 1 day(s) of time travel; this stack needs at least 7 (minRetentionDays)"
    ]


def test_a_schema_that_lowers_retention_fires_and_one_that_inherits_passes() -> None:
    config = {"minRetentionDays": 7}
    assert check(
        "snowflake-data-retention",
        sf.SCHEMA,
        {"name": "RAW", "database": "SOPHIA_AI", "dataRetentionTimeInDays": 0},
        config,
    ) == [
        "schema RAW keeps 0 day(s) of time travel; this stack needs at least 7 (minRetentionDays)"
    ]
    assert check("snowflake-data-retention", sf.SCHEMA, {"name": "RAW"}, config) == []


def test_a_database_without_retention_fires_where_more_than_a_day_is_needed() -> None:
    assert check(
        "snowflake-data-retention", sf.DATABASE, {"name": "X"}, {"minRetentionDays": 7}
    ) == [
        "database X does not set dataRetentionTimeInDays (the account default is usually 1 day); this stack needs at least 7 days of time travel"
    ]


def test_retention_at_the_minimum_passes() -> None:
    assert (
        check(
            "snowflake-data-retention",
            sf.DATABASE,
            {"name": "SOPHIA_AI", "dataRetentionTimeInDays": 7},
            {"minRetentionDays": 7},
        )
        == []
    )


def test_unprotected_prod_data_fires_on_the_resource() -> None:
    table = resource(sf.TABLE, {"name": "EMBEDDINGS"}, "sophia-table-embeddings")
    database = resource(sf.DATABASE, {"name": "SOPHIA_AI"}, "sophia-database", protect=True)
    warehouse_ = resource(sf.WAREHOUSE, WAREHOUSE, "api-wh")
    assert check_stack(
        "snowflake-data-protected", [table, database, warehouse_], {"requireProtect": True}
    ) == [
        (
            "table sophia-table-embeddings is not protected; data objects in this stack need `protect=True` so `pulumi destroy` or a replace cannot drop them",
            table.urn,
        )
    ]


def test_protection_is_not_required_where_the_stack_says_so() -> None:
    table = resource(sf.TABLE, {"name": "EMBEDDINGS"})
    assert check_stack("snowflake-data-protected", [table], {"requireProtect": False}) == []


def test_protected_data_passes() -> None:
    table = resource(sf.TABLE, {"name": "EMBEDDINGS"}, protect=True)
    assert check_stack("snowflake-data-protected", [table], {"requireProtect": True}) == []


# --- privileges -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["ACCOUNTADMIN", "SECURITYADMIN", "ORGADMIN", '"accountadmin"'])
def test_granting_an_admin_role_fires(role: str) -> None:
    messages = check(
        "snowflake-no-admin-role-grants",
        sf.GRANT_ACCOUNT_ROLE,
        {"roleName": role, "parentRoleName": "SOPHIA_API"},
    )
    assert messages == [
        f"grants {role.strip(chr(34)).upper()} to SOPHIA_API; the program must never hand out ACCOUNTADMIN, ORGADMIN, SECURITYADMIN (grant a least-privileged custom role instead)"
    ]


def test_granting_an_admin_role_to_a_user_names_the_user() -> None:
    assert check(
        "snowflake-no-admin-role-grants",
        sf.GRANT_ACCOUNT_ROLE,
        {"roleName": "SECURITYADMIN", "userName": "ESTUARY_LOADER_SVC"},
    )[0].startswith("grants SECURITYADMIN to ESTUARY_LOADER_SVC;")


def test_granting_a_custom_role_to_sysadmin_passes() -> None:
    assert (
        check(
            "snowflake-no-admin-role-grants",
            sf.GRANT_ACCOUNT_ROLE,
            {"roleName": "SOPHIA_ADMIN", "parentRoleName": "SYSADMIN"},
        )
        == []
    )


def test_account_level_privileges_fire() -> None:
    assert check(
        "snowflake-no-account-level-privileges",
        sf.GRANT_PRIVILEGES,
        {"accountRoleName": "SOPHIA_API", "onAccount": True, "privileges": ["MANAGE GRANTS"]},
    ) == [
        "grants account-level privilege(s) MANAGE GRANTS to SOPHIA_API; service roles get privileges on objects, not on the account (allowedAccountPrivileges: none)"
    ]


def test_all_privileges_on_the_account_fire() -> None:
    assert check(
        "snowflake-no-account-level-privileges",
        sf.GRANT_PRIVILEGES,
        {"accountRoleName": "SOPHIA_API", "onAccount": True, "allPrivileges": True},
    ) == ["grants ALL PRIVILEGES on the account to SOPHIA_API"]


def test_an_allowed_account_privilege_passes() -> None:
    assert (
        check(
            "snowflake-no-account-level-privileges",
            sf.GRANT_PRIVILEGES,
            {"accountRoleName": "SOPHIA_ADMIN", "onAccount": True, "privileges": ["MONITOR USAGE"]},
            {"allowedAccountPrivileges": ["MONITOR USAGE"]},
        )
        == []
    )


def test_ownership_of_a_role_fires() -> None:
    assert check(
        "snowflake-no-account-level-privileges",
        sf.GRANT_OWNERSHIP,
        {
            "accountRoleName": "SOPHIA_API",
            "on": {"objectType": "ROLE", "objectName": "SOPHIA_ADMIN"},
        },
    ) == [
        "grants ownership of ROLE SOPHIA_ADMIN to SOPHIA_API; ownership of INTEGRATION, NETWORK POLICY, ROLE, USER objects is account administration, not a service role's job"
    ]


def test_object_grants_and_ownership_of_a_schema_pass() -> None:
    assert (
        check(
            "snowflake-no-account-level-privileges",
            sf.GRANT_PRIVILEGES,
            {
                "accountRoleName": "SOPHIA_API",
                "onAccountObject": {"objectName": "API_WH", "objectType": "WAREHOUSE"},
                "privileges": ["USAGE"],
            },
        )
        == []
    )
    assert (
        check(
            "snowflake-no-account-level-privileges",
            sf.GRANT_OWNERSHIP,
            {
                "accountRoleName": "SOPHIA_ADMIN",
                "on": {"objectType": "SCHEMA", "objectName": "X.Y"},
            },
        )
        == []
    )


# --- users and Cortex -------------------------------------------------------------------------------


def test_a_service_user_with_a_password_and_no_key_fires_twice() -> None:
    assert check(
        "snowflake-service-user-key-pair",
        sf.LEGACY_SERVICE_USER,
        {"name": "ESTUARY_LOADER_SVC", "password": "hunter2-fake"},
    ) == [
        "service user ESTUARY_LOADER_SVC has no RSA public key (rsaPublicKey); service users authenticate with key pairs",
        "service user ESTUARY_LOADER_SVC sets a password; service users authenticate with key pairs only (remove password)",
    ]


def test_a_key_pair_service_user_passes() -> None:
    assert (
        check(
            "snowflake-service-user-key-pair",
            sf.SERVICE_USER,
            {
                "name": "SOPHIA_API_SVC",
                "rsaPublicKey": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAfake",
            },
        )
        == []
    )


def test_a_target_lag_below_the_floor_fires() -> None:
    assert check(
        "snowflake-cortex-search-target-lag",
        sf.CORTEX_SEARCH,
        {"name": "SOPHIA_SEARCH", "targetLag": "30 seconds"},
        {"minTargetLagSeconds": 60},
    ) == [
        "Cortex Search service SOPHIA_SEARCH refreshes every '30 seconds' (30s); this stack's floor is 60s (minTargetLagSeconds): a shorter lag keeps the warehouse busy"
    ]


def test_an_unreadable_target_lag_fires() -> None:
    assert check(
        "snowflake-cortex-search-target-lag",
        sf.CORTEX_SEARCH,
        {"name": "SOPHIA_SEARCH", "targetLag": "soon"},
    ) == [
        "Cortex Search service SOPHIA_SEARCH has target lag 'soon'; use '<n> seconds|minutes|hours|days'"
    ]


@pytest.mark.parametrize(
    ("lag", "seconds"), [("1 minute", 60), ("10 minutes", 600), ("1 hour", 3600)]
)
def test_target_lags_at_or_above_the_floor_pass(lag: str, seconds: int) -> None:
    assert sf.target_lag_seconds(lag) == seconds
    assert (
        check(
            "snowflake-cortex-search-target-lag",
            sf.CORTEX_SEARCH,
            {"name": "S", "targetLag": lag},
            {"minTargetLagSeconds": 60},
        )
        == []
    )


# --- one owner per privilege (review F5) ----------------------------------------------------------


def _table_grant(role: str, privileges: list[str], table: str) -> dict[str, Any]:
    return {
        "accountRoleName": role,
        "privileges": privileges,
        "onSchemaObject": {"objectType": "TABLE", "objectName": table},
    }


def _all_tables(role: str, privileges: list[str], **container: str) -> dict[str, Any]:
    return {
        "accountRoleName": role,
        "privileges": privileges,
        "onSchemaObject": {"all": {"objectTypePlural": "TABLES", **container}},
    }


def test_an_explicit_table_grant_beside_the_all_grant_of_its_schema_fires() -> None:
    explicit = resource(
        sf.GRANT_PRIVILEGES,
        _table_grant("SOPHIA_API", ["SELECT"], '"SOPHIA_AI"."CORTEX_VECTORS"."EMBEDDINGS"'),
        "access-api-table-cortex-vectors-embeddings",
    )
    bulk = resource(
        sf.GRANT_PRIVILEGES,
        _all_tables("SOPHIA_API", ["SELECT"], inSchema='"SOPHIA_AI"."CORTEX_VECTORS"'),
        "access-api-all-tables-cortex-vectors",
    )
    assert check_stack("snowflake-one-owner-per-privilege", [bulk, explicit]) == [
        (
            "SELECT on TABLE SOPHIA_AI.CORTEX_VECTORS.EMBEDDINGS to SOPHIA_API is also granted by access-api-all-tables-cortex-vectors (ALL TABLES IN SCHEMA SOPHIA_AI.CORTEX_VECTORS): two resources manage one grant, and the provider deletes by REVOKE and never reads ALL grants back, so removing, replacing or renaming either revokes what the other declares; grant it once",
            explicit.urn,
        )
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # the same grant twice, ALL PRIVILEGES against one privilege
        (
            {
                "accountRoleName": "R",
                "privileges": ["USAGE"],
                "onAccountObject": {"objectType": "WAREHOUSE", "objectName": "API_WH"},
            },
            {
                "accountRoleName": "R",
                "allPrivileges": True,
                "onAccountObject": {"objectType": "WAREHOUSE", "objectName": "API_WH"},
            },
        ),
        # ALL in a schema inside ALL in its database
        (
            _all_tables("R", ["SELECT"], inSchema='"DB"."S"'),
            _all_tables("R", ["SELECT", "INSERT"], inDatabase="DB"),
        ),
        # an explicit table inside ALL in its database
        (
            _table_grant("R", ["SELECT"], '"DB"."S"."T"'),
            _all_tables("R", ["SELECT"], inDatabase="DB"),
        ),
    ],
)
def test_every_kind_of_double_management_fires(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    found = check_stack(
        "snowflake-one-owner-per-privilege",
        [resource(sf.GRANT_PRIVILEGES, first, "a"), resource(sf.GRANT_PRIVILEGES, second, "b")],
    )
    assert len(found) == 1


def test_a_role_granted_twice_and_two_ownership_transfers_fire() -> None:
    role = {"roleName": "SOPHIA_API", "parentRoleName": "SOPHIA_ADMIN"}
    owner = {
        "accountRoleName": "SOPHIA_ADMIN",
        "on": {"objectType": "SCHEMA", "objectName": '"DB"."S"'},
    }
    found = check_stack(
        "snowflake-one-owner-per-privilege",
        [
            resource(sf.GRANT_ACCOUNT_ROLE, role, "a"),
            resource(sf.GRANT_ACCOUNT_ROLE, role, "b"),
            resource(sf.GRANT_OWNERSHIP, owner, "c"),
            resource(sf.GRANT_OWNERSHIP, owner, "d"),
        ],
    )
    assert [urn.rsplit("::", 1)[-1] for _, urn in found] == ["b", "d"]


def test_disjoint_grants_and_the_future_all_pair_pass() -> None:
    schema = '"SOPHIA_AI"."CORTEX_VECTORS"'
    future = _all_tables("SOPHIA_API", ["SELECT"], inSchema=schema)
    future["onSchemaObject"] = {"future": future["onSchemaObject"]["all"]}
    grants = [
        resource(
            sf.GRANT_PRIVILEGES, _all_tables("SOPHIA_API", ["SELECT"], inSchema=schema), "all"
        ),
        resource(sf.GRANT_PRIVILEGES, future, "future"),
        # another role, another privilege, another schema: none is the same grant
        resource(
            sf.GRANT_PRIVILEGES, _table_grant("SOPHIA_ANALYST", ["SELECT"], f'{schema}."E"'), "x"
        ),
        resource(sf.GRANT_PRIVILEGES, _table_grant("SOPHIA_API", ["INSERT"], f'{schema}."E"'), "y"),
        resource(
            sf.GRANT_PRIVILEGES,
            _table_grant("SOPHIA_API", ["SELECT"], '"SOPHIA_AI"."PUBLIC"."S"'),
            "z",
        ),
    ]
    assert check_stack("snowflake-one-owner-per-privilege", grants) == []

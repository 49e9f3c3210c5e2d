"""The Snowflake model each stack declares: names, columns, sizes, monitors, grants, protection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.settings.tables import EMBEDDINGS, USER_SESSIONS
from jobs.harness import SECRET_MARK, DeclaredResource, Synthesis
from tests.conftest import STACKS

Synth = Callable[[str], Synthesis]
DATABASE = "snowflake:index/database:Database"
SCHEMA = "snowflake:index/schema:Schema"
TABLE = "snowflake:index/table:Table"
WAREHOUSE = "snowflake:index/warehouse:Warehouse"
MONITOR = "snowflake:index/resourceMonitor:ResourceMonitor"
ROLE = "snowflake:index/accountRole:AccountRole"
PRIVILEGES = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
ROLE_GRANT = "snowflake:index/grantAccountRole:GrantAccountRole"
USER = "snowflake:index/serviceUser:ServiceUser"
PROVIDER = "pulumi:providers:snowflake"
NETWORK_POLICY = "snowflake:index/networkPolicy:NetworkPolicy"
SUFFIX = {"dev": "_DEV", "staging": "_STAGING", "prod": ""}


def _names(synthesis: Synthesis, type_: str) -> set[str]:
    return {r.inputs["name"] for r in synthesis.by_type(type_)}


@pytest.mark.parametrize("stack", STACKS)
def test_database_and_schemas_are_named_per_stack(stack: str, synthesized: Synth) -> None:
    synthesis = synthesized(stack)
    suffix = SUFFIX[stack]
    assert _names(synthesis, DATABASE) == {f"SOPHIA_AI{suffix}"}
    assert _names(synthesis, SCHEMA) == {"ESTUARY_REALTIME", "CORTEX_VECTORS", "BUSINESS_ENRICHED"}
    for schema in synthesis.by_type(SCHEMA):
        assert schema.inputs["database"] == f"SOPHIA_AI{suffix}"


def test_stacks_sharing_an_account_never_collide(synthesized: Synth) -> None:
    account_level = (DATABASE, WAREHOUSE, MONITOR, ROLE, USER)
    seen: dict[str, str] = {}
    for stack in STACKS:
        for type_ in account_level:
            for name in _names(synthesized(stack), type_):
                assert name not in seen, f"{name} is declared by both {seen[name]} and {stack}"
                seen[name] = stack


@pytest.mark.parametrize("stack", STACKS)
def test_tables_have_the_plan_columns(stack: str, synthesized: Synth) -> None:
    tables = {r.inputs["name"]: r for r in synthesized(stack).by_type(TABLE)}
    sessions, embeddings = tables["USER_SESSIONS"], tables["EMBEDDINGS"]
    assert sessions.inputs["schema"] == "PUBLIC"
    assert [(c["name"], c["type"]) for c in sessions.inputs["columns"]] == [
        ("SESSION_ID", "VARCHAR(255)"),
        ("USER_ID", "VARCHAR(255)"),
        ("CREATED_AT", "TIMESTAMP_NTZ"),
        ("LAST_ACTIVITY", "TIMESTAMP_NTZ"),
        ("SESSION_DATA", "VARIANT"),
        ("TTL_SECONDS", "NUMBER(38,0)"),
    ]
    defaults = {c["name"]: c.get("default") for c in sessions.inputs["columns"]}
    assert (
        defaults["CREATED_AT"] == defaults["LAST_ACTIVITY"] == {"expression": "CURRENT_TIMESTAMP()"}
    )
    # Row 24: the provider reads 3600 back as a constant (table.go toColumnDefaultConfig).
    assert defaults["TTL_SECONDS"] == {"constant": "3600"}
    # Row 21: Table.primary_key is deprecated and never created by the provider; not declared.
    assert "primaryKey" not in sessions.inputs

    assert embeddings.inputs["schema"] == "CORTEX_VECTORS"
    columns = {c["name"]: c["type"] for c in embeddings.inputs["columns"]}
    assert columns == {
        "ID": "VARCHAR(255)",
        "SOURCE_TYPE": "VARCHAR(100)",
        "SOURCE_ID": "VARCHAR(255)",
        "CONTENT": "VARCHAR(16777216)",
        "EMBEDDING": "VECTOR(FLOAT, 1536)",
        "METADATA": "VARIANT",
        "CREATED_AT": "TIMESTAMP_NTZ",
    }
    assert "primaryKey" not in embeddings.inputs
    assert embeddings.inputs["changeTracking"] is True, "Cortex Search needs change tracking"
    assert sessions.inputs["changeTracking"] is False


def test_table_definitions_are_the_single_source() -> None:
    assert USER_SESSIONS.column("SESSION_ID").nullable is False
    assert EMBEDDINGS.column_names[0] == "ID"
    with pytest.raises(KeyError, match="has no column 'BODY'"):
        EMBEDDINGS.column("BODY")


@pytest.mark.parametrize(
    ("stack", "sizes"),
    [
        ("dev", {"CORTEX_COMPUTE_WH": "XSMALL", "ESTUARY_LOAD_WH": "XSMALL", "API_WH": "XSMALL"}),
        ("staging", {"CORTEX_COMPUTE_WH": "SMALL", "ESTUARY_LOAD_WH": "XSMALL", "API_WH": "SMALL"}),
        ("prod", {"CORTEX_COMPUTE_WH": "XSMALL", "ESTUARY_LOAD_WH": "SMALL", "API_WH": "MEDIUM"}),
    ],
)
def test_warehouses_sizes_and_monitors(
    stack: str, sizes: dict[str, str], synthesized: Synth
) -> None:
    synthesis = synthesized(stack)
    suffix = SUFFIX[stack]
    warehouses = {r.inputs["name"]: r for r in synthesis.by_type(WAREHOUSE)}
    monitors = {r.inputs["name"]: r for r in synthesis.by_type(MONITOR)}
    assert set(warehouses) == {f"{base}{suffix}" for base in sizes}
    for base, size in sizes.items():
        warehouse = warehouses[f"{base}{suffix}"].inputs
        assert warehouse["warehouseSize"] == size
        assert warehouse["autoSuspend"] >= 60
        assert warehouse["autoResume"] == "true"
        assert warehouse["initiallySuspended"] is True
        monitor = monitors[warehouse["resourceMonitor"]].inputs
        assert monitor["creditQuota"] > 0
        assert monitor["notifyTriggers"] == [75, 90]
        assert monitor["suspendTrigger"] == 100
        assert monitor["suspendImmediateTrigger"] == 110


def _provider_roles(synthesis: Synthesis) -> dict[str, str]:
    return {p.name: p.inputs["role"] for p in synthesis.by_type(PROVIDER)}


@pytest.mark.parametrize("stack", STACKS)
def test_each_resource_uses_the_least_privileged_provider(stack: str, synthesized: Synth) -> None:
    synthesis = synthesized(stack)
    roles = _provider_roles(synthesis)
    assert roles == {
        "snowflake-sysadmin": "SYSADMIN",
        "snowflake-securityadmin": "SECURITYADMIN",
        "snowflake-monitor-admin": "ACCOUNTADMIN",
    }
    expected = {
        DATABASE: "SYSADMIN",
        SCHEMA: "SYSADMIN",
        TABLE: "SYSADMIN",
        # Row 3: assigning a resource monitor needs ACCOUNTADMIN, and it happens in CREATE.
        WAREHOUSE: "ACCOUNTADMIN",
        MONITOR: "ACCOUNTADMIN",
        ROLE: "SECURITYADMIN",
        PRIVILEGES: "SECURITYADMIN",
        ROLE_GRANT: "SECURITYADMIN",
        # CREATE USER ... NETWORK_POLICY needs the policy's owner, SECURITYADMIN (service_user.py).
        USER: "SECURITYADMIN",
        NETWORK_POLICY: "SECURITYADMIN",
        "snowflake:index/grantDatabaseRole:GrantDatabaseRole": "ACCOUNTADMIN",
    }
    # Only ACCOUNTADMIN may grant EXECUTE ALERT (docs.snowflake.com user-guide/alerts;
    # docs/snowflake.md B42): the SLO alert's one grant.
    by_accountadmin = {"slo-search-freshness-execute-alert"}
    for type_, role in expected.items():
        for resource in synthesis.by_type(type_):
            want = "ACCOUNTADMIN" if resource.name in by_accountadmin else role
            assert roles[resource.provider] == want, f"{resource.name} uses {resource.provider}"
    for provider in synthesis.by_type(PROVIDER):
        assert provider.inputs["authenticator"] == "SNOWFLAKE_JWT"
        assert provider.inputs["privateKey"] == SECRET_MARK
        assert "privateKey" in provider.secret_inputs
        assert "snowflake_table_resource" in provider.inputs["previewFeaturesEnabled"]


def _grants_of(synthesis: Synthesis, role: str) -> list[DeclaredResource]:
    return [g for g in synthesis.by_type(PRIVILEGES) if g.inputs["accountRoleName"] == role]


def test_roles_and_hierarchy(synthesized: Synth) -> None:
    prod = synthesized("prod")
    assert _names(prod, ROLE) == {"SOPHIA_ADMIN", "SOPHIA_LOADER", "SOPHIA_API", "SOPHIA_ANALYST"}
    hierarchy = {
        (g.inputs["roleName"], g.inputs.get("parentRoleName"))
        for g in prod.by_type(ROLE_GRANT)
        if g.inputs.get("parentRoleName")
    }
    assert hierarchy == {
        ("SOPHIA_ADMIN", "SYSADMIN"),
        ("SOPHIA_LOADER", "SOPHIA_ADMIN"),
        ("SOPHIA_API", "SOPHIA_ADMIN"),
        ("SOPHIA_ANALYST", "SOPHIA_ADMIN"),
    }
    owned = {
        g.inputs["on"]["objectName"]
        for g in prod.by_type("snowflake:index/grantOwnership:GrantOwnership")
    }
    assert "SOPHIA_AI" in owned and '"SOPHIA_AI"."CORTEX_VECTORS"' in owned and "API_WH" in owned


def test_loader_writes_only_estuary_realtime(synthesized: Synth) -> None:
    grants = _grants_of(synthesized("prod"), "SOPHIA_LOADER")
    write_privileges = {
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "CREATE TABLE",
        "CREATE STAGE",
        "CREATE PIPE",
    }
    for grant in grants:
        target = grant.inputs.get("onSchema") or grant.inputs.get("onSchemaObject") or {}
        if write_privileges & set(grant.inputs["privileges"]):
            where = (
                target.get("schemaName")
                or target.get("future", {}).get("inSchema")
                or target.get("all", {}).get("inSchema")
            )
            assert where == '"SOPHIA_AI"."ESTUARY_REALTIME"', grant.name
    warehouses = {
        g.inputs["onAccountObject"]["objectName"]
        for g in grants
        if g.inputs.get("onAccountObject", {}).get("objectType") == "WAREHOUSE"
    }
    assert warehouses == {"ESTUARY_LOAD_WH"}


def test_api_reads_data_and_writes_sessions_only(synthesized: Synth) -> None:
    grants = _grants_of(synthesized("prod"), "SOPHIA_API")
    writes = [g for g in grants if {"INSERT", "UPDATE", "DELETE"} & set(g.inputs["privileges"])]
    assert [g.inputs["onSchemaObject"]["objectName"] for g in writes] == [
        '"SOPHIA_AI"."PUBLIC"."USER_SESSIONS"'
    ]
    future_reads = {
        g.inputs["onSchemaObject"]["future"]["inSchema"]
        for g in grants
        if "future" in g.inputs.get("onSchemaObject", {})
    }
    assert future_reads == {
        '"SOPHIA_AI"."ESTUARY_REALTIME"',
        '"SOPHIA_AI"."CORTEX_VECTORS"',
        '"SOPHIA_AI"."BUSINESS_ENRICHED"',
    }


def test_analyst_is_read_only(synthesized: Synth) -> None:
    grants = _grants_of(synthesized("prod"), "SOPHIA_ANALYST")
    privileges = {p for g in grants for p in g.inputs["privileges"]}
    assert privileges == {"USAGE", "SELECT"}


@pytest.mark.parametrize("stack", STACKS)
def test_no_service_role_gets_administrative_power(stack: str, synthesized: Synth) -> None:
    synthesis = synthesized(stack)
    forbidden_roles = {"ACCOUNTADMIN", "SECURITYADMIN", "ORGADMIN", "USERADMIN"}
    for grant in synthesis.by_type(ROLE_GRANT):
        assert grant.inputs["roleName"] not in forbidden_roles
    for grant in synthesis.by_type(PRIVILEGES):
        if grant.name == "slo-search-freshness-execute-alert":
            # The one account privilege: EXECUTE ALERT to the alert's owner, SYSADMIN (not a
            # service role), so the Cortex Search freshness alert can run (docs/slo.md).
            assert grant.inputs == {
                "privileges": ["EXECUTE ALERT"],
                "accountRoleName": "SYSADMIN",
                "onAccount": True,
            }
            continue
        assert "onAccount" not in grant.inputs, f"{grant.name} grants account-level privileges"
        assert "allPrivileges" not in grant.inputs
        assert "MANAGE GRANTS" not in grant.inputs["privileges"]


@pytest.mark.parametrize("stack", STACKS)
def test_service_users_use_key_pairs(stack: str, synthesized: Synth) -> None:
    synthesis = synthesized(stack)
    suffix = SUFFIX[stack]
    users = {u.inputs["name"]: u.inputs for u in synthesis.by_type(USER)}
    assert set(users) == {f"ESTUARY_LOADER_SVC{suffix}", f"SOPHIA_API_SVC{suffix}"}
    for user in users.values():
        assert user["rsaPublicKey"].startswith("MII")
        assert "password" not in user
    assert users[f"ESTUARY_LOADER_SVC{suffix}"]["defaultRole"] == f"SOPHIA_LOADER{suffix}"
    assert users[f"ESTUARY_LOADER_SVC{suffix}"]["defaultWarehouse"] == f"ESTUARY_LOAD_WH{suffix}"
    assert users[f"SOPHIA_API_SVC{suffix}"]["defaultRole"] == f"SOPHIA_API{suffix}"
    granted = {
        (g.inputs["roleName"], g.inputs.get("userName")) for g in synthesis.by_type(ROLE_GRANT)
    }
    assert (f"SOPHIA_LOADER{suffix}", f"ESTUARY_LOADER_SVC{suffix}") in granted


@pytest.mark.parametrize(
    ("stack", "protected"), [("dev", False), ("staging", False), ("prod", True)]
)
def test_data_objects_protection(stack: str, protected: bool, synthesized: Synth) -> None:
    synthesis = synthesized(stack)
    for type_ in (DATABASE, SCHEMA, TABLE):
        for resource in synthesis.by_type(type_):
            assert resource.protect is protected, resource.name
            assert resource.retain_on_delete is protected, resource.name
    if protected:
        retention = {r.inputs["dataRetentionTimeInDays"] for r in synthesis.by_type(DATABASE)}
        assert min(retention) >= 7

"""Cortex Search services: query and columns from the table definition, lag per stack, grants."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.settings import SettingsError
from components.snowflake.cortex import SOPHIA_SEARCH, search_query
from jobs.harness import Synthesis, synthesize
from tests.conftest import stack_config

Synth = Callable[[str], Synthesis]
SEARCH = "snowflake:index/cortexSearchService:CortexSearchService"
PRIVILEGES = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"


@pytest.mark.parametrize(
    ("stack", "lag"), [("dev", "1 hour"), ("staging", "30 minutes"), ("prod", "1 minute")]
)
def test_sophia_search_per_stack(stack: str, lag: str, synthesized: Synth) -> None:
    suffix = "" if stack == "prod" else f"_{stack.upper()}"
    (service,) = synthesized(stack).by_type(SEARCH)
    inputs = service.inputs
    assert inputs["name"] == "SOPHIA_SEARCH"
    assert inputs["database"] == f"SOPHIA_AI{suffix}"
    assert inputs["schema"] == "CORTEX_VECTORS"
    assert inputs["on"] == "CONTENT"
    assert inputs["attributes"] == ["SOURCE_TYPE", "SOURCE_ID"]
    assert inputs["warehouse"] == f"CORTEX_COMPUTE_WH{suffix}"
    assert inputs["targetLag"] == lag
    assert inputs["primaryKeys"] == ["ID"]
    assert inputs["query"] == (
        f"SELECT CONTENT, SOURCE_TYPE, SOURCE_ID, ID, METADATA FROM SOPHIA_AI{suffix}.CORTEX_VECTORS.EMBEDDINGS"
    )
    table_urns = [d for d in service.dependencies if "EMBEDDINGS" in d.upper() or "embeddings" in d]
    assert table_urns, "the service waits for the table it reads"


def test_query_is_derived_from_the_table_definition() -> None:
    assert search_query(SOPHIA_SEARCH, "DB") == (
        "SELECT CONTENT, SOURCE_TYPE, SOURCE_ID, ID, METADATA FROM DB.CORTEX_VECTORS.EMBEDDINGS"
    )


def test_api_role_gets_usage_on_search_and_agents_only(synthesized: Synth) -> None:
    grants = [
        g
        for g in synthesized("prod").by_type(PRIVILEGES)
        if g.inputs.get("onSchemaObject", {}).get("objectType")
        in ("AGENT", "CORTEX SEARCH SERVICE")
    ]
    assert {g.inputs["onSchemaObject"]["objectName"] for g in grants} == {
        '"SOPHIA_AI"."CORTEX_VECTORS"."SOPHIA_SEARCH"',
        '"SOPHIA_AI"."CORTEX_VECTORS"."SNOWFLAKE_OPS_AGENT"',
        '"SOPHIA_AI"."CORTEX_VECTORS"."SEMANTIC_MEMORY_AGENT"',
        '"SOPHIA_AI"."CORTEX_VECTORS"."BUSINESS_INTELLIGENCE_AGENT"',
    }
    for grant in grants:
        assert grant.inputs["accountRoleName"] == "SOPHIA_API"
        assert grant.inputs["privileges"] == ["USAGE"]


def test_additional_search_service_from_stack_config() -> None:
    config = stack_config("dev")
    config["cortex"]["additionalSearchServices"] = [
        {
            "name": "SESSION_SEARCH",
            "table": "PUBLIC.USER_SESSIONS",
            "searchColumn": "USER_ID",
            "columns": ["SESSION_ID"],
            "targetLag": "6 hours",
            "warehouse": "API_WH",
        }
    ]
    synthesis = synthesize("dev", overrides={"cortex": config["cortex"]})
    services = {s.inputs["name"]: s.inputs for s in synthesis.by_type(SEARCH)}
    assert (
        services["SESSION_SEARCH"]["query"]
        == "SELECT USER_ID, SESSION_ID FROM SOPHIA_AI_DEV.PUBLIC.USER_SESSIONS"
    )
    assert services["SESSION_SEARCH"]["targetLag"] == "6 hours"
    assert services["SESSION_SEARCH"]["warehouse"] == "API_WH_DEV"


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            {"table": "PUBLIC.NOPE", "searchColumn": "X"},
            "table 'PUBLIC.NOPE' is not in the data model; allowed: CORTEX_VECTORS.EMBEDDINGS, PUBLIC.USER_SESSIONS",
        ),
        ({"searchColumn": "BODY"}, "column 'BODY' is not in CORTEX_VECTORS.EMBEDDINGS"),
        ({"searchColumn": "EMBEDDING"}, "searchColumn 'EMBEDDING' must be a text column"),
        ({"targetLag": "30 seconds"}, "targetLag = '30 seconds': must be at least 60 seconds"),
        (
            {"targetLag": "soon"},
            "targetLag = 'soon': must be '<number> <seconds|minutes|hours|days>'",
        ),
        (
            {"warehouse": "BIG_WH"},
            "additionalSearchServices[0].warehouse = 'BIG_WH': not a declared warehouse",
        ),
        (
            {"name": "SOPHIA_SEARCH"},
            "search service names must be unique (SOPHIA_SEARCH is built in)",
        ),
    ],
)
def test_additional_search_service_is_validated(service: dict[str, str], expected: str) -> None:
    config = stack_config("dev")
    base = {"name": "EXTRA_SEARCH", "table": "CORTEX_VECTORS.EMBEDDINGS", "searchColumn": "CONTENT"}
    config["cortex"]["additionalSearchServices"] = [{**base, **service}]
    with pytest.raises(SettingsError) as raised:
        synthesize("dev", overrides={"cortex": config["cortex"]})
    assert expected in str(raised.value)
    assert "sophia-infra:cortex" in str(raised.value)


def test_prod_lag_below_a_minute_is_rejected() -> None:
    config = stack_config("prod")
    config["cortex"]["searchTargetLag"] = "10 seconds"
    with pytest.raises(
        SettingsError,
        match=r"sophia-infra:cortex.searchTargetLag = '10 seconds': must be at least 60 seconds",
    ):
        synthesize("prod", overrides={"cortex": config["cortex"]})

"""Which tables a restore may touch and what it may call the copy: names from the synth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.settings.tables import TABLES
from jobs.restore.declared import NameError_, parse_table, resolve, stack_tables, target_name

SESSIONS_URN = (
    "urn:pulumi:prod::sophia-infra::sophia:snowflake:Database$snowflake:index/table:Table::"
    "sophia-table-public-user_sessions"
)


def test_prod_declares_the_data_model_and_the_estuary_tables(
    document: Callable[[str], Any],
) -> None:
    tables = stack_tables(document("prod"))
    assert tables.database == "SOPHIA_AI"
    for definition in TABLES:
        assert f"{definition.schema}.{definition.name}" in tables.tables
    sessions = tables.tables["PUBLIC.USER_SESSIONS"]
    assert (sessions.urn, sessions.protected, sessions.retention_days) == (SESSIONS_URN, True, 14)
    assert sessions.change_tracking is False and sessions.writer is None
    assert sessions.grants == {
        ("SELECT", "SOPHIA_ANALYST"),  # FUTURE + ALL on PUBLIC
        *(
            (p, "SOPHIA_API")
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE")  # the table grant
        ),
    }
    assert sessions.connection is not None
    assert (sessions.connection.account, sessions.connection.user, sessions.connection.role) == (
        "SOPHIAAI-PLATFORM",
        "PULUMI_DEPLOY_SVC",
        "SYSADMIN",
    )
    assert sessions.connection.warehouse == "API_WH"
    assert tables.tables["CORTEX_VECTORS.EMBEDDINGS"].change_tracking is True
    commits = tables.tables["ESTUARY_REALTIME.GITHUB_COMMITS"]
    assert commits.writer == "sophia/prod/snowflake/materialize-snowflake"
    assert commits.declared_by == "materialization" and commits.protected


def test_names_carry_the_stack_suffix(document: Callable[[str], Any]) -> None:
    tables = stack_tables(document("dev"))
    sessions = resolve(tables, "public.user_sessions")
    assert sessions.qualified() == ("SOPHIA_AI_DEV", "PUBLIC", "USER_SESSIONS")
    assert sessions.protected is False
    assert sessions.connection is not None and sessions.connection.warehouse == "API_WH_DEV"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "USER_SESSIONS",
            "--table 'USER_SESSIONS': expected SCHEMA.TABLE (e.g. PUBLIC.USER_SESSIONS); the "
            "database is the stack's own",
        ),
        (
            "SOPHIA_AI.PUBLIC.USER_SESSIONS",
            "--table 'SOPHIA_AI.PUBLIC.USER_SESSIONS': expected SCHEMA.TABLE (e.g. "
            "PUBLIC.USER_SESSIONS); the database is the stack's own",
        ),
        (
            'PUBLIC."user sessions"',
            "--table name '\"user sessions\"': expected an unquoted Snowflake identifier (a letter "
            "or _, then letters, digits, _ or $; at most 255 characters)",
        ),
        (
            "PUBLIC.USER_SESSIONS;DROP",
            "--table name 'USER_SESSIONS;DROP': expected an unquoted Snowflake identifier (a "
            "letter or _, then letters, digits, _ or $; at most 255 characters)",
        ),
    ],
)
def test_table_name_shapes(text: str, message: str) -> None:
    with pytest.raises(NameError_) as err:
        parse_table(text)
    assert str(err.value) == message


def test_undeclared_tables_and_schemas_are_refused(document: Callable[[str], Any]) -> None:
    tables = stack_tables(document("prod"))
    with pytest.raises(NameError_) as err:
        resolve(tables, "PUBLIC.USERS")
    assert str(err.value).startswith(
        "--table PUBLIC.USERS: stack prod declares no such table; a restore only touches "
        "declared tables: CORTEX_VECTORS.EMBEDDINGS, ESTUARY_REALTIME.APIFY_EVENTS,"
    )
    with pytest.raises(NameError_) as err:
        resolve(tables, "SCRATCH.T")
    assert str(err.value) == (
        "--table SCRATCH.T: stack prod declares no schema SCRATCH in SOPHIA_AI (schemas: "
        "BUSINESS_ENRICHED, CORTEX_VECTORS, ESTUARY_REALTIME, PUBLIC)"
    )


def test_target_names(document: Callable[[str], Any]) -> None:
    tables = stack_tables(document("prod"))
    sessions = tables.tables["PUBLIC.USER_SESSIONS"]
    assert target_name(tables, sessions, None, "USER_SESSIONS_RESTORED_X") == (
        "USER_SESSIONS_RESTORED_X"
    )
    assert target_name(tables, sessions, "sessions_copy", "unused") == "SESSIONS_COPY"
    with pytest.raises(NameError_, match=r"^--to USER_SESSIONS: that is the table being"):
        target_name(tables, sessions, "user_sessions", "unused")
    commits = tables.tables["ESTUARY_REALTIME.GITHUB_COMMITS"]
    with pytest.raises(NameError_) as err:
        target_name(tables, commits, "GITHUB_ISSUES", "unused")
    assert str(err.value) == (
        "--to GITHUB_ISSUES: ESTUARY_REALTIME.GITHUB_ISSUES is declared by stack prod; the "
        "restored copy needs a name the program does not manage"
    )
    with pytest.raises(NameError_, match=r"^--to 'X Y': expected an unquoted"):
        target_name(tables, sessions, "X Y", "unused")

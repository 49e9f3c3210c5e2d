"""Every statement is a sqlglot AST that renders and parses back to itself; none is opaque."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from jobs.restore import sql
from jobs.restore.point import parse_at, parse_statement

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
SRC = ("SOPHIA_AI", "PUBLIC", "USER_SESSIONS")
DST = ("SOPHIA_AI", "PUBLIC", "USER_SESSIONS_RESTORED_20261201T0930Z")
AT = parse_at("2026-12-01T10:30:00+01:00", NOW)
BEFORE = parse_statement("01b2c3d4-0000-1a2b-0000-00000000abcd")

STATEMENTS = {
    "clone at": (
        sql.clone_at(DST, SRC, AT),
        "CREATE TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z CLONE "
        "SOPHIA_AI.PUBLIC.USER_SESSIONS AT (TIMESTAMP => "
        "CAST('2026-12-01T10:30:00.000000+01:00' AS TIMESTAMPTZ))",
    ),
    "clone before": (
        sql.clone_at(DST, SRC, BEFORE),
        "CREATE TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z CLONE "
        "SOPHIA_AI.PUBLIC.USER_SESSIONS BEFORE (STATEMENT => '01b2c3d4-0000-1a2b-0000-00000000abcd')",
    ),
    "count at": (
        sql.count_rows(SRC, AT),
        "SELECT COUNT(*) AS N FROM SOPHIA_AI.PUBLIC.USER_SESSIONS AT (TIMESTAMP => "
        "CAST('2026-12-01T10:30:00.000000+01:00' AS TIMESTAMPTZ))",
    ),
    "count": (
        sql.count_rows(DST),
        "SELECT COUNT(*) AS N FROM SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z",
    ),
    "swap": (
        sql.swap(SRC, DST),
        "ALTER TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS SWAP WITH "
        "SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z",
    ),
    "show": (
        sql.show_tables(*SRC),
        "SHOW TABLES LIKE 'USER_SESSIONS' IN SCHEMA SOPHIA_AI.PUBLIC",
    ),
    "show history": (
        sql.show_tables(*SRC, history=True),
        "SHOW TABLES HISTORY LIKE 'USER_SESSIONS' IN SCHEMA SOPHIA_AI.PUBLIC",
    ),
    "privileges": (
        sql.table_privileges(*DST),
        "SELECT GRANTEE, PRIVILEGE_TYPE FROM SOPHIA_AI.INFORMATION_SCHEMA.TABLE_PRIVILEGES "
        "WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = 'USER_SESSIONS_RESTORED_20261201T0930Z'",
    ),
    "grant": (
        sql.grant(["UPDATE", "SELECT"], DST, "SOPHIA_API"),
        "GRANT SELECT, UPDATE ON TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z "
        "TO ROLE SOPHIA_API",
    ),
    "change tracking": (
        sql.set_change_tracking(DST),
        "ALTER TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261201T0930Z SET CHANGE_TRACKING=TRUE",
    ),
    "query history": (
        sql.statement_started("01b2c3d4-0000-1a2b-0000-00000000abcd"),
        "SELECT START_TIME FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY WHERE QUERY_ID = "
        "'01b2c3d4-0000-1a2b-0000-00000000abcd'",
    ),
    "session": (sql.session_facts(), "SELECT CURRENT_ROLE() AS ROLE, CURRENT_TIMESTAMP() AS NOW"),
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_round_trips(name: str) -> None:
    tree, text = STATEMENTS[name]
    assert sql.render(tree) == text
    back = sqlglot.parse_one(text, read="snowflake")
    assert back == tree and not isinstance(back, exp.Command)


def test_the_clone_is_never_or_replace_nor_if_not_exists() -> None:
    tree = sql.clone_at(DST, SRC, AT)
    assert not tree.args.get("replace") and not tree.args.get("exists")
    when = tree.args["clone"].this.args["when"]
    assert (when.name, when.text("kind")) == ("AT", "TIMESTAMP")
    # TIMESTAMPTZ is Snowflake's synonym for TIMESTAMP_TZ; the literal carries its offset.
    assert when.expression.to.this == exp.DataType.Type.TIMESTAMPTZ
    assert when.expression.this.name.endswith("+01:00")


def test_an_opaque_command_is_refused() -> None:
    command = sqlglot.parse_one(
        "SHOW GRANTS ON TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS", read="snowflake"
    )
    assert isinstance(command, exp.Command)  # why grants are read from TABLE_PRIVILEGES
    with pytest.raises(sql.UnsafeStatement, match=r"^refusing an opaque Command"):
        sql.render(command)


def test_a_tree_that_renders_wrong_is_refused() -> None:
    # The brief's own mistake: a Clone without its source renders "... CLONE" with no error.
    broken = exp.Create(this=sql.table(*DST), kind="TABLE", clone=exp.Clone(this=None))
    with pytest.raises((sql.UnsafeStatement, sqlglot.errors.ParseError)):
        sql.render(broken)

"""What fakesnow still cannot do, so the stand-in (tests/fakes/snowflake_time_travel.py) must.

When one of these starts to pass in a new fakesnow, drop that rule from the stand-in and let the
restore tests run it on fakesnow itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

fakesnow = pytest.importorskip("fakesnow")


@pytest.fixture
def cursor() -> Iterator[Any]:
    import snowflake.connector
    from snowflake.connector import DictCursor

    with fakesnow.patch(create_database_on_connect=False):
        cur = snowflake.connector.connect().cursor(DictCursor)
        for text in ("CREATE DATABASE D", "CREATE SCHEMA D.S", "CREATE TABLE D.S.T (A INT)"):
            cur.execute(text)
        yield cur


@pytest.mark.parametrize(
    ("statement", "says"),
    [
        (
            "CREATE TABLE D.S.R CLONE D.S.T AT (TIMESTAMP => CAST('2026-12-01T00:00:00+00:00' AS TIMESTAMPTZ))",
            "does not support time travel",
        ),
        (
            "SELECT COUNT(*) FROM D.S.T AT (TIMESTAMP => CAST('2026-12-01T00:00:00+00:00' AS TIMESTAMPTZ))",
            "does not support time travel",
        ),
        (
            "CREATE TABLE D.S.R CLONE D.S.T BEFORE (STATEMENT => '01b2c3d4-0000-1a2b-0000-00000000abcd')",
            "Parser Error",
        ),
        ("ALTER TABLE D.S.T SWAP WITH D.S.T", "Parser Error"),
        ("ALTER TABLE D.S.T SET CHANGE_TRACKING = TRUE", "Parser Error"),
        ("SELECT GRANTEE FROM D.INFORMATION_SCHEMA.TABLE_PRIVILEGES", "does not exist"),
        ("GRANT SELECT ON TABLE D.S.T TO ROLE R", "Parser Error"),
    ],
)
def test_fakesnow_still_lacks(cursor: Any, statement: str, says: str) -> None:
    with pytest.raises(Exception, match=says):
        cursor.execute(statement)


def test_fakesnow_still_lacks_undrop(cursor: Any) -> None:
    cursor.execute("DROP TABLE D.S.T")
    with pytest.raises(ValueError, match="Unsupported expression type Undrop"):
        cursor.execute("UNDROP TABLE D.S.T")


def test_fakesnow_still_invents_created_on_retention_and_role(cursor: Any) -> None:
    cursor.execute("SHOW TABLES LIKE 'T' IN SCHEMA D.S")
    (row,) = cursor.fetchall()
    assert (row["created_on"].year, row["retention_time"]) == (1970, 1)
    cursor.execute("SELECT CURRENT_ROLE() AS R")
    assert cursor.fetchall() == [{"R": "duckdb"}]

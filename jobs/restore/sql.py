"""Every statement the restore runs, built as a sqlglot AST and checked before it is sent.

`render` turns an AST into Snowflake SQL, parses that text back with the Snowflake dialect and
insists on the same tree: sqlglot falls back to an opaque `exp.Command` (with only a logged
warning) for syntax it does not know, and a wrong AST can render silently wrong SQL (a CLONE
without its source renders without error), so nothing is sent that does not round-trip.

Statement shapes and their sources (docs/restore.md):
- CREATE TABLE <new> CLONE <src> AT (TIMESTAMP => CAST('<iso>' AS TIMESTAMPTZ)) | BEFORE
  (STATEMENT => '<id>'); never OR REPLACE, never IF NOT EXISTS: a name that exists fails the
  statement (https://docs.snowflake.com/en/sql-reference/sql/create-clone). sqlglot spells the
  TIMESTAMP_TZ cast TIMESTAMPTZ, one of Snowflake's synonyms for TIMESTAMP_TZ
  (https://docs.snowflake.com/en/sql-reference/data-types-datetime, TIMESTAMP_TZ).
- ALTER TABLE <a> SWAP WITH <b> (https://docs.snowflake.com/en/sql-reference/sql/alter-table).
- SHOW TABLES LIKE '<name>' IN SCHEMA <db>.<schema>: `_` is a LIKE wildcard, so callers filter
  the exact name (https://docs.snowflake.com/en/sql-reference/sql/show-tables).
- grants are read from INFORMATION_SCHEMA.TABLE_PRIVILEGES, not SHOW GRANTS: sqlglot parses
  SHOW GRANTS ON TABLE only as a Command
  (https://docs.snowflake.com/en/sql-reference/info-schema/table_privileges).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from jobs.restore.point import PointInTime, iso

DIALECT = "snowflake"


class UnsafeStatement(RuntimeError):
    """A statement did not round-trip: a bug in this module, never sent."""


def render(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Command):
        raise UnsafeStatement(f"refusing an opaque Command: {tree.sql(dialect=DIALECT)}")
    text = tree.sql(dialect=DIALECT)
    back = sqlglot.parse_one(text, read=DIALECT)
    if isinstance(back, exp.Command) or back != tree:
        raise UnsafeStatement(f"statement does not parse back to the tree it came from: {text}")
    return text


def table(database: str, schema: str, name: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name),
        db=exp.to_identifier(schema),
        catalog=exp.to_identifier(database),
    )


def _when(point: PointInTime) -> exp.HistoricalData:
    if point.at is not None:
        return exp.HistoricalData(
            this="AT",
            kind="TIMESTAMP",
            expression=exp.cast(exp.Literal.string(iso(point.at)), exp.DataType.Type.TIMESTAMPTZ),
        )
    return exp.HistoricalData(
        this="BEFORE", kind="STATEMENT", expression=exp.Literal.string(str(point.statement))
    )


def clone_at(
    target: tuple[str, str, str], source: tuple[str, str, str], point: PointInTime
) -> exp.Create:
    """CREATE TABLE target CLONE source AT|BEFORE (...): never OR REPLACE, never IF NOT EXISTS."""
    src = table(*source)
    src.set("when", _when(point))
    return exp.Create(
        this=table(*target),
        kind="TABLE",
        replace=False,
        exists=False,
        clone=exp.Clone(this=src, shallow=False, copy=False),
    )


def count_rows(source: tuple[str, str, str], point: PointInTime | None = None) -> exp.Select:
    src = table(*source)
    if point is not None:
        src.set("when", _when(point))
    return exp.select(exp.alias_(exp.Count(this=exp.Star(), big_int=True), "N")).from_(src)


def swap(a: tuple[str, str, str], b: tuple[str, str, str]) -> exp.Alter:
    return exp.Alter(this=table(*a), kind="TABLE", actions=[exp.SwapTable(this=table(*b))])


def show_tables(database: str, schema: str, name: str, history: bool = False) -> exp.Show:
    return exp.Show(
        this="TABLES",
        history=history,
        like=exp.Literal.string(name),
        scope_kind="SCHEMA",
        scope=exp.Table(this=exp.to_identifier(schema), db=exp.to_identifier(database)),
    )


def table_privileges(database: str, schema: str, name: str) -> exp.Select:
    view = exp.Table(
        this=exp.to_identifier("TABLE_PRIVILEGES"),
        db=exp.to_identifier("INFORMATION_SCHEMA"),
        catalog=exp.to_identifier(database),
    )
    return (
        exp.select("GRANTEE", "PRIVILEGE_TYPE")
        .from_(view)
        .where(
            exp.and_(
                exp.EQ(this=exp.column("TABLE_SCHEMA"), expression=exp.Literal.string(schema)),
                exp.EQ(this=exp.column("TABLE_NAME"), expression=exp.Literal.string(name)),
            )
        )
    )


def grant(privileges: Iterable[str], target: tuple[str, str, str], role: str) -> exp.Grant:
    return exp.Grant(
        privileges=[exp.GrantPrivilege(this=exp.Var(this=p)) for p in sorted(privileges)],
        kind="TABLE",
        securable=table(*target),
        principals=[exp.GrantPrincipal(this=exp.to_identifier(role), kind="ROLE")],
    )


def set_change_tracking(target: tuple[str, str, str]) -> exp.Alter:
    return exp.Alter(
        this=table(*target),
        kind="TABLE",
        actions=[
            exp.AlterSet(
                expressions=[
                    exp.Properties(
                        expressions=[
                            exp.Property(this=exp.Var(this="CHANGE_TRACKING"), value=exp.true())
                        ]
                    )
                ]
            )
        ],
    )


def statement_started(query_id: str) -> exp.Select:
    """When a query ran: ACCOUNT_USAGE.QUERY_HISTORY keeps 365 days (latency up to 45 min)
    (https://docs.snowflake.com/en/sql-reference/account-usage/query_history)."""
    view = exp.Table(
        this=exp.to_identifier("QUERY_HISTORY"),
        db=exp.to_identifier("ACCOUNT_USAGE"),
        catalog=exp.to_identifier("SNOWFLAKE"),
    )
    return (
        exp.select("START_TIME")
        .from_(view)
        .where(exp.EQ(this=exp.column("QUERY_ID"), expression=exp.Literal.string(query_id)))
    )


def session_facts() -> exp.Select:
    return exp.select(
        exp.alias_(exp.CurrentRole(), "ROLE"),
        exp.alias_(exp.CurrentTimestamp(), "NOW"),
    )

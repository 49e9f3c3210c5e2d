"""What fakesnow lacks for a restore, over fakesnow itself: time travel, retention, created_on,
ownership, grants, change tracking, SWAP, UNDROP and query history.

fakesnow (pinned in requirements-dev.txt) runs the real snowflake-connector-python API over
DuckDB and is faithful for what the restore needs most: existence (SHOW TABLES), a plain
`CREATE TABLE ... CLONE` (a copy), "already exists" on a taken name, row counts and the
connector's error classes. What it does not do (measured, and guarded by
tests/jobs/restore/test_fakesnow_gaps.py, which fails once fakesnow learns it):
`CLONE ... AT|BEFORE` and `SELECT ... AT` ("Catalog type does not support time travel"),
`ALTER TABLE ... SWAP WITH` and `SET CHANGE_TRACKING` (parser errors), `UNDROP` (a raw
ValueError), `SHOW TABLES` answers `created_on` 1970-01-01 and `retention_time` 1 always,
CURRENT_ROLE() is `duckdb`, there is no INFORMATION_SCHEMA.TABLE_PRIVILEGES, GRANT or query
history.

This stand-in wraps each fakesnow connection. A statement it knows one of those rules for is
answered here, rule by rule, each rule naming its source (or marked GUESS); the data itself
stays in fakesnow: a table's past versions are fakesnow tables (plain clones) in a hidden schema,
and a time-travel clone is a plain clone of the right version, so collisions and counts are
still fakesnow's. Any other statement goes to fakesnow unchanged. Time comes from an injected
clock. A table it has no metadata for is an error in the test, never a default.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlglot
from snowflake.connector.errors import ProgrammingError
from sqlglot import exp

HIDDEN_SCHEMA = "TIME_TRAVEL_VERSIONS"
# docs, AT | BEFORE, STATEMENT: "The query ID must reference a query executed within the last 14
# days. If the query ID references a query over 14 days old, the following error is returned:
# Error: statement <query_id> not found".
STATEMENT_DAYS = 14
# The error quoted by a user report (docs/restore.md): Snowflake's text for a point outside the
# retention window or before creation. GUESS: the error number 707 and SQLSTATE 02000.
NOT_AVAILABLE = (
    "Time travel data is not available for table {name}. The requested time is either beyond "
    "the allowed time travel period or before the object creation time."
)

Key = tuple[str, str, str]


def _error(message: str, errno: int = 2003, sqlstate: str = "02000") -> ProgrammingError:
    return ProgrammingError(msg=message, errno=errno, sqlstate=sqlstate)


@dataclass
class TableMeta:
    created_on: datetime
    retention_days: int
    owner: str
    change_tracking: bool
    grants: set[tuple[str, str]] = field(default_factory=set)  # (privilege, role)
    versions: list[tuple[datetime, str]] = field(default_factory=list)  # (since, hidden table)
    dropped_on: datetime | None = None


@dataclass
class TimeTravelAccount:
    fake_connect: Callable[..., Any]  # fakesnow's patched snowflake.connector.connect
    clock: Callable[[], datetime]
    # GUESS (unverified, docs/restore.md): whether a clone keeps CHANGE_TRACKING. Tests run both.
    clone_keeps_change_tracking: bool = False
    tables: dict[Key, TableMeta] = field(default_factory=dict)
    future_grants: dict[tuple[str, str], set[tuple[str, str]]] = field(default_factory=dict)
    statements: dict[str, datetime] = field(default_factory=dict)  # query id -> start time
    connects: list[dict[str, Any]] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    _version_seq: int = 0

    # ---- set-up, as the program and its users would have done it --------------------------
    def admin(self) -> Any:
        return self.fake_connect()

    def run_raw(self, text: str) -> list[dict[str, Any]]:
        from snowflake.connector import DictCursor

        cursor = self.admin().cursor(DictCursor)
        cursor.execute(text)
        return list(cursor.fetchall())

    def create_table(
        self,
        key: Key,
        columns: str,
        *,
        owner: str,
        retention_days: int,
        change_tracking: bool = False,
        grants: set[tuple[str, str]] | None = None,
    ) -> None:
        database, schema, name = key
        for text in (
            f"CREATE DATABASE IF NOT EXISTS {database}",
            f"CREATE SCHEMA IF NOT EXISTS {database}.{schema}",
            f"CREATE SCHEMA IF NOT EXISTS {database}.{HIDDEN_SCHEMA}",
            f"CREATE TABLE {database}.{schema}.{name} ({columns})",
        ):
            self.run_raw(text)
        self.tables[key] = TableMeta(
            created_on=self.clock(),
            retention_days=retention_days,
            owner=owner,
            change_tracking=change_tracking,
            grants=set(grants or ()),
        )
        self._snapshot(key)

    def grant_future(self, database: str, schema: str, grants: set[tuple[str, str]]) -> None:
        self.future_grants.setdefault((database, schema), set()).update(grants)

    def write(self, key: Key, text: str) -> str:
        """A DML statement at the clock's time; returns its query id (history keeps it)."""
        self._meta(key)
        self.run_raw(text)
        query_id = str(uuid.uuid4())
        self.statements[query_id] = self.clock()
        self._snapshot(key)
        return query_id

    def drop_table(self, key: Key) -> None:
        meta = self._meta(key)
        self.run_raw(f"DROP TABLE {'.'.join(key)}")
        meta.dropped_on = self.clock()

    def connect(self, **kwargs: Any) -> StandInConnection:
        shown = {k: v for k, v in kwargs.items() if k not in ("private_key", "password")}
        shown["private_key"] = type(kwargs.get("private_key")).__name__
        self.connects.append(shown)
        return StandInConnection(self, self.fake_connect(**kwargs), str(kwargs.get("role") or ""))

    # ---- helpers ------------------------------------------------------------------------
    def _meta(self, key: Key) -> TableMeta:
        meta = self.tables.get(key)
        if meta is None or meta.dropped_on is not None:
            raise _error(f"Object '{'.'.join(key)}' does not exist or not authorized.")
        return meta

    def _snapshot(self, key: Key) -> None:
        self._version_seq += 1
        hidden = f"{key[0]}.{HIDDEN_SCHEMA}.V{self._version_seq}_{key[2]}"
        self.run_raw(f"CREATE TABLE {hidden} CLONE {'.'.join(key)}")
        self.tables[key].versions.append((self.clock(), hidden))

    def version_at(self, key: Key, when: exp.HistoricalData) -> str:
        meta = self._meta(key)
        now = self.clock()
        if when.name.upper() == "BEFORE" and when.text("kind").upper() == "STATEMENT":
            started = self.statements.get(when.expression.name)
            if started is None or now - started > timedelta(days=STATEMENT_DAYS):
                raise _error(f"Statement {when.expression.name} not found", 707)
            chosen = [v for since, v in meta.versions if since < started]  # "immediately before"
            instant = started
        elif when.name.upper() == "AT" and when.text("kind").upper() == "TIMESTAMP":
            value = when.expression
            if not (isinstance(value, exp.Cast) and value.to.is_type("timestamptz")):
                # docs, AT | BEFORE: an uncast value is read as UTC (NTZ); not modelled here.
                raise NotImplementedError(f"stand-in: only TIMESTAMP_TZ casts, got {value.sql()}")
            instant = datetime.fromisoformat(value.this.name)
            if instant > now:
                raise _error("Requested time is in the future", 707)  # GUESS: text and number
            chosen = [v for since, v in meta.versions if since <= instant]  # AT is inclusive
        else:
            raise NotImplementedError(f"stand-in: {when.sql(dialect='snowflake')} not modelled")
        # Window rule (docs/restore.md): before creation or beyond retention -> not available.
        if instant < meta.created_on or instant < now - timedelta(days=meta.retention_days):
            raise _error(NOT_AVAILABLE.format(name=key[2]), 707)
        return chosen[-1]


def _key(table: exp.Table) -> Key:
    return (table.catalog.upper(), table.db.upper(), table.name.upper())


def _status(text: str) -> list[dict[str, Any]]:
    return [{"status": text}]


class StandInConnection:
    def __init__(self, account: TimeTravelAccount, raw: Any, role: str) -> None:
        self.account = account
        self.raw = raw
        self.role = role

    def cursor(self, cursor_class: Any = None) -> StandInCursor:
        return StandInCursor(self, self.raw.cursor(cursor_class))

    def close(self) -> None:
        self.raw.close()


class StandInCursor:
    def __init__(self, connection: StandInConnection, raw: Any) -> None:
        self.connection = connection
        self.account = connection.account
        self.raw = raw
        self.sfqid: str | None = None
        self._rows: list[dict[str, Any]] | None = None

    def execute(self, text: str) -> StandInCursor:
        self.account.executed.append(text)
        tree = sqlglot.parse_one(text, read="snowflake")
        self._rows = self._answer(tree)
        if self._rows is None:  # fakesnow's to do
            self.raw.execute(text)
            self.sfqid = self.raw.sfqid
        else:
            self.sfqid = str(uuid.uuid4())
        self.account.statements[self.sfqid] = self.account.clock()
        return self

    def fetchall(self) -> list[dict[str, Any]]:
        if self._rows is not None:
            return self._rows
        return list(self.raw.fetchall())

    def close(self) -> None:
        self.raw.close()

    # ---- the rules fakesnow lacks -------------------------------------------------------
    def _answer(self, tree: exp.Expression) -> list[dict[str, Any]] | None:
        if isinstance(tree, exp.Create) and tree.args.get("clone") is not None:
            return self._clone(tree)
        if isinstance(tree, exp.Select):
            return self._select(tree)
        if isinstance(tree, exp.Alter):
            return self._alter(tree)
        if isinstance(tree, exp.Grant):
            return self._grant(tree)
        if isinstance(tree, exp.Show) and tree.name.upper() == "TABLES":
            return self._show_tables(tree)
        if tree.key == "undrop" or type(tree).__name__ == "Undrop":
            return self._undrop(tree)
        return None

    def _clone(self, tree: exp.Create) -> list[dict[str, Any]] | None:
        source: exp.Table = tree.args["clone"].this
        when = source.args.get("when")
        if when is None:
            return None  # a plain clone: fakesnow copies the table
        account = self.account
        target = _key(tree.this)
        hidden = account.version_at(_key(source), when)
        # The data: a plain clone of the version, by fakesnow (it refuses a taken name).
        self.raw.execute(f"CREATE TABLE {'.'.join(target)} CLONE {hidden}")
        meta = account.tables[_key(source)]
        schema_future = account.future_grants.get(target[:2], set())
        account.tables[target] = TableMeta(
            created_on=account.clock(),
            # docs, "Cloning considerations": clones inherit the source's object parameters.
            retention_days=meta.retention_days,
            # docs, "Overview of access control": the creating role owns the object (B9).
            owner=self.connection.role,
            change_tracking=meta.change_tracking and account.clone_keeps_change_tracking,
            # docs, "Cloning considerations": CLONE copies no grants on the object itself
            # (without COPY GRANTS); docs, GRANT <privileges>: FUTURE grants on the schema
            # apply to tables created in it afterwards (docs/snowflake.md B17).
            grants=set(schema_future),
        )
        account._snapshot(target)
        return _status(f"Table {target[2]} successfully created.")

    def _select(self, tree: exp.Select) -> list[dict[str, Any]] | None:
        tables = list(tree.find_all(exp.Table))
        if any(isinstance(e, exp.CurrentRole) for e in tree.find_all(exp.CurrentRole)):
            # fakesnow answers `duckdb`; Snowflake: the session's role (the connect `role`).
            return [{"ROLE": self.connection.role, "NOW": self.account.clock()}]
        if len(tables) != 1:
            return None
        table = tables[0]
        key = _key(table)
        if key[1:] == ("INFORMATION_SCHEMA", "TABLE_PRIVILEGES"):
            return self._privileges(tree)
        if key == ("SNOWFLAKE", "ACCOUNT_USAGE", "QUERY_HISTORY"):
            wanted = tree.find(exp.EQ).expression.name
            started = self.account.statements.get(wanted)
            return [] if started is None else [{"START_TIME": started}]
        when = table.args.get("when")
        if when is None:
            return None
        hidden = self.account.version_at(key, when)
        rewritten = tree.copy()
        rewritten.find(exp.Table).replace(exp.to_table(hidden))
        self.raw.execute(rewritten.sql(dialect="snowflake"))
        return list(self.raw.fetchall())

    def _privileges(self, tree: exp.Select) -> list[dict[str, Any]]:
        # docs, INFORMATION_SCHEMA TABLE_PRIVILEGES: a row per privilege granted to a role on a
        # table, OWNERSHIP included (GRANTEE, PRIVILEGE_TYPE).
        database = tree.find(exp.Table).catalog.upper()
        wanted = {eq.this.name.upper(): eq.expression.name for eq in tree.find_all(exp.EQ)}
        key = (database, wanted["TABLE_SCHEMA"], wanted["TABLE_NAME"])
        meta = self.account.tables.get(key)
        if meta is None or meta.dropped_on is not None:
            return []
        rows = [{"GRANTEE": role, "PRIVILEGE_TYPE": p} for p, role in sorted(meta.grants)]
        return [{"GRANTEE": meta.owner, "PRIVILEGE_TYPE": "OWNERSHIP"}, *rows]

    def _alter(self, tree: exp.Alter) -> list[dict[str, Any]] | None:
        actions = tree.args.get("actions") or []
        if len(actions) != 1:
            return None
        action = actions[0]
        key = _key(tree.this)
        account = self.account
        if isinstance(action, exp.SwapTable):
            other = _key(action.this)
            a, b = account._meta(key), account._meta(other)
            # Third-party (stephenallwright.com/snowflake-swap-table) and docs, ALTER TABLE
            # (SWAP WITH): ownership of both tables is needed; content, metadata and grants
            # are swapped, as two renames in one transaction.
            for meta, name in ((a, key), (b, other)):
                if meta.owner != self.connection.role:
                    raise _error(
                        f"Insufficient privileges to operate on table '{name[2]}'", 3001, "42501"
                    )
            temp = f"{key[0]}.{key[1]}.SWAP_{uuid.uuid4().hex[:8].upper()}"
            self.raw.execute(f"ALTER TABLE {'.'.join(key)} RENAME TO {temp}")
            self.raw.execute(f"ALTER TABLE {'.'.join(other)} RENAME TO {'.'.join(key)}")
            self.raw.execute(f"ALTER TABLE {temp} RENAME TO {'.'.join(other)}")
            account.tables[key], account.tables[other] = b, a
            return _status("Statement executed successfully.")
        if isinstance(action, exp.AlterSet):
            props = action.find(exp.Property)
            if props is not None and props.name.upper() == "CHANGE_TRACKING":
                # docs, ALTER TABLE: SET CHANGE_TRACKING = TRUE | FALSE.
                account._meta(key).change_tracking = props.args["value"].this is True
                return _status("Statement executed successfully.")
        return None

    def _grant(self, tree: exp.Grant) -> list[dict[str, Any]]:
        key = _key(tree.args["securable"])
        meta = self.account._meta(key)
        # docs, GRANT <privileges>: the owner (or MANAGE GRANTS) may grant on the object.
        if meta.owner != self.connection.role:
            raise _error("Insufficient privileges to operate on table", 3001, "42501")
        roles = [p.name.upper() for p in tree.args["principals"]]
        privileges = [p.this.name.upper() for p in tree.args["privileges"]]
        meta.grants.update((p, r) for p in privileges for r in roles)
        return _status("Statement executed successfully.")

    def _show_tables(self, tree: exp.Show) -> list[dict[str, Any]]:
        scope = tree.args["scope"]
        database, schema = scope.db.upper(), scope.name.upper()
        self.raw.execute(tree.sql(dialect="snowflake"))
        rows = list(self.raw.fetchall())
        account = self.account
        for row in rows:
            meta = account.tables.get((database, schema, str(row["name"])))
            if meta is None:
                raise AssertionError(f"stand-in: no metadata for {database}.{schema}.{row['name']}")
            # docs, SHOW TABLES: created_on, owner, retention_time, change_tracking (ON/OFF).
            row.update(
                created_on=meta.created_on,
                owner=meta.owner,
                retention_time=meta.retention_days,
                change_tracking="ON" if meta.change_tracking else "OFF",
                dropped_on=None,
            )
        if tree.args.get("history"):
            # docs, SHOW TABLES HISTORY: dropped tables too, with dropped_on (fakesnow lists
            # neither). Only the LIKE pattern's exact name is modelled.
            like = tree.args["like"].name
            for (db, sch, name), meta in account.tables.items():
                if (db, sch) == (database, schema) and name == like and meta.dropped_on:
                    rows.append({"name": name, "created_on": meta.created_on,
                                 "owner": meta.owner, "retention_time": meta.retention_days,
                                 "dropped_on": meta.dropped_on})  # fmt: skip
        return rows

    def _undrop(self, tree: exp.Expression) -> list[dict[str, Any]]:
        # docs, UNDROP TABLE: restores the most recent dropped version under its old name;
        # fails when a table of that name exists.
        key = _key(tree.find(exp.Table))
        meta = self.account.tables.get(key)
        if meta is None or meta.dropped_on is None:
            raise _error(f"Table {key[2]} did not exist or was purged.")
        self.raw.execute(f"CREATE TABLE {'.'.join(key)} CLONE {meta.versions[-1][1]}")
        meta.dropped_on = None
        return _status(f"Table {key[2]} successfully restored.")

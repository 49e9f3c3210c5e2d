"""What the stack declares that a restore may touch: its tables, their names, grants and writers.

Everything comes from the synth (jobs.harness.synthesize: the real program under mocks with the
committed stack file), so the names carry the stack's suffix exactly as `pulumi up` creates them
(components/settings/identity.py `name_suffix`):

- tables the program declares (`snowflake:index/table:Table`, from components/settings/tables.py
  through components/snowflake/database.py), with their URN, `protect`, change tracking and
  retention;
- tables the stack's Estuary materialization writes (its bindings' `resource.table`, in the
  ESTUARY_REALTIME schema the materialization is configured with, wiring.py), whose URN is the
  materialization's and which are protected when that schema is;
- the grants that cover each table: table grants, and FUTURE/ALL grants on its schema
  (components/snowflake/access.py);
- the connection the program itself uses for that table: the provider that creates it
  (user, role, account), since the creating role owns the table (docs/snowflake.md B9).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TABLE_TYPE = "snowflake:index/table:Table"
SCHEMA_TYPE = "snowflake:index/schema:Schema"
GRANT_TYPE = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
WAREHOUSE_TYPE = "snowflake:index/warehouse:Warehouse"
MATERIALIZATION_TYPE = "pulumi-python:dynamic/estuary:Materialization"
PROVIDER_TYPE = "pulumi:providers:snowflake"
ESTUARY_SCHEMA = "ESTUARY_REALTIME"  # wiring.py: the materialization's target schema
RESTORE_WAREHOUSE = "API_WH"  # GUESS: the deploy role's warehouse for COUNT(*) (docs/restore.md)

# An unquoted Snowflake identifier: a letter or underscore, then letters, digits, _ or $
# (docs, "Identifier requirements"); stored upper-case. Quoted identifiers are never used here.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_MAX_SHOWN = 80


class NameError_(ValueError):
    """A table or target name the restore does not accept (refused, exit 1)."""


@dataclass(frozen=True)
class Connection:
    """How the program connects for this table (never the key: that comes from CI)."""

    account: str  # ORGNAME-ACCOUNTNAME
    user: str
    role: str
    warehouse: str | None


@dataclass(frozen=True)
class DeclaredTable:
    database: str
    schema: str
    name: str
    urn: str  # the Table resource, or the materialization that writes the table
    protected: bool
    change_tracking: bool | None  # None: not declared by the program (Estuary's table)
    retention_days: int | None
    grants: frozenset[tuple[str, str]]  # (privilege, role) that must cover the table
    writer: str | None  # the Estuary materialization catalog name that writes it, if any
    connection: Connection | None
    declared_by: str = "program"  # or "materialization"

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    def qualified(self, name: str | None = None) -> tuple[str, str, str]:
        return (self.database, self.schema, name or self.name)


@dataclass
class StackTables:
    stack: str
    database: str
    tables: dict[str, DeclaredTable] = field(default_factory=dict)  # "SCHEMA.TABLE" -> table
    schemas: frozenset[str] = frozenset()

    def names_in(self, schema: str) -> set[str]:
        return {t.name for t in self.tables.values() if t.schema == schema}


def _shown(text: str) -> str:
    return repr(text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "...")


def identifier(text: str, what: str) -> str:
    if not IDENTIFIER.match(text):
        raise NameError_(
            f"{what} {_shown(text)}: expected an unquoted Snowflake identifier (a letter or _, "
            "then letters, digits, _ or $; at most 255 characters)"
        )
    return text.upper()


def parse_table(text: str) -> tuple[str, str]:
    """`--table SCHEMA.TABLE` -> (SCHEMA, TABLE), upper-case."""
    parts = text.strip().split(".")
    if len(parts) != 2:
        raise NameError_(
            f"--table {_shown(text)}: expected SCHEMA.TABLE (e.g. PUBLIC.USER_SESSIONS); the "
            "database is the stack's own"
        )
    return identifier(parts[0], "--table schema"), identifier(parts[1], "--table name")


def resolve(tables: StackTables, text: str) -> DeclaredTable:
    schema, name = parse_table(text)
    found = tables.tables.get(f"{schema}.{name}")
    if found is None:
        listed = ", ".join(sorted(tables.tables)) or "(none)"
        if schema not in tables.schemas:
            raise NameError_(
                f"--table {schema}.{name}: stack {tables.stack} declares no schema {schema} in "
                f"{tables.database} (schemas: {', '.join(sorted(tables.schemas))})"
            )
        raise NameError_(
            f"--table {schema}.{name}: stack {tables.stack} declares no such table; a restore "
            f"only touches declared tables: {listed}"
        )
    return found


def target_name(
    tables: StackTables, table: DeclaredTable, requested: str | None, default: str
) -> str:
    """`--to NAME` (or the default): a free-standing name the program does not declare."""
    name = identifier(requested, "--to") if requested is not None else default
    if name == table.name:
        raise NameError_(f"--to {name}: that is the table being restored; give a new name")
    declared = tables.names_in(table.schema)
    if name in declared:
        raise NameError_(
            f"--to {name}: {table.schema}.{name} is declared by stack {tables.stack}; the "
            "restored copy needs a name the program does not manage"
        )
    return name


def _parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _unquote(fqn: str) -> list[str]:
    return [part.strip('"') for part in fqn.split(".")]


def _grants(resources: Iterable[Mapping[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    """'SCHEMA.TABLE' or 'SCHEMA.*' -> {(privilege, role)} from the grant resources."""
    covered: dict[str, set[tuple[str, str]]] = {}
    for r in resources:
        if r["type"] != GRANT_TYPE:
            continue
        inputs = r["inputs"]
        on = inputs.get("onSchemaObject")
        role = inputs.get("accountRoleName")
        if not isinstance(on, Mapping) or not isinstance(role, str):
            continue
        privileges = [p for p in inputs.get("privileges") or [] if isinstance(p, str)]
        if on.get("objectType") == "TABLE" and isinstance(on.get("objectName"), str):
            _db, schema, table = _unquote(on["objectName"])
            key = f"{schema}.{table}"
        else:
            bulk = on.get("future") or on.get("all")
            if not isinstance(bulk, Mapping) or bulk.get("objectTypePlural") != "TABLES":
                continue
            _db, schema = _unquote(str(bulk.get("inSchema")))
            key = f"{schema}.*"
        covered.setdefault(key, set()).update((p, role) for p in privileges)
    return covered


def _connection(
    resources: list[Mapping[str, Any]], provider_name: str, suffix: str
) -> Connection | None:
    for r in resources:
        if r["type"] == PROVIDER_TYPE and r["name"] == provider_name:
            i = r["inputs"]
            warehouse = next(
                (
                    w["inputs"].get("name")
                    for w in resources
                    if w["type"] == WAREHOUSE_TYPE
                    and w["inputs"].get("name") == f"{RESTORE_WAREHOUSE}{suffix}"
                ),
                None,
            )
            return Connection(
                account=f"{i.get('organizationName')}-{i.get('accountName')}".upper(),
                user=str(i.get("user")),
                role=str(i.get("role")),
                warehouse=warehouse,
            )
    return None


def stack_tables(document: Mapping[str, Any]) -> StackTables:
    """The declared tables from a synth document (jobs/synth_document.py `to_json`)."""
    resources: list[Mapping[str, Any]] = list(document["resources"])
    outputs = document.get("outputs") or {}
    snowflake = outputs.get("snowflake") or {}
    database = str(snowflake.get("database"))
    suffix = str(outputs.get("nameSuffix") or "")
    grants = _grants(resources)
    schemas = {r["inputs"].get("name"): r for r in resources if r["type"] == SCHEMA_TYPE}
    found = StackTables(
        stack=str(document["stack"]),
        database=database,
        schemas=frozenset({"PUBLIC", *(s for s in schemas if isinstance(s, str))}),
    )

    def covering(schema: str, name: str) -> frozenset[tuple[str, str]]:
        return frozenset(grants.get(f"{schema}.{name}", set()) | grants.get(f"{schema}.*", set()))

    for r in resources:
        if r["type"] != TABLE_TYPE:
            continue
        i = r["inputs"]
        schema, name = str(i.get("schema")), str(i.get("name"))
        found.tables[f"{schema}.{name}"] = DeclaredTable(
            database=str(i.get("database")),
            schema=schema,
            name=name,
            urn=r["urn"],
            protected=bool(r.get("protect")),
            change_tracking=bool(i.get("changeTracking")),
            retention_days=i.get("dataRetentionTimeInDays"),
            grants=covering(schema, name),
            writer=None,
            connection=_connection(resources, r.get("provider") or "", suffix),
        )
    schema_resource = schemas.get(ESTUARY_SCHEMA)
    for r in resources:
        if r["type"] != MATERIALIZATION_TYPE or schema_resource is None:
            continue
        i = r["inputs"]
        for binding in _parse_json(i.get("bindings")) or []:
            table = (
                (binding.get("resource") or {}).get("table")
                if isinstance(binding, Mapping)
                else None
            )
            if not isinstance(table, str) or binding.get("disable"):
                continue
            name = table.upper()
            found.tables.setdefault(
                f"{ESTUARY_SCHEMA}.{name}",
                DeclaredTable(
                    database=database,
                    schema=ESTUARY_SCHEMA,
                    name=name,
                    urn=r["urn"],
                    protected=bool(schema_resource.get("protect")),
                    change_tracking=None,
                    retention_days=schema_resource["inputs"].get("dataRetentionTimeInDays"),
                    grants=covering(ESTUARY_SCHEMA, name),
                    writer=str(i.get("catalogName")),
                    connection=_connection(
                        resources, schema_resource.get("provider") or "", suffix
                    ),
                    declared_by="materialization",
                ),
            )
    return found

"""How a restore ends (refused by a check, could not check, done) and what it records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_DONE = 0
EXIT_REFUSED = 1
EXIT_COULD_NOT_CHECK = 2


class CheckRefused(Exception):
    """A check said no. Exit code 1."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"refused by check {check}: {reason}")
        self.check = check
        self.reason = reason


class CouldNotCheck(Exception):
    """A check could not be completed (no credentials, Snowflake unreachable, ...). Exit 2."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"check {check} could not be completed: {reason}")
        self.check = check
        self.reason = reason


@dataclass
class Executed:
    """One statement sent to Snowflake, with its query id (the connector's `sfqid`)."""

    check: str
    sql: str
    query_id: str | None
    rows: int


@dataclass
class CheckLine:
    check: str
    status: str  # passed | refused | could-not-check | would-run (dry run) | skipped
    detail: str


@dataclass
class RestoreReport:
    stack: str
    table: str
    target: str
    point: str
    dry_run: bool
    swap: bool
    query_tag: str
    checks: list[CheckLine] = field(default_factory=list)
    statements: list[Executed] = field(default_factory=list)
    planned_sql: list[str] = field(default_factory=list)
    planned_checks: list[str] = field(
        default_factory=list
    )  # the check each planned statement serves
    notes: list[str] = field(default_factory=list)
    outcome: str = "running"  # done | refused | could-not-check | dry-run
    exit_code: int | None = None

    def line(self, check: str, status: str, detail: str) -> None:
        self.checks.append(CheckLine(check, status, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "table": self.table,
            "target": self.target,
            "point": self.point,
            "dryRun": self.dry_run,
            "swap": self.swap,
            "queryTag": self.query_tag,
            "outcome": self.outcome,
            "exitCode": self.exit_code,
            "checks": [c.__dict__ for c in self.checks],
            "statements": [
                {"check": s.check, "sql": s.sql, "queryId": s.query_id, "rows": s.rows}
                for s in self.statements
            ],
            "plannedSql": self.planned_sql,
            "notes": self.notes,
        }

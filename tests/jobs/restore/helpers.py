"""A key pair, a populated fake account and a CLI runner for the restore's fakesnow tests."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jobs.restore import cli

DB = "SOPHIA_AI"
SESSIONS = (DB, "PUBLIC", "USER_SESSIONS")
API_GRANTS = {(p, "SOPHIA_API") for p in ("SELECT", "INSERT", "UPDATE", "DELETE")}
ANALYST = {("SELECT", "SOPHIA_ANALYST")}


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


PEM = private_key_pem()
ENV = {"SNOWFLAKE_PRIVATE_KEY": PEM, "GITHUB_RUN_ID": "4242"}


@dataclass
class History:
    loaded: Any  # when the 5 rows were all there
    incident: str  # the DELETE's query id
    incident_at: Any


def sessions_with_an_incident(account: Any, clock: Any, *, retention_days: int = 14) -> History:
    """USER_SESSIONS as prod declares it; 3 + 2 rows written, then all deleted (the incident)."""
    account.grant_future(DB, "PUBLIC", ANALYST)
    account.create_table(
        SESSIONS,
        "SESSION_ID VARCHAR NOT NULL, USER_ID VARCHAR",
        owner="SYSADMIN",
        retention_days=retention_days,
        grants=API_GRANTS | ANALYST,  # the table grant, and the ALL grant on PUBLIC
    )
    clock.advance(days=1)
    account.write(
        SESSIONS,
        "INSERT INTO SOPHIA_AI.PUBLIC.USER_SESSIONS VALUES ('a','u1'),('b','u2'),('c','u3')",
    )
    clock.advance(days=5)
    account.write(
        SESSIONS, "INSERT INTO SOPHIA_AI.PUBLIC.USER_SESSIONS VALUES ('d','u4'),('e','u5')"
    )
    loaded = clock.advance(hours=12)
    clock.advance(hours=12)
    incident = account.write(SESSIONS, "DELETE FROM SOPHIA_AI.PUBLIC.USER_SESSIONS")
    incident_at = clock.now
    clock.advance(days=2, hours=12)
    return History(loaded=loaded, incident=incident, incident_at=incident_at)


@dataclass
class Ran:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None

    @property
    def text(self) -> str:
        return self.out + self.err


def run(
    document: dict[str, Any],
    args: list[str],
    clock: Any,
    account: Any | None,
    tmp_path: Path,
    *,
    environ: dict[str, str] | None = None,
    estuary: Any = None,
    connect_fn: Callable[..., Any] | None = None,
) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    reports = tmp_path / "reports"
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(
            [*args, "--report-dir", str(reports)],
            now=clock.now,
            environ=ENV if environ is None else environ,
            connect_fn=connect_fn or (account.connect if account is not None else None),
            estuary=estuary,
            document=document,
        )
    found = sorted(reports.glob("*.json")) if reports.exists() else []
    report = json.loads(found[-1].read_text()) if found else None
    return Ran(code, out.getvalue(), err.getvalue(), report)


class FakeEstuary:
    """live_specs rows as components/estuary/client.py returns them (live_specs_ext)."""

    def __init__(self, specs: dict[str, dict[str, Any]]) -> None:
        self.specs = specs

    def live_specs(self, names: list[str]) -> dict[str, dict[str, Any]]:
        return {n: {"catalog_name": n, "spec": self.specs[n]} for n in names if n in self.specs}


def ago(clock: Any, **delta: float) -> str:
    return (clock.now - timedelta(**delta)).isoformat()

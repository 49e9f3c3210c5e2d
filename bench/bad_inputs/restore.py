# ruff: noqa: E501 - a table of cases reads better one case per line
"""Cases for `python -m jobs.restore`: names, times and flags a person types at 3 a.m.

Every case runs without Snowflake credentials (a dry run: the offline checks refuse) except the
planted-key case, whose malformed key must be refused before any login and never shown.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from bench.bad_inputs.case import Case
from bench.bad_inputs.planted import PEM_PRIVATE

URN = "urn:pulumi:prod::sophia-infra::sophia:snowflake:Database$snowflake:index/table:Table::sophia-table-public-user_sessions"
# A valid point: a day ago, inside every stack's declared retention.
AT = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat()


def _env(**values: str) -> Any:
    def patch(_directory: Path) -> contextlib.AbstractContextManager[Any]:
        cleared = {k: v for k, v in os.environ.items() if k != "SNOWFLAKE_PRIVATE_KEY"}
        return mock.patch.dict(os.environ, {**cleared, **values}, clear=True)

    return patch


def restore_cases() -> list[Case]:
    table = ["--table", "PUBLIC.USER_SESSIONS"]
    found: list[Case] = []
    for name, args in (
        ("time without offset", [*table, "--at", "2026-12-01T09:30:00"]),
        ("date only", [*table, "--at", "2026-12-01"]),
        ("time in words", [*table, "--at", "yesterday 3am"]),
        ("epoch seconds", [*table, "--at", "1764581400"]),
        ("empty time", [*table, "--at", ""]),
        ("impossible date", [*table, "--at", "2026-02-30T09:30:00+00:00"]),
        ("future time", [*table, "--at", "2099-01-01T00:00:00+00:00"]),
        ("beyond retention", [*table, "--at", "2020-01-01T00:00:00+00:00"]),
        ("offset out of range", [*table, "--at", "2026-12-01T09:30:00+25:00"]),
        ("statement not an id", [*table, "--statement", "last night"]),
        ("statement SQL", [*table, "--statement", "'; DROP TABLE USER_SESSIONS; --"]),
        ("both at and statement", [*table, "--at", AT, "--statement", "01b2c3d4-0000-1a2b-0000-00000000abcd"]),
        ("neither at nor statement", [*table]),
        ("table without schema", ["--table", "USER_SESSIONS", "--at", AT]),
        ("table with database", ["--table", "SOPHIA_AI.PUBLIC.USER_SESSIONS", "--at", AT]),
        ("undeclared table", ["--table", "PUBLIC.USERS", "--at", AT]),
        ("undeclared schema", ["--table", "SCRATCH.USER_SESSIONS", "--at", AT]),
        ("quoted table", ["--table", 'PUBLIC."User Sessions"', "--at", AT]),
        ("table with SQL", ["--table", "PUBLIC.USER_SESSIONS;DROP TABLE X", "--at", AT]),
        ("table wildcard", ["--table", "PUBLIC.USER_%", "--at", AT]),
        ("to the table itself", [*table, "--at", AT, "--to", "user_sessions"]),
        ("to a declared table", ["--table", "ESTUARY_REALTIME.GITHUB_COMMITS", "--at", AT, "--to", "GITHUB_ISSUES"]),
        ("to with a space", [*table, "--at", AT, "--to", "MY COPY"]),
        ("to with a dot", [*table, "--at", AT, "--to", "OTHER.COPY"]),
        ("to 300 characters", [*table, "--at", AT, "--to", "X" * 300]),
        ("allow-swap without swap", [*table, "--at", AT, "--allow-swap", URN]),
        ("swap of prod table without allow-swap", [*table, "--at", AT, "--swap"]),
        ("swap with the resource name, not the URN", [*table, "--at", AT, "--swap", "--allow-swap", "sophia-table-public-user_sessions"]),
        ("report dir is a file", [*table, "--at", AT, "--report-dir", "{dir}/Pulumi.yaml"]),
        ("unknown stack", ["--stack", "nope", *table, "--at", AT]),
    ):  # fmt: skip
        found.append(
            Case(f"restore {name}", "bad", "prod", args=args, tool="restore", patch=_env())
        )
    found.append(
        Case(
            "restore malformed key in SNOWFLAKE_PRIVATE_KEY",
            "bad",
            "prod",
            args=[*table, "--at", AT, "--report-dir", "{dir}/reports"],
            tool="restore",
            patch=_env(SNOWFLAKE_PRIVATE_KEY=PEM_PRIVATE),
        )
    )
    found.append(
        Case(
            "restore dry run, lower-case names",
            "fine",
            "prod",
            args=["--table", "public.user_sessions", "--at", AT],
            tool="restore",
            patch=_env(),
        )
    )
    return found

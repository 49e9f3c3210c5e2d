"""The whole restore through the real connector API on fakesnow, with the time-travel stand-in
(tests/fakes/snowflake_time_travel.py) for what fakesnow lacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from jobs.restore.run import LIVE_CHECKS
from tests.jobs.restore.helpers import (
    API_GRANTS,
    DB,
    ENV,
    PEM,
    SESSIONS,
    FakeEstuary,
    run,
    sessions_with_an_incident,
)

SESSIONS_URN = (
    "urn:pulumi:prod::sophia-infra::sophia:snowflake:Database$snowflake:index/table:Table::"
    "sophia-table-public-user_sessions"
)
ALL_PASSED = ["declared-object", "point-in-time", "target-name", "swap-allowed", *LIVE_CHECKS]


@pytest.fixture
def prod(document: Callable[[str], Any]) -> dict[str, Any]:
    return document("prod")


@pytest.fixture
def restore(
    prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> Callable[..., Any]:
    """`python -m jobs.restore` for prod on the fake account (options as keywords)."""
    return lambda args, **options: run(prod, args, clock, fake_account, tmp_path, **options)


def sessions_at(at: str, *more: str) -> list[str]:
    return ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", at, *more]


def _count(account: Any, name: str) -> int:
    return account.run_raw(f"SELECT COUNT(*) AS N FROM {DB}.PUBLIC.{name}")[0]["N"]


def test_restore_to_a_new_name(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    at = history.loaded.isoformat()
    ran = restore(sessions_at(at))
    assert ran.code == 0, ran.text
    target = f"USER_SESSIONS_RESTORED_{history.loaded.strftime('%Y%m%dT%H%MZ')}"
    assert _count(fake_account, target) == 5 and _count(fake_account, "USER_SESSIONS") == 0
    report = ran.report
    assert report is not None and report["outcome"] == "done"
    assert [c["check"] for c in report["checks"]] == ALL_PASSED
    assert [c["status"] for c in report["checks"]] == ["passed"] * 3 + ["skipped"] + [
        "passed"
    ] * 8 + ["skipped"]
    # every statement has its query id, and the session carried the tag
    assert report["statements"] and all(s["queryId"] for s in report["statements"])
    assert [s["sql"].split(" ")[0] for s in report["statements"]][:1] == ["SELECT"]
    clone = next(s for s in report["statements"] if s["check"] == "clone")
    assert clone["sql"].startswith(
        f"CREATE TABLE {DB}.PUBLIC.{target} CLONE {DB}.PUBLIC.USER_SESSIONS AT"
    )
    (connected,) = fake_account.connects
    assert connected["session_parameters"] == {
        "QUERY_TAG": "sophia-restore/prod/4242",
        "TIMEZONE": "UTC",
    }
    assert (connected["account"], connected["user"], connected["role"], connected["authenticator"]) == (
        "SOPHIAAI-PLATFORM", "PULUMI_DEPLOY_SVC", "SYSADMIN", "SNOWFLAKE_JWT",
    )  # fmt: skip
    assert connected["private_key"] == "RSAPrivateKey"
    # the clone had only the schema's FUTURE grant; the API's table grants were re-applied
    grants = fake_account.tables[(DB, "PUBLIC", target)].grants
    assert grants >= API_GRANTS
    granted = [s["sql"] for s in report["statements"] if s["sql"].startswith("GRANT")]
    assert granted == [
        f"GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE {DB}.PUBLIC.{target} TO ROLE SOPHIA_API"
    ]
    assert not any("SWAP" in s for s in fake_account.executed)
    # everything the job sent was a statement sqlglot knows, never an opaque Command
    assert not any(
        isinstance(sqlglot.parse_one(s, read="snowflake"), exp.Command)
        for s in fake_account.executed
    )
    # no statement dropped or replaced anything
    assert not any(w in s.upper() for s in fake_account.executed for w in ("DROP", "OR REPLACE"))
    md = next((tmp_path / "reports").glob("*.md")).read_text()
    assert clone["queryId"] in md
    for line in PEM.splitlines()[1:-1]:
        assert line not in ran.text + md


def test_swap_then_swap_back(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    args = ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", history.loaded.isoformat(),
            "--to", "SESSIONS_BACK", "--swap", "--allow-swap", SESSIONS_URN]  # fmt: skip
    ran = restore(args)
    assert ran.code == 0, ran.text
    assert ran.report is not None and ran.report["checks"][-1]["check"] == "swap"
    assert (_count(fake_account, "USER_SESSIONS"), _count(fake_account, "SESSIONS_BACK")) == (5, 0)
    # the live name now carries the grants that were re-applied to the clone
    assert fake_account.tables[SESSIONS].grants >= API_GRANTS
    # reversible: the same statement again puts the old table back
    fake_account.connect(role="SYSADMIN").cursor().execute(ran.report["statements"][-1]["sql"])
    assert (_count(fake_account, "USER_SESSIONS"), _count(fake_account, "SESSIONS_BACK")) == (0, 5)


def test_a_swap_of_a_protected_prod_table_needs_its_urn(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    base = sessions_at(history.loaded.isoformat(), "--swap")
    ran = restore(base)
    assert ran.code == 1
    assert (
        "swap-allowed             REFUSED          PUBLIC.USER_SESSIONS is protected in prod: a swap "
        "replaces the live table, so it needs --allow-swap naming its URN: --allow-swap "
        f"{SESSIONS_URN}"
    ) in ran.err
    ran = restore([*base, "--allow-swap", "sophia-table-public-user_sessions"])
    assert ran.code == 1
    assert "naming its URN (it names 'sophia-table-public-user_sessions')" in ran.err
    assert fake_account.connects == []  # refused before logging in
    assert _count(fake_account, "USER_SESSIONS") == 0


def test_a_point_outside_the_window_is_refused(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    # Live retention 1 day where the stack declares 14 (drift): the offline check passes, the
    # live one refuses before anything is created.
    history = sessions_with_an_incident(fake_account, clock, retention_days=1)
    at = history.loaded.isoformat()
    ran = restore(sessions_at(at))
    assert ran.code == 1
    assert ran.report is not None
    refused = ran.report["checks"][-1]
    assert refused["check"] == "retention" and refused["status"] == "refused"
    assert refused["detail"].endswith(
        "retention 1 day(s), margin 1 h): before or too close to the retention edge"
    )
    assert not any(s["check"] == "clone" for s in ran.report["statements"])
    # and beyond the declared 14 days the dry run already refuses
    old = (clock.now.replace(year=2026, month=11, day=1)).isoformat()
    ran = run(
        prod,
        ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", old, "--dry-run"],
        clock,
        None,
        tmp_path,
    )
    assert ran.code == 1 and "refused" in ran.err
    assert "more than the declared 14 day(s) of retention ago" in ran.err


def test_a_point_before_the_table_existed_is_refused(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    sessions_with_an_incident(fake_account, clock)  # created 9 days ago, 14 days' retention
    at = fake_account.tables[
        SESSIONS
    ].created_on.isoformat()  # inside retention, not after creation
    ran = restore(sessions_at(at))
    assert ran.code == 1, ran.text
    assert "before or too close to the creation edge" in ran.err


def test_the_stand_in_refuses_what_the_job_would_not_send(clock: Any, fake_account: Any) -> None:
    # The same window rule on the account side (the error text docs/restore.md quotes).
    from snowflake.connector.errors import ProgrammingError

    history = sessions_with_an_incident(fake_account, clock, retention_days=1)
    cursor = fake_account.connect(role="SYSADMIN").cursor()
    with pytest.raises(
        ProgrammingError, match="Time travel data is not available for table USER_SESSIONS"
    ):
        cursor.execute(
            f"CREATE TABLE {DB}.PUBLIC.R CLONE {DB}.PUBLIC.USER_SESSIONS AT "
            f"(TIMESTAMP => CAST('{history.loaded.isoformat()}' AS TIMESTAMPTZ))"
        )


def test_a_taken_target_name_is_refused(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    fake_account.create_table(
        (DB, "PUBLIC", "SESSIONS_BACK"), "X INT", owner="SYSADMIN", retention_days=14
    )
    args = sessions_at(history.loaded.isoformat(), "--to", "sessions_back")
    ran = restore(args)
    assert ran.code == 1
    assert (
        f"target-free              REFUSED          {DB}.PUBLIC.SESSIONS_BACK already exists; pick another name with --to"
        in ran.err
    )


def test_the_clone_statement_itself_refuses_a_taken_name(clock: Any, fake_account: Any) -> None:
    # Plain CREATE TABLE: the account refuses a race on the name (fakesnow's "already exists").
    from snowflake.connector.errors import ProgrammingError

    history = sessions_with_an_incident(fake_account, clock)
    fake_account.create_table((DB, "PUBLIC", "TAKEN"), "X INT", owner="SYSADMIN", retention_days=14)
    cursor = fake_account.connect(role="SYSADMIN").cursor()
    with pytest.raises(ProgrammingError, match="already exists"):
        cursor.execute(
            f"CREATE TABLE {DB}.PUBLIC.TAKEN CLONE {DB}.PUBLIC.USER_SESSIONS AT "
            f"(TIMESTAMP => CAST('{history.loaded.isoformat()}' AS TIMESTAMPTZ))"
        )
    assert fake_account.run_raw(f"SELECT COUNT(*) AS N FROM {DB}.PUBLIC.TAKEN")[0]["N"] == 0


def test_a_missing_or_dropped_table(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    fake_account.run_raw(f"CREATE DATABASE {DB}")
    fake_account.run_raw(f"CREATE SCHEMA {DB}.PUBLIC")
    at = clock.advance(days=1).isoformat()
    clock.advance(days=1)
    args = ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", at]
    ran = restore(args)
    assert ran.code == 1
    assert (
        f"exists                   REFUSED          {DB}.PUBLIC.USER_SESSIONS does not exist\n"
        in ran.err
    )
    fake_account.create_table(SESSIONS, "SESSION_ID VARCHAR", owner="SYSADMIN", retention_days=14)
    clock.advance(hours=2)
    fake_account.drop_table(SESSIONS)
    ran = restore(args)
    assert ran.code == 1
    assert "does not exist; it was dropped at" in ran.err
    assert (
        "UNDROP TABLE restores it under its old name (docs/restore.md, 'A dropped table'), this job does not run it"
        in ran.err
    )
    assert not any(s.upper().startswith("UNDROP") for s in fake_account.executed)


def test_the_session_role_must_own_the_table(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    fake_account.create_table(
        SESSIONS, "SESSION_ID VARCHAR", owner="SOPHIA_ADMIN", retention_days=14
    )
    clock.advance(days=2)
    at = clock.advance(days=1).isoformat()
    ran = restore(sessions_at(at))
    assert ran.code == 1
    assert (
        f"role                     REFUSED          the session's role SYSADMIN does not own {DB}.PUBLIC.USER_SESSIONS "
        "(owner SOPHIA_ADMIN)"
    ) in ran.err


def test_a_statement_id(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    args = ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--statement", history.incident]
    ran = restore(args)
    assert ran.code == 0, ran.text
    target = f"USER_SESSIONS_BEFORE_{history.incident[:8].upper()}"
    assert _count(fake_account, target) == 5
    clone = next(s for s in ran.report["statements"] if s["check"] == "clone")  # type: ignore[index]
    assert clone["sql"].endswith(f"BEFORE (STATEMENT => '{history.incident}')")
    # a query id past 14 days is refused
    clock.advance(days=12)
    ran = restore([*args, "--to", "OTHER"])
    assert ran.code == 1
    assert "days ago; time travel accepts query ids of the last 14 days only" in ran.err
    # an id the history does not know cannot be checked (exit 2)
    ran = restore([*args[:-1], "01b2c3d4-0000-1a2b-0000-00000000abcd", "--to", "OTHER2"])
    assert ran.code == 2
    assert "is not in SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY" in ran.err


@pytest.mark.parametrize("clone_keeps", [False, True])
def test_change_tracking_as_declared(
    restore: Callable[..., Any],
    prod: dict[str, Any],
    clock: Any,
    fake_account: Any,
    tmp_path: Path,
    clone_keeps: bool,
) -> None:
    fake_account.clone_keeps_change_tracking = clone_keeps  # GUESS either way: both are covered
    embeddings = (DB, "CORTEX_VECTORS", "EMBEDDINGS")
    fake_account.create_table(
        embeddings, "ID VARCHAR NOT NULL", owner="SYSADMIN", retention_days=14, change_tracking=True
    )
    clock.advance(days=1)
    fake_account.write(embeddings, f"INSERT INTO {DB}.CORTEX_VECTORS.EMBEDDINGS VALUES ('1')")
    at = clock.advance(days=1).isoformat()
    clock.advance(days=1)
    ran = restore(["--stack", "prod", "--table", "CORTEX_VECTORS.EMBEDDINGS", "--at", at])
    assert ran.code == 0, ran.text
    line = ran.report["checks"][-1]  # type: ignore[index]
    expected = (
        "the clone kept change tracking"
        if clone_keeps
        else "change tracking re-enabled on the clone"
    )
    assert (line["check"], line["detail"]) == ("verify-change-tracking", expected)
    altered = [s for s in fake_account.executed if "CHANGE_TRACKING" in s]
    assert len(altered) == (0 if clone_keeps else 1)


def test_estuary_writers_must_be_paused(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    commits = (DB, "ESTUARY_REALTIME", "GITHUB_COMMITS")
    fake_account.create_table(commits, "ID VARCHAR", owner="SYSADMIN", retention_days=14)
    clock.advance(days=1)
    at = clock.advance(days=1).isoformat()
    args = ["--stack", "prod", "--table", "ESTUARY_REALTIME.GITHUB_COMMITS", "--at", at]
    name = "sophia/prod/snowflake/materialize-snowflake"
    running = FakeEstuary({name: {"shards": {"disable": False}}})
    ran = restore(args, estuary=running)
    assert ran.code == 1
    assert (
        f"writers-paused           REFUSED          {name} is running and writes this table; pause it first"
        in ran.err
    )
    ran = restore(args, estuary=None)
    assert ran.code == 2
    assert "without FLOW_AUTH_TOKEN and ESTUARY_ANON_KEY its live state cannot be read" in ran.err
    paused = FakeEstuary({name: {"shards": {"disable": True}}})
    ran = restore(args, estuary=paused)
    assert ran.code == 0, ran.text


def test_a_bad_key_is_could_not_check_and_never_shown(
    prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    history = sessions_with_an_incident(fake_account, clock)
    broken = PEM.replace("MII", "MIX", 1)
    args = sessions_at(history.loaded.isoformat())
    ran = run(
        prod, args, clock, fake_account, tmp_path, environ={**ENV, "SNOWFLAKE_PRIVATE_KEY": broken}
    )
    assert ran.code == 2
    assert (
        "connect                  COULD NOT CHECK  SNOWFLAKE_PRIVATE_KEY is not a PEM private key"
        in ran.err
    )
    for line in broken.splitlines()[1:-1]:
        assert line not in ran.text


def test_a_login_failure_is_could_not_check(
    prod: dict[str, Any], clock: Any, tmp_path: Path
) -> None:
    def refuse(**kwargs: Any) -> Any:
        raise RuntimeError(
            f"250001: JWT token is invalid for {kwargs['user']} {PEM.splitlines()[1]}"
        )

    at = clock.now.isoformat()
    ran = run(
        prod,
        ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", at],
        clock,
        None,
        tmp_path,
        connect_fn=refuse,
    )
    assert ran.code == 2
    assert (
        "cannot log in to SOPHIAAI-PLATFORM as PULUMI_DEPLOY_SVC with role SYSADMIN: 250001: JWT token is invalid"
        in ran.err
    )
    assert PEM.splitlines()[1] not in ran.text


def test_like_wildcards_do_not_stand_in_for_the_name(
    restore: Callable[..., Any], prod: dict[str, Any], clock: Any, fake_account: Any, tmp_path: Path
) -> None:
    # `_` matches any character in SHOW TABLES LIKE: USERXSESSIONS is not USER_SESSIONS.
    fake_account.create_table(
        (DB, "PUBLIC", "USERXSESSIONS"), "X INT", owner="SYSADMIN", retention_days=14
    )
    at = clock.advance(days=1).isoformat()
    clock.advance(days=1)
    ran = restore(sessions_at(at))
    assert ran.code == 1
    assert f"{DB}.PUBLIC.USER_SESSIONS does not exist" in ran.err
    shown = fake_account.run_raw(f"SHOW TABLES LIKE 'USER_SESSIONS' IN SCHEMA {DB}.PUBLIC")
    assert [r["name"] for r in shown] == [
        "USERXSESSIONS"
    ]  # fakesnow applies LIKE as Snowflake does

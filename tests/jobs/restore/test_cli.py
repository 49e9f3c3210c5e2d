"""The CLI: the dry run for prod's USER_SESSIONS prints every check and the exact SQL."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest

from jobs.harness import REPO_ROOT
from jobs.restore import cli
from tests.jobs.restore.conftest import NOW

CHECKS = (
    "declared-object", "point-in-time", "target-name", "swap-allowed", "exists", "retention",
    "target-free", "role", "writers-paused", "clone", "verify-rows", "verify-grants",
    "verify-change-tracking",
)  # fmt: skip
SQL = """\
SQL, in order (GRANT and SET CHANGE_TRACKING only where the clone lacks it):
  [session] SELECT CURRENT_ROLE() AS ROLE, CURRENT_TIMESTAMP() AS NOW;
  [exists] SHOW TABLES LIKE 'USER_SESSIONS' IN SCHEMA SOPHIA_AI.PUBLIC;
  [target-free] SHOW TABLES LIKE 'USER_SESSIONS_RESTORED_20261205T0930Z' IN SCHEMA SOPHIA_AI.PUBLIC;
  [clone] CREATE TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261205T0930Z CLONE SOPHIA_AI.PUBLIC.USER_SESSIONS AT (TIMESTAMP => CAST('2026-12-05T10:30:00.000000+01:00' AS TIMESTAMPTZ));
  [verify-rows] SELECT COUNT(*) AS N FROM SOPHIA_AI.PUBLIC.USER_SESSIONS AT (TIMESTAMP => CAST('2026-12-05T10:30:00.000000+01:00' AS TIMESTAMPTZ));
  [verify-rows] SELECT COUNT(*) AS N FROM SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261205T0930Z;
  [verify-grants] SELECT GRANTEE, PRIVILEGE_TYPE FROM SOPHIA_AI.INFORMATION_SCHEMA.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = 'USER_SESSIONS_RESTORED_20261205T0930Z';
  [verify-grants] GRANT SELECT ON TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261205T0930Z TO ROLE SOPHIA_ANALYST;
  [verify-grants] GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261205T0930Z TO ROLE SOPHIA_API;
  [swap] ALTER TABLE SOPHIA_AI.PUBLIC.USER_SESSIONS SWAP WITH SOPHIA_AI.PUBLIC.USER_SESSIONS_RESTORED_20261205T0930Z;
"""
URN = (
    "urn:pulumi:prod::sophia-infra::sophia:snowflake:Database$snowflake:index/table:Table::"
    "sophia-table-public-user_sessions"
)


def _main(argv: list[str], document: dict[str, Any], environ: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = cli.main(argv, now=NOW, environ=environ, document=document)
    return code, out.getvalue()


def test_dry_run_for_prod_user_sessions(document: Callable[[str], Any]) -> None:
    argv = ["--stack", "prod", "--table", "PUBLIC.USER_SESSIONS", "--at", "2026-12-05T10:30:00+01:00",
            "--swap", "--allow-swap", URN]  # fmt: skip
    code, text = _main(argv, document("prod"), {})
    assert code == 0
    assert text.startswith(
        "no SNOWFLAKE_PRIVATE_KEY in the environment: dry run (checks and SQL only)\n"
        "dry run: stack prod, table PUBLIC.USER_SESSIONS -> USER_SESSIONS_RESTORED_20261205T0930Z, "
        "AT 2026-12-05T10:30:00.000000+01:00, then swap\n"
    )
    listed = [
        line.split()[0]
        for line in text.split("checks, in order:\n")[1].split("\n\n")[0].splitlines()
    ]
    assert listed == [*CHECKS, "swap"]
    assert SQL in text
    assert text.endswith("outcome: dry-run (exit 0)\n")


def test_dry_run_is_explicit_even_with_credentials(document: Callable[[str], Any]) -> None:
    argv = [
        "--stack",
        "prod",
        "--table",
        "PUBLIC.USER_SESSIONS",
        "--at",
        "2026-12-05T10:30:00+01:00",
        "--dry-run",
    ]
    code, text = _main(argv, document("prod"), {"SNOWFLAKE_PRIVATE_KEY": "not used"})
    assert code == 0 and text.startswith("dry run: stack prod")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--table", "PUBLIC.NOPE", "--at", "2026-12-05T10:30:00+01:00"], "refused"),
        (["--table", "PUBLIC.USER_SESSIONS", "--at", "2026-12-05T10:30:00"], "explicit UTC offset"),
        (["--table", "PUBLIC.USER_SESSIONS", "--at", "2027-01-01T00:00:00+00:00"], "is in the future"),
        (["--table", "PUBLIC.USER_SESSIONS", "--statement", "latest"], "expected a Snowflake query id"),
        (["--table", "PUBLIC.USER_SESSIONS", "--at", "2026-12-05T10:30:00+01:00", "--allow-swap", URN],
         "--allow-swap is given without --swap"),
        (["--table", "PUBLIC.USER_SESSIONS", "--at", "2026-12-05T10:30:00+01:00", "--to", "USER_SESSIONS"],
         "that is the table being restored"),
    ],
)  # fmt: skip
def test_refusals_exit_1(document: Callable[[str], Any], argv: list[str], message: str) -> None:
    code, text = _main(["--stack", "prod", *argv], document("prod"), {})
    assert code == 1 and message in text and "outcome: refused (exit 1)" in text


def test_a_statement_dry_run_plans_the_age_check(document: Callable[[str], Any]) -> None:
    argv = [
        "--stack",
        "prod",
        "--table",
        "PUBLIC.USER_SESSIONS",
        "--statement",
        "01b2c3d4-0000-1a2b-0000-00000000abcd",
    ]
    code, text = _main(argv, document("prod"), {})
    assert code == 0
    assert (
        "point-in-time            would run        when the statement ran (ACCOUNT_USAGE.QUERY_HISTORY): refused past 14 days"
        in text
    )
    assert (
        "[point-in-time] SELECT START_TIME FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY WHERE QUERY_ID = '01b2c3d4-0000-1a2b-0000-00000000abcd';"
        in text
    )
    assert "USER_SESSIONS_BEFORE_01B2C3D4" in text


def test_dev_names_carry_the_suffix(document: Callable[[str], Any]) -> None:
    argv = [
        "--stack",
        "dev",
        "--table",
        "PUBLIC.USER_SESSIONS",
        "--at",
        "2026-12-08T10:30:00+00:00",
        "--swap",
    ]
    code, text = _main(argv, document("dev"), {})
    assert code == 0, text  # dev is not protected: no --allow-swap needed
    assert "CLONE SOPHIA_AI_DEV.PUBLIC.USER_SESSIONS AT" in text


def test_the_module_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jobs.restore", "--stack", "prod", "--table", "PUBLIC.USER_SESSIONS",
         "--at", "2026-12-01T00:00:00+00:00", "--dry-run"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT)},
    )  # fmt: skip
    # 0 while 2026-12-01 is inside prod's declared 14 days of retention, 1 (refused) after
    assert result.returncode in (0, 1), result.stderr
    assert "declared-object" in result.stdout + result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "jobs.restore", "--stack", "nope", "--table", "PUBLIC.T", "--at", "x"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.startswith("error: ")

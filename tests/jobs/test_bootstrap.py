"""`python -m jobs.bootstrap`: the one-time account SQL, and `--verify` against the stand-in.

The connector path (jobs/bootstrap_verify.py ConnectorSession) needs a Snowflake account and is not
tested here; the checks run on the SHOW answers of the account stand-in (tests/fakes/
snowflake_show.py), whose columns come from the provider's SDK.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest

from components.settings.snowflake_readiness import snowflake_readiness
from jobs import bootstrap
from jobs.bootstrap_verify import problems, queries, run_verify
from tests.conftest import stack_config
from tests.fakes.snowflake_account import Account, User
from tests.fakes.snowflake_show import show

ROLES = {"SYSADMIN", "SECURITYADMIN", "ACCOUNTADMIN"}


def test_prod_sql_makes_the_deploy_user_act_with_one_role_per_session() -> None:
    sql = bootstrap.bootstrap_sql(bootstrap.load("prod"))
    assert (
        "USE ROLE USERADMIN;\n"
        "CREATE USER IF NOT EXISTS PULUMI_DEPLOY_SVC\n"
        "  TYPE = SERVICE\n"
        "  DEFAULT_ROLE = SYSADMIN\n"
        "  DEFAULT_SECONDARY_ROLES = ()\n"
    ) in sql
    assert "ALTER USER PULUMI_DEPLOY_SVC SET DEFAULT_SECONDARY_ROLES = ();\n" in sql
    assert (
        "GRANT OWNERSHIP ON USER PULUMI_DEPLOY_SVC TO ROLE USERADMIN COPY CURRENT GRANTS;\n"
        "GRANT ROLE SYSADMIN TO USER PULUMI_DEPLOY_SVC;\n"
        "GRANT ROLE SECURITYADMIN TO USER PULUMI_DEPLOY_SVC;\n"
        "GRANT ROLE ACCOUNTADMIN TO USER PULUMI_DEPLOY_SVC;\n"
    ) in sql
    assert "GRANT ROLE ACCOUNTADMIN TO USER BREAK_GLASS_ADMIN;\n" in sql
    assert "ALTER USER BREAK_GLASS_ADMIN UNSET NETWORK_POLICY;\n" in sql
    assert "CREATE USER IF NOT EXISTS PLATFORM_ONCALL\n" in sql
    assert sql.endswith(
        "-- 4. Then record in the stack what this made:\n"
        "--   pulumi config set --stack prod --path 'sophia-infra:snowflake.breakGlassAdmin' BREAK_GLASS_ADMIN\n"
        "--   pulumi config set --stack prod --path 'sophia-infra:snowflake.monitorNotifyUsers[0]' PLATFORM_ONCALL\n"
    )
    assert "password" not in sql.lower().replace("set its\n--    password", "")


def test_the_readiness_checklist_suggests_the_notify_user_the_bootstrap_makes() -> None:
    items = dict(
        (k, c) for k, _, c in snowflake_readiness("prod", "prod", stack_config("prod")["snowflake"])
    )
    assert items["sophia-infra:snowflake.monitorNotifyUsers"].endswith(
        bootstrap.DEFAULT_NOTIFY_USER
    )


def test_configured_names_are_used_and_nothing_left_to_record(tmp_path: Any) -> None:
    text = (bootstrap.REPO_ROOT / "Pulumi.prod.yaml").read_text()
    text = text.replace(
        "    protect: true\n",
        "    protect: true\n    breakGlassAdmin: ADA\n    monitorNotifyUsers: [ONCALL_A, ONCALL_B]\n",
        1,
    )
    (tmp_path / "Pulumi.prod.yaml").write_text(text)
    sql = bootstrap.bootstrap_sql(bootstrap.load("prod", root=tmp_path))
    assert "GRANT ROLE ACCOUNTADMIN TO USER ADA;" in sql
    assert (
        "CREATE USER IF NOT EXISTS ONCALL_A\n" in sql
        and "CREATE USER IF NOT EXISTS ONCALL_B\n" in sql
    )
    assert "-- 4." not in sql


def test_main_prints_the_sql_and_refuses_an_unknown_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bootstrap.main(["--stack", "dev"]) == 0
    assert "CREATE USER IF NOT EXISTS PULUMI_DEPLOY_SVC" in capsys.readouterr().out
    assert bootstrap.main(["--stack", "qa"]) == 2
    assert capsys.readouterr().err.startswith("bootstrap: no stack file Pulumi.qa.yaml in ")


# --- --verify --------------------------------------------------------------------------------------


def _bootstrapped(**deploy: Any) -> Account:
    """The account as the printed SQL leaves it (prod names)."""
    account = Account()
    values: dict[str, Any] = {
        "owner": "USERADMIN",
        "roles": set(ROLES),
        "default_secondary_roles": (),
        "type": "SERVICE",
    }
    values.update(deploy)
    account.users["PULUMI_DEPLOY_SVC"] = User(**values)
    account.users["BREAK_GLASS_ADMIN"] = User(
        "USERADMIN", {"ACCOUNTADMIN"}, (), email="ada@example.com"
    )
    account.users["PLATFORM_ONCALL"] = User("USERADMIN", set(), None, email="oncall@example.com")
    return account


class StandInSession:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.sent: list[str] = []

    def rows(self, sql: str) -> list[Mapping[str, Any]]:
        self.sent.append(sql)
        return show(self.account, sql)


def test_a_bootstrapped_account_passes_and_only_the_listed_queries_run() -> None:
    plan = bootstrap.load("prod")
    session = StandInSession(_bootstrapped())
    assert problems(plan, session) == []
    assert set(session.sent) == set(queries(plan))


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        (
            {"default_secondary_roles": None},
            "deploy user PULUMI_DEPLOY_SVC has DEFAULT_SECONDARY_ROLES DEFAULT (shown as ''); every provider session would act with all its roles: ALTER USER PULUMI_DEPLOY_SVC SET DEFAULT_SECONDARY_ROLES = ()",
        ),
        (
            {"default_secondary_roles": ("ALL",)},
            "deploy user PULUMI_DEPLOY_SVC has DEFAULT_SECONDARY_ROLES ALL (shown as '[\"ALL\"]'); every provider session would act with all its roles: ALTER USER PULUMI_DEPLOY_SVC SET DEFAULT_SECONDARY_ROLES = ()",
        ),
        (
            {"owner": "ACCOUNTADMIN"},
            "deploy user PULUMI_DEPLOY_SVC is owned by ACCOUNTADMIN; the SECURITYADMIN provider must own it (through USERADMIN) to attach its network policy: GRANT OWNERSHIP ON USER PULUMI_DEPLOY_SVC TO ROLE USERADMIN COPY CURRENT GRANTS",
        ),
        (
            {"roles": {"SYSADMIN"}},
            "deploy user PULUMI_DEPLOY_SVC lacks role(s) SECURITYADMIN, ACCOUNTADMIN",
        ),
    ],
)
def test_a_deploy_user_not_as_bootstrapped_fails(deploy: dict[str, Any], expected: str) -> None:
    assert problems(bootstrap.load("prod"), StandInSession(_bootstrapped(**deploy))) == [expected]


def test_missing_or_fenced_break_glass_admin_and_notify_user_fail() -> None:
    account = _bootstrapped()
    account.user_policy["BREAK_GLASS_ADMIN"] = "PULUMI_DEPLOY_SVC_NETWORK_POLICY"
    account.users["PLATFORM_ONCALL"].email = None
    assert problems(bootstrap.load("prod"), StandInSession(account)) == [
        "break-glass admin BREAK_GLASS_ADMIN is fenced by network policy PULUMI_DEPLOY_SVC_NETWORK_POLICY; it must stay outside every policy",
        "notify user PLATFORM_ONCALL has no e-mail address",
    ]
    del account.users["BREAK_GLASS_ADMIN"], account.users["PLATFORM_ONCALL"]
    assert problems(bootstrap.load("prod"), StandInSession(account)) == [
        "break-glass admin BREAK_GLASS_ADMIN does not exist",
        "notify user PLATFORM_ONCALL does not exist (every monitor's NOTIFY_USERS names it)",
    ]


def test_verify_without_credentials_is_a_dry_run_that_says_so() -> None:
    out = io.StringIO()
    assert run_verify(bootstrap.load("prod"), environ={}, out=out) == 2
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "not verified: SNOWFLAKE_PRIVATE_KEY is not set (the deploy user's PEM key). Would run:"
    )
    assert lines[1] == "  SHOW USERS LIKE 'PULUMI_DEPLOY_SVC';"


def test_verify_with_credentials_reports_and_exits_by_the_result() -> None:
    plan = bootstrap.load("prod")
    out = io.StringIO()
    code = run_verify(
        plan, {"SNOWFLAKE_PRIVATE_KEY": "pem"}, lambda b, pem: StandInSession(_bootstrapped()), out
    )
    assert code == 0
    assert out.getvalue().endswith(
        "PASS: account SOPHIAAI-PLATFORM is bootstrapped for stack prod\n"
    )
    out = io.StringIO()
    bad = _bootstrapped(default_secondary_roles=("ALL",))
    assert (
        run_verify(plan, {"SNOWFLAKE_PRIVATE_KEY": "pem"}, lambda b, pem: StandInSession(bad), out)
        == 1
    )
    assert out.getvalue().startswith(
        "FAIL deploy user PULUMI_DEPLOY_SVC has DEFAULT_SECONDARY_ROLES ALL"
    )


def test_a_connection_failure_is_not_verified_and_names_no_secret() -> None:
    def refuse(b: bootstrap.Bootstrap, pem: str) -> StandInSession:
        raise ConnectionError(f"bad key {pem}")

    out = io.StringIO()
    assert run_verify(bootstrap.load("prod"), {"SNOWFLAKE_PRIVATE_KEY": "s3cret"}, refuse, out) == 2
    assert out.getvalue() == "not verified: could not query SOPHIAAI-PLATFORM: ConnectionError\n"

"""`python -m jobs.bootstrap --verify`: is the account as the bootstrap leaves it?

Read-only SHOW statements, answers parsed into typed rows at the boundary, then pure checks
(`problems`) that the tests run against rows built from the documented columns. The columns:
- SHOW USERS: name, owner, type, disabled, email, default_secondary_roles (terraform-provider-
  snowflake pkg/sdk/users_gen.go userDBRow). default_secondary_roles is '' when unset, '[]' for
  none, '["ALL"]' for all (pkg/sdk/users_ext.go GetSecondaryRolesOptionFrom); unset means ('ALL')
  since BCR 1692.
- SHOW GRANTS TO USER: one row per role granted to the user, column `role` (Snowflake docs, SHOW
  GRANTS, "TO USER"; GUESS: the column name is from the docs' example output, not from a source).
- SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER: key, value, level (pkg/sdk/parameters.go).

Not checkable by SQL, so printed as a reminder: whether a notify user's e-mail is verified (GUESS:
no SHOW column says so).

The connector path (`ConnectorSession`) needs a real account, which this repository's tests do not
have: it is untested here. The checks are tested (tests/jobs/test_bootstrap.py).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from jobs.bootstrap import DEPLOY_USER_OWNER, EXIT_FAIL, EXIT_INVALID, EXIT_OK, Bootstrap

VERIFY_ROLE = "SECURITYADMIN"  # SHOW USERS shows users the role owns or manages
KEY_ENV = "SNOWFLAKE_PRIVATE_KEY"  # PEM of the deploy user's key (the snowflakePrivateKey secret)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserRow(_Row):
    name: str
    owner: str = ""
    type: str | None = None
    disabled: str | bool | None = None
    email: str | None = None
    default_secondary_roles: str | None = None

    @property
    def secondary_roles(self) -> str:
        """'DEFAULT' (unset: ('ALL') since BCR 1692), 'NONE' or 'ALL'."""
        text = (self.default_secondary_roles or "").strip()
        if not text:
            return "DEFAULT"
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = [p for p in text.strip("[]").split(",") if p.strip()]
        return "ALL" if parsed else "NONE"

    @property
    def is_disabled(self) -> bool:
        return str(self.disabled).lower() == "true"


class RoleGrantRow(_Row):
    role: str


class ParameterRow(_Row):
    key: str
    value: str | None = None
    level: str | None = Field(None, description="'' when the parameter is not set on the object")


class Session(Protocol):
    def rows(self, sql: str) -> list[Mapping[str, Any]]: ...


def queries(b: Bootstrap) -> list[str]:
    """Every statement `--verify` runs, in order (also what the dry run prints)."""
    users = [b.deploy_user, b.break_glass_admin, *b.notify_users]
    return [
        *(f"SHOW USERS LIKE '{user}'" for user in users),
        f"SHOW GRANTS TO USER {b.deploy_user}",
        f"SHOW GRANTS TO USER {b.break_glass_admin}",
        f"SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER {b.break_glass_admin}",
    ]


def _user(session: Session, name: str) -> UserRow | None:
    rows = [UserRow.model_validate(_lower(r)) for r in session.rows(f"SHOW USERS LIKE '{name}'")]
    return next((r for r in rows if r.name == name), None)


def _roles(session: Session, user: str) -> set[str]:
    return {
        RoleGrantRow.model_validate(_lower(r)).role
        for r in session.rows(f"SHOW GRANTS TO USER {user}")
    }


def _lower(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def problems(b: Bootstrap, session: Session) -> list[str]:
    """What differs from the bootstrap, one line each (empty: ready)."""
    found: list[str] = []
    deploy = _user(session, b.deploy_user)
    if deploy is None:
        found.append(f"deploy user {b.deploy_user} does not exist (or SECURITYADMIN cannot see it)")
    else:
        if deploy.secondary_roles != "NONE":
            found.append(
                f"deploy user {b.deploy_user} has DEFAULT_SECONDARY_ROLES "
                f"{deploy.secondary_roles} (shown as {deploy.default_secondary_roles!r}); every "
                "provider session would act with all its roles: ALTER USER "
                f"{b.deploy_user} SET DEFAULT_SECONDARY_ROLES = ()"
            )
        if deploy.owner not in (DEPLOY_USER_OWNER, VERIFY_ROLE):
            found.append(
                f"deploy user {b.deploy_user} is owned by {deploy.owner or '(unknown)'}; the "
                f"{VERIFY_ROLE} provider must own it (through {DEPLOY_USER_OWNER}) to attach its "
                f"network policy: GRANT OWNERSHIP ON USER {b.deploy_user} TO ROLE "
                f"{DEPLOY_USER_OWNER} COPY CURRENT GRANTS"
            )
        if (deploy.type or "").upper() != "SERVICE":
            found.append(f"deploy user {b.deploy_user} is TYPE {deploy.type}; expected SERVICE")
        missing = [r for r in b.admin_roles if r not in _roles(session, b.deploy_user)]
        if missing:
            found.append(f"deploy user {b.deploy_user} lacks role(s) {', '.join(missing)}")
    admin = _user(session, b.break_glass_admin)
    if admin is None:
        found.append(f"break-glass admin {b.break_glass_admin} does not exist")
    else:
        if admin.is_disabled:
            found.append(f"break-glass admin {b.break_glass_admin} is disabled")
        if "ACCOUNTADMIN" not in _roles(session, b.break_glass_admin):
            found.append(f"break-glass admin {b.break_glass_admin} does not have ACCOUNTADMIN")
        sql = f"SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER {b.break_glass_admin}"
        for row in session.rows(sql):
            parameter = ParameterRow.model_validate(_lower(row))
            if parameter.key == "NETWORK_POLICY" and (parameter.value or "") != "":
                found.append(
                    f"break-glass admin {b.break_glass_admin} is fenced by network policy "
                    f"{parameter.value}; it must stay outside every policy"
                )
    for name in b.notify_users:
        user = _user(session, name)
        if user is None:
            found.append(
                f"notify user {name} does not exist (every monitor's NOTIFY_USERS names it)"
            )
        elif not (user.email or "").strip():
            found.append(f"notify user {name} has no e-mail address")
    return found


class ConnectorSession:
    """The real connector, key-pair authenticated as the deploy user in role SECURITYADMIN.
    Untested here: no Snowflake account is reachable from this repository's tests."""

    def __init__(self, b: Bootstrap, pem: str) -> None:
        import snowflake.connector  # only --verify needs the connector
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(pem.encode(), password=None)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._connection = snowflake.connector.connect(
            account=b.account,
            user=b.deploy_user,
            private_key=der,
            authenticator="SNOWFLAKE_JWT",
            role=VERIFY_ROLE,
        )

    def rows(self, sql: str) -> list[Mapping[str, Any]]:
        from snowflake.connector import DictCursor

        with self._connection.cursor(DictCursor) as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())


def run_verify(
    b: Bootstrap,
    environ: Mapping[str, str] = os.environ,
    connect: Callable[[Bootstrap, str], Session] = ConnectorSession,
    out: Any = None,
) -> int:
    out = out or sys.stdout
    pem = environ.get(KEY_ENV)
    if not pem:
        print(
            f"not verified: {KEY_ENV} is not set (the deploy user's PEM key). Would run:", file=out
        )
        for sql in queries(b):
            print(f"  {sql};", file=out)
        return EXIT_INVALID
    try:
        session = connect(b, pem)
        found = problems(b, session)
    except Exception as error:  # connector errors vary; the type alone is shown (no secret)
        print(f"not verified: could not query {b.account}: {type(error).__name__}", file=out)
        return EXIT_INVALID
    for line in found:
        print(f"FAIL {line}", file=out)
    print(
        f"check by hand: each of {', '.join(b.notify_users)} has verified its e-mail address "
        "(no SHOW column says so)",
        file=out,
    )
    if found:
        return EXIT_FAIL
    print(f"PASS: account {b.account} is bootstrapped for stack {b.stack}", file=out)
    return EXIT_OK

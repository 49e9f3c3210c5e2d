"""The one-time Snowflake account set-up, and the pre-flight that checks it before `pulumi up`.

    python -m jobs.bootstrap --stack prod            # print the SQL an account admin runs once
    python -m jobs.bootstrap --stack prod --verify   # check the account (credentials needed)

What the program cannot create because it logs in as them, or must not manage because they are
its way back in (docs/snowflake-bootstrap.md):
- the deploy user, TYPE = SERVICE, with DEFAULT_SECONDARY_ROLES = () so each provider session acts
  with its own role only (BCR 1692, bundle 2024_07/2024_08: unset means ('ALL'); USE ROLE / USE
  SECONDARY ROLES docs: every statement but CREATE is authorised by every active role), owned by
  USERADMIN so the SECURITYADMIN provider (which inherits USERADMIN) may ALTER it: attaching its
  network policy needs OWNERSHIP of the user (Snowflake docs, "User & security DDL");
- the break-glass admin: a person with ACCOUNTADMIN outside every network policy;
- the users the resource monitors e-mail (NOTIFY_USERS), each with a verified e-mail address.

`--verify` runs read-only SHOW statements as SECURITYADMIN (jobs/bootstrap_verify.py). Without
credentials it prints what it would check and exits 2 ("not verified"), never 0.

Exit codes: 0 printed / verified; 1 the account is not as the bootstrap leaves it; 2 bad input,
or not verified (no credentials, no connection).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from components.settings.snowflake import SnowflakeSettings
from components.yaml_files import load_yaml_file
from jobs.harness import PROJECT, REPO_ROOT

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
DEPLOY_USER_OWNER = "USERADMIN"
DEFAULT_NOTIFY_USER = "PLATFORM_ONCALL"
DEFAULT_BREAK_GLASS = "BREAK_GLASS_ADMIN"


@dataclass(frozen=True)
class Bootstrap:
    """The account objects a stack needs before its first `up`, from its stack file."""

    stack: str
    account: str
    deploy_user: str
    admin_roles: tuple[str, ...]
    break_glass_admin: str
    break_glass_configured: bool
    notify_users: tuple[str, ...]
    notify_configured: bool

    @classmethod
    def from_settings(cls, stack: str, settings: SnowflakeSettings) -> Bootstrap:
        roles = settings.admin_roles
        return cls(
            stack=stack,
            account=settings.account_identifier,
            deploy_user=settings.deploy_user,
            admin_roles=tuple(
                dict.fromkeys((roles.sysadmin, roles.securityadmin, roles.monitor_admin))
            ),
            break_glass_admin=settings.break_glass_admin or DEFAULT_BREAK_GLASS,
            break_glass_configured=settings.break_glass_admin is not None,
            notify_users=settings.monitor_notify_users or (DEFAULT_NOTIFY_USER,),
            notify_configured=bool(settings.monitor_notify_users),
        )


def load(stack: str, root: Path = REPO_ROOT) -> Bootstrap:
    """The stack's Snowflake settings, validated by the same model the program uses."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise ValueError(f"no stack file {path.name} in {root}")
    config = load_yaml_file(path)["config"]
    raw = config.get(f"{PROJECT}:snowflake")
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: {PROJECT}:snowflake is missing or not a mapping")
    try:
        settings = SnowflakeSettings.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path.name}: {PROJECT}:snowflake.{where}: {first['msg']}") from None
    return Bootstrap.from_settings(stack, settings)


def bootstrap_sql(b: Bootstrap) -> str:
    """The statements an account admin runs once, as one worksheet; idempotent."""
    lines = [
        f"-- sophia-infra: one-time set-up of account {b.account} for stack {b.stack}.",
        "-- Run once in a Snowsight worksheet as a user with ACCOUNTADMIN, before the first",
        f"-- `pulumi up`; then check: `python -m jobs.bootstrap --stack {b.stack} --verify`.",
        "-- Safe to run again (IF NOT EXISTS, then ALTER). docs/snowflake-bootstrap.md says why.",
        "",
        "-- 1. The deploy user: key-pair only, no secondary roles (each provider session then",
        "--    acts with its own role only), owned by USERADMIN (SECURITYADMIN inherits it, and",
        "--    attaching a network policy to the user needs its OWNERSHIP).",
        "USE ROLE USERADMIN;",
        f"CREATE USER IF NOT EXISTS {b.deploy_user}",
        "  TYPE = SERVICE",
        f"  DEFAULT_ROLE = {b.admin_roles[0]}",
        "  DEFAULT_SECONDARY_ROLES = ()",
        "  RSA_PUBLIC_KEY = '<base64 body of the public key of the snowflakePrivateKey secret>'",
        "  COMMENT = 'Pulumi deploy user of sophia-infra (python -m jobs.bootstrap)';",
        f"ALTER USER {b.deploy_user} SET DEFAULT_SECONDARY_ROLES = ();",
        "USE ROLE ACCOUNTADMIN;",
        f"GRANT OWNERSHIP ON USER {b.deploy_user} TO ROLE {DEPLOY_USER_OWNER} COPY CURRENT GRANTS;",
        *(f"GRANT ROLE {role} TO USER {b.deploy_user};" for role in b.admin_roles),
        "",
        "-- 2. The break-glass admin: a person with ACCOUNTADMIN, outside every network policy",
        "--    (the way back in if the deploy user is fenced out or its key is lost). Set its",
        "--    password and MFA in Snowsight; never put it in a stack file or a pipeline.",
        "USE ROLE USERADMIN;",
        f"CREATE USER IF NOT EXISTS {b.break_glass_admin}",
        "  TYPE = PERSON",
        "  EMAIL = '<e-mail address of the person who holds it>'",
        "  DEFAULT_SECONDARY_ROLES = ()",
        "  COMMENT = 'Break-glass admin of sophia-infra: outside every network policy';",
        "USE ROLE ACCOUNTADMIN;",
        f"GRANT ROLE ACCOUNTADMIN TO USER {b.break_glass_admin};",
        f"ALTER USER {b.break_glass_admin} UNSET NETWORK_POLICY;",
        "",
        "-- 3. The users the resource monitors e-mail (NOTIFY_USERS). Each must verify its",
        "--    e-mail address (the link Snowflake sends) before the first `up`.",
        "USE ROLE USERADMIN;",
    ]
    for user in b.notify_users:
        lines += [
            f"CREATE USER IF NOT EXISTS {user}",
            "  TYPE = PERSON",
            "  EMAIL = '<the on-call mailbox>'",
            "  COMMENT = 'Receives the resource monitors'' notices (sophia-infra)';",
        ]
    todo = []
    if not b.break_glass_configured:
        todo.append(
            f"pulumi config set --stack {b.stack} --path "
            f"'{PROJECT}:snowflake.breakGlassAdmin' {b.break_glass_admin}"
        )
    if not b.notify_configured:
        todo += [
            f"pulumi config set --stack {b.stack} --path "
            f"'{PROJECT}:snowflake.monitorNotifyUsers[{i}]' {user}"
            for i, user in enumerate(b.notify_users)
        ]
    if todo:
        lines += [
            "",
            "-- 4. Then record in the stack what this made:",
            *(f"--   {t}" for t in todo),
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.bootstrap",
        description="Print the one-time Snowflake account SQL for a stack, or verify the account.",
    )
    parser.add_argument("--stack", required=True, help="the stack (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check the account read-only (needs SNOWFLAKE_PRIVATE_KEY; exit 2 without it)",
    )
    args = parser.parse_args(argv)
    try:
        plan = load(args.stack)
    except ValueError as error:
        print(f"bootstrap: {error}", file=sys.stderr)
        return EXIT_INVALID
    if not args.verify:
        sys.stdout.write(bootstrap_sql(plan))
        return EXIT_OK
    from jobs.bootstrap_verify import run_verify  # the connector is imported only here

    return run_verify(plan)


if __name__ == "__main__":
    sys.exit(main())

"""SHOW statements of the account stand-in, with the columns Snowflake returns.

- SHOW USERS LIKE '<pattern>': name, owner, type, disabled, email, default_secondary_roles
  (terraform-provider-snowflake pkg/sdk/users_gen.go userDBRow). default_secondary_roles renders
  '' when unset, '[]' for (), '["ALL"]' for ('ALL') (pkg/sdk/users_ext.go
  GetSecondaryRolesOptionFrom parses exactly these). LIKE is case-insensitive with '_' and '%'
  wildcards (SHOW USERS docs); disabled is the string 'true'/'false' (userDBRow: NullString).
- SHOW GRANTS TO USER <name>: one row per role granted, with created_on, role, granted_to,
  grantee_name, granted_by (Snowflake docs, SHOW GRANTS; GUESS: columns from the docs' example).
- SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER <name>: key, value, default, level
  (pkg/sdk/parameters.go parameterRow); level is 'USER' when set on the user, '' otherwise.
Anything else raises: the stand-in does not guess an answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.snowflake_account import Account, SnowflakeError

_USERS = re.compile(r"^SHOW USERS LIKE '([^']*)'$", re.IGNORECASE)
_GRANTS = re.compile(r"^SHOW GRANTS TO USER (\w+)$", re.IGNORECASE)
_PARAMETER = re.compile(r"^SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER (\w+)$", re.IGNORECASE)


def _like(pattern: str) -> re.Pattern[str]:
    body = "".join("." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern.upper())
    return re.compile(f"^{body}$")


def _secondary(value: tuple[str, ...] | None) -> str:
    return "" if value is None else json.dumps(list(value))


def show(account: Account, sql: str) -> list[Mapping[str, Any]]:
    if match := _USERS.match(sql):
        like = _like(match.group(1))
        return [
            {
                "name": name,
                "owner": user.owner,
                "type": user.type,
                "disabled": str(user.disabled).lower(),
                "email": user.email,
                "default_secondary_roles": _secondary(user.default_secondary_roles),
            }
            for name, user in sorted(account.users.items())
            if like.match(name)
        ]
    if match := _GRANTS.match(sql):
        user = account.users.get(match.group(1))
        if user is None:
            raise SnowflakeError(f"User '{match.group(1)}' does not exist or not authorized.")
        return [
            {"role": role, "granted_to": "USER", "grantee_name": match.group(1)}
            for role in sorted(user.roles)
        ]
    if match := _PARAMETER.match(sql):
        policy = account.user_policy.get(match.group(1), "")
        return [
            {
                "key": "NETWORK_POLICY",
                "value": policy,
                "default": "",
                "level": "USER" if policy else "",
            }
        ]
    raise NotImplementedError(f"the SHOW stand-in does not know: {sql}")

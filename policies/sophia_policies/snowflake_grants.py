"""One owner per granted privilege: which Snowflake grant resources manage the same grant.

terraform-provider-snowflake (pkg/resources/grant_privileges_to_account_role.go) never reads an
`on_all` grant back (prepareShowGrantsRequestForAccountRole: "Show with on_schema_object.on_all
option is skipped. No changes in privileges in Snowflake will be detected.") and deletes every grant
with REVOKE (DeleteGrantPrivilegesToAccountRole). Two resources that grant the same (grantee,
privilege, object) therefore share one row in Snowflake: deleting, replacing or renaming either
(a rename without `aliases` is create-then-delete) revokes what the other still declares, and
nothing puts it back. This module finds such pairs; it works on plain (urn, type, props) so the
pack's stack rule and the tests over every stack's synth share it.

Pairs found (same grantee, a common privilege, ALL PRIVILEGES matching any):
- the same target twice (account, account object, schema, schema object, ALL or FUTURE in a
  container), for GrantPrivilegesToAccountRole and GrantPrivilegesToDatabaseRole;
- an explicit schema object and an ALL grant of its kind in its schema or its database;
- an ALL grant in a schema and one of the same kind in its database;
- a role granted twice to the same role or user (GrantAccountRole, GrantDatabaseRole), and two
  GrantOwnership resources on the same object.
FUTURE grants in a schema and in its database are separate records in Snowflake (GRANT <privileges>
docs, future grants: the schema's take precedence), so they are not a pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ACCOUNT_ROLE_PRIVILEGES = (
    "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
)
DATABASE_ROLE_PRIVILEGES = (
    "snowflake:index/grantPrivilegesToDatabaseRole:GrantPrivilegesToDatabaseRole"
)
GRANT_ACCOUNT_ROLE = "snowflake:index/grantAccountRole:GrantAccountRole"
GRANT_DATABASE_ROLE = "snowflake:index/grantDatabaseRole:GrantDatabaseRole"
GRANT_OWNERSHIP = "snowflake:index/grantOwnership:GrantOwnership"
GRANT_TYPES = (
    ACCOUNT_ROLE_PRIVILEGES,
    DATABASE_ROLE_PRIVILEGES,
    GRANT_ACCOUNT_ROLE,
    GRANT_DATABASE_ROLE,
    GRANT_OWNERSHIP,
)
ALL_PRIVILEGES = "ALL PRIVILEGES"


@dataclass(frozen=True)
class Claim:
    """One resource's hold on (grantee, privilege) over a target."""

    urn: str
    name: str
    grantee: str
    privilege: str
    target: tuple[str, ...]
    """("ACCOUNT",), ("OBJECT", type, name), ("ALL"|"FUTURE", plural, "SCHEMA"|"DATABASE", name),
    ("ROLE", grantee-kind), ("OWNERSHIP", type, name)."""


def _norm(name: Any) -> str:
    """`"DB"."SCHEMA"` and `DB.SCHEMA` alike (this program's names never need quoting)."""
    return str(name).replace('"', "").upper()


def _plural(object_type: str) -> str:
    return f"{object_type.upper()}S"


def _privileges(props: Mapping[str, Any]) -> list[str]:
    if props.get("allPrivileges") in (True, "true"):
        return [ALL_PRIVILEGES]
    privileges = props.get("privileges")
    if isinstance(privileges, Sequence) and not isinstance(privileges, str):
        return [str(p).upper() for p in privileges]  # a list, or the policy SDK's list proxy
    return []


def _bulk(kind: str, spec: Mapping[str, Any]) -> tuple[str, ...]:
    plural = str(spec.get("objectTypePlural")).upper()
    if spec.get("inSchema"):
        return (kind, plural, "SCHEMA", _norm(spec["inSchema"]))
    return (kind, plural, "DATABASE", _norm(spec.get("inDatabase")))


def _privilege_targets(props: Mapping[str, Any]) -> list[tuple[str, ...]]:
    if props.get("onAccount") in (True, "true"):
        return [("ACCOUNT",)]
    if isinstance(props.get("onDatabase"), str):
        return [("OBJECT", "DATABASE", _norm(props["onDatabase"]))]
    account_object = props.get("onAccountObject")
    if isinstance(account_object, Mapping):
        return [
            (
                "OBJECT",
                str(account_object.get("objectType")).upper(),
                _norm(account_object.get("objectName")),
            )
        ]
    schema = props.get("onSchema")
    if isinstance(schema, Mapping):
        if schema.get("schemaName"):
            return [("OBJECT", "SCHEMA", _norm(schema["schemaName"]))]
        for kind, key in (("ALL", "allSchemasInDatabase"), ("FUTURE", "futureSchemasInDatabase")):
            if schema.get(key):
                return [(kind, "SCHEMAS", "DATABASE", _norm(schema[key]))]
    schema_object = props.get("onSchemaObject")
    if isinstance(schema_object, Mapping):
        if schema_object.get("objectName"):
            return [
                (
                    "OBJECT",
                    str(schema_object.get("objectType")).upper(),
                    _norm(schema_object["objectName"]),
                )
            ]
        for kind, key in (("ALL", "all"), ("FUTURE", "future")):
            if isinstance(schema_object.get(key), Mapping):
                return [_bulk(kind, schema_object[key])]
    return []


def claims(resources: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Claim]:
    """Every (grantee, privilege, target) each grant resource holds; (urn, type, props) in."""
    found: list[Claim] = []
    for urn, resource_type, props in resources:
        name = urn.rsplit("::", 1)[-1]
        if resource_type in (ACCOUNT_ROLE_PRIVILEGES, DATABASE_ROLE_PRIVILEGES):
            grantee = _norm(props.get("accountRoleName") or props.get("databaseRoleName"))
            for target in _privilege_targets(props):
                for privilege in _privileges(props):
                    found.append(Claim(urn, name, grantee, privilege, target))
        elif resource_type in (GRANT_ACCOUNT_ROLE, GRANT_DATABASE_ROLE):
            role = _norm(props.get("roleName") or props.get("databaseRoleName"))
            to = props.get("parentRoleName") or props.get("parentDatabaseRoleName")
            kind = "ROLE" if to else "USER"
            to = to or props.get("userName")
            found.append(Claim(urn, name, _norm(to), role, ("ROLE", kind)))
        elif resource_type == GRANT_OWNERSHIP:
            on = props.get("on")
            if isinstance(on, Mapping) and on.get("objectName"):
                target = ("OWNERSHIP", str(on.get("objectType")).upper(), _norm(on["objectName"]))
                found.append(Claim(urn, name, "", "OWNERSHIP", target))
    return found


def _covers(bulk: tuple[str, ...], target: tuple[str, ...]) -> bool:
    """Does ALL grant `bulk` grant on what `target` (an object or a narrower ALL) names?"""
    _, plural, container, where = bulk
    if target[0] == "OBJECT":
        _, object_type, object_name = target
        parent = object_name.rsplit(".", 1)[0]
        return _plural(object_type) == plural and (
            (container == "SCHEMA" and parent == where)
            or (container == "DATABASE" and parent.split(".", 1)[0] == where and "." in parent)
        )
    if target[0] == "ALL" and container == "DATABASE" and target[2] == "SCHEMA":
        return target[1] == plural and target[3].split(".", 1)[0] == where
    return False


def overlaps(found: Iterable[Claim]) -> Iterator[tuple[Claim, Claim]]:
    """Pairs of claims by different resources on the same grant row(s): (kept, reported), where
    the reported one is the later of two equal grants or the narrower one a wider grant covers."""
    by_grantee: dict[str, list[Claim]] = {}
    for claim in found:
        by_grantee.setdefault(claim.grantee, []).append(claim)
    for group in by_grantee.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if first.urn == second.urn:
                    continue
                if not (
                    first.privilege == second.privilege
                    or ALL_PRIVILEGES in (first.privilege, second.privilege)
                ):
                    continue
                if first.target == second.target:
                    yield first, second
                elif first.target[0] == "ALL" and _covers(first.target, second.target):
                    yield first, second  # (the wider grant, the narrower one it also covers)
                elif second.target[0] == "ALL" and _covers(second.target, first.target):
                    yield second, first


def describe(target: tuple[str, ...]) -> str:
    if target[0] in ("ALL", "FUTURE"):
        return f"{target[0]} {target[1]} IN {target[2]} {target[3]}"
    if target[0] == "ACCOUNT":
        return "the account"
    if target[0] == "ROLE":
        return f"a {target[1].lower()}"
    return f"{target[1]} {target[2]}"

"""The privilege grants of the Snowflake stand-in: rows granted and revoked, as Snowflake keeps them.

Rules, each with its source:
- A grant is one row (grantee, privilege, object); GRANT of a row that exists changes nothing, and
  REVOKE removes the row whoever granted it (Snowflake docs, GRANT <privileges> / REVOKE
  <privileges>: privileges are granted to a role once; GUESS: the docs do not say "idempotent" in
  those words, the provider's create treats a second GRANT as success).
- `ON ALL <plural> IN SCHEMA` grants the privilege on each object that exists now, and nothing
  later (GRANT <privileges> docs, "ALL ... in the schema"; SDK grant_privileges_to_account_role.py,
  `always_apply`).
- `ON FUTURE <plural> IN SCHEMA` grants on each object created in that schema later (GRANT
  <privileges> docs, future grants); revoking it leaves the rows already made.
- The provider deletes every grant resource by REVOKE of what it declares
  (terraform-provider-snowflake grant_privileges_to_account_role.go,
  DeleteGrantPrivilegesToAccountRole), so deleting an ALL grant revokes it on every existing object
  of that kind in the schema; it never reads an ALL grant back (prepareShowGrantsRequestForAccount
  Role: "Show with on_schema_object.on_all option is skipped").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Row = tuple[str, str, str, str]
"""(grantee role, privilege, object type, object name as DB.SCHEMA.NAME / DB.SCHEMA / NAME)."""


def norm(name: str) -> str:
    return name.replace('"', "")


@dataclass
class GrantRows:
    rows: set[Row] = field(default_factory=set)
    future: set[tuple[str, str, str, str]] = field(default_factory=set)
    """(grantee, privilege, object type, schema DB.SCHEMA) future grants."""

    def _targets(
        self, props: Mapping[str, Any], objects: Mapping[tuple[str, str], str]
    ) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
        """(objects it grants on now, the (type, schema) of a future grant or None)."""
        if props.get("onAccountObject"):
            spec = props["onAccountObject"]
            return [(spec["objectType"], norm(spec["objectName"]))], None
        if props.get("onSchema"):
            return [("SCHEMA", norm(props["onSchema"]["schemaName"]))], None
        spec = props.get("onSchemaObject") or {}
        if spec.get("objectName"):
            return [(spec["objectType"], norm(spec["objectName"]))], None
        for kind in ("all", "future"):
            if spec.get(kind):
                object_type = spec[kind]["objectTypePlural"].removesuffix("S")
                schema = norm(spec[kind]["inSchema"])
                if kind == "future":
                    return [], (object_type, schema)
                existing = [
                    (t, n)
                    for (t, n) in objects
                    if t == object_type and n.rsplit(".", 1)[0] == schema
                ]
                return existing, None
        raise NotImplementedError(f"the grant stand-in does not know this grant: {dict(props)}")

    def grant(self, props: Mapping[str, Any], objects: Mapping[tuple[str, str], str]) -> None:
        self._apply(props, objects, granted=True)

    def revoke(self, props: Mapping[str, Any], objects: Mapping[tuple[str, str], str]) -> None:
        self._apply(props, objects, granted=False)

    def _apply(
        self, props: Mapping[str, Any], objects: Mapping[tuple[str, str], str], granted: bool
    ) -> None:
        now, future = self._targets(props, objects)
        for privilege in props["privileges"]:
            rows = {(props["accountRoleName"], privilege, t, n) for t, n in now}
            futures = {(props["accountRoleName"], privilege, *future)} if future else set()
            if granted:
                self.rows |= rows
                self.future |= futures
            else:
                self.rows -= rows
                self.future -= futures

    def created(self, object_type: str, name: str) -> None:
        """An object was created: the future grants of its schema apply to it."""
        schema = name.rsplit(".", 1)[0]
        for grantee, privilege, future_type, future_schema in self.future:
            if future_type == object_type and future_schema == schema:
                self.rows.add((grantee, privilege, object_type, name))

    def holds(self, role: str, privilege: str, object_type: str, name: str) -> bool:
        return (role, privilege, object_type, name) in self.rows

"""A stand-in for the ownership and role rules of one Snowflake account, for the synthesized stack.

It replays what the Pulumi engine would send the Snowflake provider (create in dependency order,
delete in reverse, replace in either order) and applies Snowflake's rules for who may create,
transfer and drop each object. Every rule names its source; a resource type it does not know
raises instead of being accepted. Modelled: ownership, role inheritance, the users that exist
before the program (the deploy user and its owner, its default secondary roles), and the rows
privilege grants make and revoke (tests/fakes/snowflake_grant_rows.py).

Sessions (Snowflake docs, USE ROLE and USE SECONDARY ROLES): each provider's session has its role
as primary role; CREATE <object> is authorised by the primary role (and the roles it inherits)
only, every other statement by the primary and the active secondary roles. A user's sessions start
with its DEFAULT_SECONDARY_ROLES: ('ALL') means every role granted to the user, () none. Since
BCR 1692 (bundle 2024_07/2024_08) an unset value means ('ALL'); `python -m jobs.bootstrap` sets ().
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.harness import DeclaredResource, Synthesis
from tests.fakes.snowflake_grant_rows import GrantRows, norm

# Snowflake docs, "Overview of access control", system-defined roles: ACCOUNTADMIN encloses
# SYSADMIN and SECURITYADMIN; SECURITYADMIN encloses USERADMIN.
SYSTEM_HIERARCHY = {"ACCOUNTADMIN": {"SYSADMIN", "SECURITYADMIN"}, "SECURITYADMIN": {"USERADMIN"}}
# Types that are not Snowflake objects: the engine runs them, the account never sees them.
NOT_SNOWFLAKE = ("pulumi:", "pulumi-python:", "kubernetes:", "sophia:", "random:", "command:")


class SnowflakeError(Exception):
    """What Snowflake would answer: insufficient privileges, object does not exist, ..."""


@dataclass
class User:
    """A user the program does not create (made once by the account admin: jobs/bootstrap.py)."""

    owner: str
    roles: set[str]
    default_secondary_roles: tuple[str, ...] | None = ("ALL",)
    """BCR 1692: unset (None) or NULL means ('ALL'); () is no secondary roles."""
    email: str | None = None
    type: str = "PERSON"
    disabled: bool = False


@dataclass
class Account:
    owner: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, name) -> owning role. Rule: the role that creates an object owns it (Snowflake docs,
    "Overview of access control": "each object has an owner ... the role used to create it")."""
    granted_to: dict[str, set[str]] = field(
        default_factory=lambda: {k: set(v) for k, v in SYSTEM_HIERARCHY.items()}
    )
    """parent role -> roles granted to it (GRANT ROLE child TO ROLE parent)."""
    user_policy: dict[str, str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    grants: GrantRows = field(default_factory=GrantRows)
    secondary: set[str] = field(default_factory=set)
    """The secondary roles active for the statement being run (set by Replay per statement)."""
    log: list[str] = field(default_factory=list)

    def effective(self, role: str) -> set[str]:
        """A role holds the privileges of every role granted to it, transitively (GRANT ROLE)."""
        seen, todo = set(), [role]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.granted_to.get(current, ()))
        return seen

    def acting(self, role: str) -> set[str]:
        """Roles that authorise a statement other than CREATE: primary and active secondaries."""
        return set().union(self.effective(role), *(self.effective(r) for r in self.secondary))

    def owns(self, role: str, key: tuple[str, str], *, create: bool = False) -> bool:
        if key not in self.owner:
            raise SnowflakeError(f"{key[0]} {key[1]} does not exist or not authorized")
        return self.owner[key] in (self.effective(role) if create else self.acting(role))

    def manages_grants(self, role: str) -> bool:
        # MANAGE GRANTS is granted to SECURITYADMIN by default (Overview of access control).
        return "SECURITYADMIN" in self.acting(role)

    def require(self, ok: bool, role: str, what: str) -> None:
        if not ok:
            raise SnowflakeError(f"{role}: insufficient privileges to {what}")


def _schema_key(database: str, schema: str) -> tuple[str, str]:
    return ("SCHEMA", f'"{database}"."{schema}"')


def _object_key(kind: str, name: str) -> tuple[str, str]:
    # GrantOwnership names schemas '"DB"."SCHEMA"' and account objects bare (grant_ownership.go
    # GetOnObjectIdentifier); this program uses those forms.
    return (kind, name)


class Replay:
    """Apply declared resources to an Account as the Snowflake provider would."""

    def __init__(self, synthesis: Synthesis) -> None:
        self.resources = {r.urn: r for r in synthesis.resources}
        self.roles = {
            p.name: p.inputs["role"]
            for p in synthesis.resources
            if p.type == "pulumi:providers:snowflake"
        }
        self.users = {
            p.name: p.inputs["user"]
            for p in synthesis.resources
            if p.type == "pulumi:providers:snowflake"
        }
        self.snowflake = [r for r in synthesis.resources if self.is_snowflake(r)]

    @staticmethod
    def is_snowflake(resource: DeclaredResource) -> bool:
        if resource.type.startswith(NOT_SNOWFLAKE):
            return False
        if not resource.type.startswith("snowflake:"):
            return False  # another cloud's resource: outside this stand-in
        return resource.custom

    def role_of(self, resource: DeclaredResource) -> str:
        return self.roles[resource.provider]

    # --- graph -------------------------------------------------------------------------------
    def ancestors(self, urn: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.resources[urn].dependencies)
        while todo:
            current = todo.pop()
            if current in seen or current not in self.resources:
                continue
            seen.add(current)
            todo.extend(self.resources[current].dependencies)
        return seen

    def topological(self, urns: Iterable[str]) -> list[str]:
        wanted, order, done = set(urns), [], set()

        def visit(urn: str) -> None:
            if urn in done:
                return
            done.add(urn)
            for dependency in self.resources[urn].dependencies:
                if dependency in wanted:
                    visit(dependency)
            order.append(urn)

        for urn in sorted(wanted):
            visit(urn)
        return order

    # --- operations --------------------------------------------------------------------------
    def create(self, account: Account, resource: DeclaredResource) -> None:
        role, i, kind = self.role_of(resource), resource.inputs, resource.type.split(":")[-1]
        self._session(account, resource)
        account.log.append(f"create {kind} {i.get('name', resource.name)} as {role}")
        if kind == "AccountRole":
            self._need(account, role, "USERADMIN", "CREATE ROLE")  # granted to USERADMIN
            account.owner[("ROLE", i["name"])] = role
        elif kind == "GrantAccountRole":
            # GRANT ROLE: OWNERSHIP on the role, or MANAGE GRANTS (GRANT ROLE docs).
            granted = ("ROLE", i["roleName"])
            account.require(
                account.owns(role, granted) or account.manages_grants(role), role, "grant role"
            )
            if i.get("parentRoleName"):
                account.granted_to.setdefault(i["parentRoleName"], set()).add(i["roleName"])
        elif kind == "Database":
            self._need(account, role, "SYSADMIN", "CREATE DATABASE")  # granted to SYSADMIN
            account.owner[("DATABASE", i["name"])] = role
            account.owner[_schema_key(i["name"], "PUBLIC")] = role  # PUBLIC comes with it
        elif kind == "Schema":
            # CREATE SCHEMA: CREATE SCHEMA on the database (the owner has it).
            account.require(
                account.owns(role, ("DATABASE", i["database"]), create=True), role, "CREATE SCHEMA"
            )
            account.owner[_schema_key(i["database"], i["name"])] = role
        elif kind == "Table":
            self._in_schema(account, role, i, "CREATE TABLE")
            table = f"{i['database']}.{i['schema']}.{i['name']}"
            account.owner[("TABLE", table)] = role
            account.grants.created("TABLE", table)
        elif kind == "ResourceMonitor":
            # "CREATE RESOURCE MONITOR ... can only be executed by account administrators".
            self._need(account, role, "ACCOUNTADMIN", "CREATE RESOURCE MONITOR")
            account.owner[("RESOURCE MONITOR", i["name"])] = role
        elif kind == "Warehouse":
            self._need(account, role, "SYSADMIN", "CREATE WAREHOUSE")
            if i.get("resourceMonitor"):
                # SDK warehouse.py: "Assigning resource monitors to warehouses requires
                # ACCOUNTADMIN role"; the provider sends it inside CREATE WAREHOUSE.
                # GUESS: sent inside CREATE WAREHOUSE, so authorised like the CREATE (primary).
                account.require(role == "ACCOUNTADMIN", role, "assign a resource monitor")
                account.owns(role, ("RESOURCE MONITOR", i["resourceMonitor"]), create=True)
            account.owner[("WAREHOUSE", i["name"])] = role
        elif kind == "GrantOwnership":
            key = _object_key(i["on"]["objectType"], i["on"]["objectName"])
            # GRANT OWNERSHIP: OWNERSHIP on the object or MANAGE GRANTS (GRANT OWNERSHIP docs).
            account.require(
                account.owns(role, key) or account.manages_grants(role), role, f"transfer {key}"
            )
            account.owns(role, ("ROLE", i["accountRoleName"])) or True
            account.owner[key] = i["accountRoleName"]
        elif kind in ("GrantPrivilegesToAccountRole",):
            # Future grants need MANAGE GRANTS; other grants the owner or MANAGE GRANTS.
            account.require(account.manages_grants(role), role, "grant privileges")
            account.grants.grant(i, self._objects(account))
        elif kind == "GrantDatabaseRole":
            # Snowflake's Cortex Agents access-control page grants SNOWFLAKE.CORTEX_USER as
            # ACCOUNTADMIN; whether MANAGE GRANTS suffices is not documented (review row 20).
            account.require(
                "ACCOUNTADMIN" in account.acting(role), role, "grant a SNOWFLAKE database role"
            )
        elif kind == "NetworkPolicy":
            # CREATE NETWORK POLICY: SECURITYADMIN or higher (CREATE NETWORK POLICY docs).
            self._need(account, role, "SECURITYADMIN", "CREATE NETWORK POLICY")
            account.owner[("NETWORK POLICY", i["name"])] = role
        elif kind == "ServiceUser":
            self._need(account, role, "USERADMIN", "CREATE USER")
            if i.get("networkPolicy"):
                # BCR "CREATE USER command: NETWORK_POLICY parameter must specify a valid
                # network policy": it must exist and the role must (inherit) own it.
                key = ("NETWORK POLICY", i["networkPolicy"])
                account.require(
                    account.owns(role, key, create=True), role, "CREATE USER ... NETWORK_POLICY"
                )
                account.user_policy[i["name"]] = i["networkPolicy"]
            account.owner[("USER", i["name"])] = role
        elif kind == "NetworkPolicyAttachment":
            # GUESS: ALTER USER SET NETWORK_POLICY needs ownership of the policy (as CREATE USER).
            key = ("NETWORK POLICY", i["networkPolicyName"])
            account.require(account.owns(role, key), role, "attach a network policy")
            for user in i.get("users", []):
                # ALTER USER needs a role with OWNERSHIP of the user (Snowflake docs, "User &
                # security DDL"); the provider first runs DESCRIBE USER (network_policy_attachment.go
                # ensureUserAlterPrivileges), which fails for a user it cannot see.
                account.require(
                    account.owns(role, ("USER", user)), role, f"ALTER USER {user} (not its owner)"
                )
                account.user_policy[user] = i["networkPolicyName"]
        elif kind == "CortexSearchService":
            self._in_schema(account, role, i, "CREATE CORTEX SEARCH SERVICE")
            # CREATE CORTEX SEARCH SERVICE: USAGE on the warehouse (docs, access control).
            account.require(
                account.owns(role, ("WAREHOUSE", i["warehouse"]), create=True), role, "use WH"
            )
            account.owner[("CORTEX SEARCH SERVICE", i["name"])] = role
        elif kind == "CortexAgent":
            self._in_schema(account, role, i, "CREATE AGENT")  # CREATE AGENT docs
            account.owner[("AGENT", i["name"])] = role
        else:
            raise NotImplementedError(f"the Snowflake stand-in does not know {resource.type}")

    def delete(self, account: Account, resource: DeclaredResource) -> None:
        role, i, kind = self.role_of(resource), resource.inputs, resource.type.split(":")[-1]
        self._session(account, resource)
        account.log.append(f"delete {kind} {i.get('name', resource.name)} as {role}")
        drops = {
            "Database": ("DATABASE", i.get("name")),
            "Warehouse": ("WAREHOUSE", i.get("name")),
            "ResourceMonitor": ("RESOURCE MONITOR", i.get("name")),
            "AccountRole": ("ROLE", i.get("name")),
            "NetworkPolicy": ("NETWORK POLICY", i.get("name")),
            "ServiceUser": ("USER", i.get("name")),
            "CortexSearchService": ("CORTEX SEARCH SERVICE", i.get("name")),
            "CortexAgent": ("AGENT", i.get("name")),
        }
        if kind == "Schema":
            drops[kind] = _schema_key(i["database"], i["name"])
        if kind == "Table":
            drops[kind] = ("TABLE", f"{i['database']}.{i['schema']}.{i['name']}")
        if kind in drops:
            key = drops[kind]
            # DROP <object>: OWNERSHIP on the object (DROP DATABASE, DROP WAREHOUSE, ... docs).
            account.require(account.owns(role, key), role, f"DROP {key[0]} {key[1]}")
            if kind == "NetworkPolicy" and key[1] in account.user_policy.values():
                # DROP NETWORK POLICY: "cannot be dropped if it is currently assigned".
                raise SnowflakeError(f"network policy {key[1]} is still assigned")
            if kind == "ServiceUser":
                account.user_policy.pop(key[1], None)
            del account.owner[key]
            if kind == "Database":
                for other in [k for k in account.owner if k[1].startswith(f'"{key[1]}".')]:
                    del account.owner[other]
        elif kind == "GrantOwnership":
            key = _object_key(i["on"]["objectType"], i["on"]["objectName"])
            # DeleteGrantOwnership (grant_ownership.go): GRANT OWNERSHIP ... TO ROLE CURRENT_ROLE();
            # "does not exist or not authorized" is swallowed (GRANTS_SAFE_DESTROY, on by default).
            try:
                allowed = account.owns(role, key) or account.manages_grants(role)
            except SnowflakeError:
                return
            if allowed:
                account.owner[key] = role
        elif kind == "GrantAccountRole":
            granted = ("ROLE", i["roleName"])
            account.require(
                account.owns(role, granted) or account.manages_grants(role), role, "revoke role"
            )
            if i.get("parentRoleName"):
                account.granted_to.get(i["parentRoleName"], set()).discard(i["roleName"])
        elif kind == "GrantPrivilegesToAccountRole":
            account.require(account.manages_grants(role), role, "revoke privileges")
            account.grants.revoke(i, self._objects(account))
        elif kind == "GrantDatabaseRole":
            account.require(
                "ACCOUNTADMIN" in account.acting(role), role, "revoke a SNOWFLAKE database role"
            )
        elif kind == "NetworkPolicyAttachment":
            for user in i.get("users", []):
                account.user_policy.pop(user, None)
        else:
            raise NotImplementedError(f"the Snowflake stand-in cannot delete {resource.type}")

    def _need(self, account: Account, role: str, holder: str, what: str) -> None:
        # Only CREATE statements use this: authorised by the primary role (USE ROLE docs).
        account.require(holder in account.effective(role), role, what)

    def _in_schema(self, account: Account, role: str, i: Mapping[str, Any], what: str) -> None:
        # Creating a schema object needs USAGE on the database and the schema plus CREATE <obj>
        # on the schema (GRANT <privileges> docs); their owner holds all three.
        database = ("DATABASE", i["database"])
        account.require(account.owns(role, database, create=True), role, f"{what} (db)")
        schema = _schema_key(i["database"], i["schema"])
        account.require(account.owns(role, schema, create=True), role, f"{what} in {schema[1]}")

    @staticmethod
    def _objects(account: Account) -> dict[tuple[str, str], str]:
        return {(kind, norm(name)): owner for (kind, name), owner in account.owner.items()}

    def _session(self, account: Account, resource: DeclaredResource) -> None:
        """The secondary roles of the provider's session: the user's DEFAULT_SECONDARY_ROLES."""
        user = account.users.get(self.users.get(resource.provider, ""))
        if user is None or user.default_secondary_roles == ():  # None (unset) counts as ('ALL')
            account.secondary = set()
        else:  # ('ALL'): every role granted to the user (USE SECONDARY ROLES docs, ALL)
            account.secondary = set(user.roles)

    # --- engine ------------------------------------------------------------------------------
    def bootstrapped(
        self, owner: str = "USERADMIN", secondary_roles: tuple[str, ...] = ()
    ) -> Account:
        """An account after the one-time SQL `python -m jobs.bootstrap` prints: the deploy user
        exists, owned by `owner`, with the admin roles the providers use granted to it."""
        account = Account()
        for user in set(self.users.values()):
            account.users[user] = User(
                owner, set(self.roles.values()), secondary_roles, type="SERVICE"
            )
            account.owner[("USER", user)] = owner
        return account

    def deploy(self, account: Account | None = None) -> Account:
        """`pulumi up` from nothing: creates in dependency order."""
        account = account if account is not None else self.bootstrapped()
        for urn in self.topological(r.urn for r in self.snowflake):
            self.create(account, self.resources[urn])
        return account

    def destroy(self, account: Account) -> Account:
        """`pulumi destroy`: dependents are deleted before what they depend on."""
        for urn in reversed(self.topological(r.urn for r in self.snowflake)):
            self.delete(account, self.resources[urn])
        return account

"""Snowflake rules: warehouse cost guards, retention, least privilege, key-pair users, Cortex lag.

Inputs are the pulumi-snowflake 2.x camelCase properties (e.g. `autoSuspend`, `autoResume` as the
string "true"/"false", `dataRetentionTimeInDays`, `rsaPublicKey`, `targetLag`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from . import snowflake_grants
from .common import as_bool, as_number, display, get_path, is_list, resource_policy, stack_policy

WAREHOUSE = "snowflake:index/warehouse:Warehouse"
DATABASE = "snowflake:index/database:Database"
SCHEMA = "snowflake:index/schema:Schema"
TABLE = "snowflake:index/table:Table"
GRANT_ACCOUNT_ROLE = "snowflake:index/grantAccountRole:GrantAccountRole"
GRANT_PRIVILEGES = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
GRANT_OWNERSHIP = "snowflake:index/grantOwnership:GrantOwnership"
SERVICE_USER = "snowflake:index/serviceUser:ServiceUser"
LEGACY_SERVICE_USER = "snowflake:index/legacyServiceUser:LegacyServiceUser"
CORTEX_SEARCH = "snowflake:index/cortexSearchService:CortexSearchService"

# Smallest to largest; the names Snowflake accepts map onto these (X-SMALL, 2X-LARGE, ...).
WAREHOUSE_SIZES = (
    "XSMALL",
    "SMALL",
    "MEDIUM",
    "LARGE",
    "XLARGE",
    "XXLARGE",
    "XXXLARGE",
    "X4LARGE",
    "X5LARGE",
    "X6LARGE",
)
_SIZE_ALIASES = {"2XLARGE": "XXLARGE", "3XLARGE": "XXXLARGE"} | {
    f"{n}XLARGE": f"X{n}LARGE" for n in (4, 5, 6)
}


def normalize_size(size: str) -> str | None:
    """'X-Small', '2X-LARGE', 'xsmall' -> the canonical WAREHOUSE_SIZES name; None if unknown."""
    key = re.sub(r"[-_ ]", "", size.upper())
    key = _SIZE_ALIASES.get(key, key)
    return key if key in WAREHOUSE_SIZES else None


def _name(props: Mapping[str, Any]) -> str:
    name = props.get("name")
    return name if isinstance(name, str) and name else "(unnamed)"


# --- warehouses -----------------------------------------------------------------------------------


def warehouse_auto_suspend(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    bound = int(config["maxAutoSuspendSeconds"])
    seconds = as_number(props.get("autoSuspend"))
    if seconds is None or seconds <= 0:
        yield (
            f"warehouse {_name(props)} never auto-suspends (autoSuspend "
            f"{display(props.get('autoSuspend'))}); set autoSuspend to 60..{bound} seconds so idle "
            "compute stops billing"
        )
    elif seconds > bound:
        yield (
            f"warehouse {_name(props)} auto-suspends after {int(seconds)}s; this stack allows at "
            f"most {bound}s (maxAutoSuspendSeconds) so idle compute stops billing"
        )


def warehouse_auto_resume(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if as_bool(props.get("autoResume")) is not True:
        yield (
            f"warehouse {_name(props)} does not auto-resume (autoResume "
            f"{display(props.get('autoResume'))}); set it to true so a suspended warehouse "
            "serves queries instead of failing them"
        )


def warehouse_initially_suspended(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if as_bool(props.get("initiallySuspended")) is not True:
        yield (
            f"warehouse {_name(props)} is created running (initiallySuspended "
            f"{display(props.get('initiallySuspended'))}); set initiallySuspended to true so "
            "creating it does not start billing"
        )


def warehouse_resource_monitor(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    monitor = props.get("resourceMonitor")
    if not isinstance(monitor, str) or not monitor.strip():
        yield (
            f"warehouse {_name(props)} has no resource monitor; attach one (resourceMonitor) so "
            "its credit quota suspends it"
        )


def warehouse_max_size(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    maximum = normalize_size(str(config["maxWarehouseSize"]))
    if maximum is None:
        yield f"policy config maxWarehouseSize {config['maxWarehouseSize']!r} is not a size"
        return
    declared = props.get("warehouseSize")
    if declared is None:
        return  # Snowflake's default is XSMALL
    size = normalize_size(str(declared))
    if size is None:
        yield f"warehouse {_name(props)} has an unknown size {declared!r}"
    elif WAREHOUSE_SIZES.index(size) > WAREHOUSE_SIZES.index(maximum):
        yield (
            f"warehouse {_name(props)} is {size}; this stack allows at most {maximum} "
            "(maxWarehouseSize)"
        )


# --- data -----------------------------------------------------------------------------------------


def data_retention(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    minimum = int(config["minRetentionDays"])
    days = as_number(props.get("dataRetentionTimeInDays"))
    kind = resource_type.rsplit(":", 1)[-1].lower()
    if days is None:
        if resource_type == DATABASE and minimum > 1:
            yield (
                f"database {_name(props)} does not set dataRetentionTimeInDays (the account "
                f"default is usually 1 day); this stack needs at least {minimum} days of time "
                "travel"
            )
        return  # schemas and tables inherit the database's retention
    if days < minimum:
        yield (
            f"{kind} {_name(props)} keeps {int(days)} day(s) of time travel; this stack needs at "
            f"least {minimum} (minRetentionDays)"
        )


def protected_data(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    if not config["requireProtect"]:
        return
    types = set(config["dataTypes"])
    for resource in resources:
        if resource.resource_type in types and not resource.opts.protect:
            kind = resource.resource_type.rsplit(":", 1)[-1].lower()
            yield (
                f"{kind} {resource.name} is not protected; data objects in this stack need "
                "`protect=True` so `pulumi destroy` or a replace cannot drop them",
                resource.urn,
            )


# --- privileges -----------------------------------------------------------------------------------


def no_admin_role_grants(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    forbidden = {r.upper() for r in config["forbiddenRoles"]}
    role = props.get("roleName")
    if isinstance(role, str) and role.strip('"').upper() in forbidden:
        grantee = props.get("parentRoleName") or props.get("userName") or "(unknown grantee)"
        yield (
            f"grants {role.strip(chr(34)).upper()} to {grantee}; the program must never hand out "
            f"{', '.join(sorted(forbidden))} (grant a least-privileged custom role instead)"
        )


def no_account_level_privileges(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if resource_type == GRANT_OWNERSHIP:
        forbidden = {t.upper() for t in config["forbiddenOwnershipObjectTypes"]}
        object_type = get_path(props, "on", "objectType")
        if isinstance(object_type, str) and object_type.upper() in forbidden:
            yield (
                f"grants ownership of {object_type.upper()} {get_path(props, 'on', 'objectName')} "
                f"to {props.get('accountRoleName') or props.get('databaseRoleName')}; ownership "
                f"of {', '.join(sorted(forbidden))} objects is account administration, not a "
                "service role's job"
            )
        return
    if as_bool(props.get("onAccount")) is not True:
        return
    allowed = {p.upper() for p in config["allowedAccountPrivileges"]}
    role = props.get("accountRoleName")
    if as_bool(props.get("allPrivileges")) is True:
        yield f"grants ALL PRIVILEGES on the account to {role}"
        return
    privileges = props.get("privileges")
    granted = [str(p).upper() for p in privileges] if is_list(privileges) else []
    extra = [p for p in granted if p not in allowed]
    if extra:
        yield (
            f"grants account-level privilege(s) {', '.join(extra)} to {role}; service roles get "
            "privileges on objects, not on the account (allowedAccountPrivileges: "
            f"{', '.join(sorted(allowed)) or 'none'})"
        )


def one_owner_per_privilege(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    grants = [
        (r.urn, r.resource_type, r.props)
        for r in resources
        if r.resource_type in snowflake_grants.GRANT_TYPES
    ]
    for kept, other in snowflake_grants.overlaps(snowflake_grants.claims(grants)):
        yield (
            f"{other.privilege} on {snowflake_grants.describe(other.target)} to "
            f"{other.grantee or 'its owner'} is also granted by {kept.name} "
            f"({snowflake_grants.describe(kept.target)}): two resources manage one grant, and "
            "the provider deletes by REVOKE and never reads ALL grants back, so removing, "
            "replacing or renaming either revokes what the other declares; grant it once",
            other.urn,
        )


# --- users and Cortex -----------------------------------------------------------------------------


def service_user_key_pair(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    key = props.get("rsaPublicKey")
    if not isinstance(key, str) or not key.strip():
        yield (
            f"service user {_name(props)} has no RSA public key (rsaPublicKey); service users "
            "authenticate with key pairs"
        )
    if props.get("password") not in (None, ""):
        yield (
            f"service user {_name(props)} sets a password; service users authenticate with key "
            "pairs only (remove password)"
        )


_LAG = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def target_lag_seconds(lag: str) -> int | None:
    """'1 minute' -> 60, '10 minutes' -> 600, '2 hours' -> 7200; None if not that form."""
    match = _LAG.match(lag)
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def cortex_search_target_lag(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    floor = int(config["minTargetLagSeconds"])
    lag = props.get("targetLag")
    seconds = target_lag_seconds(lag) if isinstance(lag, str) else None
    if seconds is None:
        yield (
            f"Cortex Search service {_name(props)} has target lag {display(lag)}; use "
            "'<n> seconds|minutes|hours|days'"
        )
    elif seconds < floor:
        yield (
            f"Cortex Search service {_name(props)} refreshes every {lag!r} ({seconds}s); this "
            f"stack's floor is {floor}s (minTargetLagSeconds): a shorter lag keeps the warehouse "
            "busy"
        )


# --- policies -------------------------------------------------------------------------------------

POLICIES = [
    resource_policy(
        name="snowflake-warehouse-auto-suspend",
        description="Warehouses auto-suspend within the stack's bound.",
        resource_types=[WAREHOUSE],
        check=warehouse_auto_suspend,
        config={"maxAutoSuspendSeconds": {"type": "integer", "minimum": 60, "default": 600}},
    ),
    resource_policy(
        name="snowflake-warehouse-auto-resume",
        description="Warehouses auto-resume.",
        resource_types=[WAREHOUSE],
        check=warehouse_auto_resume,
    ),
    resource_policy(
        name="snowflake-warehouse-initially-suspended",
        description="Warehouses are created suspended.",
        resource_types=[WAREHOUSE],
        check=warehouse_initially_suspended,
    ),
    resource_policy(
        name="snowflake-warehouse-resource-monitor",
        description="Every warehouse is attached to a resource monitor.",
        resource_types=[WAREHOUSE],
        check=warehouse_resource_monitor,
    ),
    resource_policy(
        name="snowflake-warehouse-max-size",
        description="Warehouse size within the stack's maximum.",
        resource_types=[WAREHOUSE],
        check=warehouse_max_size,
        config={
            "maxWarehouseSize": {
                "type": "string",
                "enum": list(WAREHOUSE_SIZES),
                "default": "MEDIUM",
            }
        },
    ),
    resource_policy(
        name="snowflake-data-retention",
        description="Databases (and schemas/tables that set it) keep the minimum time travel.",
        resource_types=[DATABASE, SCHEMA, TABLE],
        check=data_retention,
        config={"minRetentionDays": {"type": "integer", "minimum": 0, "maximum": 90, "default": 1}},
    ),
    stack_policy(
        name="snowflake-data-protected",
        description="Data objects are protected (resource option) where the stack requires it.",
        check=protected_data,
        config={
            "requireProtect": {"type": "boolean", "default": False},
            "dataTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": [DATABASE, SCHEMA, TABLE],
            },
        },
    ),
    resource_policy(
        name="snowflake-no-admin-role-grants",
        description="No grant of ACCOUNTADMIN, SECURITYADMIN or ORGADMIN.",
        resource_types=[GRANT_ACCOUNT_ROLE],
        check=no_admin_role_grants,
        config={
            "forbiddenRoles": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["ACCOUNTADMIN", "SECURITYADMIN", "ORGADMIN"],
            }
        },
    ),
    resource_policy(
        name="snowflake-no-account-level-privileges",
        description="No account-level privileges or ownership of security objects to a role.",
        resource_types=[GRANT_PRIVILEGES, GRANT_OWNERSHIP],
        check=no_account_level_privileges,
        config={
            "allowedAccountPrivileges": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
            },
            "forbiddenOwnershipObjectTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["ROLE", "USER", "INTEGRATION", "NETWORK POLICY"],
            },
        },
    ),
    stack_policy(
        name="snowflake-one-owner-per-privilege",
        description="No grant (role, privilege, object) is managed by two grant resources.",
        check=one_owner_per_privilege,
    ),
    resource_policy(
        name="snowflake-service-user-key-pair",
        description="Service users have an RSA public key and no password.",
        resource_types=[SERVICE_USER, LEGACY_SERVICE_USER],
        check=service_user_key_pair,
    ),
    resource_policy(
        name="snowflake-cortex-search-target-lag",
        description="Cortex Search target lag is not below the stack's floor.",
        resource_types=[CORTEX_SEARCH],
        check=cortex_search_target_lag,
        config={"minTargetLagSeconds": {"type": "integer", "minimum": 1, "default": 60}},
    ),
]

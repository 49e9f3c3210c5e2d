"""Snowflake settings: account, administrative roles, database, warehouses, service users.

Read from the object-valued stack config key `sophia-infra:snowflake` (camelCase keys).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.settings._base import CamelModel, KeyedValueError, SnowflakeIdentifier
from components.settings.snowflake_network import FENCED_ENVIRONMENTS, NetworkPolicies

# Canonical warehouse sizes (the provider also accepts dashed spellings; one spelling per size keeps
# diffs and policy thresholds simple). Credits per hour for a Gen1 standard warehouse.
WAREHOUSE_CREDITS_PER_HOUR: dict[str, int] = {
    "XSMALL": 1,
    "SMALL": 2,
    "MEDIUM": 4,
    "LARGE": 8,
    "XLARGE": 16,
    "XXLARGE": 32,
    "XXXLARGE": 64,
    "X4LARGE": 128,
    "X5LARGE": 256,
    "X6LARGE": 512,
}
WarehouseSize = Literal[
    "XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE", "XXLARGE", "XXXLARGE", "X4LARGE", "X5LARGE",
    "X6LARGE",
]  # fmt: skip

# The warehouses the platform itself uses; stacks may declare more, never fewer.
REQUIRED_WAREHOUSES = ("CORTEX_COMPUTE_WH", "ESTUARY_LOAD_WH", "API_WH")

# The body of an RSA public key as Snowflake wants it: base64 DER without PEM armour.
_RSA_PUBLIC_KEY_BODY = re.compile(r"^MII[A-Za-z0-9+/=]{60,}$")

# Snowflake editions whose accounts have multi-cluster warehouses and more than 1 day of time
# travel ("Snowflake editions" and "Multi-cluster warehouses" docs: both are Enterprise features).
ENTERPRISE_EDITIONS = ("ENTERPRISE", "BUSINESS_CRITICAL")
STANDARD_MAX_RETENTION_DAYS = 1
# A resource monitor takes one SUSPEND, one SUSPEND_IMMEDIATE and at most 5 NOTIFY actions
# (Snowflake docs, "Working with resource monitors", Actions).
MAX_NOTIFY_TRIGGERS = 5


class AdminRoles(CamelModel):
    """One Snowflake provider per admin role, so each resource is made with least privilege."""

    sysadmin: SnowflakeIdentifier = Field(
        "SYSADMIN", description="Creates databases, schemas, tables, warehouses."
    )
    securityadmin: SnowflakeIdentifier = Field(
        "SECURITYADMIN", description="Creates roles and grants."
    )
    monitor_admin: SnowflakeIdentifier = Field(
        "ACCOUNTADMIN",
        description=(
            "Creates resource monitors and the warehouses they are assigned to (Snowflake lets "
            "only ACCOUNTADMIN do either), and grants SNOWFLAKE.CORTEX_USER."
        ),
    )


class WarehouseSettings(CamelModel):
    size: WarehouseSize = Field(
        description="Warehouse size, canonical spelling (XSMALL .. X6LARGE)."
    )
    auto_suspend_seconds: int = Field(
        ge=60,
        le=86_400,  # ours: Snowflake documents no maximum; beyond a day it guards nothing
        description="Seconds idle before suspending; 60..86400 so idle compute stops.",
    )
    min_cluster_count: int = Field(1, ge=1, le=10)
    max_cluster_count: int = Field(1, ge=1, le=10)
    scaling_policy: Literal["STANDARD", "ECONOMY"] = "STANDARD"
    generation: Literal["1", "2"] = Field(
        "1", description="Standard warehouse generation (Gen2 costs more per hour)."
    )
    warehouse_type: Literal["STANDARD", "SNOWPARK-OPTIMIZED"] = "STANDARD"
    credit_quota: int = Field(
        gt=0,
        le=1_000_000,  # ours: a cap, not a formality; finite (the base model refuses .inf)
        description="Monthly credit quota of the warehouse's resource monitor (whole credits: "
        "the provider's credit_quota is an integer).",
    )
    notify_at_percent: tuple[int, ...] = Field(
        (75, 90),
        description=f"Quota percentages that notify (at most {MAX_NOTIFY_TRIGGERS}).",
    )
    suspend_at_percent: int = Field(
        100, ge=1, le=200, description="Suspend after running queries finish."
    )
    suspend_immediate_at_percent: int = Field(
        110, ge=1, le=200, description="Suspend and cancel queries."
    )
    statement_timeout_seconds: int = Field(3600, ge=1, le=604800)

    @field_validator("notify_at_percent")
    @classmethod
    def _percentages(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(p < 1 or p > 200 for p in value):
            raise ValueError("every notify percentage must be between 1 and 200")
        if len(value) > MAX_NOTIFY_TRIGGERS:
            raise ValueError(
                f"{len(value)} notify thresholds; a resource monitor takes at most "
                f"{MAX_NOTIFY_TRIGGERS} NOTIFY actions; allowed: up to {MAX_NOTIFY_TRIGGERS} "
                "percentages"
            )
        return value

    @model_validator(mode="after")
    def _ordering(self) -> WarehouseSettings:
        if self.min_cluster_count > self.max_cluster_count:
            raise ValueError(
                f"minClusterCount ({self.min_cluster_count}) must not exceed maxClusterCount "
                f"({self.max_cluster_count})"
            )
        if self.suspend_immediate_at_percent < self.suspend_at_percent:
            raise ValueError("suspendImmediateAtPercent must be at least suspendAtPercent")
        return self


class DatabaseSettings(CamelModel):
    base_name: SnowflakeIdentifier = Field("SOPHIA_AI", description="Name before the stack suffix.")
    data_retention_days: int = Field(
        ge=0, le=90, description="Time-travel retention (0..90 days; prod needs at least 7)."
    )
    extra_schemas: tuple[SnowflakeIdentifier, ...] = Field(
        (), description="Schemas beyond the platform's own (ESTUARY_REALTIME, CORTEX_VECTORS, ...)."
    )


class ServiceUserSettings(CamelModel):
    rsa_public_key: str = Field(description="RSA public key body (base64, no PEM armour).")
    rsa_public_key_2: str | None = Field(None, description="Second key, used while rotating.")

    @field_validator("rsa_public_key", "rsa_public_key_2")
    @classmethod
    def _public_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        body = "".join(
            line.strip() for line in value.strip().splitlines() if not line.startswith("-----")
        )
        if not _RSA_PUBLIC_KEY_BODY.match(body):
            raise ValueError(
                "must be an RSA public key: the base64 body of a PEM 'PUBLIC KEY' (starts with MII)"
            )
        return body


class ServiceUsers(CamelModel):
    estuary: ServiceUserSettings
    api: ServiceUserSettings


class SnowflakeSettings(CamelModel):
    organization_name: SnowflakeIdentifier = Field(description="Snowflake organization (ORGNAME).")
    account_name: SnowflakeIdentifier = Field(description="Snowflake account (ACCOUNTNAME).")
    deploy_user: SnowflakeIdentifier = Field(description="User Pulumi connects as (key-pair auth).")
    edition: Literal["STANDARD", "ENTERPRISE", "BUSINESS_CRITICAL"] = Field(
        description=(
            "The account's edition, as Snowflake bills it (required: it decides whether "
            "multi-cluster warehouses and >1 day of time travel exist, and the credit price)."
        )
    )
    region: str = Field(
        "aws-us-east-1", pattern=r"^(aws|azure|gcp)-[a-z0-9-]+$", description="Cloud region."
    )
    name_suffix: str | None = Field(
        None,
        description=(
            "Appended to every account-level name so stacks sharing an account never collide; "
            "default '' in prod and '_<STACK>' elsewhere."
        ),
    )
    admin_roles: AdminRoles = AdminRoles()
    database: DatabaseSettings
    warehouses: dict[SnowflakeIdentifier, WarehouseSettings]
    service_users: ServiceUsers
    protect: bool = Field(False, description="Protect data objects from deletion (prod: true).")
    monitor_notify_users: tuple[SnowflakeIdentifier, ...] = Field(
        (),
        description=(
            "Users e-mailed by the resource monitors (each must exist with a verified e-mail "
            "address before the first `up`: `python -m jobs.bootstrap`); prod's readiness "
            "checklist requires at least one."
        ),
    )
    network_policies: NetworkPolicies = NetworkPolicies()
    break_glass_admin: SnowflakeIdentifier | None = Field(
        None,
        description=(
            "A person-type user with ACCOUNTADMIN that no policy of this program fences, made by "
            "`python -m jobs.bootstrap`: the way back in if the deploy user is locked out. "
            "Required with networkPolicies.deployUser, and by prod's readiness checklist."
        ),
    )

    @field_validator("name_suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"(_[A-Z0-9]+)*", value):
            raise ValueError(
                "must be empty or '_' followed by upper-case letters/digits, e.g. '_DEV'"
            )
        return value

    @field_validator("warehouses")
    @classmethod
    def _required_warehouses(
        cls, value: dict[str, WarehouseSettings]
    ) -> dict[str, WarehouseSettings]:
        missing = [name for name in REQUIRED_WAREHOUSES if name not in value]
        if missing:
            raise ValueError(
                f"missing warehouse(s) {', '.join(missing)}; the platform needs "
                f"{', '.join(REQUIRED_WAREHOUSES)}"
            )
        return value

    @model_validator(mode="after")
    def _break_glass(self) -> SnowflakeSettings:
        """The deploy user's policy is opt-in and only with a way back in outside it."""
        if self.break_glass_admin is not None and self.break_glass_admin == self.deploy_user:
            raise KeyedValueError(
                ("breakGlassAdmin",),
                self.break_glass_admin,
                "the break-glass admin must be another user than deployUser (the deploy user's "
                "network policy would fence it too); allowed: a person-type ACCOUNTADMIN user",
            )
        if self.network_policies.deploy_user and self.break_glass_admin is None:
            raise KeyedValueError(
                ("breakGlassAdmin",),
                None,
                "networkPolicies.deployUser fences the user every stack deploys as; a wrong range "
                "locks every stack out, so it is refused unless a break-glass admin outside the "
                "policy is named; allowed: the user `python -m jobs.bootstrap` creates for it",
            )
        return self

    @model_validator(mode="after")
    def _edition_features(self) -> SnowflakeSettings:
        """Multi-cluster and >1 day of time travel need Enterprise; refuse them on Standard."""
        if self.edition in ENTERPRISE_EDITIONS:
            return self
        for name, warehouse in self.warehouses.items():
            if warehouse.max_cluster_count > 1:
                raise KeyedValueError(
                    ("warehouses", name, "maxClusterCount"),
                    warehouse.max_cluster_count,
                    f"multi-cluster warehouses need edition {' or '.join(ENTERPRISE_EDITIONS)}; "
                    f"snowflake.edition is {self.edition}; allowed: 1",
                )
        retention = self.database.data_retention_days
        if retention > STANDARD_MAX_RETENTION_DAYS:
            raise KeyedValueError(
                ("database", "dataRetentionDays"),
                retention,
                f"more than {STANDARD_MAX_RETENTION_DAYS} day of time travel needs edition "
                f"{' or '.join(ENTERPRISE_EDITIONS)}; snowflake.edition is {self.edition}; "
                f"allowed: 0..{STANDARD_MAX_RETENTION_DAYS}",
            )
        return self

    @property
    def account_identifier(self) -> str:
        return f"{self.organization_name}-{self.account_name}"

    @property
    def host(self) -> str:
        return f"{self.organization_name}-{self.account_name}.snowflakecomputing.com".lower()


def check_snowflake_for_environment(settings: SnowflakeSettings, environment: str) -> None:
    """Staging and prod: every network policy admits only addresses a real client can have.

    What prod must still provide (notify users, the API's ranges, a break-glass admin) is not
    refused here, so the offline synth still shows an unfinished stack: it is listed by
    `components.settings.snowflake_readiness` and refused by the real preview (docs/snowflake.md,
    "Network policies and the first prod up").
    """
    if environment not in FENCED_ENVIRONMENTS:
        return
    for key, ranges, why in settings.network_policies.problems():
        raise KeyedValueError(
            ("snowflake", "networkPolicies", key),
            ranges,
            f"{why}; allowed in {environment}: the public egress ranges that really connect "
            "(documentation, private and 0.0.0.0/0 ranges are refused)",
        )

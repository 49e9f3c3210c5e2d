"""The platform's account roles and their hierarchy, and the one way objects are handed over.

Ownership rules this module relies on (docs/snowflake.md, "Ownership"):
- the role that creates an object owns it;
- `GrantOwnership` is created by the provider of the role that created the object, and deleting it
  runs `GRANT OWNERSHIP ... TO ROLE CURRENT_ROLE()` (terraform-provider-snowflake
  grant_ownership.go, DeleteGrantOwnership), so a delete hands the object back to its creator;
- every transfer waits for `SOPHIA_ADMIN -> SYSADMIN`, so SYSADMIN never loses access, and on
  destroy the transfer is undone before that grant is revoked;
- a transfer is deleted before its replacement is created (`delete_before_replace`): the default
  create-then-delete order would hand the object back to the creator after the new transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

# Role keys -> base names; the stack suffix is appended.
ROLE_BASE_NAMES = {
    "admin": "SOPHIA_ADMIN",
    "loader": "SOPHIA_LOADER",
    "api": "SOPHIA_API",
    "analyst": "SOPHIA_ANALYST",
}
ROLE_PURPOSES = {
    "admin": "Owns the platform's objects; granted to SYSADMIN.",
    "loader": "Estuary loads into ESTUARY_REALTIME only.",
    "api": "The API: reads data, writes sessions, uses Cortex Search and agents.",
    "analyst": "Read-only access to every schema.",
}


@dataclass(frozen=True)
class PlatformRolesArgs:
    suffix: str
    owner_parent_role: str = "SYSADMIN"


class PlatformRoles(pulumi.ComponentResource):
    """The four roles, functional roles under SOPHIA_ADMIN, SOPHIA_ADMIN under SYSADMIN."""

    role_names: dict[str, pulumi.Output[str]]
    admin_role: pulumi.Output[str]
    admin_under_sysadmin: snowflake.GrantAccountRole
    """`GRANT ROLE SOPHIA_ADMIN TO ROLE SYSADMIN`: every ownership transfer waits for it."""

    def __init__(
        self,
        name: str,
        args: PlatformRolesArgs,
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:PlatformRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        roles = {
            key: snowflake.AccountRole(
                f"{name}-role-{key}",
                name=f"{base}{args.suffix}",
                comment=ROLE_PURPOSES[key],
                opts=child,
            )
            for key, base in ROLE_BASE_NAMES.items()
        }
        self.role_names = {key: role.name for key, role in roles.items()}
        self.admin_role = roles["admin"].name
        self.admin_under_sysadmin = snowflake.GrantAccountRole(
            f"{name}-hierarchy-admin",
            role_name=roles["admin"].name,
            parent_role_name=args.owner_parent_role,
            opts=child,
        )
        for key in ("loader", "api", "analyst"):
            snowflake.GrantAccountRole(
                f"{name}-hierarchy-{key}",
                role_name=roles[key].name,
                parent_role_name=roles["admin"].name,
                opts=child,
            )
        self.register_outputs({"role_names": self.role_names})


def hand_over(
    name: str,
    object_type: str,
    object_name: pulumi.Input[str],
    roles: PlatformRoles,
    creator_provider: pulumi.ProviderResource,
    parent: pulumi.Resource,
) -> snowflake.GrantOwnership:
    """Transfer an object to SOPHIA_ADMIN, run as the role that created it (see module doc)."""
    return snowflake.GrantOwnership(
        name,
        account_role_name=roles.admin_role,
        outbound_privileges="COPY",  # keep the grants already made on it (grant_ownership.go)
        on=snowflake.GrantOwnershipOnArgs(object_type=object_type, object_name=object_name),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=creator_provider,
            depends_on=[roles.admin_under_sysadmin],
            delete_before_replace=True,
        ),
    )

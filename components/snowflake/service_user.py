"""Service users: key-pair authentication only, with their role granted."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.snowflake import ServiceUserSettings


@dataclass(frozen=True)
class ServiceAccountArgs:
    name: str
    """Full user name, stack suffix included."""
    keys: ServiceUserSettings
    default_role: pulumi.Input[str]
    default_warehouse: pulumi.Input[str]
    comment: str


class ServiceAccount(pulumi.ComponentResource):
    """A TYPE=SERVICE user (no password is possible) that can use exactly one role."""

    name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ServiceAccountArgs,
        user_provider: pulumi.ProviderResource,
        grant_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:ServiceAccount", name, None, opts)
        user = snowflake.ServiceUser(
            f"{name}-user",
            name=args.name,
            login_name=args.name,
            rsa_public_key=args.keys.rsa_public_key,
            rsa_public_key2=args.keys.rsa_public_key_2,
            default_role=args.default_role,
            default_warehouse=args.default_warehouse,
            default_secondary_roles_option="NONE",
            comment=args.comment,
            opts=pulumi.ResourceOptions(parent=self, provider=user_provider),
        )
        snowflake.GrantAccountRole(
            f"{name}-role",
            role_name=args.default_role,
            user_name=user.name,
            opts=pulumi.ResourceOptions(parent=self, provider=grant_provider),
        )
        self.name = user.name
        self.register_outputs({"name": self.name})

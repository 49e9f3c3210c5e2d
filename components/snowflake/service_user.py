"""Service users: key-pair authentication only, their role granted, logins fenced by IP.

The user is created by SECURITYADMIN, not USERADMIN: CREATE USER ... NETWORK_POLICY needs a role
that owns (or inherits ownership of) the network policy, and only SECURITYADMIN (or a role given
CREATE NETWORK POLICY on the account) creates network policies (Snowflake BCR note "CREATE USER
command: NETWORK_POLICY parameter must specify a valid network policy"; DROP NETWORK POLICY docs).
SECURITYADMIN inherits USERADMIN, so it may create users.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    allowed_ip_ranges: tuple[str, ...] = ()
    """Empty: no network policy (the settings refuse that in prod)."""


class ServiceAccount(pulumi.ComponentResource):
    """A TYPE=SERVICE user (no password is possible) that can use exactly one role."""

    name: pulumi.Output[str]
    network_policy_name: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        args: ServiceAccountArgs,
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:ServiceAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        policy = None
        if args.allowed_ip_ranges:
            policy = snowflake.NetworkPolicy(
                f"{name}-network-policy",
                name=f"{args.name}_NETWORK_POLICY",
                allowed_ip_lists=list(args.allowed_ip_ranges),
                comment=f"Where {args.name} may log in from (managed by sophia-infra).",
                opts=child,
            )
        user = snowflake.ServiceUser(
            f"{name}-user",
            name=args.name,
            login_name=args.name,
            rsa_public_key=args.keys.rsa_public_key,
            rsa_public_key2=args.keys.rsa_public_key_2,
            default_role=args.default_role,
            default_warehouse=args.default_warehouse,
            default_secondary_roles_option="NONE",
            network_policy=policy.name if policy is not None else None,
            comment=args.comment,
            opts=child,
        )
        snowflake.GrantAccountRole(
            f"{name}-role",
            role_name=args.default_role,
            user_name=user.name,
            opts=child,
        )
        self.name = user.name
        self.network_policy_name = policy.name if policy is not None else None
        self.register_outputs({"name": self.name})


def deploy_user_network_policy(
    name: str,
    deploy_user: str,
    suffix: str,
    allowed_ip_ranges: tuple[str, ...],
    provider: pulumi.ProviderResource,
    after: Sequence[pulumi.Resource],
) -> snowflake.NetworkPolicyAttachment:
    """Fence the user Pulumi connects as (not created here: it must exist before any provider).

    Opt-in (settings refuse it without a break-glass admin outside the policy) and attached after
    `after`, every other Snowflake resource of the stack: `ALTER USER ... SET NETWORK_POLICY`
    (terraform-provider-snowflake network_policy_attachment.go, setOnUser) cuts off every later
    login from an address outside the ranges, including new connections of the same run.

    The user is shared by every stack of the account, and a user has one network policy, so only
    one stack may declare it (tests/components/snowflake/test_network_policies.py checks the
    committed stacks). The attachment runs as SECURITYADMIN, which must own the user through
    USERADMIN: ALTER USER needs OWNERSHIP of the user (Snowflake docs, "User & security DDL"),
    which `python -m jobs.bootstrap` arranges and `--verify` checks. GUESS: Snowflake may refuse to
    attach a policy that excludes the address the statement comes from (it does so at account
    level); if the ranges are wrong the next run cannot log in, so change them from an allowed
    address, or as the break-glass admin.
    """
    policy = snowflake.NetworkPolicy(
        f"{name}-network-policy",
        name=f"{deploy_user}{suffix}_NETWORK_POLICY",
        allowed_ip_lists=list(allowed_ip_ranges),
        comment=f"Where {deploy_user} (pulumi up) may log in from (managed by sophia-infra).",
        opts=pulumi.ResourceOptions(provider=provider),
    )
    return snowflake.NetworkPolicyAttachment(
        f"{name}-network-policy-attachment",
        network_policy_name=policy.name,
        users=[deploy_user],
        set_for_account=False,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=list(after)),
    )

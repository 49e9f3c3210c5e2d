"""One explicit Snowflake provider per administrative role.

Each resource is created by the least-privileged role that can create it (SYSADMIN for data,
SECURITYADMIN for roles, grants, network policies and the service users that carry them,
ACCOUNTADMIN only for what Snowflake reserves to it: resource monitors, the warehouses they are
assigned to, and the SNOWFLAKE.CORTEX_USER grant). Terraform needs hand-written provider aliases
for this; here it is a loop. docs/snowflake.md says why each role is the one it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.snowflake import SnowflakeSettings

# Preview resources this program declares; the provider refuses them unless enabled (SDK
# provider.py, preview_features_enabled). CortexAgent is promoted (stable) in 2.22: no flag.
PREVIEW_FEATURES = (
    "snowflake_table_resource",
    "snowflake_cortex_search_service_resource",
    "snowflake_network_policy_attachment_resource",
)
PROVIDER_ROLES = ("sysadmin", "securityadmin", "monitor_admin")


@dataclass(frozen=True)
class AdminProviders:
    sysadmin: snowflake.Provider
    securityadmin: snowflake.Provider
    monitor_admin: snowflake.Provider


def admin_providers(
    settings: SnowflakeSettings,
    private_key: pulumi.Input[str],
    gate: pulumi.Resource | None = None,
) -> AdminProviders:
    """Key-pair authenticated providers, one per role in `settings.admin_roles`.

    `gate` (components/snowflake/readiness.py) is what every provider, hence every Snowflake
    resource, waits for: while the stack's readiness checklist is open, nothing reaches Snowflake.
    """
    roles = settings.admin_roles
    opts = pulumi.ResourceOptions(depends_on=[gate]) if gate is not None else None
    providers = {
        field: snowflake.Provider(
            f"snowflake-{field.replace('_', '-')}",
            organization_name=settings.organization_name,
            account_name=settings.account_name,
            user=settings.deploy_user,
            role=getattr(roles, field),
            authenticator="SNOWFLAKE_JWT",
            private_key=private_key,
            preview_features_enabled=list(PREVIEW_FEATURES),
            opts=opts,
        )
        for field in PROVIDER_ROLES
    }
    return AdminProviders(**providers)

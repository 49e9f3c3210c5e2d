"""One explicit Snowflake provider per administrative role.

Each resource is created by the least-privileged role that can create it (SYSADMIN for data and
compute, SECURITYADMIN for roles and grants, USERADMIN for users, ACCOUNTADMIN only for resource
monitors, which Snowflake reserves to it). Terraform needs hand-written provider aliases for this;
here it is a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.snowflake import SnowflakeSettings

# Preview resources this program declares; the provider refuses them unless enabled.
PREVIEW_FEATURES = (
    "snowflake_table_resource",
    "snowflake_cortex_search_service_resource",
)


@dataclass(frozen=True)
class AdminProviders:
    sysadmin: snowflake.Provider
    securityadmin: snowflake.Provider
    useradmin: snowflake.Provider
    monitor_admin: snowflake.Provider


def admin_providers(settings: SnowflakeSettings, private_key: pulumi.Input[str]) -> AdminProviders:
    """Key-pair authenticated providers, one per role in `settings.admin_roles`."""
    roles = settings.admin_roles
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
        )
        for field in ("sysadmin", "securityadmin", "useradmin", "monitor_admin")
    }
    return AdminProviders(**providers)

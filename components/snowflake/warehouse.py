"""A warehouse that cannot run away: auto-suspend, and a resource monitor that suspends it.

Assigning a resource monitor to a warehouse needs ACCOUNTADMIN (SDK warehouse.py docstring;
terraform-provider-snowflake#3019), and the provider passes RESOURCE_MONITOR inside CREATE
WAREHOUSE, so the warehouse is created by the ACCOUNTADMIN provider, with its monitor, and then
handed to SOPHIA_ADMIN like every other platform object. docs/snowflake.md compares this with the
alternative (SYSADMIN creates it, an ACCOUNTADMIN `Execute` assigns the monitor) and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.snowflake import WarehouseSettings
from components.snowflake.roles import PlatformRoles, hand_over


@dataclass(frozen=True)
class MonitoredWarehouseArgs:
    name: str
    """Full warehouse name, stack suffix included."""
    monitor_name: str
    settings: WarehouseSettings
    notify_users: tuple[str, ...] = ()


class MonitoredWarehouse(pulumi.ComponentResource):
    """A warehouse plus its own resource monitor: notify, suspend, then suspend immediately."""

    name: pulumi.Output[str]
    monitor_name: pulumi.Output[str]
    ownership: snowflake.GrantOwnership
    """The transfer to SOPHIA_ADMIN; what SYSADMIN creates on the warehouse waits for it."""

    def __init__(
        self,
        name: str,
        args: MonitoredWarehouseArgs,
        monitor_provider: pulumi.ProviderResource,
        roles: PlatformRoles,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:MonitoredWarehouse", name, None, opts)
        settings = args.settings
        if not args.notify_users:
            pulumi.log.warn(
                f"resource monitor {args.monitor_name} has no notify users "
                "(snowflake.monitorNotifyUsers): its notify thresholds e-mail only account "
                "administrators who enabled notifications",
                resource=self,
            )
        child = pulumi.ResourceOptions(parent=self, provider=monitor_provider)
        # No frequency/start: the quota resets at the start of each calendar month, and the
        # provider does not keep re-planning a moving START_TIMESTAMP.
        monitor = snowflake.ResourceMonitor(
            f"{name}-monitor",
            name=args.monitor_name,
            credit_quota=settings.credit_quota,
            notify_triggers=list(settings.notify_at_percent),
            suspend_trigger=settings.suspend_at_percent,
            suspend_immediate_trigger=settings.suspend_immediate_at_percent,
            notify_users=list(args.notify_users) or None,
            opts=child,
        )
        warehouse = snowflake.Warehouse(
            f"{name}-warehouse",
            name=args.name,
            warehouse_size=settings.size,
            warehouse_type=settings.warehouse_type,
            generation=settings.generation if settings.warehouse_type == "STANDARD" else None,
            auto_suspend=settings.auto_suspend_seconds,
            auto_resume="true",
            initially_suspended=True,
            min_cluster_count=settings.min_cluster_count,
            max_cluster_count=settings.max_cluster_count,
            scaling_policy=settings.scaling_policy,
            statement_timeout_in_seconds=settings.statement_timeout_seconds,
            resource_monitor=monitor.name,
            comment="Managed by sophia-infra.",
            opts=child,
        )
        self.ownership = hand_over(
            f"{name}-ownership", "WAREHOUSE", warehouse.name, roles, monitor_provider, self
        )
        self.name = warehouse.name
        self.monitor_name = monitor.name
        self.register_outputs({"name": self.name, "monitor_name": self.monitor_name})

"""A warehouse that cannot run away: auto-suspend, and a resource monitor that suspends it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.snowflake import WarehouseSettings


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

    def __init__(
        self,
        name: str,
        args: MonitoredWarehouseArgs,
        warehouse_provider: pulumi.ProviderResource,
        monitor_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:MonitoredWarehouse", name, None, opts)
        settings = args.settings
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
            opts=pulumi.ResourceOptions(parent=self, provider=monitor_provider),
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
            opts=pulumi.ResourceOptions(parent=self, provider=warehouse_provider),
        )
        self.name = warehouse.name
        self.monitor_name = monitor.name
        self.register_outputs({"name": self.name, "monitor_name": self.monitor_name})

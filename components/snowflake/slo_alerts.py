"""`sophia:snowflake:SearchFreshnessAlert`: a Snowflake alert on Cortex Search freshness.

Every `alertScheduleMinutes` the alert reads `<db>.INFORMATION_SCHEMA.CORTEX_SEARCH_SERVICES`
(https://docs.snowflake.com/en/sql-reference/info-schema/cortex_search: DATA_FRESH_AS_OF "time
when data was last confirmed fresh", INDEXING_STATE, INDEXING_ERROR, SERVING_STATE) and fires
when a service of the stack is older than `searchLagFactor` x its TARGET_LAG, reports an indexing
error, or does not serve. Each run and whether it fired is recorded in ALERT_HISTORY
(docs.snowflake.com sql-reference/functions/alert_history: STATE TRIGGERED / CONDITION_FALSE);
the action writes a log line (GUESS, see `freshness_action`). GUESS: no notification integration
exists yet (docs/slo.md says how to add one); until then ALERT_HISTORY is where on-call looks.

Which warehouse, which owner, which privileges (docs/slo.md "The Snowflake alert"):
- it runs on CORTEX_COMPUTE_WH, the warehouse the search refreshes keep up anyway (prod: a
  1-minute lag keeps it awake all month, docs/snowflake.md), so the alert adds almost no credits;
- it is created by SYSADMIN (the `sysadmin` provider), which owns the search services (it created
  them) and holds SOPHIA_ADMIN (owner of the database, schema and warehouse): an alert runs with
  its owner's privileges (https://docs.snowflake.com/en/sql-reference/sql/execute-alert), so
  nothing but EXECUTE ALERT is missing;
- `EXECUTE ALERT ON ACCOUNT` to that role, granted by ACCOUNTADMIN ("only a user with the
  ACCOUNTADMIN role can grant this privilege", https://docs.snowflake.com/en/user-guide/alerts):
  the only grant this component makes, on a privilege no other grant resource manages;
- `snowflake.Alert` is a preview resource of pulumi-snowflake 2.22: `snowflake_alert_resource`
  is enabled in components/snowflake/providers.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.settings.cortex import lag_seconds
from components.settings.slo import FreshnessObjective

ALERT_BASE_NAME = "SOPHIA_SEARCH_FRESHNESS_ALERT"


@dataclass(frozen=True)
class SearchFreshnessAlertArgs:
    freshness: FreshnessObjective
    database: pulumi.Input[str]
    schema: pulumi.Input[str]  # CORTEX_VECTORS: where the search services live
    warehouse: pulumi.Input[str]  # CORTEX_COMPUTE_WH
    owner_role: str  # the role the sysadmin provider runs as (owns the alert)
    service_lags: Mapping[str, str]  # search service name -> its target lag ('1 minute')
    suffix: str  # the stack's name suffix ('' for prod)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def freshness_condition(
    database: str, schema: str, service_lags: Mapping[str, str], factor: float
) -> str:
    """SELECT returning a row per stale or failing search service (the alert fires on any row)."""
    limits = " OR ".join(
        f"(SERVICE_NAME = {_quote(name)} AND DATEDIFF('second', DATA_FRESH_AS_OF, "
        f"CURRENT_TIMESTAMP()) > {round(factor * lag_seconds(lag))})"
        for name, lag in sorted(service_lags.items())
    )
    names = ", ".join(_quote(name) for name in sorted(service_lags))
    return (
        "SELECT SERVICE_NAME, DATA_FRESH_AS_OF, INDEXING_STATE, INDEXING_ERROR, SERVING_STATE "
        f'FROM "{database}".INFORMATION_SCHEMA.CORTEX_SEARCH_SERVICES '
        f"WHERE SERVICE_SCHEMA = {_quote(schema)} AND SERVICE_NAME IN ({names}) "
        "AND (INDEXING_ERROR IS NOT NULL OR SERVING_STATE <> 'RUNNING' "
        f"OR DATA_FRESH_AS_OF IS NULL OR {limits})"
    )


def freshness_action(alert_name: str) -> str:
    """SYSTEM$LOG_WARN is a Snowflake Scripting statement (docs.snowflake.com sql-reference/
    functions/system_log), run here as an anonymous block (EXECUTE IMMEDIATE); it reaches the
    account's event table when one is set. GUESS: without an event table it is a no-op, and the
    TRIGGERED row of ALERT_HISTORY is the record (docs/slo.md: add a notification integration)."""
    message = f"{alert_name}: a Cortex Search service is stale or failing"
    return f"EXECUTE IMMEDIATE $$ BEGIN SYSTEM$LOG_WARN({_quote(message)}); END; $$"


class SearchFreshnessAlert(pulumi.ComponentResource):
    alert_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: SearchFreshnessAlertArgs,
        provider: pulumi.ProviderResource,
        account_admin_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("sophia:snowflake:SearchFreshnessAlert", name, None, opts)
        alert_name = f"{ALERT_BASE_NAME}{args.suffix}"
        # The owner needs EXECUTE ALERT before the alert is resumed (enabled=True).
        execute = snowflake.GrantPrivilegesToAccountRole(
            f"{name}-execute-alert",
            account_role_name=args.owner_role,
            privileges=["EXECUTE ALERT"],
            on_account=True,
            opts=pulumi.ResourceOptions(parent=self, provider=account_admin_provider),
        )
        condition = pulumi.Output.all(args.database, args.schema).apply(
            lambda parts: freshness_condition(
                parts[0], parts[1], args.service_lags, args.freshness.search_lag_factor
            )
        )
        alert = snowflake.Alert(
            f"{name}-alert",
            name=alert_name,
            database=args.database,
            schema=args.schema,
            warehouse=args.warehouse,
            condition=condition,
            action=freshness_action(alert_name),
            alert_schedule=snowflake.AlertAlertScheduleArgs(
                interval=args.freshness.alert_schedule_minutes
            ),
            enabled=True,
            comment="Cortex Search freshness (docs/slo.md): stale, failing or not serving.",
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[execute]),
        )
        self.alert_name = alert.name
        self.register_outputs({"alert_name": self.alert_name})

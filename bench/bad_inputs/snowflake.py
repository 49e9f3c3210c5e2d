"""Cases for the Snowflake and Cortex settings of a stack file."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _at, _cases_values
from bench.bad_inputs.planted import DER_PRIVATE_BODY, GITHUB_TOKEN, PEM_PRIVATE


def snowflake_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend
    wh = "snowflake/warehouses/API_WH"
    inf, nan = float("inf"), float("nan")

    # Snowflake
    add(
        _cases_values(
            "snowflake", "dev", f"{wh}/size", ["HUGE", "xsmall", "X-SMALL", 1, True, None, ""]
        )
    )
    add(
        _cases_values(
            "snowflake",
            "staging",
            f"{wh}/autoSuspendSeconds",
            [30, -1, 0, True, "60", 10**12, inf, nan, 60.5, None],
        )
    )
    add(
        _cases_values(
            "snowflake", "prod", f"{wh}/creditQuota", [0, -5, True, "10", inf, nan, 10**15]
        )
    )
    add(_cases_values("snowflake", "dev", f"{wh}/minClusterCount", [0, 11, True]))
    add(_cases_values("snowflake", "dev", f"{wh}/maxClusterCount", [0, 11, 1.5]))
    add(_cases_values("snowflake", "dev", f"{wh}/scalingPolicy", ["FAST", "standard"]))
    add(_cases_values("snowflake", "dev", f"{wh}/generation", [2, "3"]))
    add(_cases_values("snowflake", "dev", f"{wh}/statementTimeoutSeconds", [0, 10**9, True]))
    add(_cases_values("snowflake", "dev", f"{wh}/notifyAtPercent", [[0], [300], "75", [True]]))
    add(_cases_values("snowflake", "dev", f"{wh}/suspendAtPercent", [0, 500]))
    add(_cases_values("snowflake", "dev", f"{wh}/warehouseType", ["GPU"]))
    add(
        _cases_values(
            "snowflake",
            "dev",
            "snowflake/database/dataRetentionDays",
            [-1, 91, True, "7", 3.5, None],
        )
    )
    add(_cases_values("snowflake", "prod", "snowflake/database/dataRetentionDays", [1, 6]))
    add(
        _cases_values(
            "snowflake",
            "dev",
            "snowflake/database/baseName",
            ["sophia ai", "", "A" * 300, "SOPHIA-AI", 7],
        )
    )
    add(
        _cases_values(
            "snowflake", "dev", "snowflake/database/extraSchemas", [["bad schema"], "RAW"]
        )
    )
    add(_cases_values("snowflake", "dev", "snowflake/deployUser", ["deploy user", "", None]))
    # Network policies that would lock a user out (review F1/F2), and the break-glass admin.
    add(
        _cases_values(
            "snowflake",
            "prod",
            "snowflake/networkPolicies/api",
            [["203.0.113.0/28"], ["10.0.0.0/8"], ["0.0.0.0/0"], ["100.64.0.0/10"]],
        )
    )
    add(
        _cases_values(
            "snowflake", "staging", "snowflake/networkPolicies/estuaryLoader", [["198.51.100.7"]]
        )
    )
    add(
        _cases_values(
            "snowflake", "dev", "snowflake/networkPolicies/deployUser", [["34.120.10.0/28"]]
        )
    )
    add(_cases_values("snowflake", "dev", "snowflake/networkPolicies/privateConnectivity", ["yes"]))
    add(
        _cases_values(
            "snowflake", "dev", "snowflake/breakGlassAdmin", ["PULUMI_DEPLOY_SVC", "ada lovelace"]
        )
    )
    add(_cases_values("snowflake", "dev", "snowflake/organizationName", ["sophia ai", 1]))
    add(
        _cases_values(
            "snowflake",
            "dev",
            "snowflake/region",
            ["mars-1", "aws-us-east-1; drop", "AWS-US-EAST-1", "aws-"],
        )
    )
    add(_cases_values("snowflake", "dev", "snowflake/edition", ["FREE", "enterprise"]))
    add(_cases_values("snowflake", "dev", "snowflake/nameSuffix", ["_PROD", "", "_STAGING", "dev"]))
    add(_cases_values("snowflake", "dev", "snowflake/protect", ["yes", 1]))
    add(_cases_values("snowflake", "dev", "snowflake/monitorNotifyUsers", [["bad user"], "ME"]))
    add(_cases_values("snowflake", "dev", "snowflake/adminRoles/sysadmin", ["sys admin"]))
    add(
        _cases_values(
            "snowflake",
            "dev",
            "snowflake/serviceUsers/api/rsaPublicKey",
            [PEM_PRIVATE, DER_PRIVATE_BODY, "not-a-key", "", GITHUB_TOKEN],
        )
    )
    add(_cases_values("snowflake", "dev", "snowflake/warehouses", [{}, []]))
    found.append(
        Case(
            "snowflake warehouse missing",
            "bad",
            "dev",
            _at("snowflake/warehouses/ESTUARY_LOAD_WH", None, delete=True),
        )
    )
    found.append(
        Case(
            "snowflake extra warehouse named like dev's in prod",
            "bad",
            "prod",
            _at(
                "snowflake/warehouses/API_WH_DEV",
                {"size": "XSMALL", "autoSuspendSeconds": 60, "creditQuota": 1},
            ),
        )
    )
    found.append(
        Case(
            "snowflake warehouse base name too long with suffix",
            "bad",
            "dev",
            _at(
                "snowflake/warehouses/" + "W" * 250,
                {"size": "XSMALL", "autoSuspendSeconds": 60, "creditQuota": 1},
            ),
        )
    )

    return found


def cortex_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend

    # Cortex
    add(_cases_values("cortex", "dev", "cortex/searchTargetLag", ["30 seconds", "fast", 60, ""]))
    add(_cases_values("cortex", "dev", "cortex/searchAutoSuspendSeconds", [60, True, 10**12]))
    add(
        _cases_values(
            "cortex", "dev", "cortex/embeddingModel", ["x'; DROP TABLE t; --", "", "no-such-model"]
        )
    )
    add(
        _cases_values(
            "cortex",
            "dev",
            "cortex/agentModels",
            [
                {"nobody": "auto"},
                {"snowflake_ops_agent": "gpt-9"},
                "auto",
                {"snowflake_ops_agent": "claude-4-sonnet"},  # retired (agent_models.yaml)
            ],
        )
    )
    add(
        _cases_values(
            "cortex",
            "dev",
            "cortex/additionalSearchServices",
            [[{"name": "X", "table": "NOPE.T", "searchColumn": "C"}], "S", [{}]],
        )
    )
    return found

"""Cases for the `sophia-infra:slo` settings (docs/slo.md)."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _at, _cases_values


def slo_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend
    nan = float("nan")
    s = "slo"
    add(_cases_values(s, "prod", f"{s}/windowDays", [0, 400, True, "30", 30.5]))
    add(
        _cases_values(s, "prod", f"{s}/availability/objectivePercent", [100, 80, nan, "99.9", True])
    )
    add(_cases_values(s, "dev", f"{s}/availability/page", [True, "yes"]))
    add(_cases_values(s, "prod", f"{s}/latency/thresholdSeconds", [0.3, 0, -1, "0.5"]))
    add(_cases_values(s, "prod", f"{s}/latency/excludeHandlers", [["/ws(.*"], ['"'], [""], "/ws"]))
    add(_cases_values(s, "prod", f"{s}/freshness/objectiveSeconds", [60, 0, 10**9, True]))
    # Other stacks load an objective their pipeline cannot meet; `--check` refuses it.
    found.append(
        Case(
            f"{s} staging --check {s}/freshness/objectiveSeconds=60",
            "bad",
            "staging",
            _at(f"{s}/freshness/objectiveSeconds", 60),
            args=["--check"],
        )
    )
    add(_cases_values(s, "prod", f"{s}/freshness/alertScheduleMinutes", [0, 1440]))
    add(_cases_values(s, "prod", f"{s}/freshness/searchLagFactor", [0.5, 100]))
    add(_cases_values(s, "prod", f"{s}/llm/dailyBudgetUsd", [0, -5, 10**7, 2000, "300"]))
    add(_cases_values(s, "staging", f"{s}/llm/weeklyPolicy", [True]))
    add(_cases_values(s, "prod", f"{s}/runbookBaseUrl", ["http://x.example/", "runbooks", ""]))
    add(_cases_values(s, "prod", f"{s}/ruleLabels", [{"bad label": "x"}, {"release": "a b"}]))
    add(_cases_values(s, "prod", f"{s}/prometheusRetentionDays", [0, 10**6]))
    add(_cases_values(s, "prod", f"{s}/canaryBurnAcknowledgement", ["ok", ""]))
    add(_cases_values(s, "prod", f"{s}/unknownKey", [1]))
    add(_cases_values("kubernetes", "prod", "kubernetes/canary/maxErrorRate", [0.01, 0.05]))
    return found

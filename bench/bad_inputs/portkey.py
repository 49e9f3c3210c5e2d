"""Cases for the Portkey settings of a stack file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.bad_inputs.case import Case, _at, _cases_values


def portkey_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend
    inf, nan = float("inf"), float("nan")

    # Portkey
    add(
        _cases_values(
            "portkey",
            "dev",
            "portkey/configName",
            ["", "bad/name", "sophia-prod-routing", "a" * 150, 5],
        )
    )
    add(
        _cases_values(
            "portkey", "dev", "portkey/targets/0/provider", ["@openai-prod", "openai", "@", ""]
        )
    )
    add(
        _cases_values(
            "portkey",
            "dev",
            "portkey/targets/0/model",
            ["@openai/gpt-4", "unknown-model", " gpt-3.5-turbo", ""],
        )
    )
    add(_cases_values("portkey", "dev", "portkey/targets/0/weight", [-1, inf, nan, True, "1"]))
    add(_cases_values("portkey", "dev", "portkey/targets/0/maxTokens", [0, True, 10**12, 1.5]))
    add(_cases_values("portkey", "dev", "portkey/targets", [[], "gpt"]))
    add(
        _cases_values(
            "portkey", "dev", "portkey/fallback/order", [[], ["nobody"], ["gpt-35-turbo"] * 2]
        )
    )
    add(_cases_values("portkey", "dev", "portkey/retry/attempts", [6, -1, True, 2.5]))
    add(_cases_values("portkey", "dev", "portkey/retry/onStatusCodes", [[200], [], [429, 429]]))
    add(_cases_values("portkey", "dev", "portkey/requestTimeoutMs", [0, 10**9, True, "30000"]))
    add(
        _cases_values(
            "portkey",
            "dev",
            "portkey/cache",
            [
                {"mode": "simple", "maxAge": 1},
                {"mode": "fuzzy"},
                {"mode": "simple", "maxAge": 10**12},
            ],
        )
    )
    add(
        _cases_values(
            "portkey", "dev", "portkey/maxCostPerRequestUsd", [0, 100, nan, inf, True, -1]
        )
    )
    add(
        _cases_values(
            "portkey",
            "dev",
            "portkey/adminBaseUrl",
            ["http://api.portkey.ai/v1", "https://user:pw@api.portkey.ai/v1", "api.portkey.ai"],
        )
    )
    add(
        _cases_values(
            "portkey",
            "dev",
            "portkey/budget",
            [{"target": "nobody"}, {"target": "gpt-35-turbo", "metadataKey": "bad key"}],
        )
    )
    limit = {"name": "sophia-dev-llm", "monthlyCreditLimitUsd": 10,
             "conditions": [{"key": "metadata.environment", "value": "dev"}],
             "groupBy": ["metadata.environment"]}  # fmt: skip
    for key, value in (("monthlyCreditLimitUsd", 0), ("monthlyCreditLimitUsd", inf),
                       ("monthlyCreditLimitUsd", nan), ("monthlyCreditLimitUsd", True),
                       ("monthlyCreditLimitUsd", 10**15),
                       ("alertThresholdUsd", 20), ("conditions", []), ("groupBy", ["x"]),
                       ("name", ""), ("name", "a" * 500), ("name", "sophia-prod-llm-monthly"),
                       ("name", "bad\nname")):  # fmt: skip
        found.append(
            Case(
                f"portkey usageLimit.{key}={value!r:.30}",
                "bad",
                "dev",
                _usage_limit({**limit, key: value}),
            )
        )
    found.append(Case("portkey usageLimit fine", "fine", "dev", _usage_limit(limit)))
    add(_cases_values("portkey", "dev", "portkey/workspaceId", ["", "a b"]))
    return found


def _usage_limit(limit: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """Set `portkey.usageLimit` with the workspace it requires, so a case is refused for what
    it breaks in the limit, not for the missing `workspaceId`."""
    set_workspace = _at("portkey/workspaceId", "sophia-dev")
    set_limit = _at("portkey/usageLimit", limit)

    def mutate(doc: dict[str, Any]) -> None:
        set_workspace(doc)
        set_limit(doc)

    return mutate

"""Cases for what is not in the schema (issue 27): a top-level typo, a value against the type
Pulumi.yaml declares, a repeat in a list that is a set, a moving connector tag in staging/prod,
a canary analysis that cannot judge, an empty agent catalog."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest import mock

from bench.bad_inputs.case import REPO_ROOT, Case, P, _at, _edit


def _rename(old: str, new: str) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        doc["config"][P + new] = doc["config"].pop(P + old)

    return mutate


def _add(key: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        doc["config"][key] = value

    return mutate


def _empty_agents(directory: Path) -> Any:
    text = (REPO_ROOT / "components/snowflake/agents.yaml").read_text()
    target = directory / "agents.yaml"
    target.write_text(re.sub(r"(?ms)^agents:.*", "agents: []\n", text))
    return mock.patch("components.settings.agents.AGENTS_FILE", target)


def _declare(old: str, new: str) -> Any:
    return lambda directory: _edit(directory / "Pulumi.yaml", old, new)


def schema_cases() -> list[Case]:
    return [
        Case("schema top-level typo cortexs (prod)", "bad", "prod", _rename("cortex", "cortexs")),
        Case(
            "schema top-level typo cortexs (--check)",
            "bad",
            "prod",
            _rename("cortex", "cortexs"),
            args=["--check"],
        ),
        Case(
            "schema top-level typo kubernetes (--cost)",
            "bad",
            "prod",
            _rename("kubernetes", "kubernete"),
            args=["--cost"],
        ),
        Case("schema unknown top-level key", "bad", "dev", _add(P + "featureFlags", {"x": True})),
        Case(
            "schema Pulumi.yaml type against the program",
            "bad",
            "dev",
            project=_declare("  kubernetes:\n", "  kubernetes:\n    type: string\n"),
        ),
        Case(
            "schema stack value against the declared type",
            "bad",
            "dev",
            _at("environment", ["dev"]),
        ),
        Case(
            "schema repeated notify threshold",
            "bad",
            "dev",
            _at("snowflake/warehouses/API_WH/notifyAtPercent", [80, 80]),
        ),
        Case(
            "schema repeated repository",
            "bad",
            "prod",
            _at(
                "estuary/sources/github/repositories",
                ["sophia-ai/sophia-main", "sophia-ai/sophia-main"],
            ),
        ),
        Case(
            "schema repeated IP range",
            "bad",
            "prod",
            _at(
                "snowflake/networkPolicies/estuaryLoader",
                ["34.121.207.128/32", "34.121.207.128/32"],
            ),
        ),
        Case(
            "schema repeated notify user",
            "bad",
            "prod",
            _at("snowflake/monitorNotifyUsers", ["PLATFORM_ONCALL", "PLATFORM_ONCALL"]),
        ),
        Case(
            "schema repeated retry status code",
            "bad",
            "prod",
            _at("portkey/retry/onStatusCodes", [429, 429]),
        ),
        Case(
            "schema moving connector tag in prod",
            "bad",
            "prod",
            _at("estuary/sources/github/connectorTag", "dev"),
        ),
        Case(
            "schema moving materialization tag in staging",
            "bad",
            "staging",
            _at("estuary/materializationTag", "dev"),
        ),
        Case(
            "schema moving connector tag in dev",
            "fine",
            "dev",
            _at("estuary/sources/github/connectorTag", "dev"),
        ),
        Case(
            "schema canary interval longer than every pause",
            "bad",
            "prod",
            _at("kubernetes/canary/analysisInterval", "30m"),
        ),
        Case(
            "schema parallel-run hold shorter than the interval",
            "bad",
            "staging",
            _at("kubernetes/canary/analysisInterval", "50m"),
        ),
        Case("schema empty agent list", "bad", "dev", patch=_empty_agents),
        Case("schema empty agent list (prod)", "bad", "prod", patch=_empty_agents),
    ]

# ruff: noqa: E501 - a table of cases reads better one case per line
"""python -m bench.bad_inputs: feed the CLIs a few hundred bad inputs, the way a new user would.

Each case writes a scratch project (this checkout's Pulumi.yaml, __main__.py and stack files,
components imported from this checkout), breaks one thing (a stack value, a whole file, the
agent catalog, a policy config, the price book, a CLI flag), runs `jobs.synth` or `jobs.cost`
in-process and sorts the outcome:

- rejected: exit code 1 or 2 with a message on stderr (the expected outcome of every case
  marked `bad`);
- accepted: exit 0. For a `bad` case that is a harmful silent accept; cases marked `fine` are
  inputs that are legitimately accepted (e.g. an unquoted date, which the CLI reads as a string);
- crashed: an exception escaped (a traceback instead of an error message).

Every run also checks that no secret-shaped value of the case appears in the output.
Results: docs/bad-input.md. `--only SUBSTRING` runs the matching cases; `--verbose` prints each.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import shutil
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
P = "sophia-infra:"

# Secret-shaped values the cases plant; none may ever appear in an output.
PEM_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkey\n"
    "-----END PRIVATE KEY-----\n"
)
DER_PRIVATE_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkeyAAAA"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
OPENAI_KEY = "sk-proj-" + "abcdefghijklmnopqrstuvwxyz012345"
SLACK_TOKEN = "xoxb-" + "123456789012-abcdefghijklmnop"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb3BoaWEtdGVzdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REFRESH = "eyJpZCI6ImFiY2RlZjAxMjM0NSIsInNlY3JldCI6InMzY3JldC12YWx1ZS14eXoifQ=="
PLANTED = (PEM_PRIVATE.splitlines()[1], DER_PRIVATE_BODY, GITHUB_TOKEN, GITHUB_PAT, OPENAI_KEY,
           SLACK_TOKEN, AWS_KEY, JWT, REFRESH, "REPLACE-WITH-pulumi")  # fmt: skip


@dataclass
class Case:
    name: str
    expect: str  # "bad": must be rejected; "fine": accepting it is correct
    stack: str = "dev"
    mutate: Callable[[dict[str, Any]], None] | None = None  # the stack file as a dict
    text: Callable[[str], str | bytes] | None = None  # the stack file as text
    project: Callable[[Path], None] | None = None  # anything else in the scratch project
    args: list[str] = field(default_factory=list)  # extra CLI args ({dir} = scratch dir)
    tool: str = "synth"  # or "cost"
    patch: Callable[[Path], contextlib.AbstractContextManager[Any]] | None = None


@dataclass
class Outcome:
    case: Case
    kind: str  # rejected | accepted | crashed
    code: int | None
    output: str
    leaked: list[str]

    @property
    def harmful(self) -> bool:
        return self.kind == "crashed" or (self.kind == "accepted" and self.case.expect == "bad")


# --- helpers that build mutations ------------------------------------------------------------------


def _at(path: str, value: Any, delete: bool = False) -> Callable[[dict[str, Any]], None]:
    """Set (or delete) `config.<path>`; path parts split on '/', e.g. 'snowflake/warehouses/API_WH'."""

    def mutate(doc: dict[str, Any]) -> None:
        parts = path.split("/")
        node: Any = doc["config"]
        first = P + parts[0] if not parts[0].startswith(P) else parts[0]
        parts = [first, *parts[1:]]
        for part in parts[:-1]:
            key: Any = int(part) if isinstance(node, list) else part
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
        if delete:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)

    return mutate


def _cases_values(prefix: str, stack: str, path: str, values: list[Any]) -> Iterator[Case]:
    for value in values:
        yield Case(f"{prefix} {path}={value!r:.40}", "bad", stack, _at(path, value))


def _stack_text(stack: str) -> str:
    return (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text()


# --- the cases -----------------------------------------------------------------------------------


def cases() -> list[Case]:
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
            [{"nobody": "auto"}, {"snowflake_ops_agent": "gpt-9"}, "auto"],
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

    # Estuary
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/tenantPrefix",
            ["sophia dev", "sophia/dev", "", 5, "sophia/prod/", "sophia/", "../x/"],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/dataPlane", ["", "a b"]))
    add(_cases_values("estuary", "dev", "estuary/syncFrequency", ["7m", 30, ""]))
    add(_cases_values("estuary", "dev", "estuary/addNewBindings", ["yes", 1]))
    add(_cases_values("estuary", "prod", "estuary/addNewBindings", [True]))
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/repositories",
            [[], ["bad repo"], "sophia-ai/x", [1]],
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/startDate",
            ["2025-02-30", "2025-13-01", "yesterday", "2025-01-01T25:00:00Z", 20250101],
        )
    )
    add(
        _cases_values(
            "estuary", "dev", "estuary/sources/github/interval", ["soon", "-5m", "", 5, "0s"]
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/connectorTag",
            ["v1; rm -rf", "../x", " ", "a" * 200],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/sources/github/enabled", ["yes", 1]))
    add(_cases_values("estuary", "dev", "estuary/sources/nosuch", [{"enabled": True}]))
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/usergems/streams",
            [[], ["Bad"], ["a", "a"], "events"],
        )
    )
    add(
        _cases_values(
            "estuary", "dev", "estuary/sources/gong", [{"enabled": False, "region": "us east"}]
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/apiUrl",
            [
                "http://evil.example/rest/v1",
                "ftp://x",
                "https://user:pw@x.example",
                "not a url",
                "https://",
            ],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/agentUrl", ["http://api.estuary.dev"]))
    add(
        _cases_values(
            "estuary", "dev", "estuary/encryptionUrl", ["http://config-encryption.estuary.dev"]
        )
    )
    add(_cases_values("estuary", "dev", "estuary/materializationTag", ["v4; x", ""]))

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
                _at("portkey/usageLimit", {**limit, key: value}),
            )
        )
    found.append(Case("portkey usageLimit fine", "fine", "dev", _at("portkey/usageLimit", limit)))
    add(_cases_values("portkey", "dev", "portkey/workspaceId", ["", "a b"]))

    # Kubernetes
    k = "kubernetes"
    add(_cases_values(k, "dev", f"{k}/namespace", ["Sophia", "a" * 70, "sophia-prod", "", "other"]))
    add(_cases_values(k, "staging", f"{k}/namespace", ["sophia-prod", "sophia-dev"]))
    add(_cases_values(k, "dev", f"{k}/replicas", [0, 100000, True, "1", 1.5]))
    add(_cases_values(k, "dev", f"{k}/uvicornWorkers", [0, 100, True]))
    add(_cases_values(k, "dev", f"{k}/resources/requests/cpu", ["lots", "-1", "", 1]))
    add(_cases_values(k, "dev", f"{k}/resources/limits/memory", ["1GB", "10Mi", ""]))
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/autoscaling",
            [
                {"minReplicas": 3, "maxReplicas": 1, "targetCpuUtilization": 70},
                {"minReplicas": 1, "maxReplicas": 10**9, "targetCpuUtilization": 70},
                {"minReplicas": 1, "maxReplicas": 2, "targetCpuUtilization": 200},
            ],
        )
    )
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/host",
            ["API.DEV.SOPHIA.AI", "api.sophia.ai", "localhost", "api.staging.sophia.ai", ""],
        )
    )
    add(_cases_values(k, "staging", f"{k}/host", ["api.sophia.ai", "api.dev.sophia.ai"]))
    add(_cases_values(k, "dev", f"{k}/router/kind", ["traefik"]))
    add(_cases_values(k, "dev", f"{k}/prometheusAddress", ["prometheus:9090", ""]))
    add(_cases_values(k, "dev", f"{k}/targetClusterVersion", [1.34, "1.20", "latest"]))
    add(_cases_values(k, "dev", f"{k}/terminationGraceSeconds", [10, 10**9, True]))
    add(_cases_values(k, "dev", f"{k}/preStopSleepSeconds", [0, 1000]))
    add(
        _cases_values(
            k, "dev", f"{k}/imageRepository", ["ghcr.io/other/api:latest", "NOT/AN/IMAGE"]
        )
    )
    add(
        _cases_values(
            k,
            "staging",
            f"{k}/canary",
            [
                {"strategy": "rolling"},
                {"strategy": "canary", "maxErrorRate": 2, "parallelRunHold": "45m"},
                {"strategy": "canary", "maxErrorRate": nan, "parallelRunHold": "45m"},
                {"strategy": "canary", "maxErrorRate": 0.05, "parallelRunHold": "forever"},
                {
                    "strategy": "canary",
                    "maxErrorRate": 0.05,
                    "steps": [{"setWeight": 50}, {"setWeight": 10}, {"pause": {"duration": "1m"}}],
                },
                {
                    "strategy": "canary",
                    "maxErrorRate": 0.05,
                    "parallelRunHold": "45m",
                    "failureLimit": 100,
                },
            ],
        )
    )
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/argoRollouts",
            [{"install": "yes"}, {"install": True, "chartVersion": "latest"}],
        )
    )

    # Release
    add(
        _cases_values(
            "release",
            "prod",
            "release/apiImage",
            ["ghcr.io/sophia-ai/api:latest", "docker.io/evil/api@sha256:" + "a" * 64, "x", 5],
        )
    )

    # Environment and identity
    add(_cases_values("environment", "staging", "environment", ["prod"]))
    add(_cases_values("environment", "prod", "environment", ["staging", "dev"]))
    add(_cases_values("environment", "dev", "environment", ["qa", "", 1, "PROD", None]))
    found.append(
        Case(
            "identity duplicate environment key",
            "bad",
            "prod",
            text=lambda t: t.replace(
                "  sophia-infra:environment: prod\n",
                "  sophia-infra:environment: prod\n  sophia-infra:environment: dev\n",
            ),
        )
    )
    found.append(
        Case(
            "identity duplicate nested key",
            "bad",
            "dev",
            text=lambda t: t.replace(
                "        size: XSMALL\n", "        size: XSMALL\n        size: LARGE\n", 1
            ),
        )
    )
    found.append(
        Case(
            "identity new stack qa copying dev",
            "bad",
            "qa",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.qa.yaml"),
        )
    )
    found.append(
        Case(
            "identity new stack qa as environment prod",
            "bad",
            "qa",
            project=lambda d: (d / "Pulumi.qa.yaml").write_text(_stack_text("prod")),
        )
    )
    found.append(
        Case(
            "identity stack name with upper case",
            "bad",
            "Dev2",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.Dev2.yaml"),
        )
    )
    found.append(
        Case(
            "identity new stack qa with its own names",
            "fine",
            "qa",
            project=lambda d: (d / "Pulumi.qa.yaml").write_text(_rename("dev", "qa")),
        )
    )
    found.append(
        Case(
            "identity staging shares prod estuary prefix",
            "bad",
            "staging",
            _at("estuary/tenantPrefix", "sophia/prod/"),
        )
    )
    found.append(
        Case(
            "identity staging uses prod's provider slug",
            "bad",
            "staging",
            _at("portkey/targets/0/provider", "@openai-prod"),
        )
    )
    found.append(
        Case(
            "identity staging uses prod's config name",
            "bad",
            "staging",
            _at("portkey/configName", "sophia-prod-routing"),
        )
    )
    found.append(
        Case(
            "identity --check all stacks after qa collides",
            "bad",
            "dev",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.qa.yaml"),
            args=["--check"],
        )
    )

    # Secrets
    for key, value in (("snowflakePrivateKey", PEM_PRIVATE), ("portkeyApiKey", OPENAI_KEY),
                       ("apiSnowflakePrivateKey", DER_PRIVATE_BODY), ("estuaryLoaderPrivateKey", "x"),
                       ("estuaryRefreshToken", REFRESH), ("portkeyAdminApiKey", OPENAI_KEY)):  # fmt: skip
        found.append(Case(f"secret {key} in plain text", "bad", "dev", _at(key, value)))
    for key in ("snowflakePrivateKey", "portkeyApiKey"):
        found.append(Case(f"secret {key} empty secure", "bad", "dev", _at(key, {"secure": ""})))
        found.append(Case(f"secret {key} missing", "bad", "dev", _at(key, None, delete=True)))
    found.append(
        Case(
            "secret github token plaintext in credentials",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github/personal_access_token", GITHUB_TOKEN),
        )
    )
    found.append(
        Case(
            "secret fine-grained PAT plaintext in credentials",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github/personal_access_token", GITHUB_PAT),
        )
    )
    found.append(
        Case(
            "secret credential field misspelt",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github", {"personal_acess_token": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret credential field missing",
            "bad",
            "staging",
            _at("estuarySourceCredentials/gong", {"access_key": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret credentials for a source not a mapping",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github", {"secure": "x"}),
        )
    )
    found.append(
        Case(
            "secret unknown credentials source",
            "bad",
            "dev",
            _at("estuarySourceCredentials/nosuch", {"token": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret enabled source without credentials",
            "bad",
            "staging",
            _at("estuarySourceCredentials/slack", None, delete=True),
        )
    )
    found.append(
        Case(
            "secret secure value in non-secret key",
            "bad",
            "dev",
            _at("portkey/configName", {"secure": "AAAA"}),
        )
    )
    found.append(
        Case("secret whole non-secret key secure", "bad", "dev", _at("release", {"secure": "AAAA"}))
    )
    for where, token in (("kubernetes/host", GITHUB_TOKEN), ("cortex/embeddingModel", OPENAI_KEY),
                         ("estuary/dataPlane", SLACK_TOKEN), ("portkey/budget/metadataValue", JWT),
                         ("snowflake/deployUser", AWS_KEY), ("estuary/sources/github/startDate", JWT),
                         ("portkey/targets/0/model", OPENAI_KEY),
                         ("kubernetes/prometheusAddress", f"https://{GITHUB_TOKEN}@prom.example")):  # fmt: skip
        found.append(
            Case(f"secret credential-shaped value in {where}", "bad", "dev", _at(where, token))
        )
    found.append(
        Case(
            "secret plaintext default in Pulumi.yaml",
            "bad",
            "dev",
            project=lambda d: _edit(
                d / "Pulumi.yaml",
                "    secret: true\n    description: Portkey API key",
                "    secret: true\n    default: sk-live\n    description: Portkey API key",
            ),
        )
    )
    found.append(
        Case("secret anon key is public (JWT allowed)", "fine", "dev", _at("estuary/anonKey", JWT))
    )

    # Whole files
    for name, body in (("a list", "- a\n- b\n"), ("a scalar", "hello\n"), ("empty", ""),
                       ("config a list", "config:\n  - a\n"), ("config a scalar", "config: 5\n"),
                       ("not YAML", "config: [\n"), ("tabs", "config:\n\tx: 1\n"),
                       ("non-string key", "config:\n  1: 2\n"),
                       ("null key", "config:\n  ~: 2\n")):  # fmt: skip
        found.append(Case(f"file stack file is {name}", "bad", "dev", text=lambda _t, b=body: b))
    found.append(Case("file invalid UTF-8", "bad", "dev", text=lambda t: t.encode() + b"\xff\xfe"))
    found.append(
        Case(
            "file latin-1 comment",
            "bad",
            "dev",
            text=lambda t: ("# caf\xe9\n" + t).encode("latin-1"),
        )
    )
    found.append(Case("file UTF-8 BOM", "fine", "dev", text=lambda t: "\ufeff" + t))
    found.append(
        Case(
            "file unquoted date",
            "fine",
            "dev",
            text=lambda t: t.replace("startDate: '2025-01-01'", "startDate: 2025-01-01"),
        )
    )
    found.append(
        Case(
            "file unquoted impossible date",
            "bad",
            "dev",
            text=lambda t: t.replace("startDate: '2025-01-01'", "startDate: 2025-02-30"),
        )
    )
    found.append(
        Case(
            "file yes as boolean",
            "bad",
            "dev",
            text=lambda t: t.replace("addNewBindings: true", "addNewBindings: yes"),
        )
    )
    found.append(
        Case(
            "file .inf quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: .inf"),
        )
    )
    found.append(
        Case(
            "file .nan quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: .nan"),
        )
    )
    found.append(
        Case(
            "file huge quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: 1e400"),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml duplicate key",
            "bad",
            "dev",
            project=lambda d: _edit(
                d / "Pulumi.yaml", "name: sophia-infra\n", "name: sophia-infra\nname: other\n"
            ),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml a list",
            "bad",
            "dev",
            project=lambda d: (d / "Pulumi.yaml").write_text("- x\n"),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml invalid UTF-8",
            "bad",
            "dev",
            project=lambda d: (d / "Pulumi.yaml").write_bytes(b"name: \xff\n"),
        )
    )
    found.append(
        Case(
            "file sibling stack file broken",
            "fine",
            "dev",
            project=lambda d: (d / "Pulumi.broken.yaml").write_text("config: [\n"),
        )
    )

    # agents.yaml
    def agents(edit: Callable[[str], str | bytes]) -> Callable[[Path], Any]:
        def patch(directory: Path) -> Any:
            target = directory / "agents.yaml"
            source = (REPO_ROOT / "components/snowflake/agents.yaml").read_text()
            new = edit(source)
            target.write_bytes(new if isinstance(new, bytes) else new.encode())
            return mock.patch("components.settings.agents.AGENTS_FILE", target)

        return patch

    for name, edit in (
        ("$$ in an instruction", lambda t: t.replace("You operate the", "You operate $$ the", 1)),
        (">100 KB instruction", lambda t: t.replace("You operate the", "x" * 120_000 + " You operate the", 1)),
        ("duplicate key", lambda t: t.replace("version: 1\n", "version: 1\nversion: 2\n")),
        ("invalid UTF-8", lambda t: t.encode() + b"\xff"),
        ("a list", lambda t: "- a\n"),
        ("not YAML", lambda t: "agents: [\n"),
        ("temperature 2", lambda t: t.replace("temperature: ", "temperature: 2 #", 1)),
        ("unknown model", lambda t: t.replace("model: mistral-7b", "model: gpt-9", 1)),
        ("empty", lambda t: ""),
    ):  # fmt: skip
        found.append(Case(f"agents.yaml {name}", "bad", "dev", patch=agents(edit)))

    # Policy config
    def policy(content: str | None, stack: str = "prod") -> Callable[[Path], Any]:
        def patch(directory: Path) -> Any:
            target = directory / "policy-config"
            shutil.copytree(REPO_ROOT / "policies/config", target, dirs_exist_ok=True)
            if content is not None:
                (target / f"{stack}.json").write_text(content)
            return _policy_dir_patch(target)

        return patch

    prod_policy = json.loads((REPO_ROOT / "policies/config/prod.json").read_text())
    for name, content, stack in (
        ("all disabled in prod", json.dumps({**prod_policy, "all": "disabled"}), "prod"),
        ("one policy disabled in prod", json.dumps({**prod_policy, "portkey-fallback": "disabled"}), "prod"),
        ("min above max", json.dumps({**prod_policy, "k8s-canary-first-weight": {"minFirstWeight": 60, "maxFirstWeight": 10}}), "prod"),
        ("unknown policy", json.dumps({"no-such-policy": "mandatory"}), "prod"),
        ("not JSON", "{", "prod"),
        ("a list", "[]", "prod"),
        ("bad level", json.dumps({"all": "loud"}), "prod"),
        ("bad threshold type", json.dumps({"portkey-cost-ceiling": {"maxCostPerRequestUsd": "cheap"}}), "prod"),
        ("NaN threshold", '{"portkey-cost-ceiling": {"maxCostPerRequestUsd": NaN}}', "prod"),
        ("duplicate key", '{"all": "mandatory", "all": "disabled"}', "prod"),
        ("invalid UTF-8", None, "prod"),
    ):  # fmt: skip
        patcher = policy(content, stack)
        if name == "invalid UTF-8":

            def patcher(directory: Path) -> Any:
                target = directory / "policy-config"
                shutil.copytree(REPO_ROOT / "policies/config", target, dirs_exist_ok=True)
                (target / "prod.json").write_bytes(b'{"all": "\xff"}')
                return _policy_dir_patch(target)

        found.append(Case(f"policy config {name}", "bad", stack, patch=patcher, args=["--check"]))
    found.append(
        Case(
            "policy config all disabled in dev (said, not failed)",
            "fine",
            "dev",
            patch=policy(json.dumps({"all": "disabled"}), "dev"),
            args=["--check"],
        )
    )

    # Price book (jobs.synth --cost and jobs.cost --price-book)
    book = (REPO_ROOT / "jobs/prices/price_book.yaml").read_text()
    for name, content in (
        ("missing key", book.replace("hours_per_month: 730\n", "")),
        ("not YAML", "snowflake: [\n"),
        ("a list", "- 1\n"),
        ("bad number", book.replace("hours_per_month: 730", "hours_per_month: lots")),
        ("duplicate key", book.replace("version: 1\n", "version: 1\nversion: 2\n")),
        ("negative price", book.replace("ENTERPRISE: 3.00", "ENTERPRISE: -3.00", 1)),
        ("empty", ""),
    ):  # fmt: skip
        found.append(
            Case(
                f"price book {name}",
                "bad",
                "dev",
                tool="cost",
                project=lambda d, c=content: (d / "book.yaml").write_text(c),
                args=["--price-book", "{dir}/book.yaml"],
            )
        )
    found.append(
        Case(
            "price book missing file",
            "bad",
            "dev",
            tool="cost",
            args=["--price-book", "{dir}/nope.yaml"],
        )
    )

    # CLI misuse
    for name, args, tool in (
        ("--json to a missing directory", ["--json", "{dir}/no/such/dir/out.json"], "synth"),
        ("--json to a directory", ["--json", "{dir}"], "synth"),
        ("--project-dir missing", ["--project-dir", "{dir}/nope"], "synth"),
        ("--raw without --diff", ["--raw"], "synth"),
        ("--check with --cost", ["--check", "--cost"], "synth"),
        ("--check with --diff", ["--check", "--diff", "prod"], "synth"),
        ("--diff unknown stack", ["--diff", "nope"], "synth"),
        ("--diff itself", ["--diff", "dev"], "synth"),
        ("--json with --check ignored? (both run)", ["--check", "--json", "{dir}/x.json"], "synth-fine"),
        ("unknown stack", ["--stack", "nope"], "synth"),
        ("empty stack name", ["--stack", ""], "synth"),
        ("cost --head-json missing", ["--head-json", "{dir}/nope.json"], "cost"),
        ("cost --head-json not JSON", ["--head-json", "{dir}/Pulumi.yaml"], "cost"),
        ("cost --base-json missing", ["--base-json", "{dir}/nope.json"], "cost"),
        ("cost --diff with --base-ref", ["--diff", "prod", "--base-ref", "HEAD"], "cost"),
        ("cost --diff with --base-json", ["--diff", "prod", "--base-json", "{dir}/x.json"], "cost"),
        ("cost --project-dir missing", ["--project-dir", "{dir}/nope"], "cost"),
        ("cost --markdown to a missing directory", ["--markdown", "{dir}/no/such/x.md"], "cost"),
        ("cost --base-ref unknown", ["--base-ref", "no-such-ref-xyz"], "cost"),
        ("cost no stack", ["--stack", ""], "cost"),
    ):  # fmt: skip
        expect = "fine" if tool.endswith("-fine") else "bad"
        found.append(
            Case(
                f"cli {tool.split('-')[0]} {name}",
                expect,
                "dev",
                args=args,
                tool=tool.split("-")[0],
            )
        )
    return found


def _policy_dir_patch(target: Path) -> contextlib.AbstractContextManager[Any]:
    """Point `load_policy_config` at `target` (its default argument, old or new code alike)."""
    from jobs import check

    return mock.patch.object(check.load_policy_config, "__defaults__", (target,))


def _rename(source: str, stack: str) -> str:
    """A stack file copied from `source` with every identity name moved to `stack`."""
    text = _stack_text(source)
    return (
        text.replace(f"sophia/{source}/", f"sophia/{stack}/")
        .replace(f"sophia-{source}", f"sophia-{stack}")
        .replace(f'-{source}"', f'-{stack}"')
        .replace(f"api.{source}.", f"api.{stack}.")
    )


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise AssertionError(f"{path.name}: {old!r} not found")
    path.write_text(text.replace(old, new, 1))


# --- running -------------------------------------------------------------------------------------


def _scratch(directory: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(REPO_ROOT / name, directory / name)


def run_case(case: Case, directory: Path) -> Outcome:
    _scratch(directory)
    stack_path = directory / f"Pulumi.{case.stack}.yaml"
    patches: list[contextlib.AbstractContextManager[Any]] = []
    if case.project is not None:
        case.project(directory)
    if case.mutate is not None:
        doc = yaml.safe_load(stack_path.read_text())
        case.mutate(doc)
        stack_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    if case.text is not None:
        new = case.text(stack_path.read_text())
        stack_path.write_bytes(new if isinstance(new, bytes) else new.encode())
    if case.patch is not None:
        patches.append(case.patch(directory))

    args = [a.replace("{dir}", str(directory)) for a in case.args]
    if "--stack" not in args:
        args = ["--stack", case.stack, *args]
    if "--project-dir" not in args and case.tool in ("synth", "cost"):
        args += ["--project-dir", str(directory)]
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    kind = "crashed"
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            if case.tool == "cost":
                from jobs import cost

                code = cost.main(args)
            else:
                from jobs import synth

                code = synth.main(args)
            kind = "accepted" if code == 0 else "rejected"
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
            kind = "rejected" if code else "accepted"
        except BaseException:
            err.write(traceback.format_exc())
    output = out.getvalue() + err.getvalue()
    if kind == "rejected" and not (err.getvalue().strip() or "FAIL:" in out.getvalue()):
        kind = "accepted"  # a non-zero exit with no word of why is not a clear rejection
    leaked = [token for token in PLANTED if token in output]
    return Outcome(case, kind, code, output, leaked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bad_inputs", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="print each case and its message")
    args = parser.parse_args(argv)
    selected = [c for c in cases() if args.only in c.name]
    outcomes = []
    for case in selected:
        with tempfile.TemporaryDirectory() as scratch:
            outcome = run_case(case, Path(scratch))
        outcomes.append(outcome)
        if args.verbose or outcome.harmful or outcome.leaked:
            first = next((line for line in outcome.output.splitlines() if line.strip()), "")
            flag = "HARMFUL " if outcome.harmful else ""
            flag += "LEAK " if outcome.leaked else ""
            print(f"{flag}{outcome.kind:9} [{case.expect}] {case.name}: {first[:160]}")
            if outcome.kind == "crashed":
                print("    " + outcome.output.strip().splitlines()[-1][:200])
    families: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        family = outcome.case.name.split()[0]
        kind = "harmful" if outcome.harmful and outcome.kind == "accepted" else outcome.kind
        families.setdefault(family, Counter())[kind] += 1
    print("\n| family | cases | rejected | accepted (fine) | accepted (harmful) | crashed |")
    print("|---|---|---|---|---|---|")
    for family, count in families.items():
        print(
            f"| {family} | {sum(count.values())} | {count['rejected']} | {count['accepted']} | "
            f"{count['harmful']} | {count['crashed']} |"
        )
    counts = Counter(o.kind for o in outcomes)
    harmful = sum(o.harmful and o.kind == "accepted" for o in outcomes)
    leaks = sum(bool(o.leaked) for o in outcomes)
    print(
        f"\n{len(outcomes)} bad inputs: {counts['rejected']} rejected clearly, "
        f"{counts['accepted']} accepted ({harmful} of them harmful: marked bad), "
        f"{counts['crashed']} crashed; {leaks} outputs leaked a planted secret"
    )
    return 1 if counts["crashed"] or harmful or leaks else 0


if __name__ == "__main__":
    sys.exit(main())

"""What each migration state declares for the API (docs/migration.md), as plain Kubernetes JSON.

- apiEdge: the legacy Service as a third weighted backend of the HTTPRoute's main rule, beside
  the Rollout's stable/canary pair, plus two rules that pin a request to one side by header
  (`x-sophia-backend: new | legacy`), and a ReferenceGrant when the Service lives in another
  namespace.
- sessionMgmt, vectorSearch, aiAgents, llmGateway: one flagd flag per row in a flag file the API
  evaluates per session (OpenFeature flagd schema, https://flagd.dev/schema/v0/flags.json).
- sessionMgmt, aiAgents: an egress rule to the legacy Redis network / the MCP namespace.
- sessionMgmt, vectorSearch, aiAgents: the legacy credential as a Kubernetes Secret.

Everything here is pure: `plan(...)` turns validated settings into a `MigrationPlan`, and
`components/k8s/api_service.py` declares what the plan holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.settings.migration import (
    CREDENTIAL_KEYS,
    FLAG_ROWS,
    LEGACY_DECLARED,
    MigrationSettings,
)

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
# ReferenceGrant: v1beta1 is served by every Gateway API release since v0.6 (the v1 type is
# newer; @kubernetes-models/gateway-api 2.0.0 ships both).
REFERENCE_GRANT_API_VERSION = f"{GATEWAY_API_GROUP}/v1beta1"
PIN_HEADER = "x-sophia-backend"
NEW_SIDE, LEGACY_SIDE = "new", "legacy"
# The Argo Rollouts Gateway API plugin sets canary = w and stable = 100 - w on every backendRef
# named after canaryService/stableService, in every rule (setHTTPRouteWeight, pkg/plugin/
# httproute.go, argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi): the pair sums to 100.
ROLLOUT_WEIGHT_SUM = 100
# Gateway API: backendRef weight is 0..1000000 (HTTPBackendRef.weight, apis/v1/shared_types.go).
MAX_BACKEND_WEIGHT = 1_000_000

FLAG_SCHEMA = "https://flagd.dev/schema/v0/flags.json"
FLAG_FILE = "flags.json"
FLAG_MOUNT_PATH = "/etc/sophia/flags"
FLAG_KEY_PREFIX = "migration."
# The flagd providers read these (OpenFeature flagd provider README: resolverType
# FLAGD_RESOLVER=in-process, offlineFlagSourcePath FLAGD_OFFLINE_FLAG_SOURCE_PATH).
FLAG_ENV = {
    "FLAGD_RESOLVER": "in-process",
    "FLAGD_OFFLINE_FLAG_SOURCE_PATH": f"{FLAG_MOUNT_PATH}/{FLAG_FILE}",
}
# The credential's Secret key and the environment variable the API reads it from.
CREDENTIAL_ENV = {
    "sessionMgmt": "LEGACY_REDIS_URL",
    "vectorSearch": "LEGACY_PINECONE_API_KEY",
    "aiAgents": "LEGACY_MCP_TOKEN",
}
CREDENTIAL_SECRET_KEY = "credential"
assert set(CREDENTIAL_ENV) == set(CREDENTIAL_KEYS)


def legacy_weight(new_share: int) -> int:
    """The legacy backend's weight so that it gets 100 - new_share percent of the rule's traffic.

    Weights in a rule are proportional (Gateway API traffic splitting): the Rollout's pair always
    sums to 100, so legacy = 100 * (100 - s) / s gives the new side s percent whatever step the
    canary is at (s = 10 -> 900, 25 -> 300, 50 -> 100)."""
    if not 1 <= new_share <= 100:
        raise ValueError(f"new_share must be 1..100, got {new_share}")
    return round(ROLLOUT_WEIGHT_SUM * (100 - new_share) / new_share)


def effective_share(weight: int) -> float:
    """Percent on the new side for a legacy weight (rounding makes it differ from the setting)."""
    return 100 * ROLLOUT_WEIGHT_SUM / (ROLLOUT_WEIGHT_SUM + weight)


@dataclass(frozen=True)
class LegacyBackend:
    service: str
    namespace: str
    port: int
    weight: int  # 0 in cutover: declared, so a rollback is a config revert

    def ref(self, *, weight: int | None = None) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "group": "",
            "kind": "Service",
            "name": self.service,
            "namespace": self.namespace,
            "port": self.port,
        }
        if weight is not None:
            ref["weight"] = weight
        return ref


@dataclass(frozen=True)
class MigrationPlan:
    """What the API declares for the migration in one stack (empty when nothing runs)."""

    legacy_backend: LegacyBackend | None = None
    flags: Mapping[str, Any] | None = None  # the flag file, or None when no row has a flag
    egress: tuple[Mapping[str, Any], ...] = ()
    legacy_env: Mapping[str, str] = field(default_factory=dict)  # non-secret endpoints
    credentials: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # row -> secret

    @property
    def flags_json(self) -> str | None:
        return None if self.flags is None else json.dumps(self.flags, sort_keys=True, indent=2)


def plan(
    settings: MigrationSettings, credentials: Mapping[str, pulumi.Input[str]]
) -> MigrationPlan:
    """The declarations of every row's state (docs/migration.md, "What each state declares")."""
    return MigrationPlan(
        legacy_backend=_legacy_backend(settings),
        flags=flag_document(settings),
        egress=tuple(egress_rules(settings)),
        legacy_env=_legacy_env(settings),
        credentials={
            row: credentials[row] for row in CREDENTIAL_KEYS if settings.needs_credential(row)
        },
    )


def _legacy_backend(settings: MigrationSettings) -> LegacyBackend | None:
    row = settings.row("apiEdge")
    if row.state not in LEGACY_DECLARED:
        return None
    legacy = row.legacy
    assert legacy is not None  # the model requires it in parallel and cutover
    weight = 0 if row.state == "cutover" else legacy_weight(row.share())
    return LegacyBackend(legacy.service, legacy.namespace, legacy.port, weight)


def flag_document(settings: MigrationSettings) -> dict[str, Any] | None:
    """One string flag per row from parallel on; variants `new`/`legacy`, evaluated per session.

    - parallel: `fractional` targeting, bucketed by flag key + targetingKey (the session id), so
      a session stays on one side (flagd-core `fractional`: murmurhash3 of the bucketing value);
    - cutover: `new` for everyone, `legacy` still a variant (a revert is a config change);
    - retired: `new` only: the legacy variant is gone;
    - not-started: no flag: the API does not serve the row through the new side yet.
    """
    flags: dict[str, Any] = {}
    for name in FLAG_ROWS:
        row = settings.row(name)
        if row.state == "not-started":
            continue
        flag: dict[str, Any] = {"state": "ENABLED", "metadata": {"migrationState": row.state}}
        if row.state == "retired":
            flag.update(variants={NEW_SIDE: NEW_SIDE}, defaultVariant=NEW_SIDE)
        else:
            flag["variants"] = {NEW_SIDE: NEW_SIDE, LEGACY_SIDE: LEGACY_SIDE}
            if row.state == "parallel":
                share = row.share()
                flag["defaultVariant"] = LEGACY_SIDE
                flag["targeting"] = {"fractional": [[NEW_SIDE, share], [LEGACY_SIDE, 100 - share]]}
            else:
                flag["defaultVariant"] = NEW_SIDE
        flags[f"{FLAG_KEY_PREFIX}{name}"] = flag
    if not flags:
        return None
    return {"$schema": FLAG_SCHEMA, "flags": flags}


def egress_rules(settings: MigrationSettings) -> list[dict[str, Any]]:
    """Egress the API needs only while a legacy side is declared (DNS and 443 are always open)."""
    rules: list[dict[str, Any]] = []
    redis = settings.row("sessionMgmt")
    if redis.state in LEGACY_DECLARED and redis.legacy is not None:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": redis.legacy.redis_cidr}}],
                "ports": [{"protocol": "TCP", "port": redis.legacy.port}],
            }
        )
    mcp = settings.row("aiAgents")
    if mcp.state in LEGACY_DECLARED and mcp.legacy is not None:
        legacy = mcp.legacy
        rules.append(
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": legacy.namespace}
                        }
                    }
                ],
                # NetworkPolicy sees the pod port after the Service's translation.
                "ports": [{"protocol": "TCP", "port": legacy.target_port or legacy.port}],
            }
        )
    return rules


def _legacy_env(settings: MigrationSettings) -> dict[str, str]:
    """Where the legacy sides are, for the API (non-secret; credentials go to Secrets)."""
    env: dict[str, str] = {}
    mcp = settings.row("aiAgents")
    if mcp.state in LEGACY_DECLARED and mcp.legacy is not None:
        env["LEGACY_MCP_URL"] = (
            f"http://{mcp.legacy.service}.{mcp.legacy.namespace}.svc:{mcp.legacy.port}"
        )
    pinecone = settings.row("vectorSearch")
    if pinecone.state in LEGACY_DECLARED and pinecone.legacy is not None:
        env["LEGACY_PINECONE_INDEX"] = pinecone.legacy.pinecone_index
    llm = settings.row("llmGateway")
    if llm.state in LEGACY_DECLARED and llm.legacy is not None:
        env["LEGACY_LLM_BASE_URL"] = llm.legacy.base_url
    return env


def reference_grant_spec(route_namespace: str, backend: LegacyBackend) -> dict[str, Any]:
    """Lets our HTTPRoute reference the one legacy Service (Gateway API ReferenceGrant: lives in
    the referent's namespace, `from` the route's kind and namespace, `to` the Service by name)."""
    return {
        "from": [{"group": GATEWAY_API_GROUP, "kind": "HTTPRoute", "namespace": route_namespace}],
        "to": [{"group": "", "kind": "Service", "name": backend.service}],
    }


def pin_rules(
    base_match: Mapping[str, Any],
    new_backends: list[dict[str, Any]],
    backend: LegacyBackend,
    extra: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Two rules that pin a request to one side by header, for on-call comparison.

    A match with a header outranks the path-only rule for the same path (HTTPRoute rule
    precedence: after path and method, "largest number of header matches"; apis/v1
    httproute_types.go). The `new` rule holds the stable/canary pair, whose weights the plugin
    rewrites here too; the `legacy` rule holds only the legacy Service."""

    def match(side: str) -> dict[str, Any]:
        return {**base_match, "headers": [{"type": "Exact", "name": PIN_HEADER, "value": side}]}

    return [
        {"matches": [match(NEW_SIDE)], "backendRefs": new_backends, **extra},
        {"matches": [match(LEGACY_SIDE)], "backendRefs": [backend.ref()], **extra},
    ]


def rollout_weight_paths(rules: int) -> list[str]:
    """ignore_changes paths for the weights the Rollout's plugin owns: the stable (index 0) and
    canary (index 1) refs of the main rule and, with pin rules, of the `new` rule (index 1).
    Nothing else: a legacy weight must follow the stack config (Pulumi property paths,
    https://www.pulumi.com/docs/iac/concepts/resources/options/ignorechanges/)."""
    return [
        f"spec.rules[{rule}].backendRefs[{ref}].weight"
        for rule in range(min(rules, 2))
        for ref in (0, 1)
    ]


def credential_env(row: str, secret_name: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "name": CREDENTIAL_ENV[row],
        "valueFrom": {"secretKeyRef": {"name": secret_name, "key": CREDENTIAL_SECRET_KEY}},
    }

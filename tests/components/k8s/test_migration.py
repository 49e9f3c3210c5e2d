"""What each migration state declares, through the real program (docs/migration.md).

The objects are checked the way `python -m jobs.synth --check` checks them: core kinds with
kubernetes-validate, the HTTPRoute and ReferenceGrant against the committed upstream schemas,
the pack's policies; the flag file is loaded and evaluated by the pinned @openfeature/flagd-core.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.k8s.migration import (
    FLAG_ENV,
    PIN_HEADER,
    effective_share,
    legacy_weight,
    rollout_weight_paths,
)
from jobs.check.config import load_policy_config
from jobs.check.runner import run_checks
from jobs.harness import Synthesis, synthesize
from tests.conftest import stack_config

ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
FLAGD = Path(__file__).with_name("flagd_evaluate.mjs")
REPO_ROOT = Path(__file__).resolve().parents[3]
HAVE_FLAGD = (REPO_ROOT / "node_modules" / "@openfeature" / "flagd-core").exists()
needs_flagd = pytest.mark.skipif(
    shutil.which("node") is None or not HAVE_FLAGD,
    reason="node or node_modules/@openfeature/flagd-core missing: run `make node`",
)
LEGACY_SECRETS = ("legacyRedisUrl", "legacyPineconeApiKey", "legacyMcpToken")
CREDENTIAL_ROWS = {
    "sessionMgmt": "legacyRedisUrl",
    "vectorSearch": "legacyPineconeApiKey",
    "aiAgents": "legacyMcpToken",
}


def migration_overrides(stack: str, **rows: tuple[str, int | None]) -> dict[str, Any]:
    """The committed stack with rows set to (state, newShare), and the legacy credentials the
    states need set as secrets (`secure:` placeholders, as a stack file holds them)."""
    migration = stack_config(stack)["migration"]
    for name, (state, share) in rows.items():
        row = migration["components"][name]
        row["state"] = state
        row.pop("newShare", None)
        if share is not None:
            row["newShare"] = share
    overrides: dict[str, Any] = {"migration": migration}
    for name, key in CREDENTIAL_ROWS.items():
        state = migration["components"][name]["state"]
        overrides[key] = {"secure": "x"} if state in ("parallel", "cutover") else None
    return overrides


def synth(stack: str, **rows: tuple[str, int | None]) -> Synthesis:
    return synthesize(stack, overrides=migration_overrides(stack, **rows))


ALL_PARALLEL = {
    "dataPipeline": ("parallel", None),
    "sessionMgmt": ("parallel", 50),
    "vectorSearch": ("parallel", 10),
    "aiAgents": ("parallel", 10),
    "llmGateway": ("parallel", 25),
    "apiEdge": ("parallel", 25),
}


@pytest.fixture(scope="module")
def parallel() -> Synthesis:
    return synth("staging", **ALL_PARALLEL)


def one(synthesis: Synthesis, type_: str, name: str | None = None) -> Any:
    found = [r for r in synthesis.by_type(type_) if name is None or r.name == name]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


# --- the weights --------------------------------------------------------------------------------


@pytest.mark.parametrize(("share", "weight"), [(10, 900), (25, 300), (50, 100), (1, 9900)])
def test_legacy_weight_gives_the_new_side_its_share_beside_a_pair_summing_to_100(
    share: int, weight: int
) -> None:
    assert legacy_weight(share) == weight
    # whatever the canary step: stable 100 - w plus canary w is always 100
    for canary in (0, 10, 50, 100):
        new = (100 - canary) + canary
        assert new / (new + weight) == pytest.approx(share / 100)
    assert effective_share(weight) == pytest.approx(share)


def test_rounding_is_reported_as_the_effective_share() -> None:
    assert legacy_weight(33) == 203
    assert effective_share(203) == pytest.approx(33.0, abs=0.01)


# --- apiEdge --------------------------------------------------------------------------------------


def test_parallel_route_has_the_legacy_backend_and_pin_rules(parallel: Synthesis) -> None:
    route = one(parallel, ROUTE)
    rules = route.inputs["spec"]["rules"]
    assert [(r["name"], r.get("weight"), r.get("namespace")) for r in rules[0]["backendRefs"]] == [
        ("sophia-api-stable", 100, None),
        ("sophia-api-canary", 0, None),
        ("fastapi-v1", 300, "legacy-api"),
    ]
    pins = [(r["matches"][0]["headers"], [b["name"] for b in r["backendRefs"]]) for r in rules[1:]]
    assert pins == [
        (
            [{"type": "Exact", "name": PIN_HEADER, "value": "new"}],
            ["sophia-api-stable", "sophia-api-canary"],
        ),
        ([{"type": "Exact", "name": PIN_HEADER, "value": "legacy"}], ["fastapi-v1"]),
    ]
    # the pin rules keep the main rule's path, so they win on header count alone
    assert {json.dumps(r["matches"][0]["path"], sort_keys=True) for r in rules} == {
        json.dumps({"type": "PathPrefix", "value": "/api"}, sort_keys=True)
    }


def test_only_the_rollouts_own_weights_are_ignored(parallel: Synthesis) -> None:
    route = one(parallel, ROUTE)
    assert route.ignore_changes == [
        "spec.rules[0].backendRefs[0].weight",
        "spec.rules[0].backendRefs[1].weight",
        "spec.rules[1].backendRefs[0].weight",
        "spec.rules[1].backendRefs[1].weight",
    ]
    assert "spec.rules[0].backendRefs[2].weight" not in route.ignore_changes
    assert rollout_weight_paths(1) == route.ignore_changes[:2]


def test_without_a_migration_the_route_is_todays(synthesized) -> None:
    route = one(synthesized("staging"), ROUTE)
    assert len(route.inputs["spec"]["rules"]) == 1
    assert route.ignore_changes == rollout_weight_paths(1)
    assert synthesized("staging").by_type(GRANT) == []


def test_reference_grant_lets_only_our_route_reach_the_one_service(parallel: Synthesis) -> None:
    grant = one(parallel, GRANT)
    assert grant.inputs["metadata"]["namespace"] == "legacy-api"
    assert grant.inputs["spec"] == {
        "from": [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "HTTPRoute",
                "namespace": "sophia-staging",
            }
        ],
        "to": [{"group": "", "kind": "Service", "name": "fastapi-v1"}],
    }


def test_cutover_keeps_the_legacy_backend_at_weight_zero() -> None:
    synthesis = synth("staging", apiEdge=("cutover", None))
    main = one(synthesis, ROUTE).inputs["spec"]["rules"][0]["backendRefs"]
    assert [(b["name"], b["weight"]) for b in main] == [
        ("sophia-api-stable", 100),
        ("sophia-api-canary", 0),
        ("fastapi-v1", 0),
    ]
    assert synthesis.outputs["migration"]["legacyRoute"]["weight"] == 0
    one(synthesis, GRANT)


def test_retired_removes_backend_grant_and_pin_rules() -> None:
    synthesis = synth("staging", apiEdge=("retired", None))
    route = one(synthesis, ROUTE)
    assert [b["name"] for b in route.inputs["spec"]["rules"][0]["backendRefs"]] == [
        "sophia-api-stable",
        "sophia-api-canary",
    ]
    assert len(route.inputs["spec"]["rules"]) == 1
    assert synthesis.by_type(GRANT) == []


# --- egress and credentials ---------------------------------------------------------------------


def test_parallel_egress_reaches_redis_and_the_mcp_namespace(parallel: Synthesis) -> None:
    egress = one(parallel, NETPOL).inputs["spec"]["egress"]
    assert egress[2:] == [
        {
            "to": [{"ipBlock": {"cidr": "10.20.0.0/28"}}],
            "ports": [{"protocol": "TCP", "port": 6379}],
        },
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "legacy-mcp"}
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8080}],
        },
    ]


@pytest.mark.parametrize("state", ["not-started", "retired"])
def test_no_legacy_egress_or_secret_outside_parallel_and_cutover(state: str) -> None:
    rows = {name: (state, None) for name in CREDENTIAL_ROWS}
    synthesis = synth("staging", **rows)
    assert len(one(synthesis, NETPOL).inputs["spec"]["egress"]) == 2  # DNS and 443
    assert [r.name for r in synthesis.by_type(SECRET)] == ["sophia-api-credentials"]
    rollout = one(synthesis, ROLLOUT).inputs["spec"]["template"]["spec"]["containers"][0]
    assert not [e for e in rollout["env"] if e["name"].startswith("LEGACY_")]


def test_each_credential_is_its_own_secret_and_stays_secret(parallel: Synthesis) -> None:
    secrets = {r.name: r for r in parallel.by_type(SECRET)}
    assert sorted(secrets) == [
        "sophia-api-credentials",
        "sophia-api-legacy-aiagents",
        "sophia-api-legacy-sessionmgmt",
        "sophia-api-legacy-vectorsearch",
    ]
    for name in ("aiagents", "sessionmgmt", "vectorsearch"):
        secret = secrets[f"sophia-api-legacy-{name}"]
        assert secret.inputs["stringData"] == "[secret]"
        assert secret.inputs["metadata"]["labels"]["sophia.ai/retained-config"] == "true"
    container = one(parallel, ROLLOUT).inputs["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["LEGACY_REDIS_URL"]["valueFrom"]["secretKeyRef"]["key"] == "credential"
    assert env["LEGACY_MCP_URL"]["value"] == "http://mcp-gateway.legacy-mcp.svc:8080"
    assert env["LEGACY_PINECONE_INDEX"]["value"] == "sophia-staging"
    assert {k: env[k]["value"] for k in FLAG_ENV} == FLAG_ENV


# --- the whole parallel stack passes the offline check ------------------------------------------


def test_parallel_stack_passes_schemas_and_policies(parallel: Synthesis) -> None:
    report = run_checks(parallel, load_policy_config("staging"))
    assert report.mandatory == [], [v.message for v in report.mandatory]
    valid = "\n".join(report.schema_valid)
    assert f"{GRANT} sophia-api-legacy-grant" in valid
    assert f"{ROUTE} sophia-api-route" in valid
    assert f"{NETPOL} sophia-api-netpol" in valid


# --- the flag file, evaluated by flagd-core ----------------------------------------------------


def flag_file(synthesis: Synthesis) -> str:
    return one(synthesis, CONFIG_MAP, "sophia-api-migration-flags").inputs["data"]["flags.json"]


def evaluate(flags: str, keys: list[str], sessions: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(FLAGD)],
        input=json.dumps({"flags": flags, "keys": keys, "sessions": sessions}),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


@needs_flagd
def test_flagd_core_splits_sessions_near_the_share_and_sticks(parallel: Synthesis) -> None:
    sessions = [f"session-{i:05d}" for i in range(20_000)]
    keys = ["migration.aiAgents", "migration.sessionMgmt", "migration.llmGateway"]
    result = evaluate(flag_file(parallel), keys, sessions)
    assert sorted(result["loaded"]) == [
        "migration.aiAgents",
        "migration.llmGateway",
        "migration.sessionMgmt",
        "migration.vectorSearch",
    ]
    for key, share in (
        ("migration.aiAgents", 10),
        ("migration.sessionMgmt", 50),
        ("migration.llmGateway", 25),
    ):
        values = [r["value"] for r in result["results"][key].values()]
        assert set(values) == {"new", "legacy"}
        assert values.count("new") / len(values) == pytest.approx(share / 100, abs=0.01)
    again = evaluate(flag_file(parallel), ["migration.aiAgents"], sessions[:500])
    assert {s: r["value"] for s, r in again["results"]["migration.aiAgents"].items()} == {
        s: result["results"]["migration.aiAgents"][s]["value"] for s in sessions[:500]
    }


@needs_flagd
def test_flagd_core_cutover_and_retired_send_everyone_to_new() -> None:
    synthesis = synth("staging", aiAgents=("cutover", None), vectorSearch=("retired", None))
    result = evaluate(
        flag_file(synthesis), ["migration.aiAgents", "migration.vectorSearch"], ["a", "b", "c"]
    )
    for key in ("migration.aiAgents", "migration.vectorSearch"):
        assert {r["value"] for r in result["results"][key].values()} == {"new"}
    retired = json.loads(flag_file(synthesis))["flags"]["migration.vectorSearch"]
    assert retired["variants"] == {"new": "new"}  # the legacy variant is gone


@needs_flagd
def test_flagd_core_refuses_a_malformed_flag_file() -> None:
    bad = json.dumps({"flags": {"migration.aiAgents": {"state": "ON", "variants": {}}}})
    assert evaluate(bad, [], [])["error"] == "invalid flagd flag configuration"


def test_not_started_declares_no_flag_file(synthesized) -> None:
    assert [r for r in synthesized("staging").by_type(CONFIG_MAP) if "flags" in r.name] == []


def test_a_new_split_changes_the_pod_template_so_it_ships_through_the_canary() -> None:
    def template(share: int) -> Any:
        synthesis = synth("staging", aiAgents=("parallel", share))
        volumes = one(synthesis, ROLLOUT).inputs["spec"]["template"]["spec"]["volumes"]
        (flags,) = [v for v in volumes if v["name"] == "migration-flags"]
        return flag_file(synthesis), flags

    file_10, volume_10 = template(10)
    file_25, _ = template(25)
    assert file_10 != file_25
    # auto-named and immutable: the mocks name it from its content's resource, the engine gives
    # a new random suffix on replace; the volume follows the ConfigMap's name
    assert volume_10["configMap"]["items"] == [{"key": "flags.json", "path": "flags.json"}]


@pytest.mark.skipif(
    shutil.which("node") is None
    or not (REPO_ROOT / "node_modules" / "@kubernetes-models" / "gateway-api").exists(),
    reason="node or node_modules missing: run `make node`",
)
def test_the_gateway_api_packages_own_validators_accept_route_and_grant(
    parallel: Synthesis,
) -> None:
    """A second judge: @kubernetes-models/gateway-api's compiled validators (from the upstream
    Go types) over the parallel route and grant (components/k8s/schemas/npm_validate.mjs)."""
    objects = [one(parallel, ROUTE).inputs, one(parallel, GRANT).inputs]
    broken = json.loads(json.dumps(objects[1]))
    broken["spec"]["to"][0]["kind"] = ""
    done = subprocess.run(
        ["node", str(REPO_ROOT / "components" / "k8s" / "schemas" / "npm_validate.mjs")],
        input=json.dumps([*objects, broken]),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)
    assert [r.get("valid") for r in results] == [True, True, False], results

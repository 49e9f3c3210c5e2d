"""The migration in the real engine: each step a `jobs.migration advance` then a real `up`.

staging runs the committed settings (Argo's Helm chart not installed: it comes from a repository
over the network; the Rollout and its route are still declared and rendered) and walks two rows:
apiEdge not-started -> parallel 10 % -> 25 % -> cutover -> retired, and sessionMgmt
not-started -> parallel -> cutover -> retired. prod is created at not-started. The history these
runs leave is what the gate and the tracker are tested on (no hand-written history).

Tests run in order (module-scoped workspace; each step builds on the last).
"""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import components.k8s.routing as routing
from jobs.engine_events.fold import summarize
from jobs.migration import cli
from jobs.migration.status import build
from tests.engine.workspace import PROJECT, EngineWorkspace

pytestmark = pytest.mark.needs_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant"
SECRET = "kubernetes:core/v1:Secret"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
REDIS_URL = "redis://:ENGINE_legacy_redis_pw_77aa@10.20.0.5:6379/0"
MCP_TOKEN = "ENGINE_legacy_mcp_token_88bb"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def committed(stack: str, key: str) -> Any:
    doc = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(doc["config"][f"{PROJECT}:{key}"])


@pytest.fixture(scope="module")
def stacks(workspace: EngineWorkspace) -> Iterator[dict[str, Any]]:
    made = {}
    for name in ("staging", "prod"):
        kubernetes = committed(name, "kubernetes")
        kubernetes["argoRollouts"]["install"] = False
        overrides: dict[str, Any] = {"kubernetes": kubernetes}
        if name == "prod":
            portkey = committed(name, "portkey")
            portkey["apiKeyId"] = (
                workspace.portkey.seed_api_key()
            )  # the committed one is a placeholder
            slo = committed(name, "slo")
            # The values prod's stack file marks as guesses (a real preview refuses them while
            # they stand, components/settings/placeholders.py), set as an owner would.
            portkey["workspaceId"] = "sophia-prod-engine"
            slo["ruleLabels"] = {"release": "prometheus-engine"}
            overrides.update(portkey=portkey, slo=slo)
        made[name] = workspace.create_stack(
            name,
            overrides=overrides,
            extra_secrets={"legacyRedisUrl": REDIS_URL, "legacyMcpToken": MCP_TOKEN}
            if name == "staging"
            else None,
        )
        result, _ = workspace.run(f"up-{name}", made[name].up)
        assert result.summary.result == "succeeded", name
    yield made


def advance(workspace: EngineWorkspace, capsys, *args: str) -> tuple[int, str]:
    argv = ["--repo-root", str(workspace.work_dir), "advance", *args]
    code = cli.main(argv, ops=workspace.ops())
    out, err = capsys.readouterr()
    return code, out + err


def up(workspace: EngineWorkspace, stack: Any, label: str) -> dict[str, int]:
    result, _ = workspace.run(label, stack.up)
    assert result.summary.result == "succeeded", label
    return result.summary.resource_changes or {}


def preview(workspace: EngineWorkspace, label: str) -> Any:
    events = workspace.ops().preview("staging")
    workspace.events[label] = events
    return summarize(events)


def cli_export(workspace: EngineWorkspace, stack: str) -> str:
    """`pulumi stack export` as the CLI writes it (the Automation API's export_stack() adds
    --show-secrets), as tests/engine/test_lifecycle.py checks it."""
    return subprocess.run(
        [str(workspace.engine.pulumi), "stack", "export", "--stack", stack],
        cwd=workspace.work_dir,
        env={**os.environ, **workspace.env()},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def resources(outcome: Any) -> list[Any]:
    return [c for c in outcome.changes if not c.type.startswith("pulumi:providers:")]


def rendered(workspace: EngineWorkspace, kind: str, name: str | None = None) -> list[dict]:
    found = []
    for path in workspace.render_dir("staging").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if (
                doc
                and doc.get("kind") == kind
                and (name is None or doc["metadata"]["name"] == name)
            ):
                found.append(doc)
    return found


def route_weights(workspace: EngineWorkspace) -> list[tuple[str, int]]:
    (route,) = rendered(workspace, "HTTPRoute")
    return [(r["name"], r.get("weight")) for r in route["spec"]["rules"][0]["backendRefs"]]


def diagnostics(workspace: EngineWorkspace, label: str) -> list[str]:
    return [
        e.diagnostic_event.message
        for e in workspace.events[label]
        if getattr(e, "diagnostic_event", None) is not None
    ]


def test_adding_the_legacy_backend_at_10_percent(
    workspace: EngineWorkspace, stacks, capsys
) -> None:
    code, out = advance(
        workspace, capsys, "--stack", "staging", "--row", "apiEdge", "--share", "10"
    )
    assert code == cli.EXIT_OK, out
    outcome = preview(workspace, "preview-add-legacy")
    changed = {(c.type, c.op) for c in resources(outcome)}
    assert (ROUTE, "update") in changed and (GRANT, "create") in changed, changed
    up(workspace, stacks["staging"], "up-apiedge-10")
    # The pin rules are new: the engine says it cannot ignore their (absent) old weights and
    # takes the declared ones (pulumi/pulumi#20465), which is what a new rule needs.
    said = diagnostics(workspace, "preview-add-legacy") + diagnostics(workspace, "up-apiedge-10")
    assert any(
        "cannot ignore changes in added or removed elements of the path" in m
        and "spec.rules[1].backendRefs[0].weight" in m
        for m in said
    ), said
    assert route_weights(workspace) == [
        ("sophia-api-stable", 100),
        ("sophia-api-canary", 0),
        ("fastapi-v1", 900),
    ]
    (grant,) = rendered(workspace, "ReferenceGrant")
    assert grant["metadata"]["namespace"] == "legacy-api"


def test_10_to_25_percent_changes_only_the_legacy_weight(
    workspace: EngineWorkspace, stacks, capsys
) -> None:
    code, out = advance(
        workspace, capsys, "--stack", "staging", "--row", "apiEdge", "--share", "25"
    )
    assert code == cli.EXIT_OK, out
    outcome = preview(workspace, "preview-25")
    (route,) = [c for c in outcome.changes if c.type == ROUTE]
    assert route.op == "update"
    assert [(p.path, p.before, p.after) for p in route.properties] == [
        ("spec.rules[0].backendRefs[2].weight", "900", "300")
    ], route.properties
    # The flag file does not change for apiEdge; no other resource moves (the dynamic-provider
    # host's default provider is re-registered on every preview: not a resource of the stack).
    assert [c.type for c in resources(outcome)] == [ROUTE], outcome.changes
    up(workspace, stacks["staging"], "up-apiedge-25")
    assert route_weights(workspace)[2] == ("fastapi-v1", 300)


def test_a_change_of_the_rollouts_own_weights_shows_no_diff(
    workspace: EngineWorkspace, stacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if the plugin had set canary 40 / stable 60 and the program said 100 / 0 again: the
    program now declares 60 / 40 in every rule; the engine ignores exactly those paths."""
    original = routing._backend

    def plugin_weights(service: str, port: int, weight: int) -> dict[str, Any]:
        new = {100: 60, 0: 40}.get(weight, weight) if service.startswith("sophia-api") else weight
        return original(service, port, new)

    monkeypatch.setattr(routing, "_backend", plugin_weights)
    outcome = preview(workspace, "preview-rollout-weights")
    assert [c for c in outcome.changes if c.type == ROUTE] == []
    assert resources(outcome) == [], outcome.changes


def test_prod_is_refused_before_the_soak(workspace: EngineWorkspace, stacks, capsys) -> None:
    before = workspace.stack_file("prod").read_text()
    code, out = advance(
        workspace, capsys, "--stack", "prod", "--row", "apiEdge", "--share", "10", "--dry-run"
    )
    assert code == cli.EXIT_REFUSED, out
    assert "ok       prod-behind: staging declares and ran parallel 25%" in out
    assert "REFUSED  staging-soak: apiEdge: staging has held parallel 25% for 0m (since 20" in out
    assert "prod requires 7d (earliest 20" in out
    assert workspace.stack_file("prod").read_text() == before


def _set_prod_soak(workspace: EngineWorkspace, soak: str) -> None:
    path = workspace.stack_file("prod")
    doc = yaml.safe_load(path.read_text())
    doc["config"][f"{PROJECT}:migration"]["gate"] = {"soak": soak}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_prod_is_refused_after_drift_then_allowed(
    workspace: EngineWorkspace, stacks, capsys
) -> None:
    _set_prod_soak(workspace, "1s")
    captures = stacks["staging"].outputs()["estuary"].value["captures"]
    state = workspace.estuary.state
    before = copy.deepcopy(state.live[captures[0]])
    state.oob_update(captures[0], lambda spec: spec.update(interval="10m"))
    try:
        code, out = advance(
            workspace, capsys, "--stack", "prod", "--row", "apiEdge", "--share", "10", "--dry-run"
        )
    finally:
        with state.lock:
            state.live[captures[0]] = before
    assert code == cli.EXIT_REFUSED, out
    assert "ok       staging-soak: apiEdge: staging has held parallel 25% for" in out
    assert "REFUSED  staging-drift: staging has drifted: estuary-github (" in out

    code, out = advance(
        workspace, capsys, "--stack", "prod", "--row", "apiEdge", "--share", "10", "--dry-run"
    )
    assert code == cli.EXIT_OK, out
    assert "ok       staging-drift: no drift on staging" in out
    # Prometheus (the in-cluster address) does not answer here: said, not passed.
    assert "skipped  metrics: Prometheus not reachable:" in out
    # more than staging is refused whatever the soak
    code, out = advance(
        workspace, capsys, "--stack", "prod", "--row", "apiEdge", "--share", "50", "--dry-run"
    )
    assert code == cli.EXIT_REFUSED
    assert "REFUSED  prod-behind: apiEdge: staging declares parallel 25%" in out


def test_the_tracker_reads_the_real_history(workspace: EngineWorkspace, stacks) -> None:
    now = datetime.now(UTC)
    tracker = build(workspace.ops(), ["staging", "prod"], workspace.work_dir, now, live_route=None)
    table = tracker.markdown()
    assert tracker.problems == [], table
    (line,) = [row for row in table.splitlines() if row.startswith("| API edge |")]
    assert f"parallel 25% since {now:%Y-%m-%d}" in line
    assert "| not-started |" in line or "not-started since" in line
    assert "staging-soak" in line  # the gate verdict for prod
    # a declared change not yet applied is a disagreement
    code, _ = advance_quiet(workspace, "--stack", "staging", "--row", "apiEdge", "--to", "cutover")
    assert code == cli.EXIT_OK
    tracker = build(workspace.ops(), ["staging"], workspace.work_dir, now, live_route=None)
    assert tracker.problems == [
        "staging: apiEdge declared cutover but the last update ran parallel 25%"
    ]
    assert "(declared cutover: not applied)" in tracker.markdown()


def advance_quiet(workspace: EngineWorkspace, *args: str) -> tuple[int, None]:
    return cli.main(
        ["--repo-root", str(workspace.work_dir), "advance", *args], ops=workspace.ops()
    ), None


def test_cutover_keeps_the_backend_at_zero_and_retired_removes_it(
    workspace: EngineWorkspace, stacks, capsys
) -> None:
    up(workspace, stacks["staging"], "up-apiedge-cutover")  # the cutover advanced above
    assert route_weights(workspace)[2] == ("fastapi-v1", 0)
    code, out = advance(workspace, capsys, "--stack", "staging", "--row", "apiEdge")
    assert code == cli.EXIT_OK, out
    assert "apiEdge in staging: cutover -> retired" in out
    outcome = preview(workspace, "preview-retire-apiedge")
    ops = {(c.type, c.op) for c in resources(outcome)}
    assert ops == {(ROUTE, "update"), (GRANT, "delete")}, outcome.changes
    up(workspace, stacks["staging"], "up-apiedge-retired")
    assert route_weights(workspace) == [("sophia-api-stable", 100), ("sophia-api-canary", 0)]
    assert rendered(workspace, "ReferenceGrant") == []


def test_session_row_declares_egress_and_secret_then_retiring_removes_them(
    workspace: EngineWorkspace, stacks, capsys
) -> None:
    staging = stacks["staging"]
    code, out = advance(
        workspace, capsys, "--stack", "staging", "--row", "sessionMgmt", "--share", "50"
    )
    assert code == cli.EXIT_OK, out
    up(workspace, staging, "up-session-parallel")
    (policy,) = rendered(workspace, "NetworkPolicy")
    assert {
        "to": [{"ipBlock": {"cidr": "10.20.0.0/28"}}],
        "ports": [{"protocol": "TCP", "port": 6379}],
    } in policy["spec"]["egress"]
    state = staging.export_stack().deployment["resources"]
    assert [r for r in state if r["type"] == SECRET and "legacy-sessionmgmt" in r["urn"]]
    # the credential is in state only as ciphertext (the CLI's export, without --show-secrets)
    exported = cli_export(workspace, "staging")
    assert '"ciphertext"' in exported and REDIS_URL not in exported

    for step in ("cutover", "retired"):
        if step == "retired":
            code, out = advance(
                workspace, capsys, "--stack", "staging", "--row", "sessionMgmt", "--dry-run"
            )
            assert code == cli.EXIT_REFUSED
            assert "REFUSED  credential: sessionMgmt retired must not keep legacyRedisUrl" in out
            staging.remove_config(f"{PROJECT}:legacyRedisUrl")
        code, out = advance(workspace, capsys, "--stack", "staging", "--row", "sessionMgmt")
        assert code == cli.EXIT_OK, out
        up(workspace, staging, f"up-session-{step}")
    (policy,) = rendered(workspace, "NetworkPolicy")
    assert len(policy["spec"]["egress"]) == 2  # DNS and 443 only
    state = staging.export_stack().deployment["resources"]
    assert not [r for r in state if r["type"] == SECRET and "legacy-sessionmgmt" in r["urn"]]
    flags = stacks["staging"].outputs()["migration"].value
    assert flags["credentials"] == [] and flags["egressRules"] == 0


def test_ai_agents_split_and_its_rollback(workspace: EngineWorkspace, stacks, capsys) -> None:
    """parallel 10 % declares the flag, token Secret and MCP egress; `--to not-started` (a
    rollback, always allowed) removes them again, each step a real `up`."""
    staging = stacks["staging"]
    code, out = advance(
        workspace, capsys, "--stack", "staging", "--row", "aiAgents", "--share", "10"
    )
    assert code == cli.EXIT_OK, out
    up(workspace, staging, "up-agents-parallel")
    exported = staging.outputs()["migration"].value
    # sessionMgmt, retired above, keeps its single-variant flag (`new` only)
    assert exported["flags"] == ["migration.aiAgents", "migration.sessionMgmt"]
    assert exported["credentials"] == ["legacyMcpToken"] and exported["egressRules"] == 1
    (policy,) = rendered(workspace, "NetworkPolicy")
    assert policy["spec"]["egress"][2]["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert MCP_TOKEN not in cli_export(workspace, "staging")

    code, out = advance(
        workspace, capsys, "--stack", "staging", "--row", "aiAgents", "--to", "not-started"
    )
    assert code == cli.EXIT_OK, out
    assert "aiAgents: parallel 10% -> not-started (rollback)" in out
    outcome = preview(workspace, "preview-agents-rollback")
    ops = {(c.type, c.op) for c in resources(outcome)}
    # the flag file loses migration.aiAgents: a new immutable ConfigMap (a new pod template)
    assert (
        (SECRET, "delete") in ops and (CONFIG_MAP, "replace") in ops and (NETPOL, "update") in ops
    )
    up(workspace, staging, "up-agents-rollback")
    exported = staging.outputs()["migration"].value
    assert exported["flags"] == ["migration.sessionMgmt"] and exported["credentials"] == []
    assert MCP_TOKEN not in cli_export(workspace, "staging")

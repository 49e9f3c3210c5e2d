"""The dev stack's life on the real Pulumi engine, step by step (one workspace, in order).

Estuary and Portkey run against their stand-ins, the Kubernetes objects render to a folder;
Snowflake names are plain values (tests/engine/program.py says why).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from components.k8s.api_service import RETAINED_CONFIG_LABEL
from jobs.engine_events.fold import summarize
from jobs.stack_ops import StackOperationError
from tests.engine.workspace import PROJECT, EngineWorkspace, secret_plaintexts

pytestmark = pytest.mark.needs_engine

STACK = "dev"
POLICIES = Path(__file__).resolve().parents[2] / "policies"
# The dev stack's UserGems webhook is switched off here (workspace.WEBHOOKS_SKIPPED says why).
CAPTURES = ["sophia/dev/github/source-github"]
MATERIALIZATION = "sophia/dev/snowflake/materialize-snowflake"
# What the dev stack declares here: 1 capture + 1 materialization + 1 Portkey config, the
# API's Kubernetes objects (those of the offline synth), 3 components, the render provider
# and the stack itself.
EXPECTED_TYPES = {
    "pulumi:pulumi:Stack": 1,
    "pulumi:providers:kubernetes": 1,
    "sophia:estuary:Pipeline": 1,
    "sophia:portkey:Gateway": 1,
    "sophia:k8s:ApiService": 1,
    "sophia:k8s:SloMonitoring": 1,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 1,
    "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig": 1,
    "pulumi-python:dynamic/estuary:Capture": len(CAPTURES),
    "pulumi-python:dynamic/estuary:Materialization": 1,
    "pulumi-python:dynamic/portkey:GatewayConfig": 1,
}


@pytest.fixture(scope="module")
def stack(workspace: EngineWorkspace):
    return workspace.create_stack(STACK)


def changes(summary: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in summary.items() if op != "same" and n}


def live(workspace: EngineWorkspace, spec_type: str) -> list[str]:
    return workspace.estuary.state.live_names(spec_type)


def test_up_from_empty_creates_everything(workspace: EngineWorkspace, stack) -> None:
    result, _ = workspace.run("up-empty", stack.up)
    assert result.summary.result == "succeeded"
    created = result.summary.resource_changes
    assert set(created) == {"create"}, created
    state = json.loads(json.dumps(stack.export_stack().deployment))
    types: dict[str, int] = {}
    for resource in state["resources"]:
        types[resource["type"]] = types.get(resource["type"], 0) + 1
    for type_, count in EXPECTED_TYPES.items():
        assert types.get(type_) == count, (type_, types)
    kubernetes = {t: n for t, n in types.items() if t.startswith("kubernetes:")}
    # The same Kubernetes objects as the offline synth of the committed stack declares.
    synthesized = Counter(
        r.type for r in workspace.synthesis_for(STACK).resources if r.type.startswith("kubernetes:")
    )
    assert kubernetes == dict(synthesized), types
    kubernetes_objects = sum(kubernetes.values())
    # Every resource in state was created by this update, except the default providers.
    defaults = [r for r in state["resources"] if "::default" in r["urn"]]
    assert created["create"] == len(state["resources"]) - len(defaults), (created, types)

    assert live(workspace, "capture") == CAPTURES
    assert live(workspace, "materialization") == [MATERIALIZATION]
    assert [c["name"] for c in workspace.portkey.configs.values()] == ["sophia-dev-routing"]
    # One manifest per Kubernetes object, written by the provider in render mode.
    manifests = sorted(workspace.render_dir(STACK).rglob("*.yaml"))
    assert len(manifests) == kubernetes_objects, manifests
    outputs = stack.outputs()
    assert outputs["estuary"].value["captures"] == CAPTURES
    assert outputs["portkey"].value["configSlug"] in workspace.portkey.configs


def test_up_rendered_the_slo_objects(workspace: EngineWorkspace, stack) -> None:
    """The PrometheusRule and ScrapeConfig as the provider wrote them (docs/slo.md)."""

    kinds: dict[str, dict] = {}
    for manifest in workspace.render_dir(STACK).rglob("*.yaml"):
        for doc in yaml.safe_load_all(manifest.read_text()):
            if doc and doc.get("kind") in ("PrometheusRule", "ScrapeConfig"):
                kinds[doc["kind"]] = doc
    assert set(kinds) == {"PrometheusRule", "ScrapeConfig"}, sorted(kinds)
    groups = kinds["PrometheusRule"]["spec"]["groups"]
    alerts = [r["alert"] for g in groups for r in g["rules"] if "alert" in r]
    assert "SophiaApiAvailabilityBudgetBurn" in alerts
    assert kinds["ScrapeConfig"]["spec"]["metricsPath"] == "/api/v1/metrics/sophia/dev/"


def test_second_preview_shows_no_changes(workspace: EngineWorkspace, stack) -> None:
    result, _ = workspace.run("preview-clean", stack.preview)
    assert changes(result.change_summary) == {}, result.change_summary


def test_refresh_of_an_unchanged_world_shows_no_changes(workspace: EngineWorkspace, stack) -> None:
    # Fails without the null-tolerant comparison in the Estuary provider's read: state keeps no
    # null map values, the live sops envelope has `"kms": null`, so every refresh "drifted".
    refreshing = workspace.select(STACK, refresh=True)
    preview, _ = workspace.run("refresh-preview-clean", refreshing.preview_refresh)
    assert changes(preview.change_summary) == {}, preview.change_summary
    outcome = summarize(workspace.events["refresh-preview-clean"])
    assert outcome.changes == () and outcome.failure_reason() is None
    result, _ = workspace.run("refresh-clean", refreshing.refresh)
    assert changes(result.summary.resource_changes) == {}, result.summary.resource_changes
    # ... and the refreshed state does not turn into a diff on the next preview.
    again, _ = workspace.run("preview-after-refresh", stack.preview)
    assert changes(again.change_summary) == {}, again.change_summary


def run_drift(workspace: EngineWorkspace, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobs.drift", "--stack", STACK, "--work-dir", str(workspace.work_dir),
         "--json", str(out / "drift.json"), "--markdown", str(out / "drift.md")],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **workspace.env(refresh=True)},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def test_drift_job_finds_an_out_of_band_change(
    workspace: EngineWorkspace, stack, tmp_path: Path
) -> None:
    clean = run_drift(workspace, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No drift on `dev`" in clean.stdout

    # Someone changes the GitHub capture's schedule in the Estuary UI (not to 5m: that is the
    # default, which Estuary drops from the spec; tests/jobs/test_drift.py covers that case).
    capture = CAPTURES[0]
    before = copy.deepcopy(workspace.estuary.state.live[capture])
    workspace.estuary.state.oob_update(capture, lambda spec: spec.update(interval="10m"))
    try:
        drifted = run_drift(workspace, tmp_path)
    finally:
        with workspace.estuary.state.lock:
            workspace.estuary.state.live[capture] = before
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["status"] == "drift"
    (resource,) = report["resources"]
    assert resource["name"] == "estuary-github"
    assert resource["type"] == "pulumi-python:dynamic/estuary:Capture"
    assert resource["operation"] == "update"
    by_path = {p["path"]: p for p in resource["properties"]}
    assert by_path["interval"]["before"] == "1h", resource
    assert by_path["interval"]["after"] == "10m", json.dumps(resource)
    texts = [(tmp_path / "drift.json").read_text(), (tmp_path / "drift.md").read_text()]
    texts += [drifted.stdout, drifted.stderr]
    for secret in secret_plaintexts(*workspace.provider_credentials()):
        for text in texts:
            assert secret not in text


def policy_preview(workspace: EngineWorkspace, config_file: Path | None = None):
    ops = workspace.ops()
    try:
        events = ops.preview(
            STACK,
            policy_packs=[str(POLICIES)],
            policy_pack_configs=[str(POLICIES / "config" / f"{STACK}.json")],
            config_file=str(config_file) if config_file else None,
        )
        return events, None
    except StackOperationError as err:
        return err.events, err


def test_policy_pack_runs_in_the_engine_and_passes_on_the_committed_stack(
    workspace: EngineWorkspace, stack
) -> None:
    events, error = policy_preview(workspace)
    workspace.events["preview-policy-clean"] = events
    assert error is None, error
    outcome = summarize(events)
    assert outcome.mandatory_violations == ()
    assert outcome.failure_reason() is None
    # The pack really ran: the engine names it in the preview's summary event.
    (summary,) = [e.summary_event for e in events if e.summary_event]
    assert any("sophia" in name for name in summary.policy_packs), summary.policy_packs


def test_policy_pack_reports_a_mandatory_violation_from_a_stack_setting(
    workspace: EngineWorkspace, stack, tmp_path: Path
) -> None:
    doc = yaml.safe_load(workspace.stack_file(STACK).read_text())
    doc["config"][f"{PROJECT}:portkey"]["requestTimeoutMs"] = 120000  # dev allows 60000
    config_file = tmp_path / f"Pulumi.{STACK}.yaml"
    config_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    events, error = policy_preview(workspace, config_file)
    workspace.events["preview-policy-violation"] = events
    assert error is not None  # a mandatory violation fails the preview
    outcome = summarize(events)
    violations = outcome.mandatory_violations
    assert violations, outcome.errors  # one per route target of the gateway config
    for violation in violations:
        assert violation.policy_name == "portkey-request-timeout"
        assert violation.enforcement_level == "mandatory"
        assert "waits 120000 ms" in violation.message and "at most 60000 ms" in violation.message
        assert violation.urn and violation.urn.endswith("GatewayConfig::llm-config")


def test_stack_export_holds_no_plaintext_secret(workspace: EngineWorkspace, stack) -> None:
    # The CLI itself: the Automation API's export_stack() adds --show-secrets.
    exported = subprocess.run(
        [str(workspace.engine.pulumi), "stack", "export", "--stack", STACK],
        cwd=workspace.work_dir,
        env={**os.environ, **workspace.env()},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert '"ciphertext"' in exported  # the secrets are there, encrypted
    for secret in secret_plaintexts(*workspace.provider_credentials()):
        assert secret not in exported, secret[:12]
    stack_file = workspace.stack_file(STACK).read_text()
    for secret in secret_plaintexts():
        assert secret not in stack_file


def test_destroy_leaves_the_stand_ins_and_the_render_folder_empty(
    workspace: EngineWorkspace, stack
) -> None:
    result, _ = workspace.run("destroy", stack.destroy)
    assert set(result.summary.resource_changes) == {"delete"}
    assert live(workspace, "capture") == []
    assert live(workspace, "materialization") == []
    # Collections stay: deleting a capture keeps its collections' data (docs/estuary.md).
    assert workspace.portkey.configs == {}
    # Left: only the API's ConfigMap and Secret, which are `retain_on_delete` on purpose (a
    # replace must not delete what the stable ReplicaSet still mounts; components/k8s/
    # api_service.py). In a cluster deleting their namespace removes them; its manifest is gone.
    manifests = sorted(workspace.render_dir(STACK).rglob("*.yaml"))
    left = [yaml.safe_load(p.read_text()) for p in manifests]
    assert sorted(doc["kind"] for doc in left) == ["ConfigMap", "Secret"], manifests  # no data
    for doc in left:
        assert doc["metadata"]["labels"][RETAINED_CONFIG_LABEL] == "true", doc["metadata"]
    others = [p for p in workspace.render_dir(STACK).rglob("*") if p.is_file()]
    assert len(others) == len(left), others
    assert stack.export_stack().deployment.get("resources") in (None, [])

"""The offline synth: tree, JSON, stack diff, and clear failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import synth
from jobs.harness import REPO_ROOT, load_stack_config
from tests.conftest import STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_tree_shows_what_a_reviewer_needs(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", stack]) == 0
    out = capsys.readouterr().out
    suffix = "" if stack == "prod" else f"_{stack.upper()}"
    for expected in (
        f"Stack {stack}:",
        "sophia:snowflake:Database  sophia",
        f"name: SOPHIA_AI{suffix}",
        "name: ESTUARY_REALTIME",
        "name: CORTEX_VECTORS",
        "name: BUSINESS_ENRICHED",
        "name: USER_SESSIONS",
        "name=EMBEDDING type=VECTOR(FLOAT, 1536) nullable=True",
        f"name: API_WH{suffix}",
        f"resourceMonitor: CORTEX_COMPUTE_WH_MONITOR{suffix}",
        f"name: SOPHIA_LOADER{suffix}",
        f"name: ESTUARY_LOADER_SVC{suffix}",
        "Count by type:",
        "snowflake:index/warehouse:Warehouse",
    ):
        assert expected in out, expected
    assert ("[protect, retain" in out) is (stack == "prod")


def test_json_lists_every_resource_with_secrets_redacted(tmp_path: Path) -> None:
    target = tmp_path / "prod.json"
    assert synth.main(["--stack", "prod", "--json", str(target)]) == 0
    document = json.loads(target.read_text())
    assert document["stack"] == "prod"
    resource = document["resources"][0]
    for key in (
        "type",
        "name",
        "parent",
        "inputs",
        "protect",
        "retain_on_delete",
        "dependencies",
        "secret_inputs",
    ):
        assert key in resource
    providers = [r for r in document["resources"] if r["type"] == "pulumi:providers:snowflake"]
    assert providers and all(p["inputs"]["privateKey"] == "[secret]" for p in providers)
    assert "synth-placeholder" not in target.read_text()


def test_diff_staging_prod_shows_real_differences(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "prod", "--diff", "staging"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Diff staging -> prod:")
    assert "~ snowflake:Warehouse warehouse-api-wh-warehouse" in out
    assert "warehouseSize: SMALL -> MEDIUM" in out
    assert "dataRetentionTimeInDays: 3 -> 14" in out
    assert "(protect): False -> True" in out
    # Suffix-only renames are expected between stacks and hidden by default...
    assert "SOPHIA_ADMIN_STAGING -> SOPHIA_ADMIN" not in out
    assert synth.main(["--stack", "prod", "--diff", "staging", "--raw"]) == 0
    assert "SOPHIA_ADMIN_STAGING -> SOPHIA_ADMIN" in capsys.readouterr().out


def test_bad_stack_config_exits_non_zero_with_the_settings_error(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text().replace("size: XSMALL", "size: TINY", 1)
    (tmp_path / "Pulumi.broken.yaml").write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "jobs.synth", "--stack", "broken", "--project-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Invalid configuration for stack 'broken'" in result.stderr
    assert "warehouses.CORTEX_COMPUTE_WH.size = 'TINY'" in result.stderr


def test_unknown_stack_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "qa"]) == 2
    assert (
        "no stack file Pulumi.qa.yaml; known stacks: dev, prod, staging" in capsys.readouterr().err
    )


def test_the_synth_modules_each_read_in_one_sitting() -> None:
    # CONTRIBUTING.md: split a module that passes ~400 lines (the CLI, its tree and its diff)
    for name in ("synth.py", "synth_tree.py", "synth_diff.py", "synth_document.py"):
        assert len((REPO_ROOT / "jobs" / name).read_text().splitlines()) <= 400, name


def test_secure_values_become_secret_placeholders() -> None:
    config, secret_keys = load_stack_config("dev")
    assert "sophia-infra:snowflakePrivateKey" in secret_keys
    assert config["sophia-infra:snowflakePrivateKey"].startswith("synth-placeholder-for-")


def test_cost_flag_prints_the_table_and_the_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "prod", "--cost"]) == 0
    out = capsys.readouterr().out
    assert "## Cost view: prod" in out
    assert "| API_WH " in out and "sophia-prod-routing" in out
    assert synth.main(["--stack", "prod", "--cost", "--diff", "staging"]) == 0
    assert "API_WH" in capsys.readouterr().out


@pytest.mark.parametrize("stack", STACKS)
def test_check_flag_passes_the_committed_stacks(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synth.main(["--stack", stack, "--check"]) == 0
    out = capsys.readouterr().out
    assert f"Policy check of stack {stack}: pack sophia-infra" in out
    assert "PASS: no mandatory violations" in out


def test_check_flag_fails_on_a_mandatory_violation(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    text = (
        (REPO_ROOT / "Pulumi.prod.yaml").read_text().replace("protect: true", "protect: false", 1)
    )
    (tmp_path / "Pulumi.prod.yaml").write_text(text)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobs.synth",
            "--stack",
            "prod",
            "--check",
            "--project-dir",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "snowflake-data-protected" in result.stdout
    assert "FAIL" in result.stdout


def test_json_lists_resources_in_urn_order_so_runs_compare_equal(tmp_path: Path) -> None:
    """Registration order under mocks varies between runs (threads); the document does not."""
    target = tmp_path / "dev.json"
    assert synth.main(["--stack", "dev", "--json", str(target)]) == 0
    urns = [r["urn"] for r in json.loads(target.read_text())["resources"]]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)


def test_diff_hides_the_stack_inside_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "prod", "--diff", "staging"]) == 0
    out = capsys.readouterr().out
    assert "sophia-staging -> sophia-prod" not in out
    assert "sophia/staging/" not in out and "@openai-staging" not in out
    assert 'spec.hostnames: ["api.<stack>.sophia.ai"] -> ["api.sophia.ai"]' in out
    # The stage is not a name: an environment label that differs still shows.
    assert "metadata.labels.sophia.ai/environment: staging -> prod" in out
    assert synth.main(["--stack", "prod", "--diff", "staging", "--raw"]) == 0
    assert "metadata.namespace: sophia-staging -> sophia-prod" in capsys.readouterr().out


def test_tree_shows_computed_values_not_blanks(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert (
        "spec.template.spec.containers[0].envFrom[0]: configMapRef={name=(computed: "
        "sophia-api-config-<random suffix>)}"
    ) in out
    assert "valueFrom.secretKeyRef.name: (computed: sophia-api-credentials-<random suffix>)" in out
    assert 'data.PORTKEY_CONFIG: ""' in out  # empty by design: the key is bound to the config
    # ConfigMap data is strings: a JSON value is shown as the string it is, not as fields.
    assert 'data.CORTEX_AGENT: {"business_intelligence_agent": {"name": ' in out
    assert "data.CORTEX_AGENT.business_intelligence_agent.name" not in out
    blanks = [line for line in out.splitlines() if line.endswith(": ")]
    assert blanks == []

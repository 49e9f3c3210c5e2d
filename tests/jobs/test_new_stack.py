"""`python -m jobs.new_stack`: a new stack from another passes `--check` with no hand edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from jobs import new_stack, synth
from tests.conftest import REPO_ROOT


def _project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):  # fmt: skip
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    shutil.copytree(REPO_ROOT / "policies" / "config", tmp_path / "policies" / "config")
    return tmp_path


@pytest.mark.parametrize(
    ("source", "environment"), [("dev", None), ("staging", None), ("prod", "staging")]
)
def test_a_new_stack_passes_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, environment: str | None
) -> None:
    root = _project(tmp_path)
    args = ["qa", "--from", source, "--project-dir", str(root)]
    assert new_stack.main([*args, *(["--environment", environment] if environment else [])]) == 0
    capsys.readouterr()
    assert synth.main(["--stack", "qa", "--check", "--project-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "policies/config/qa.json" in out
    assert out.rstrip().endswith("PASS: no mandatory violations")


def test_names_secrets_and_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    source = root / "Pulumi.prod.yaml"
    source.write_text("encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy\n" + source.read_text())
    assert new_stack.main(["perf", "--from", "prod", "--environment", "staging", "--project-dir", str(root)]) == 0  # fmt: skip
    text = (root / "Pulumi.perf.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert "encryptionsalt" not in text
    assert config["sophia-infra:environment"] == "staging"
    assert config["sophia-infra:estuary"]["tenantPrefix"] == "sophia/perf/"
    assert config["sophia-infra:kubernetes"]["host"] == "api.perf.sophia.ai"
    assert config["sophia-infra:kubernetes"]["namespace"] == "sophia-perf"
    assert config["sophia-infra:kubernetes"]["argoRollouts"]["install"] is False
    assert {t["provider"] for t in config["sophia-infra:portkey"]["targets"]} == {
        "@openai-perf",
        "@anthropic-perf",
        "@mistral-perf",
    }
    assert config["sophia-infra:portkey"]["usageLimit"]["conditions"] == [
        {"key": "metadata.environment", "value": "staging"}
    ]
    assert config["sophia-infra:snowflakePrivateKey"] == {
        "secure": "REPLACE-WITH-pulumi-config-set--secret"
    }
    comments = [line for line in source.read_text().splitlines() if line.lstrip().startswith("#")]
    assert len(comments) == len([ln for ln in text.splitlines() if ln.lstrip().startswith("#")])
    assert text.startswith("# The perf stack.")
    assert (root / "policies/config/perf.json").read_text() == (
        root / "policies/config/prod.json"
    ).read_text()
    out = capsys.readouterr().out
    assert "  kubernetes.host: api.sophia.ai -> api.perf.sophia.ai\n" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["perf", "--from", "prod"], "only stack prod may be environment prod; give --environment"),
        (["QA", "--from", "dev"], "stack name 'QA': allowed: a lower-case letter"),
        (["dev", "--from", "staging"], "exists; remove it first or pick another name"),
        (["qa", "--from", "nosuch"], "no stack file"),
    ],
)
def test_refusals_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    root = _project(tmp_path)
    before = sorted(p.name for p in root.rglob("*"))
    assert new_stack.main([*args, "--project-dir", str(root)]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in root.rglob("*")) == before

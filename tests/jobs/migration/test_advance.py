"""`jobs.migration advance` and `check` on copies of the committed stack files (no stack access:
the checks that read history run in tests/engine/test_migration.py on real engine history)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from jobs.migration import cli
from jobs.migration.rows import RowValue, move_problem, next_state, previous_state
from jobs.stack_file import StackFileError, set_migration_row

REPO_ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 8, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for path in REPO_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base"],
        cwd=tmp_path,
        check=True,
    )
    return tmp_path


def run(repo: Path, capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["--repo-root", str(repo), *args], now=NOW)
    out, err = capsys.readouterr()
    return code, out + err


def row(repo: Path, stack: str, name: str) -> dict:
    doc = yaml.safe_load((repo / f"Pulumi.{stack}.yaml").read_text())
    return doc["config"]["sophia-infra:migration"]["components"][name]


@pytest.mark.parametrize(
    ("environment", "current", "following", "before"),
    [
        ("staging", "not-started", "parallel", None),
        ("staging", "parallel", "cutover", "not-started"),
        ("staging", "retired", None, "cutover"),
        ("dev", "not-started", "cutover", None),  # dev never runs parallel
        ("dev", "cutover", "retired", "not-started"),
    ],
)
def test_one_step(
    environment: str, current: str, following: str | None, before: str | None
) -> None:
    assert next_state(current, environment) == following
    assert previous_state(current, environment) == before


def test_a_jump_names_what_is_allowed() -> None:
    problem = move_problem(
        "aiAgents", "staging", "staging", RowValue("not-started", 0), RowValue("retired", 100)
    )
    assert problem == (
        "aiAgents in staging: not-started -> retired jumps over a state; one step at a time, "
        "allowed from not-started: parallel"
    )
    back = move_problem(
        "aiAgents", "staging", "staging", RowValue("cutover", 100), RowValue("parallel", 10)
    )
    assert back is None  # one step back: a rollback


def test_advance_writes_only_the_row_line(repo: Path, capsys) -> None:
    before = (repo / "Pulumi.staging.yaml").read_text()
    code, out = run(
        repo, capsys, "advance", "--stack", "staging", "--row", "apiEdge", "--share", "10"
    )
    assert code == cli.EXIT_OK, out
    after = (repo / "Pulumi.staging.yaml").read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "      apiEdge: {state: not-started, legacy: {service: fastapi-v1, namespace: "
            "legacy-api, port: 8000}}",
            "      apiEdge: {state: parallel, newShare: 10, legacy: {service: fastapi-v1, "
            "namespace: legacy-api, port: 8000}}",
        )
    ]
    assert "ok       order: apiEdge: not-started -> parallel 10% (step)" in out


def test_dry_run_writes_nothing(repo: Path, capsys) -> None:
    before = (repo / "Pulumi.staging.yaml").read_text()
    code, out = run(
        repo,
        capsys,
        "advance",
        "--stack",
        "staging",
        "--row",
        "apiEdge",
        "--share",
        "10",
        "--dry-run",
    )
    assert code == cli.EXIT_OK and "allowed (dry run)" in out
    assert (repo / "Pulumi.staging.yaml").read_text() == before


def test_a_jump_is_refused(repo: Path, capsys) -> None:
    code, out = run(
        repo, capsys, "advance", "--stack", "staging", "--row", "apiEdge", "--to", "retired"
    )
    assert code == cli.EXIT_REFUSED
    assert (
        "REFUSED  order: apiEdge in staging: not-started -> retired jumps over a state; one step "
        "at a time, allowed from not-started: parallel"
    ) in out


def test_dev_goes_straight_to_cutover_and_back(repo: Path, capsys) -> None:
    code, out = run(repo, capsys, "advance", "--stack", "dev", "--row", "apiEdge")
    assert code == cli.EXIT_OK, out
    assert row(repo, "dev", "apiEdge")["state"] == "cutover"
    code, out = run(
        repo, capsys, "advance", "--stack", "dev", "--row", "apiEdge", "--to", "not-started"
    )
    assert code == cli.EXIT_OK, out
    assert "(rollback)" in out
    assert row(repo, "dev", "apiEdge")["state"] == "not-started"
    code, out = run(repo, capsys, "advance", "--stack", "dev", "--row", "apiEdge", "--share", "10")
    assert code == cli.EXIT_REFUSED
    assert "dev never runs parallel" in out


def test_going_parallel_needs_a_share(repo: Path, capsys) -> None:
    code, out = run(repo, capsys, "advance", "--stack", "staging", "--row", "apiEdge")
    assert code == cli.EXIT_FAILED
    assert "going parallel needs --share N" in out


def test_a_credential_row_needs_its_secret_first(repo: Path, capsys) -> None:
    code, out = run(
        repo, capsys, "advance", "--stack", "staging", "--row", "aiAgents", "--share", "10"
    )
    assert code == cli.EXIT_REFUSED
    assert (
        "REFUSED  credential: aiAgents parallel 10% needs legacyMcpToken; set it first with "
        "`pulumi config set --secret legacyMcpToken <value> --stack staging`"
    ) in out


def test_a_phase_in_prod_is_refused(repo: Path, capsys) -> None:
    code, out = run(
        repo, capsys, "advance", "--stack", "prod", "--phase", "ai-agents", "--share", "10"
    )
    assert code == cli.EXIT_REFUSED
    assert "prod changes one row per update" in out


def test_check_against_the_base_ref(repo: Path, capsys) -> None:
    code, out = run(repo, capsys, "check", "--stack", "prod", "--base-ref", "main")
    assert code == cli.EXIT_OK and "no migration row changes" in out
    path = repo / "Pulumi.prod.yaml"
    text = set_migration_row(path.read_text(), "apiEdge", {"state": "parallel", "newShare": 10,
        "legacy": {"service": "fastapi-v1", "namespace": "legacy-api", "port": 8000}})  # fmt: skip
    text = set_migration_row(text, "llmGateway", {"state": "parallel", "newShare": 10,
        "legacy": {"baseUrl": "https://api.openai.com/v1"}})  # fmt: skip
    path.write_text(text)
    code, out = run(repo, capsys, "check", "--stack", "prod", "--base-ref", "main")
    assert code == cli.EXIT_REFUSED
    assert (
        "REFUSED  prod-behind: apiEdge: staging declares not-started; prod may not go to "
        "parallel 10% before staging has (advance staging first)"
    ) in out
    assert "REFUSED  one-row: prod changes llmGateway, apiEdge in one pull request" in out


def test_the_edit_refuses_a_file_without_the_block() -> None:
    with pytest.raises(StackFileError, match="no `sophia-infra:migration:` block"):
        set_migration_row(
            "config:\n  sophia-infra:environment: dev\n", "apiEdge", {"state": "cutover"}
        )


def test_the_edit_replaces_a_block_style_row() -> None:
    text = (
        "config:\n"
        "  sophia-infra:migration:\n"
        "    components:\n"
        "      apiEdge:\n"
        "        state: not-started\n"
        "        legacy:\n"
        "          service: a\n"
        "      aiAgents: {state: cutover}  # kept\n"
        "  sophia-infra:environment: dev\n"
    )
    new = set_migration_row(text, "apiEdge", {"state": "cutover", "legacy": {"service": "a"}})
    assert new == (
        "config:\n"
        "  sophia-infra:migration:\n"
        "    components:\n"
        "      apiEdge: {state: cutover, legacy: {service: a}}\n"
        "      aiAgents: {state: cutover}  # kept\n"
        "  sophia-infra:environment: dev\n"
    )

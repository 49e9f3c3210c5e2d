"""`--check` across every stack file, guard rails that cannot be switched off quietly, and CLI
misuse that gets a clear error (exit 2) instead of a traceback or a silent no-op."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jobs import cost, synth
from jobs.check.config import PolicyConfigError, configure, load_policy_config
from jobs.harness import REPO_ROOT, StackConfigError, synthesize
from jobs.stack_identity import stack_identity_violations
from policies.sophia_policies import POLICIES
from tests.conftest import STACKS

PROJECT_FILES = ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in PROJECT_FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def test_committed_stack_files_pass_the_cross_stack_check() -> None:
    assert stack_identity_violations(REPO_ROOT) == []


def test_check_compares_every_stack_file(project: Path) -> None:
    shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi.qa.yaml")
    messages = [v.message for v in stack_identity_violations(project)]
    assert (
        "stacks 'dev' and 'qa' both deploy into the Kubernetes namespace 'sophia-dev'" in messages
    )
    assert (
        "stack qa: sophia-infra:kubernetes.namespace = 'sophia-dev': must contain the stack "
        "name 'qa' as a word (e.g. 'sophia-qa')" in messages
    )


def test_check_fails_on_a_colliding_sibling(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The settings of dev already refuse it (exit 2): a sibling claims dev's names."""
    shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi.qa.yaml")
    assert synth.main(["--stack", "dev", "--check", "--project-dir", str(project)]) == 2
    err = capsys.readouterr().err
    assert (
        "stacks 'dev' and 'qa' both serve the host 'api.dev.sophia.ai'; names must be unique "
        "per stack (see components/settings/identity.py)" in err
    )


def test_check_reports_a_problem_in_another_stack_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("tenantPrefix: sophia/staging/", "tenantPrefix: x/"))
    assert synth.main(["--stack", "dev", "--check", "--project-dir", str(project)]) == 1
    assert (
        "[mandatory] stack-identity: stack staging: sophia-infra:estuary.tenantPrefix = 'x/': "
        "must end in '/staging/'" in capsys.readouterr().out
    )


def test_check_reports_plaintext_secrets_in_any_stack_file(project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text().replace(
            "  sophia-infra:portkeyApiKey:\n    secure: REPLACE-WITH-pulumi-config-set--secret",
            "  sophia-infra:portkeyApiKey: sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        )
    )
    messages = [v.message for v in stack_identity_violations(project)]
    assert messages == [
        "stack staging: sophia-infra:portkeyApiKey: is a secret but is in plain text in "
        "Pulumi.staging.yaml (value not shown); set it with `pulumi config set --secret "
        "'portkeyApiKey' <value>`, which stores `secure:` ciphertext"
    ]


# --- guard rails ----------------------------------------------------------------------------------


def _policy_dir(tmp_path: Path, stack: str, config: dict) -> Path:
    directory = tmp_path / "policy-config"
    shutil.copytree(REPO_ROOT / "policies" / "config", directory)
    (directory / f"{stack}.json").write_text(json.dumps(config))
    return directory


def test_all_disabled_in_prod_fails_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "jobs.check.config.POLICY_CONFIG_DIR", _policy_dir(tmp_path, "prod", {"all": "disabled"})
    )
    assert synth.main(["--stack", "prod", "--check"]) == 1
    out = capsys.readouterr().out
    assert (
        f'[mandatory] policy-disabled: every policy is disabled ({len(POLICIES)} of {len(POLICIES)}: "all": "disabled") in '
        "policies/config/prod.json; prod may not switch the guard rails off without "
        "`--policy-override all=<why>`" in out
    )


def test_all_disabled_in_prod_passes_with_a_named_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "jobs.check.config.POLICY_CONFIG_DIR", _policy_dir(tmp_path, "prod", {"all": "disabled"})
    )
    argv = ["--stack", "prod", "--check", "--policy-override", "all=INC-42 pack broken upstream"]
    assert synth.main(argv) == 0
    assert "override: INC-42 pack broken upstream" in capsys.readouterr().out


def test_all_disabled_in_dev_is_said_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "jobs.check.config.POLICY_CONFIG_DIR", _policy_dir(tmp_path, "dev", {"all": "disabled"})
    )
    assert synth.main(["--stack", "dev", "--check"]) == 0
    assert (
        f'[advisory] policy-disabled: every policy is disabled ({len(POLICIES)} of {len(POLICIES)}: "all": "disabled") in '
        "policies/config/dev.json; nothing was checked" in capsys.readouterr().out
    )


def test_one_policy_disabled_in_prod_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = json.loads((REPO_ROOT / "policies/config/prod.json").read_text())
    config["portkey-fallback"] = "disabled"
    monkeypatch.setattr(
        "jobs.check.config.POLICY_CONFIG_DIR", _policy_dir(tmp_path, "prod", config)
    )
    assert synth.main(["--stack", "prod", "--check"]) == 1
    assert (
        "[mandatory] policy-disabled: policy portkey-fallback is disabled in "
        "policies/config/prod.json; prod may not switch a guard rail off without "
        "`--policy-override portkey-fallback=<why>`" in capsys.readouterr().out
    )


def test_threshold_min_above_max_is_a_config_error() -> None:
    with pytest.raises(PolicyConfigError) as raised:
        configure(
            POLICIES, {"k8s-canary-first-weight": {"minFirstWeight": 60, "maxFirstWeight": 10}}
        )
    assert str(raised.value) == (
        "policy k8s-canary-first-weight config: minFirstWeight (60) is above maxFirstWeight (10)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"all": "mandatory", "all": "disabled"}',
            "prod.json is not valid JSON: duplicate key(s) all",
        ),
        (
            '{"portkey-cost-ceiling": {"maxCostPerRequestUsd": NaN}}',
            "prod.json is not valid JSON: NaN is not a JSON number",
        ),
    ],
)
def test_policy_config_is_strict_json(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "prod.json").write_text(text)
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config("prod", tmp_path)
    assert str(raised.value) == expected


# --- CLI misuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--raw"], "--raw only changes --diff output; add --diff OTHER_STACK or drop --raw"),
        (["--check", "--cost"], "--check runs alone; run --cost or --diff in a separate command"),
        (["--check", "--diff", "prod"], "--check runs alone"),
        (["--diff", "dev"], "--diff dev compares the stack with itself; name another stack"),
        (["--project-dir", "/nonexistent/x"], "--project-dir /nonexistent/x is not a directory"),
        (
            ["--json", "/nonexistent/dir/out.json"],
            "--json /nonexistent/dir/out.json: directory /nonexistent/dir does not exist",
        ),
        (["--policy-override", "all=x"], "--policy-override only applies to --check"),
        (["--check", "--policy-override", "all"], "expected POLICY=REASON (a reason is required)"),
    ],
)
def test_synth_refuses_flags_that_would_do_nothing(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        synth.main(["--stack", "dev", *argv])
    assert raised.value.code == 2
    assert expected in capsys.readouterr().err


def test_synth_json_to_a_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        synth.main(["--stack", "dev", "--json", str(tmp_path)])
    assert raised.value.code == 2
    assert f"--json {tmp_path} is a directory; give a file name" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- a\n", "Pulumi.dev.yaml must be a YAML mapping (key: value lines); got list"),
        ("hello\n", "Pulumi.dev.yaml must be a YAML mapping (key: value lines); got str"),
        (
            "config: 5\n",
            "Pulumi.dev.yaml: config must be a YAML mapping (key: value lines); got int",
        ),
    ],
)
def test_stack_file_of_the_wrong_shape(project: Path, body: str, expected: str) -> None:
    (project / "Pulumi.dev.yaml").write_text(body)
    with pytest.raises(StackConfigError) as raised:
        synthesize("dev", root=project)
    assert str(raised.value) == expected


def test_stack_file_not_utf8(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_bytes(b"config:\n  x: \xff\n")
    with pytest.raises(StackConfigError) as raised:
        synthesize("dev", root=project)
    assert (
        str(raised.value) == "Pulumi.dev.yaml is not UTF-8 text (byte 13: 0xff); save it as UTF-8"
    )


def test_unquoted_date_reads_as_a_string_like_the_cli(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("startDate: '2025-01-01'", "startDate: 2025-01-01"))
    synthesis = synthesize("dev", root=project)
    assert synthesis.resources


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--head-json", "/nonexistent.json"], "--head-json /nonexistent.json: no such file"),
        (
            ["--stack", "dev", "--diff", "prod", "--base-ref", "HEAD"],
            "--diff and --base-ref each name the base; give one",
        ),
        (
            ["--stack", "dev", "--project-dir", "/nonexistent"],
            "--project-dir /nonexistent is not a directory",
        ),
    ],
)
def test_cost_refuses_bad_arguments(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        cost.main(argv)
    assert raised.value.code == 2
    assert expected in capsys.readouterr().err


def test_cost_head_json_that_is_not_a_synth_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "head.json").write_text("[1, 2]")
    assert cost.main(["--head-json", str(tmp_path / "head.json")]) == 2
    assert "is not a synth document (no 'resources' list)" in capsys.readouterr().err


def test_cost_with_a_broken_price_book(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = (REPO_ROOT / "jobs/prices/price_book.yaml").read_text()
    (tmp_path / "book.yaml").write_text(book.replace("hours_per_month: 730\n", ""))
    assert cost.main(["--stack", "dev", "--price-book", str(tmp_path / "book.yaml")]) == 2
    assert (
        f"error: the price book {tmp_path / 'book.yaml'} cannot be used: KeyError: "
        "'hours_per_month'" in capsys.readouterr().err
    )

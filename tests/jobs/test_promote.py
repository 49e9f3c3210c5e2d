"""Promotion gates and the stack-file edit, with a fake StackOperations and recorded events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation.events import EngineEvent

from jobs.promote import cli
from jobs.promote.durations import parse_duration
from jobs.stack_file import StackFileError, set_release
from jobs.stack_ops import StackOperationError, StackOutput, UpdateRecord

EVENTS_DIR = Path(__file__).parent / "events"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
IMG_OLD = "ghcr.io/sophia-ai/sophia-api@sha256:" + "1" * 64
IMG_NEW = "ghcr.io/sophia-ai/sophia-api@sha256:" + "a" * 64
RELEASE = {
    "apiImage": IMG_NEW,
    "agentsSpecVersion": "7",
    "portkeyConfigHash": "9f8e7d",
    "priceTableVersion": "2026-11",
}
# The capture the recorded destructive preview deletes (tests/jobs/events, a real run).
CAPTURE_URN = (
    "urn:pulumi:dev::sophia-infra::sophia:estuary:Pipeline"
    "$pulumi-python:dynamic/estuary:Capture::estuary-github"
)

ALL_GATES = (
    "stage-order",
    "source-last-update",
    "source-soak",
    "source-drift",
    "source-release",
    "target-policy-preview",
    "destructive-change",
)

MARKER_41 = (
    "# release promoted by jobs.promote from staging update #41: agentsSpecVersion=7,"
    " portkeyConfigHash=9f8e7d, priceTableVersion=2026-11"
)

PROD_FILE = f"""\
# Production stack: customers. Changes here go through jobs.promote.
secretsprovider: awskms://alias/sophia-prod?region=us-east-1
encryptedkey: AQICAHh4c2VjcmV0LWtleS1ibG9i
config:
  snowflake:account: ab12345.us-east-1   # no quotes on purpose
  snowflake:privateKey:
    secure: v1:Zm9vYmFyYmF6:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LXN0YXk=
  sophia-infra:api:
    replicas: 6
    canary: {{weight: 10, maxErrorRate: 0.01}}
  # release promoted by jobs.promote from staging update #40: agentsSpecVersion=6
  sophia-infra:release:
    apiImage: {IMG_OLD}

  sophia-infra:snowflake:
    database: "SOPHIA"   # trailing comment
    timeTravelDays: 7
"""

PROD_FILE_AFTER = f"""\
# Production stack: customers. Changes here go through jobs.promote.
secretsprovider: awskms://alias/sophia-prod?region=us-east-1
encryptedkey: AQICAHh4c2VjcmV0LWtleS1ibG9i
config:
  snowflake:account: ab12345.us-east-1   # no quotes on purpose
  snowflake:privateKey:
    secure: v1:Zm9vYmFyYmF6:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LXN0YXk=
  sophia-infra:api:
    replicas: 6
    canary: {{weight: 10, maxErrorRate: 0.01}}
  {MARKER_41}
  sophia-infra:release:
    apiImage: {IMG_NEW}

  sophia-infra:snowflake:
    database: "SOPHIA"   # trailing comment
    timeTravelDays: 7
"""

STAGING_FILE = """\
encryptionsalt: v1:c2FsdHNhbHQ=:v1:Zm9v:YmFy
config:
  sophia-infra:api:
    replicas: 2
  sophia-infra:portkeyApiKey:
    secure: v1:c2VjcmV0:Y2lwaGVy
# a trailing top-level comment
"""


def load_events(name: str) -> list[EngineEvent]:
    recording = json.loads((EVENTS_DIR / name).read_text())
    return [EngineEvent.from_json(e) for e in recording["events"]]


def succeeded(version: int, ended: datetime) -> UpdateRecord:
    return UpdateRecord("update", "succeeded", ended - timedelta(minutes=5), ended, version)


class FakeOps:
    """StackOperations fake: per-stack answers (a value, or an exception to raise)."""

    def __init__(self, source: str = "staging", target: str = "prod") -> None:
        self.history_by_stack: dict[str, Any] = {source: [succeeded(41, NOW - timedelta(hours=30))]}
        self.refresh_by_stack: dict[str, Any] = {source: load_events("refresh-no-drift.json")}
        self.outputs_by_stack: dict[str, Any] = {source: {"release": StackOutput(dict(RELEASE))}}
        self.preview_by_stack: dict[str, Any] = {target: load_events("preview-policy-clean.json")}
        self.up_by_stack: dict[str, Any] = {target: []}
        self.outputs_after_up: dict[str, Any] = {target: {"release": StackOutput(dict(RELEASE))}}
        self.calls: list[tuple[str, str]] = []
        self.previewed_config: list[str] = []
        self.policy_packs: list[tuple[str, ...]] = []
        self.policy_configs: list[tuple[str, ...]] = []
        self.up_policy: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def _answer(self, method: str, table: dict[str, Any], stack: str) -> Any:
        self.calls.append((method, stack))
        if stack not in table:
            raise AssertionError(f"unexpected {method}({stack!r})")
        value = table[stack]
        if isinstance(value, Exception):
            raise value
        return value

    def history(self, stack: str) -> list[UpdateRecord]:
        return self._answer("history", self.history_by_stack, stack)

    def preview_refresh(self, stack: str) -> list[Any]:
        return self._answer("preview_refresh", self.refresh_by_stack, stack)

    def outputs(self, stack: str) -> dict[str, StackOutput]:
        return self._answer("outputs", self.outputs_by_stack, stack)

    def preview(
        self, stack: str, *, policy_packs=(), policy_pack_configs=(), config_file=None
    ) -> list[Any]:
        self.policy_packs.append(tuple(policy_packs))
        self.policy_configs.append(tuple(policy_pack_configs))
        self.previewed_config.append(Path(config_file).read_bytes().decode())
        return self._answer("preview", self.preview_by_stack, stack)

    def up(self, stack: str, *, policy_packs=(), policy_pack_configs=()) -> list[Any]:
        self.up_policy.append((tuple(policy_packs), tuple(policy_pack_configs)))
        events = self._answer("up", self.up_by_stack, stack)
        self.outputs_by_stack.update(self.outputs_after_up)
        return events


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.prod.yaml").write_bytes(PROD_FILE.encode())
    (tmp_path / "Pulumi.staging.yaml").write_bytes(STAGING_FILE.encode())
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "policies" / "config").mkdir()
    for stack in ("dev", "staging", "prod"):
        (tmp_path / "policies" / "config" / f"{stack}.json").write_text("{}\n")
    return tmp_path


def run(repo: Path, capsys, ops: FakeOps, *args: str, source="staging", target="prod"):
    argv = ["--from", source, "--to", target, "--repo-root", str(repo), *args]
    code = cli.main(argv, ops=ops, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str, gate: str) -> None:
    assert code == cli.EXIT_REFUSED, err
    assert err.startswith(f"refused by gate {gate}: "), err


def prod_text(repo: Path) -> str:
    return (repo / "Pulumi.prod.yaml").read_bytes().decode()


# --- success -------------------------------------------------------------------------------


def test_success_writes_exactly_the_expected_change(repo, capsys) -> None:
    ops = FakeOps()
    code, out, err = run(repo, capsys, ops)
    assert code == cli.EXIT_PROMOTED, err
    assert prod_text(repo) == PROD_FILE_AFTER
    # The preview ran against the edited config, with the policy pack.
    assert ops.previewed_config == [PROD_FILE_AFTER]
    assert ops.policy_packs == [(str(repo / "policies"),)]
    # ... with the target's thresholds, not the pack's defaults.
    assert ops.policy_configs == [(str(repo / "policies" / "config" / "prod.json"),)]
    assert ("up", "prod") not in ops.calls  # no --apply, no up
    for gate in ALL_GATES:
        assert f"ok  {gate}:" in out, gate
    assert f"+    apiImage: {IMG_NEW}" in out  # the diff is shown for review


def test_success_inserts_the_key_when_the_target_has_none(repo, capsys) -> None:
    ops = FakeOps(source="dev", target="staging")
    ops.history_by_stack["dev"] = [succeeded(12, NOW - timedelta(hours=2))]
    code, _, err = run(repo, capsys, ops, source="dev", target="staging")
    assert code == 0, err
    assert (repo / "Pulumi.staging.yaml").read_text() == STAGING_FILE.replace(
        "    secure: v1:c2VjcmV0:Y2lwaGVy\n",
        "    secure: v1:c2VjcmV0:Y2lwaGVy\n"
        "  # release promoted by jobs.promote from dev update #12: agentsSpecVersion=7, "
        "portkeyConfigHash=9f8e7d, priceTableVersion=2026-11\n"
        "  sophia-infra:release:\n"
        f"    apiImage: {IMG_NEW}\n",
    )


def test_apply_runs_up_and_verifies_the_release(repo, capsys) -> None:
    ops = FakeOps()
    ops.outputs_by_stack["prod"] = {"release": StackOutput({"apiImage": IMG_OLD})}
    code, out, err = run(repo, capsys, ops, "--apply")
    assert code == 0, err
    assert ("up", "prod") in ops.calls
    assert ops.up_policy == [
        ((str(repo / "policies"),), (str(repo / "policies" / "config" / "prod.json"),))
    ]
    assert "ok  release-verify:" in out


def test_missing_policy_config_is_a_failure_not_the_pack_defaults(repo, capsys) -> None:
    (repo / "policies" / "config" / "prod.json").unlink()
    code, _, err = run(repo, capsys, FakeOps())
    assert code == cli.EXIT_FAILED, err
    assert "no policy config for prod" in err


def test_apply_reports_an_image_mismatch_as_failure(repo, capsys) -> None:
    ops = FakeOps()
    ops.outputs_after_up["prod"] = {"release": StackOutput(dict(RELEASE, apiImage=IMG_OLD))}
    code, _, err = run(repo, capsys, ops, "--apply")
    assert code == cli.EXIT_FAILED
    assert "gate release-verify" in err and "apiImage" in err


def test_apply_accepts_per_stack_release_fields_and_notes_them(repo, capsys) -> None:
    # Each stack has its own Portkey config: its hash differs after a correct promotion
    # (seen on two real stacks); the old check refused every such promotion.
    ops = FakeOps()
    ops.outputs_after_up["prod"] = {
        "release": StackOutput(dict(RELEASE, portkeyConfigHash="0a1b2c"))
    }
    code, out, err = run(repo, capsys, ops, "--apply")
    assert code == cli.EXIT_PROMOTED, err
    assert "ok  release-verify:" in out
    assert "release portkeyConfigHash differs (declared per stack)" in out


def test_apply_failure_is_exit_2(repo, capsys) -> None:
    ops = FakeOps()
    ops.up_by_stack["prod"] = StackOperationError(
        "stack prod: error: update failed (exit code 255)"
    )
    code, _, err = run(repo, capsys, ops, "--apply")
    assert code == cli.EXIT_FAILED
    assert "gate apply" in err and "update failed" in err


# --- gates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("dev", "prod", "dev -> prod skips staging; promote in order dev -> staging -> prod"),
        ("prod", "staging", "prod -> staging does not move up"),
        ("staging", "staging", "staging -> staging does not move up"),
    ],
)
def test_stage_order_gate(repo, capsys, source, target, expected) -> None:
    ops = FakeOps()
    code, _, err = run(repo, capsys, ops, source=source, target=target)
    assert_refused(code, err, "stage-order")
    assert expected in err
    assert ops.calls == []
    assert prod_text(repo) == PROD_FILE


def test_failed_last_update_gate(repo, capsys) -> None:
    ops = FakeOps()
    ops.history_by_stack["staging"] = [
        UpdateRecord("refresh", "succeeded", NOW - timedelta(hours=1), NOW, 43),
        UpdateRecord("update", "failed", NOW - timedelta(hours=5), NOW - timedelta(hours=4), 42),
        succeeded(41, NOW - timedelta(hours=30)),
    ]
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-last-update")
    assert "update #42 of staging" in err and "'failed'" in err
    assert prod_text(repo) == PROD_FILE


def test_unnumbered_updates_of_a_diy_backend_are_named_by_time(repo, capsys) -> None:
    # A file:// backend reports no update numbers (the engine tests saw version 0 for all).
    ops = FakeOps()
    ended = NOW - timedelta(minutes=10)
    ops.history_by_stack["staging"] = [UpdateRecord("update", "succeeded", ended, ended, None)]
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-soak")
    assert "since the update of 2026-" in err and "#" not in err


def test_never_updated_source_is_refused(repo, capsys) -> None:
    ops = FakeOps()
    ops.history_by_stack["staging"] = []
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-last-update")


def test_soak_gate_uses_the_target_default(repo, capsys) -> None:
    ops = FakeOps()
    ops.history_by_stack["staging"] = [succeeded(41, NOW - timedelta(hours=3, minutes=12))]
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-soak")
    assert "soaked 3h12m" in err and "prod requires 1d" in err
    assert "earliest promotion 2026-11-27T08:48:00Z" in err
    assert prod_text(repo) == PROD_FILE


def test_soak_gate_honours_min_soak(repo, capsys) -> None:
    ops = FakeOps()
    ops.history_by_stack["staging"] = [succeeded(41, NOW - timedelta(hours=3))]
    code, _, err = run(repo, capsys, ops, "--min-soak", "2h")
    assert code == 0, err
    code, _, err = run(repo, capsys, FakeOps(), "--min-soak", "2d")
    assert_refused(code, err, "source-soak")


def test_invalid_min_soak_is_a_usage_error(repo, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--from", "staging", "--to", "prod", "--min-soak", "soon"], ops=FakeOps())
    assert exit_info.value.code == 2
    assert "invalid duration 'soon'" in capsys.readouterr().err


def test_drift_gate(repo, capsys) -> None:
    ops = FakeOps()
    ops.refresh_by_stack["staging"] = load_events("refresh-capture-interval.json")
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-drift")
    assert "estuary-github (pulumi-python:dynamic/estuary:Capture, update)" in err
    assert prod_text(repo) == PROD_FILE


@pytest.mark.parametrize(
    "failure",
    [
        StackOperationError("stack staging: error: could not decrypt configuration value"),
        "refresh-engine-error.json",
    ],
)
def test_drift_check_failure_is_exit_2_not_a_pass(repo, capsys, failure) -> None:
    ops = FakeOps()
    recorded = load_events(failure) if isinstance(failure, str) else failure
    ops.refresh_by_stack["staging"] = recorded
    code, _, err = run(repo, capsys, ops)
    assert code == cli.EXIT_FAILED
    assert err.startswith("error: gate source-drift could not be completed:")
    assert prod_text(repo) == PROD_FILE


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({}, "has no `release` output"),
        ({"release": StackOutput(dict(RELEASE), secret=True)}, "is secret"),
        ({"release": StackOutput("v1.2.3")}, "is not an object"),
        (
            {"release": StackOutput(dict(RELEASE, apiImage="ghcr.io/sophia/api:latest"))},
            "digest-pinned",
        ),
    ],
)
def test_release_output_gate(repo, capsys, outputs, expected) -> None:
    ops = FakeOps()
    ops.outputs_by_stack["staging"] = outputs
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "source-release")
    assert expected in err


def test_policy_preview_failure_gate(repo, capsys) -> None:
    ops = FakeOps()
    # A mandatory violation makes the CLI exit non-zero after the engine ran.
    ops.preview_by_stack["prod"] = StackOperationError(
        "stack prod: error: preview failed due to policy violations (exit code 255)",
        events=load_events("preview-policy-violation.json"),
    )
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "target-policy-preview")
    assert "mandatory policy sophia-infra/portkey-request-timeout (mandatory)" in err
    assert prod_text(repo) == PROD_FILE


def test_policy_violation_in_events_is_refused_even_without_an_exception(repo, capsys) -> None:
    ops = FakeOps()
    ops.preview_by_stack["prod"] = load_events("preview-policy-violation.json")
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "target-policy-preview")


def test_unreachable_target_is_exit_2(repo, capsys) -> None:
    ops = FakeOps()
    ops.preview_by_stack["prod"] = StackOperationError(
        "stack prod: error: no stack named 'prod' found"
    )
    code, _, err = run(repo, capsys, ops)
    assert code == cli.EXIT_FAILED
    assert "gate target-policy-preview" in err and "no stack named" in err


def test_destructive_change_gate_refuses_without_allow(repo, capsys) -> None:
    ops = FakeOps()
    ops.preview_by_stack["prod"] = load_events("preview-destructive.json")
    code, _, err = run(repo, capsys, ops)
    assert_refused(code, err, "destructive-change")
    assert f"delete pulumi-python:dynamic/estuary:Capture {CAPTURE_URN}" in err
    assert "estuary-snowflake" not in err  # its update loses no data
    assert prod_text(repo) == PROD_FILE


def test_destructive_change_gate_needs_every_resource_named(repo, capsys) -> None:
    ops = FakeOps()
    ops.preview_by_stack["prod"] = load_events("preview-destructive.json")
    code, _, err = run(repo, capsys, ops, "--allow-destructive", "estuary-snowflake")
    assert_refused(code, err, "destructive-change")
    assert CAPTURE_URN in err


def test_destructive_change_gate_passes_when_all_are_named(repo, capsys) -> None:
    ops = FakeOps()
    ops.preview_by_stack["prod"] = load_events("preview-destructive.json")
    code, out, err = run(
        repo,
        capsys,
        ops,
        "--allow-destructive",
        f"estuary-github,{CAPTURE_URN}",
        "--allow-destructive",
        "typo-name",
    )
    assert code == 0, err
    assert prod_text(repo) == PROD_FILE_AFTER
    assert f"allowed destructive change: delete {CAPTURE_URN}" in out
    assert "--allow-destructive names no destructive change: typo-name" in out


def test_destructive_changes_are_only_noted_for_staging(repo, capsys) -> None:
    ops = FakeOps(source="dev", target="staging")
    ops.history_by_stack["dev"] = [succeeded(3, NOW - timedelta(hours=2))]
    ops.preview_by_stack["staging"] = load_events("preview-destructive.json")
    code, out, err = run(repo, capsys, ops, source="dev", target="staging")
    assert code == 0, err
    assert "destructive changes (gated only for prod)" in out


def test_missing_policy_pack_is_exit_2(repo, capsys) -> None:
    (repo / "policies" / "PulumiPolicy.yaml").unlink()
    code, _, err = run(repo, capsys, FakeOps())
    assert code == cli.EXIT_FAILED and "gate target-policy-preview" in err


def test_markdown_summary_for_the_pull_request(repo, capsys, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    code, _, err = run(repo, capsys, FakeOps(), "--markdown", str(summary))
    assert code == 0, err
    text = summary.read_text()
    assert text.startswith("### Promote staging -> prod")
    assert f"- `apiImage`: `{IMG_NEW}`" in text
    assert "```diff" in text


# --- the stack-file edit -------------------------------------------------------------------


def test_set_release_is_idempotent_and_touches_only_the_release() -> None:
    once = set_release(PROD_FILE, {"apiImage": IMG_NEW}, "from staging update #41")
    assert set_release(once, {"apiImage": IMG_NEW}, "from staging update #41") == once
    old, new = yaml.safe_load(PROD_FILE), yaml.safe_load(once)
    assert new["config"].pop("sophia-infra:release") == {"apiImage": IMG_NEW}
    old["config"].pop("sophia-infra:release")
    assert old == new


def test_set_release_keeps_crlf_line_endings() -> None:
    crlf = STAGING_FILE.replace("\n", "\r\n")
    edited = set_release(crlf, {"apiImage": IMG_NEW})
    assert "\n" not in edited.replace("\r\n", "")
    assert edited.startswith(crlf[: crlf.index("# a trailing")])


def test_set_release_adds_a_config_section_when_missing() -> None:
    edited = set_release("encryptionsalt: v1:abc\n", {"apiImage": IMG_NEW})
    assert (
        edited
        == f"encryptionsalt: v1:abc\nconfig:\n  sophia-infra:release:\n    apiImage: {IMG_NEW}\n"
    )


def test_set_release_quotes_values_that_are_not_plain_scalars() -> None:
    edited = set_release("config:\n  a: b\n", {"apiImage": "x: y"})
    assert '    apiImage: "x: y"\n' in edited


def test_set_release_refuses_flow_style_config() -> None:
    with pytest.raises(StackFileError, match="inline"):
        set_release("config: {a: b}\n", {"apiImage": IMG_NEW})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("90m", 5400), ("1d12h", 129600), ("2w", 1209600), ("45s", 45)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "1x", "-1h", "1h soon"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


# --- any two stacks, by stage ------------------------------------------------------------


def _stack(repo: Path, name: str, environment: str) -> None:
    text = STAGING_FILE.replace(
        "config:\n", f"config:\n  sophia-infra:environment: {environment}\n"
    )
    (repo / f"Pulumi.{name}.yaml").write_text(text)
    (repo / "policies" / "config" / f"{name}.json").write_text("{}\n")


def test_a_stack_of_stage_staging_promotes_to_prod(repo, capsys) -> None:
    _stack(repo, "qa", "staging")
    ops = FakeOps(source="qa")
    code, out, err = run(repo, capsys, ops, source="qa")
    assert code == cli.EXIT_PROMOTED, err
    assert "ok  stage-order: qa (staging) -> prod (prod)" in out
    assert IMG_NEW in prod_text(repo)


def test_promotion_into_a_new_stack_uses_its_stage_for_soak(repo, capsys) -> None:
    _stack(repo, "rc", "staging")
    ops = FakeOps(source="staging", target="rc")
    ops.history_by_stack["staging"] = [succeeded(41, NOW - timedelta(minutes=10))]
    code, _, err = run(repo, capsys, ops, source="staging", target="rc")
    assert_refused(code, err, "source-soak")
    assert "rc requires 1h" in err  # staging's default soak, by rc's stage


@pytest.mark.parametrize(
    ("source", "target", "stages", "expected"),
    [
        ("qa", "dev", {"qa": "staging"}, "qa (staging) -> dev does not move up"),
        ("dev", "perf", {"perf": "prod"}, "dev -> perf (prod) skips staging"),
        ("dev", "qa", {"qa": "qa"}, "stack qa has no stage: sophia-infra:environment in "),
    ],
)
def test_stage_order_by_stage(repo, capsys, source, target, stages, expected) -> None:
    for name, stage in stages.items():
        _stack(repo, name, stage)
    code, _, err = run(repo, capsys, FakeOps(source=source, target=target), source=source, target=target)  # fmt: skip
    assert_refused(code, err, "stage-order")
    assert expected in err


def test_stack_names_are_checked_by_the_cli(repo, capsys) -> None:
    with pytest.raises(SystemExit):
        run(repo, capsys, FakeOps(), source="Staging")
    assert "'Staging' is not a stack name" in capsys.readouterr().err

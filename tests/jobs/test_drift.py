"""The drift job against recorded engine events (no Pulumi CLI needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent

from jobs import drift
from jobs.automation import command_error_reason
from jobs.stack_ops import StackOperationError

EVENTS_DIR = Path(__file__).parent / "events"
SECRET_VALUES = (
    "sk-live-OLD-5dc1f2a9e8b74c3f",
    "sk-live-ROTATED-9b7e4d21c0aa",
    "-----BEGIN PRIVATE KEY-----MIIEvOLDsecretmaterial",
    "-----BEGIN PRIVATE KEY-----MIIEvNEWsecretmaterial",
    "MIIEv",
)


def load_events(name: str) -> list[EngineEvent]:
    return [EngineEvent.from_json(e) for e in json.loads((EVENTS_DIR / name).read_text())]


class RefreshOnly:
    """A StackOperations fake whose refresh preview returns recorded events or raises."""

    def __init__(self, result: list[Any] | Exception) -> None:
        self.result = result
        self.stacks: list[str] = []

    def preview_refresh(self, stack: str) -> list[Any]:
        self.stacks.append(stack)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def run(tmp_path: Path, capsys, result) -> tuple[int, dict, str, str, str]:
    ops = RefreshOnly(result)
    json_path, md_path = tmp_path / "out" / "drift.json", tmp_path / "out" / "drift.md"
    code = drift.main(
        ["--stack", "prod", "--json", str(json_path), "--markdown", str(md_path)], ops=ops
    )
    assert ops.stacks == ["prod"]
    out, err = capsys.readouterr()
    return code, json.loads(json_path.read_text()), md_path.read_text(), out, err


def test_no_drift_exits_0(tmp_path, capsys) -> None:
    code, report, markdown, _, _ = run(tmp_path, capsys, load_events("refresh-no-drift.json"))
    assert code == 0
    assert report["status"] == "no-drift" and report["resources"] == [] and report["error"] is None
    assert markdown.startswith("### No drift on `prod`")


def test_changed_warehouse_size_exits_1_with_the_property(tmp_path, capsys) -> None:
    code, report, markdown, out, _ = run(
        tmp_path, capsys, load_events("refresh-warehouse-size.json")
    )
    assert code == 1
    assert report["status"] == "drift" and report["driftedResources"] == 1
    [resource] = report["resources"]
    assert resource["type"] == "snowflake:index/warehouse:Warehouse"
    assert resource["operation"] == "update"
    assert resource["urn"].endswith("::analytics-wh")
    assert resource["properties"] == [
        {"path": "warehouseSize", "kind": "update", "before": "XSMALL", "after": "LARGE"}
    ]
    assert "### Drift on `prod`: 1 drifted resource" in markdown
    assert "| `analytics-wh` | `snowflake:index/warehouse:Warehouse` | update |" in markdown
    assert "`warehouseSize` (update): `XSMALL` → `LARGE`" in markdown
    assert out == markdown  # stdout carries the same report


def test_deleted_capture_exits_1(tmp_path, capsys) -> None:
    code, report, markdown, _, _ = run(
        tmp_path, capsys, load_events("refresh-capture-deleted.json")
    )
    assert code == 1
    [resource] = report["resources"]
    assert (resource["type"], resource["operation"]) == (
        "pulumi-python:dynamic/estuary:Capture",
        "delete",
    )
    assert "resource no longer exists" in markdown


def test_secret_change_never_prints_the_secret(tmp_path, capsys) -> None:
    recorded = (EVENTS_DIR / "refresh-secret-changed.json").read_text()
    assert all(secret in recorded for secret in SECRET_VALUES)  # the recording does hold them
    code, report, markdown, out, err = run(
        tmp_path, capsys, load_events("refresh-secret-changed.json")
    )
    assert code == 1
    written_json = (tmp_path / "out" / "drift.json").read_text()
    for text in (written_json, markdown, out, err):
        for secret in SECRET_VALUES:
            assert secret not in text
    [resource] = report["resources"]
    assert resource["properties"] == [
        {"path": "apiKey", "kind": "update", "before": "[secret]", "after": "[secret]"},
        {"path": "auth.privateKey", "kind": "update", "before": "[secret]", "after": "[secret]"},
    ]
    assert "`apiKey` (update): `[secret]` → `[secret]`" in markdown


def test_engine_error_exits_2_with_the_reason(tmp_path, capsys) -> None:
    code, report, markdown, _, err = run(tmp_path, capsys, load_events("refresh-engine-error.json"))
    assert code == 2
    assert report["status"] == "error" and report["exitCode"] == 2
    assert "Incorrect username or password" in report["error"]
    assert markdown.startswith("### Drift check failed on `prod`")
    assert "**unknown**" in markdown
    assert "Incorrect username or password" in err


@pytest.mark.parametrize(
    "reason",
    [
        "stack prod: error: could not decrypt configuration value: cipher: message"
        " authentication failed (exit code 255)",
        "stack prod: error: no stack named 'prod' found (exit code 6: stack not found)",
    ],
)
def test_cli_errors_exit_2_never_no_drift(tmp_path, capsys, reason: str) -> None:
    code, report, markdown, _, err = run(tmp_path, capsys, StackOperationError(reason))
    assert code == 2
    assert report["status"] == "error" and report["error"] == reason
    assert reason in markdown and reason in err
    assert "No drift" not in markdown


def test_truncated_event_stream_exits_2(tmp_path, capsys) -> None:
    events = [e for e in load_events("refresh-no-drift.json") if e.summary_event is None]
    code, report, _, _, _ = run(tmp_path, capsys, events)
    assert code == 2
    assert "never reported a summary" in report["error"]


def test_markdown_escapes_table_breaking_values() -> None:
    report = drift.DriftReport(
        stack="prod",
        checked_at=drift.datetime(2026, 1, 2, 3, 4, 5, tzinfo=drift.UTC),
        status=drift.STATUS_DRIFT,
        changes=(
            drift.ResourceChange(
                urn="urn:pulumi:prod::sophia-infra::t:m:T::we|ird`name",
                type="t:m:T",
                op="update",
            ),
        ),
    )
    markdown = drift.render_markdown(report)
    assert "`` we\\|ird`name ``" in markdown
    assert "Checked 2026-01-02T03:04:05Z" in markdown


def test_command_error_reason_keeps_the_error_lines_and_exit_code() -> None:
    message = (
        "\n code: 255\n stdout: Previewing refresh (prod)\n"
        " stderr: warning: A new version of Pulumi is available\n"
        "error: could not decrypt configuration value: cipher: message authentication failed\n"
    )
    assert command_error_reason(message) == (
        "error: could not decrypt configuration value: cipher: message authentication failed"
        " (exit code 255)"
    )
    not_found = "\n code: 6\n stdout: \n stderr: error: no stack named 'prod' found\n"
    assert command_error_reason(not_found) == (
        "error: no stack named 'prod' found (exit code 6: stack not found)"
    )

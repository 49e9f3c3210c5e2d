"""The drift job against engine events recorded from real runs (tests/engine/record_events.py);
no Pulumi CLI needed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent

from jobs import drift
from jobs.automation import command_error_reason
from jobs.stack_ops import StackOperationError
from tests.engine.workspace import secret_plaintexts

EVENTS_DIR = Path(__file__).parent / "events"


def load_events(name: str) -> list[EngineEvent]:
    recording = json.loads((EVENTS_DIR / name).read_text())
    return [EngineEvent.from_json(e) for e in recording["events"]]


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
        ["--stack", "dev", "--json", str(json_path), "--markdown", str(md_path)], ops=ops
    )
    assert ops.stacks == ["dev"]
    out, err = capsys.readouterr()
    return code, json.loads(json_path.read_text()), md_path.read_text(), out, err


def test_no_drift_exits_0(tmp_path, capsys) -> None:
    code, report, markdown, _, _ = run(tmp_path, capsys, load_events("refresh-no-drift.json"))
    assert code == 0
    assert report["status"] == "no-drift" and report["resources"] == [] and report["error"] is None
    assert markdown.startswith("### No drift on `dev`")


def test_changed_capture_interval_exits_1_with_the_property(tmp_path, capsys) -> None:
    code, report, markdown, out, _ = run(
        tmp_path, capsys, load_events("refresh-capture-interval.json")
    )
    assert code == 1
    assert report["status"] == "drift" and report["driftedResources"] == 1
    [resource] = report["resources"]
    assert resource["type"] == "pulumi-python:dynamic/estuary:Capture"
    assert resource["operation"] == "update"
    assert resource["urn"].endswith("::estuary-github")
    # The declared property only, not the publication ids the live spec also moved.
    assert resource["properties"] == [
        {"path": "interval", "kind": "update", "before": "1h", "after": "10m"}
    ]
    assert "### Drift on `dev`: 1 drifted resource" in markdown
    assert "| `estuary-github` | `pulumi-python:dynamic/estuary:Capture` | update |" in markdown
    assert "`interval` (update): `1h` → `10m`" in markdown
    assert out == markdown  # stdout carries the same report


def test_interval_changed_to_the_default_shows_it_gone_not_the_recorded_value(
    tmp_path, capsys
) -> None:
    # Estuary drops a capture's `interval` when it is the 5m default, so the refreshed outputs
    # have no interval: the report must not fill "after" in from the recorded inputs (1h).
    code, report, markdown, _, _ = run(
        tmp_path, capsys, load_events("refresh-capture-interval-default.json")
    )
    assert code == 1
    [resource] = report["resources"]
    assert resource["urn"].endswith("::estuary-github")
    assert resource["properties"] == [
        {"path": "interval", "kind": "update", "before": "1h", "after": None}
    ]
    assert "`interval` (update): `1h` → (absent)" in markdown


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
    # The engine masks secret values in its events; the re-saved config shows as a new
    # publication of the capture, its ciphertext never rendered.
    recorded = (EVENTS_DIR / "refresh-secret-changed.json").read_text()
    assert all(secret not in recorded for secret in secret_plaintexts())
    code, report, markdown, out, err = run(
        tmp_path, capsys, load_events("refresh-secret-changed.json")
    )
    assert code == 1
    written_json = (tmp_path / "out" / "drift.json").read_text()
    for text in (written_json, markdown, out, err):
        assert "ciphertext" not in text
        for secret in secret_plaintexts():
            assert secret not in text
    [resource] = report["resources"]
    assert resource["name"] == "estuary-github"
    assert [p["path"] for p in resource["properties"]] == ["lastBuildId", "lastPubId", "md5"]


def test_engine_error_exits_2_with_the_reason(tmp_path, capsys) -> None:
    code, report, markdown, _, err = run(tmp_path, capsys, load_events("refresh-engine-error.json"))
    assert code == 2
    assert report["status"] == "error" and report["exitCode"] == 2
    # The provider's traceback boiled down to its exception line.
    assert "EstuaryApiError: Estuary POST rpc/generate_access_token failed" in report["error"]
    assert "Traceback" not in report["error"]
    assert markdown.startswith("### Drift check failed on `dev`")
    assert "**unknown**" in markdown
    assert "generate_access_token failed" in err


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

"""Engine-event parsing and classification, driven by recorded events (tests/jobs/events/)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from pulumi.automation.events import DiffKind, EngineEvent, OpType

from jobs.engine_events import (
    REDACTED,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    destructive_changes,
    is_named,
    parse_path,
    render_value,
    scrub,
    summarize,
)

EVENTS_DIR = Path(__file__).parent / "events"
PAYLOAD_KEYS = {
    "cancelEvent",
    "stdoutEvent",
    "diagnosticEvent",
    "preludeEvent",
    "summaryEvent",
    "resourcePreEvent",
    "resOutputsEvent",
    "resOpFailedEvent",
    "policyEvent",
    "startDebuggingEvent",
}
REPO_ROOT = Path(__file__).resolve().parents[2]


def load_events(name: str) -> list[EngineEvent]:
    raw = json.loads((EVENTS_DIR / name).read_text())
    return [EngineEvent.from_json(event) for event in raw]


def _summary_of(name: str):
    return summarize(load_events(name))


@pytest.mark.parametrize("path", sorted(EVENTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_recorded_events_have_the_engine_shape(path: Path) -> None:
    raw = json.loads(path.read_text())
    assert raw, "empty recording"
    sequences = []
    for event in raw:
        payload = set(event) - {"sequence", "timestamp"}
        assert len(payload) == 1 and payload <= PAYLOAD_KEYS, event
        sequences.append(event["sequence"])
        parsed = EngineEvent.from_json(event)  # raises on unknown op / diffKind values
        for step in (parsed.resource_pre_event, parsed.res_outputs_event):
            if step is not None:
                assert isinstance(step.metadata.op, OpType)
                assert step.metadata.urn.startswith("urn:pulumi:")
                for diff in (step.metadata.detailed_diff or {}).values():
                    assert isinstance(diff.diff_kind, DiffKind)
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert any("summaryEvent" in e for e in raw), "every recording ends with a summary"


def test_no_drift_reports_no_changes() -> None:
    outcome = _summary_of("refresh-no-drift.json")
    assert outcome.changes == ()
    assert outcome.failure_reason() is None
    assert outcome.summary == {"same": 3}


def test_refresh_result_op_comes_from_the_outputs_event() -> None:
    outcome = _summary_of("refresh-warehouse-size.json")
    [change] = outcome.changes
    assert change.op == "update"
    assert change.type == "snowflake:index/warehouse:Warehouse"
    assert change.name == "analytics-wh"
    [prop] = change.properties
    assert (prop.path, prop.kind, prop.before, prop.after) == (
        "warehouseSize",
        "update",
        "XSMALL",
        "LARGE",
    )


def test_deleted_capture_is_a_delete_without_properties() -> None:
    [change] = _summary_of("refresh-capture-deleted.json").changes
    assert change.op == "delete"
    assert change.type == "pulumi-python:dynamic/estuary:Capture"
    assert change.properties == ()


def test_secret_property_values_are_redacted_but_paths_kept() -> None:
    outcome = _summary_of("refresh-secret-changed.json")
    [change] = outcome.changes
    props = {p.path: p for p in change.properties}
    assert set(props) == {"apiKey", "auth.privateKey"}
    assert all(p.before == REDACTED and p.after == REDACTED for p in props.values())
    assert "sk-live-ROTATED-9b7e4d21c0aa" in outcome.secrets  # collected for scrubbing
    assert "-----BEGIN PRIVATE KEY-----MIIEvNEWsecretmaterial" in outcome.secrets


def test_engine_error_is_a_failure_not_an_empty_result() -> None:
    outcome = _summary_of("refresh-engine-error.json")
    reason = outcome.failure_reason()
    assert reason is not None and "Incorrect username or password" in reason
    assert "<{%" not in reason  # colour tags stripped


def test_missing_summary_is_a_failure() -> None:
    events = load_events("refresh-no-drift.json")
    truncated = [e for e in events if e.summary_event is None]
    assert "never reported a summary" in summarize(truncated).failure_reason()


def test_replacement_steps_collapse_into_one_replace() -> None:
    outcome = _summary_of("preview-prod-destructive.json")
    ops = {c.name: c.op for c in outcome.changes}
    assert ops == {
        "sophia-api-rollout": "update",
        "events-table": "replace",
        "orders-capture": "delete",
    }
    table = next(c for c in outcome.changes if c.name == "events-table")
    [prop] = table.properties
    assert (prop.path, prop.kind, prop.before, prop.after) == (
        "columns[0].type",
        "update-replace",
        "VARIANT",
        "OBJECT",
    )


def test_destructive_changes_are_data_holding_deletes_and_replaces() -> None:
    outcome = _summary_of("preview-prod-destructive.json")
    assert sorted(c.name for c in destructive_changes(outcome.changes)) == [
        "events-table",
        "orders-capture",
    ]
    assert destructive_changes(_summary_of("preview-prod-clean.json").changes) == []


def test_delete_of_a_protected_resource_is_destructive_whatever_its_type() -> None:
    urn = "urn:pulumi:prod::sophia-infra::snowflake:index/warehouse:Warehouse::wh"
    event = EngineEvent.from_json(
        {
            "sequence": 1,
            "timestamp": 1,
            "resourcePreEvent": {
                "metadata": {
                    "op": "delete",
                    "urn": urn,
                    "type": "snowflake:index/warehouse:Warehouse",
                    "provider": "",
                    "old": {
                        "type": "snowflake:index/warehouse:Warehouse",
                        "urn": urn,
                        "protect": True,
                    },
                }
            },
        }
    )
    [change] = summarize([event]).changes
    assert change.protected
    assert destructive_changes([change]) == [change]


def test_is_named_matches_urn_or_resource_name() -> None:
    [change] = _summary_of("refresh-capture-deleted.json").changes
    assert is_named(change, ["orders-capture"])
    assert is_named(change, [change.urn])
    assert not is_named(change, ["orders"])


def test_policy_violations_are_parsed_with_their_level() -> None:
    outcome = _summary_of("preview-prod-policy-violation.json")
    [violation] = outcome.mandatory_violations
    assert violation.policy_name == "warehouse-auto-suspend"
    advisory = _summary_of("preview-prod-clean.json")
    assert advisory.mandatory_violations == ()
    assert [v.enforcement_level for v in advisory.policy_violations] == ["advisory"]


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("warehouseSize", ["warehouseSize"]),
        (
            "spec.template.spec.containers[0].image",
            ["spec", "template", "spec", "containers", 0, "image"],
        ),
        ('tags["team.name"]', ["tags", "team.name"]),
        ("broken[", ["broken["]),
    ],
)
def test_parse_path(path: str, segments: list) -> None:
    assert parse_path(path) == segments


def test_render_value_redacts_envelopes_and_secret_names() -> None:
    envelope = {SECRET_SIG_KEY: SECRET_SIG_VALUE, "plaintext": '"hunter2hunter2"'}
    rendered = render_value({"user": "svc", "password": "hunter2hunter2", "nested": [envelope]})
    assert "hunter2" not in rendered
    assert rendered == '{"nested": ["[secret]"], "password": "[secret]", "user": "svc"}'
    assert render_value("x" * 500).endswith("…")


def test_scrub_removes_plain_and_json_escaped_secrets() -> None:
    text = 'value sk-live-abcdef and "quote\\"secret"'
    assert scrub(text, {"sk-live-abcdef", 'quote"secret'}) == 'value [secret] and "[secret]"'
    assert scrub("short abc", {"abc"}) == "short abc"  # too short to scrub safely


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# jobs/synth.py runs the program under mocks, so it imports components by design.
DRIFT_AND_PROMOTE_MODULES = (
    "automation.py",
    "drift.py",
    "engine_events.py",
    "promote.py",
    "stack_file.py",
    "stack_ops.py",
)


def test_only_the_adapter_imports_the_automation_api_and_jobs_stay_out_of_components() -> None:
    for name in DRIFT_AND_PROMOTE_MODULES:
        path = REPO_ROOT / "jobs" / name
        imports = _imports(path)
        assert not any(n == "components" or n.startswith("components.") for n in imports), path
        if path.name != "automation.py":
            assert not any(n.startswith("pulumi.automation") for n in imports), path
    for path in sorted((REPO_ROOT / "components").rglob("*.py")):
        assert not any(n == "jobs" or n.startswith("jobs.") for n in _imports(path)), path

"""Engine-event parsing and classification, driven by events recorded from real runs
(tests/jobs/events/, written by `python -m tests.engine.record_events`)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from pulumi.automation.events import DiffKind, EngineEvent, OpType

from jobs.engine_events import (
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
    # seen in real runs with a policy pack (pulumi v3.274.1)
    "policyLoadEvent",
    "policyAnalyzeSummaryEvent",
    "policyAnalyzeStackSummaryEvent",
    "policyRemediateSummaryEvent",
}
REPO_ROOT = Path(__file__).resolve().parents[2]


def load_events(name: str) -> list[EngineEvent]:
    raw = json.loads((EVENTS_DIR / name).read_text())["events"]
    return [EngineEvent.from_json(event) for event in raw]


def _summary_of(name: str):
    return summarize(load_events(name))


@pytest.mark.parametrize("path", sorted(EVENTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_recorded_events_have_the_engine_shape(path: Path) -> None:
    recording = json.loads(path.read_text())
    assert recording["recordedWith"]["pulumi"].startswith("v3.")  # made by a real CLI
    assert recording["recordedWith"]["scenario"]
    raw = recording["events"]
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
    assert outcome.summary == {"same": 18}


def test_refresh_result_op_comes_from_the_outputs_event() -> None:
    events = load_events("refresh-capture-interval.json")
    pre = [e.resource_pre_event for e in events if e.resource_pre_event]
    assert {p.metadata.op for p in pre} == {OpType.REFRESH}  # the result is elsewhere
    outcome = summarize(events)
    [change] = outcome.changes
    assert change.op == "update"
    assert change.type == "pulumi-python:dynamic/estuary:Capture"
    assert change.name == "estuary-github"
    [prop] = change.properties
    assert (prop.path, prop.kind, prop.before, prop.after) == ("interval", "update", "1h", "10m")


def test_dynamic_resources_report_no_detailed_diff_so_states_are_compared() -> None:
    # What the fallback in _property_changes is for: the engine's events carry no detailed
    # diff for a Python dynamic provider, only its old and new states.
    [event] = [
        e
        for e in load_events("refresh-capture-interval.json")
        if e.res_outputs_event and e.res_outputs_event.metadata.op == OpType.UPDATE
    ]
    assert not event.res_outputs_event.metadata.detailed_diff


def test_deleted_capture_is_a_delete_without_properties() -> None:
    [change] = _summary_of("refresh-capture-deleted.json").changes
    assert change.op == "delete"
    assert change.type == "pulumi-python:dynamic/estuary:Capture"
    assert change.name == "estuary-github"
    assert change.properties == ()


def test_secret_values_never_reach_the_events() -> None:
    # The CLI masks secrets in its event log (no --show-secrets): nothing to collect.
    outcome = _summary_of("refresh-secret-changed.json")
    [change] = outcome.changes
    assert outcome.secrets == frozenset()
    assert "ciphertext" not in json.dumps([p.to_dict() for p in change.properties])


def test_engine_error_is_a_failure_not_an_empty_result() -> None:
    outcome = _summary_of("refresh-engine-error.json")
    reason = outcome.failure_reason()
    assert reason is not None and "EstuaryApiError" in reason
    assert "Traceback" not in reason and "<{%" not in reason


def test_missing_summary_is_a_failure() -> None:
    events = load_events("refresh-no-drift.json")
    truncated = [e for e in events if e.summary_event is None]
    assert "never reported a summary" in summarize(truncated).failure_reason()


def test_replacement_steps_collapse_into_one_replace() -> None:
    # A new Portkey config slug replaces the API's immutable ConfigMap.
    outcome = _summary_of("preview-policy-violation.json")
    ops = {c.name: c.op for c in outcome.changes}
    assert ops["sophia-api-config"] == "replace"
    assert ops["llm-config"] == "update" and ops["sophia-api-deployment"] == "update"
    config_map = next(c for c in outcome.changes if c.name == "sophia-api-config")
    [prop] = config_map.properties
    assert (prop.path, prop.kind, prop.after) == (
        "data.PORTKEY_CONFIG",
        "update-replace",
        "(known after the update)",
    )
    [gateway] = [c for c in outcome.changes if c.name == "llm-config"]
    assert [p.path for p in gateway.properties] == ["config"]


def test_destructive_changes_are_data_holding_deletes_and_replaces() -> None:
    outcome = _summary_of("preview-destructive.json")
    assert [c.name for c in destructive_changes(outcome.changes)] == ["estuary-github"]
    # A replaced ConfigMap holds no data: not destructive.
    assert destructive_changes(_summary_of("preview-policy-violation.json").changes) == []
    assert destructive_changes(_summary_of("preview-policy-clean.json").changes) == []


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
    assert is_named(change, ["estuary-github"])
    assert is_named(change, [change.urn])
    assert not is_named(change, ["github"])


def test_policy_violations_are_parsed_with_their_level() -> None:
    outcome = _summary_of("preview-policy-violation.json")
    violations = outcome.mandatory_violations
    assert violations and {v.policy_name for v in violations} == {"portkey-request-timeout"}
    assert all(v.policy_pack == "sophia-infra" for v in violations)
    assert _summary_of("preview-policy-clean.json").policy_violations == ()


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
    *sorted(f"promote/{path.name}" for path in (REPO_ROOT / "jobs" / "promote").glob("*.py")),
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

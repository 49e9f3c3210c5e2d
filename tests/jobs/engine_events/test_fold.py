"""Engine-event parsing (`jobs.engine_events.fold`), driven by events recorded from real runs
(tests/jobs/events/, written by `python -m tests.engine.record_events`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.automation.events import DiffKind, EngineEvent, OpType

from jobs.engine_events.fold import summarize
from tests.jobs.engine_events.helpers import EVENTS_DIR, load_events, summary_of

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
    outcome = summary_of("refresh-no-drift.json")
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
    [change] = summary_of("refresh-capture-deleted.json").changes
    assert change.op == "delete"
    assert change.type == "pulumi-python:dynamic/estuary:Capture"
    assert change.name == "estuary-github"
    assert change.properties == ()


def test_secret_values_never_reach_the_events() -> None:
    # The CLI masks secrets in its event log (no --show-secrets): nothing to collect.
    outcome = summary_of("refresh-secret-changed.json")
    [change] = outcome.changes
    assert outcome.secrets == frozenset()
    assert "ciphertext" not in json.dumps([p.to_dict() for p in change.properties])


def test_engine_error_is_a_failure_not_an_empty_result() -> None:
    outcome = summary_of("refresh-engine-error.json")
    reason = outcome.failure_reason()
    assert reason is not None and "EstuaryApiError" in reason
    assert "Traceback" not in reason and "<{%" not in reason


def test_missing_summary_is_a_failure() -> None:
    events = load_events("refresh-no-drift.json")
    truncated = [e for e in events if e.summary_event is None]
    assert "never reported a summary" in summarize(truncated).failure_reason()


def test_replacement_steps_collapse_into_one_replace() -> None:
    # A new Portkey config slug replaces the API's immutable ConfigMap.
    outcome = summary_of("preview-policy-violation.json")
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


def test_policy_violations_are_parsed_with_their_level() -> None:
    outcome = summary_of("preview-policy-violation.json")
    violations = outcome.mandatory_violations
    assert violations and {v.policy_name for v in violations} == {"portkey-request-timeout"}
    assert all(v.policy_pack == "sophia-infra" for v in violations)
    assert summary_of("preview-policy-clean.json").policy_violations == ()

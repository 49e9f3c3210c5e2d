"""The destructive-change classification (`jobs.engine_events.outcome`) over recorded runs."""

from __future__ import annotations

from pulumi.automation.events import EngineEvent

from jobs.engine_events.fold import summarize
from jobs.engine_events.outcome import destructive_changes, is_named
from tests.jobs.engine_events.helpers import summary_of


def test_destructive_changes_are_data_holding_deletes_and_replaces() -> None:
    outcome = summary_of("preview-destructive.json")
    assert [c.name for c in destructive_changes(outcome.changes)] == ["estuary-github"]
    # A replaced ConfigMap holds no data: not destructive.
    assert destructive_changes(summary_of("preview-policy-violation.json").changes) == []
    assert destructive_changes(summary_of("preview-policy-clean.json").changes) == []


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
    [change] = summary_of("refresh-capture-deleted.json").changes
    assert is_named(change, ["estuary-github"])
    assert is_named(change, [change.urn])
    assert not is_named(change, ["github"])

"""The dynamic providers against the local control plane: lifecycle for every capture kind and
the materialization, no-op reads/diffs, drift, background changes and conflicts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.estuary.capture import CaptureProvider
from components.estuary.errors import ConflictError
from components.estuary.materialization import MaterializationProvider
from components.estuary.specs import MUST_NOT_EXIST
from tests.components.estuary.conftest import (
    CAPTURE_KINDS,
    SECRETS,
    capture_inputs,
    materialization_inputs,
    settings,
)
from tests.fakes.estuary_control_plane import FakeControlPlane


def _create_captures_for(fake: FakeControlPlane, captures: CaptureProvider, *sources: str) -> None:
    for source in sources:
        captures.create(capture_inputs(source))


def _assert_clean(fake: FakeControlPlane) -> None:
    """Invariants after any operation: no draft left behind."""
    assert fake.state.drafts == {}, "orphaned draft"
    assert fake.state.draft_specs == {}


@pytest.mark.parametrize("source", CAPTURE_KINDS)
def test_capture_lifecycle(fake: FakeControlPlane, captures: CaptureProvider, source: str) -> None:
    props = capture_inputs(source)
    name = props["catalogName"]

    created = captures.create(props)
    assert created.id == name
    outs = created.outs
    assert fake.state.live_names("capture") == [name]
    assert set(fake.state.live_names("collection")) == set(props["collections"])
    staged = [b for r in fake.state.calls("POST", "draft_specs") for b in r.body]
    assert {r["catalog_name"]: r["expect_pub_id"] for r in staged}[name] == MUST_NOT_EXIST
    live_config = fake.state.live[name]["spec"]["endpoint"]["connector"]["config"]
    assert "sops" in live_config and json.loads(outs["encryptedConfig"]) == live_config
    assert outs["lastPubId"] == fake.state.live[name]["last_pub_id"]
    assert "endpointConfig" not in outs
    _assert_clean(fake)

    # Refresh of an unchanged task: one read, the same outputs (0 changes), no diff after.
    fake.state.reset_requests()
    read = captures.read(name, {**outs, "__provider": "x"})
    assert read.id == name
    assert [r.method for r in fake.state.requests] == ["GET"]
    assert read.outs == outs
    fake.state.reset_requests()
    assert captures.diff(name, read.outs, props).changes is False
    assert fake.state.requests == []

    # Update: a new interval publishes with expect_pub_id = the stored last_pub_id.
    news = {**props, "interval": "10m"}
    diff = captures.diff(name, read.outs, news)
    assert diff.changes is True and diff.replaces == []
    updated = captures.update(name, read.outs, news).outs
    task_rows = [
        b
        for r in fake.state.calls("POST", "draft_specs")
        for b in r.body
        if b["catalog_name"] == name
    ]
    assert task_rows[-1]["expect_pub_id"] == outs["lastPubId"]
    assert fake.state.live[name]["spec"]["interval"] == "10m"
    assert updated["lastPubId"] != outs["lastPubId"]
    # The config did not change, so it was not re-encrypted.
    assert fake.state.calls("POST", "encrypt-config") == []
    assert captures.diff(name, updated, news).changes is False
    _assert_clean(fake)

    captures.delete(name, updated)
    assert fake.state.live_names("capture") == []
    _assert_clean(fake)
    # Deleting again is success and writes nothing.
    fake.state.reset_requests()
    captures.delete(name, updated)
    assert not [r for r in fake.state.requests if r.is_write]
    assert captures.read(name, updated).id == ""


def test_materialization_lifecycle(
    fake: FakeControlPlane, captures: CaptureProvider, materializations: MaterializationProvider
) -> None:
    _create_captures_for(fake, captures, *settings().sources.enabled())
    props = materialization_inputs()
    name = props["catalogName"]
    fake.state.reset_requests()
    outs = materializations.create(props).outs
    live = fake.state.live[name]["spec"]
    assert live["endpoint"]["connector"]["image"] == "ghcr.io/estuary/materialize-snowflake:v4"
    config = live["endpoint"]["connector"]["config"]
    creds = config["credentials"]
    assert config["timestamp_type"] == "TIMESTAMP_LTZ"
    assert creds["auth_type"] == "jwt" and "private_key_sops" in creds
    assert "private_key" not in creds

    # Live bindings come back with `fields: {recommended: true}` (models re-serialization);
    # a refresh of the unchanged task still changes nothing.
    assert all(b["fields"] == {"recommended": True} for b in live["bindings"])
    read = materializations.read(name, outs)
    assert read.outs == outs
    assert materializations.diff(name, read.outs, props).changes is False

    news = copy.deepcopy(props)
    news["endpointConfig"]["syncSchedule"]["syncFrequency"] = "5m"
    assert materializations.diff(name, read.outs, news).changes is True
    updated = materializations.update(name, read.outs, news).outs
    assert len(fake.state.calls("POST", "encrypt-config")) == 2  # create + changed config
    assert materializations.diff(name, updated, news).changes is False

    materializations.delete(name, updated)
    assert name not in fake.state.live_names()
    _assert_clean(fake)


def test_refresh_reports_out_of_band_change(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("hubspot")
    name = props["catalogName"]
    outs = captures.create(props).outs
    fake.state.oob_update(name, lambda spec: spec.update(interval="1h"))

    read = captures.read(name, outs)
    assert read.outs["interval"] == "1h"
    # No inputs: the engine keeps the recorded ones. Inputs rebuilt from the live spec lack
    # endpointConfig, so every later refresh diffed them (tests/engine, docs/engine.md).
    assert read.inputs is None
    assert read.outs["lastPubId"] == fake.state.live[name]["last_pub_id"] != outs["lastPubId"]
    assert captures.diff(name, read.outs, props).changes is True


def test_refresh_reports_config_changed_in_ui(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("gong", settings=settings(addNewBindings=False))
    name = props["catalogName"]
    outs = captures.create(props).outs

    def new_region(spec: dict[str, Any]) -> None:
        spec["endpoint"]["connector"]["config"]["region"] = "us-9999"

    fake.state.oob_update(name, new_region)
    read = captures.read(name, outs)
    diff = captures.diff(name, read.outs, props)
    assert diff.changes is True


def test_deleted_out_of_band_reads_as_gone(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("slack")
    outs = captures.create(props).outs
    fake.state.oob_delete(props["catalogName"])
    assert captures.read(props["catalogName"], outs).id == ""


def test_background_changes_are_not_drift(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("github", settings=settings(addNewBindings=True))
    name = props["catalogName"]
    outs = captures.create(props).outs
    discovered = {
        "resource": {"stream": "stargazers", "syncMode": "incremental"},
        "target": "sophia/test/github/stargazers",
    }
    commits = "sophia/test/github/commits"
    evolved = {"type": "object", "properties": {"sha": {"type": "string"}, "url": {"type": "string"}},
               "required": ["sha"]}  # fmt: skip
    fake.state.background_discover(
        name,
        schemas={commits: evolved},
        new_bindings=[
            (
                discovered["resource"],
                discovered["target"],
                {"schema": {"type": "object", "properties": {"id": {"type": "integer"}},
                            "required": ["id"]}, "key": ["/id"]},
            )
        ],
    )  # fmt: skip
    fake.state.touch(name)

    read = captures.read(name, outs)
    assert read.outs["discoveredBindings"] == [discovered]
    fake.state.reset_requests()
    assert captures.diff(name, read.outs, props).changes is False
    assert fake.state.requests == []

    # An update after refresh keeps what autoDiscover added, and does not publish the
    # declared schema over the one Estuary's discover wrote.
    news = {**props, "interval": "2m"}
    captures.update(name, read.outs, news)
    targets = [b["target"] for b in fake.state.live[name]["spec"]["bindings"]]
    assert "sophia/test/github/stargazers" in targets
    assert fake.state.live[commits]["spec"]["writeSchema"] == evolved
    staged = {b["catalog_name"] for r in fake.state.calls("POST", "draft_specs") for b in r.body}
    assert staged == {name}


def test_without_auto_discover_declared_collections_are_authoritative(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("gong", settings=settings(addNewBindings=False))
    assert props["autoDiscover"] is None  # no background discovers to overwrite them
    name = props["catalogName"]
    outs = captures.create(props).outs
    assert fake.state.background_discover(name, schemas={}) is None
    calls = "sophia/test/gong/calls"

    def edit(spec: dict[str, Any]) -> None:
        spec["writeSchema"]["properties"]["id"]["type"] = "string"

    fake.state.oob_update(calls, edit)
    read = captures.read(name, outs)
    assert captures.diff(name, read.outs, props).changes is True
    captures.update(name, read.outs, props)
    assert fake.state.live[calls]["spec"] == props["collections"][calls]


def test_touch_publication_is_not_drift(fake: FakeControlPlane, captures: CaptureProvider) -> None:
    props = capture_inputs("intercom", settings=settings(addNewBindings=False))
    outs = captures.create(props).outs
    fake.state.touch(props["catalogName"])
    read = captures.read(props["catalogName"], outs)
    assert read.outs["lastBuildId"] != outs["lastBuildId"]
    assert captures.diff(props["catalogName"], read.outs, props).changes is False


def test_update_never_overwrites_someone_elses_change(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("hubspot")
    name = props["catalogName"]
    outs = captures.create(props).outs
    theirs = fake.state.oob_update(name, lambda spec: spec.update(interval="45m"))

    with pytest.raises(ConflictError) as info:
        captures.update(name, outs, {**props, "interval": "1m"})
    # Estuary reports it as a build error; the message names the task and both ids.
    assert info.value.status_type == "buildFailed"
    text = str(info.value)
    assert f"{name} was changed outside this Pulumi stack" in text
    assert f"last saw publication {outs['lastPubId']}" in text
    assert f"live spec is at publication {theirs}" in text
    assert fake.state.live[name]["last_pub_id"] == theirs
    assert fake.state.live[name]["spec"]["interval"] == "45m"
    _assert_clean(fake)


def test_delete_after_out_of_band_change_is_a_conflict(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("gong")
    name = props["catalogName"]
    outs = captures.create(props).outs
    fake.state.oob_update(name, lambda spec: spec.update(interval="45m"))
    with pytest.raises(ConflictError):
        captures.delete(name, outs)
    assert name in fake.state.live_names()
    _assert_clean(fake)
    # After a refresh the delete goes through.
    captures.delete(name, captures.read(name, outs).outs)
    assert name not in fake.state.live_names()


def test_diff_forces_replacement_for_name_and_image(captures: CaptureProvider) -> None:
    props = capture_inputs("usergems")
    olds = {
        **{k: v for k, v in props.items() if k != "endpointConfig"},
        "configHash": "x",
        "configHashSalt": "s",
    }
    renamed = captures.diff("id", olds, {**props, "catalogName": "sophia/test/other/source"})
    assert renamed.replaces == ["catalogName"] and renamed.delete_before_replace is False
    reimaged = captures.diff("id", olds, {**props, "connectorImage": "ghcr.io/estuary/source-x"})
    assert reimaged.replaces == ["connectorImage"]
    # Same name: the old task must be deleted first or the new one would adopt and then lose it.
    assert reimaged.delete_before_replace is True


def test_diff_is_canonical(captures: CaptureProvider) -> None:
    props = capture_inputs("github")
    olds = {**{k: v for k, v in props.items() if k != "endpointConfig"}}
    from components.estuary.specs import config_hash

    olds.update(configHashSalt="salt", configHash=config_hash(props["endpointConfig"], "salt"))
    shuffled = {**props, "bindings": list(reversed(props["bindings"])), "connectorTag": ":v1"}
    shuffled["endpointConfig"] = dict(reversed(list(props["endpointConfig"].items())))
    assert captures.diff("id", olds, shuffled).changes is False
    rotated = copy.deepcopy(props)
    rotated["endpointConfig"]["credentials"]["personal_access_token"] = "ghp_rotated"
    assert captures.diff("id", olds, rotated).changes is True
    assert SECRETS  # plaintext markers exist for the secrecy tests


def test_check_reports_every_problem_at_once(captures: CaptureProvider) -> None:
    props = capture_inputs("github")
    bad = {
        **props,
        "catalogName": "sophia//bad name/",
        "connectorImage": "ghcr.io/estuary/source-github:v1",
        "interval": "soon",
        "bindings": [
            {"resource": {"stream": "commits"}, "target": "sophia/test/github/commits"},
            {"resource": {"stream": "issues"}, "target": "sophia/test/github/commits"},
            {"resource": {}, "target": "sophia/test/github/issues"},
            {"resource": {"syncMode": "incremental"}, "target": "sophia/test/github/x"},
        ],
    }
    failures = {f.property: f.reason for f in captures.check({}, bad).failures}
    assert set(failures) >= {
        "catalogName",
        "connectorImage",
        "interval",
        "bindings[1].target",
        "bindings[2].resource",
    }
    assert "joined by '/'" in failures["catalogName"]
    assert "also used by bindings[0]" in failures["bindings[1].target"]
    assert captures.check({}, props).failures == []
    with_image = {**bad, "connectorImage": props["connectorImage"]}
    failures.update({f.property: f.reason for f in captures.check({}, with_image).failures})
    assert "is required by ghcr.io/estuary/source-github" in failures["bindings[3].resource.stream"]
    text = " ".join(failures.values())
    assert "ghp_PLAINTEXT" not in text


def test_materialization_check_requires_table(materializations: MaterializationProvider) -> None:
    props = materialization_inputs()
    props["bindings"] = [{"resource": {"schema": "X"}, "source": "sophia/test/github/commits"}]
    failures = materializations.check({}, props).failures
    assert [f.property for f in failures] == ["bindings[0].resource.table"]


def test_missing_anon_key_is_a_clear_error(
    fake: FakeControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components.estuary.errors import CredentialsError

    monkeypatch.delenv("ESTUARY_ANON_KEY")
    provider = CaptureProvider()
    with pytest.raises(CredentialsError, match="set ESTUARY_ANON_KEY"):
        provider.read(
            "sophia/test/github/source-github", {"catalogName": "sophia/test/github/source-github"}
        )
    assert fake.state.requests == []


def test_delete_of_a_spec_deleted_meanwhile_succeeds(
    fake: FakeControlPlane, captures: CaptureProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gone between our read and our publication: Estuary's build error for deleting a spec
    that is not live ("no such live spec exists") means the goal is met."""
    from components.estuary.api import EstuaryClient

    props = capture_inputs("intercom")
    name = props["catalogName"]
    outs = captures.create(props).outs
    real = EstuaryClient.create_draft

    def deleted_meanwhile(self: EstuaryClient, detail: str) -> str:
        fake.state.oob_delete(name)
        return real(self, detail)

    monkeypatch.setattr(EstuaryClient, "create_draft", deleted_meanwhile)
    captures.delete(name, outs)  # no error
    finals = [p["final"]["type"] for p in fake.state.publications.values()]
    assert finals == ["success", "buildFailed"]  # the create, then the refused deletion
    _assert_clean(fake)


def test_refresh_of_an_unchanged_auto_discovering_capture_changes_nothing(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("slack", settings=settings(addNewBindings=True))
    assert props["autoDiscover"]["addNewBindings"] is True
    outs = captures.create(props).outs
    read = captures.read(props["catalogName"], outs)
    assert read.outs == outs
    assert captures.diff(props["catalogName"], read.outs, props).changes is False

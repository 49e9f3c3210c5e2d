"""The dynamic providers against the local control plane: lifecycle for every capture kind and
the materialization, no-op reads/diffs, drift, background changes and conflicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.estuary.client import MUST_NOT_EXIST, ConflictError
from components.estuary.provider import CaptureProvider, MaterializationProvider
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
    assert "sops" in live_config and outs["encryptedConfig"] == live_config
    assert outs["lastPubId"] == fake.state.live[name]["last_pub_id"]
    assert "endpointConfig" not in outs
    _assert_clean(fake)

    # Refresh of an unchanged task: reads only, and no diff afterwards.
    fake.state.reset_requests()
    read = captures.read(name, {**outs, "__provider": "x"})
    assert read.id == name
    assert [r.method for r in fake.state.requests] == ["GET"]
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
    creds = live["endpoint"]["connector"]["config"]["credentials"]
    assert creds["auth_type"] == "jwt" and "private_key_sops" in creds
    assert "private_key" not in creds

    read = materializations.read(name, outs)
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
    fake.state.auto_discover(
        name,
        discovered,
        ("sophia/test/github/stargazers", {"schema": {"type": "object"}, "key": ["/id"]}),
    )
    fake.state.touch(name)

    read = captures.read(name, outs)
    assert read.outs["discoveredBindings"] == [discovered]
    fake.state.reset_requests()
    assert captures.diff(name, read.outs, props).changes is False
    assert fake.state.requests == []

    # An update after refresh keeps what autoDiscover added.
    news = {**props, "interval": "2m"}
    captures.update(name, read.outs, news)
    targets = [b["target"] for b in fake.state.live[name]["spec"]["bindings"]]
    assert "sophia/test/github/stargazers" in targets


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
    assert "changed outside this Pulumi stack" in str(info.value)
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
    from components.estuary.provider import config_hash

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
    from components.estuary.client import CredentialsError

    monkeypatch.delenv("ESTUARY_ANON_KEY")
    provider = CaptureProvider()
    with pytest.raises(CredentialsError, match="set ESTUARY_ANON_KEY"):
        provider.read(
            "sophia/test/github/source-github", {"catalogName": "sophia/test/github/source-github"}
        )
    assert fake.state.requests == []

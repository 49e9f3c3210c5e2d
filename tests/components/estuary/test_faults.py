"""Injected faults: each ends in success or one clear error, and never in a duplicate task, an
orphaned draft or a lost update (counted from the stand-in's own records)."""

from __future__ import annotations

import time

import pytest

from components.estuary.capture import CaptureProvider
from components.estuary.errors import EstuaryApiError, PublicationFailed
from tests.components.estuary.conftest import FAST, capture_inputs
from tests.fakes.estuary_control_plane import FakeControlPlane


def _invariants(fake: FakeControlPlane, name: str, *, live: bool) -> None:
    assert fake.state.drafts == {}, "orphaned draft"
    assert (name in fake.state.live_names("capture")) is live
    assert len(fake.state.live_names("capture")) == (1 if live else 0), "duplicate task"


@pytest.mark.parametrize(
    ("method", "suffix", "kind", "extra"),
    [
        ("GET", "live_specs_ext", "status", {"status": 429, "retry_after": "0"}),
        ("GET", "connector_tags", "status", {"status": 500}),
        ("GET", "publications", "status", {"status": 502}),
        ("POST", "draft_specs", "status", {"status": 503}),
        ("POST", "encrypt-config", "status", {"status": 503}),
        ("POST", "drafts", "status", {"status": 429, "retry_after": "0"}),
        ("POST", "drafts", "status", {"status": 500}),
        ("POST", "drafts", "status", {"status": 502}),
        ("POST", "drafts", "status", {"status": 503}),
        ("POST", "publications", "status", {"status": 503}),
        ("GET", "publications", "drop", {}),
        ("POST", "drafts", "drop", {}),
        ("POST", "publications", "drop", {}),
        ("GET", "live_specs_ext", "slow", {"delay": 0.6}),
        ("POST", "encrypt-config", "slow", {"delay": 0.6}),
        ("POST", "drafts", "commit_then_drop", {}),
        ("POST", "publications", "commit_then_drop", {}),
        ("POST", "generate_access_token", "status", {"status": 503}),
    ],
)
def test_create_survives_fault(
    fake: FakeControlPlane,
    captures: CaptureProvider,
    method: str,
    suffix: str,
    kind: str,
    extra: dict,
) -> None:
    props = capture_inputs("github")
    fake.state.add_fault(method, suffix, kind, **extra)
    outs = captures.create(props).outs
    _invariants(fake, props["catalogName"], live=True)
    assert len(fake.state.publications) == 1, "publication repeated"
    assert outs["lastPubId"] == fake.state.live[props["catalogName"]]["last_pub_id"]
    faulted = [r for r in fake.state.requests if r.method == method and r.path.endswith(suffix)]
    assert len(faulted) >= 2 or kind == "commit_then_drop"


def test_retry_after_is_honoured(fake: FakeControlPlane, captures: CaptureProvider) -> None:
    fake.state.add_fault("GET", "connector_tags", "status", status=429, retry_after="1")
    started = time.monotonic()
    captures.create(capture_inputs("slack"))
    assert time.monotonic() - started >= 1.0


def test_persistent_5xx_is_one_clear_error(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("gong")
    fake.state.add_fault("POST", "draft_specs", "status", status=500, times=100)
    with pytest.raises(EstuaryApiError) as info:
        captures.create(props)
    err = info.value
    assert err.status == 500 and err.message == "injected fault"
    assert "draft_specs" in str(err) and "status=500" in str(err)
    _invariants(fake, props["catalogName"], live=False)


def test_build_failure_reports_draft_errors_and_cleans_up(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("hubspot")
    fake.state.fail_next_publication(
        "buildFailed", [{"scope": "flow://capture/x", "detail": "deals: resource is invalid"}]
    )
    with pytest.raises(PublicationFailed) as info:
        captures.create(props)
    assert info.value.status_type == "buildFailed"
    assert "deals: resource is invalid" in str(info.value)
    _invariants(fake, props["catalogName"], live=False)


def test_transient_publish_failure_is_retried(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("intercom")
    fake.state.race_next_commit()  # another publication committed between build and commit
    captures.create(props)
    _invariants(fake, props["catalogName"], live=True)
    assert len(fake.state.publications) == 2


def test_lost_create_is_adopted_not_duplicated(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    """Pulumi never saw the first create's answer and calls create again."""
    props = capture_inputs("usergems")
    first = captures.create(props).outs
    again = captures.create(props).outs
    _invariants(fake, props["catalogName"], live=True)
    # Estuary refused the must-not-exist publication as a build error (not a separate
    # status); the provider read that, then adopted the live task.
    finals = [p["final"]["type"] for p in fake.state.publications.values()]
    assert finals == ["success", "buildFailed", "success"]
    # Adoption republished our declaration over the live one, expecting its pub id.
    staged = [
        b
        for r in fake.state.calls("POST", "draft_specs")
        for b in r.body
        if b["catalog_name"] == props["catalogName"]
    ]
    assert staged[-1]["expect_pub_id"] == first["lastPubId"]
    assert again["lastPubId"] == fake.state.live[props["catalogName"]]["last_pub_id"]


def test_update_after_fault_has_no_lost_update(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    props = capture_inputs("github")
    name = props["catalogName"]
    outs = captures.create(props).outs
    fake.state.add_fault("POST", "publications", "commit_then_drop")
    updated = captures.update(name, outs, {**props, "interval": "7m"}).outs
    assert fake.state.live[name]["spec"]["interval"] == "7m"
    assert updated["lastPubId"] == fake.state.live[name]["last_pub_id"]
    assert fake.state.drafts == {}


def test_publication_stuck_in_queue_times_out(fake: FakeControlPlane) -> None:
    from dataclasses import replace

    from components.estuary.errors import PublicationTimeout

    fake.state.queued_polls = 10_000
    provider = CaptureProvider(tuning=replace(FAST, poll_timeout=0.2))
    started = time.monotonic()
    with pytest.raises(PublicationTimeout, match="still queued"):
        provider.create(capture_inputs("slack"))
    assert time.monotonic() - started < 2
    # Polls backed off instead of spinning.
    assert len(fake.state.calls("GET", "publications")) < 15


def test_access_token_is_renewed_when_close_to_expiry(fake: FakeControlPlane) -> None:
    fake.state.access_ttl = 30  # under the 60 s margin: every call renews first
    CaptureProvider(tuning=FAST).create(capture_inputs("slack"))
    long_lived = fake.state.token_exchanges
    assert long_lived > 3
    fake.state.access_ttl = 3600
    fake.state.token_exchanges = 0
    CaptureProvider(tuning=FAST).create(capture_inputs("gong"))
    assert fake.state.token_exchanges == 1


def test_single_use_refresh_tokens_rotate(fake: FakeControlPlane) -> None:
    fake.state.single_use_refresh = True
    fake.state.access_ttl = 30
    CaptureProvider(tuning=FAST).create(capture_inputs("slack"))
    assert fake.state.token_exchanges > 3


def test_bad_refresh_token_is_a_clear_error_without_the_token(
    fake: FakeControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import json

    token = base64.b64encode(json.dumps({"id": "x", "secret": "WRONG_SECRET_123"}).encode())
    monkeypatch.setenv("FLOW_AUTH_TOKEN", token.decode())
    with pytest.raises(EstuaryApiError) as info:
        CaptureProvider(tuning=FAST).create(capture_inputs("slack"))
    assert info.value.status == 401 and "generate_access_token" in str(info.value)
    assert "WRONG_SECRET_123" not in str(info.value)
    assert token.decode() not in str(info.value)


def test_create_whose_publication_answer_was_lost_is_adopted(
    fake: FakeControlPlane, captures: CaptureProvider
) -> None:
    """The publication committed, every answer after it was lost, and the provider gave up;
    Pulumi then retries the create: it adopts the task instead of failing or duplicating."""
    props = capture_inputs("github")
    fake.state.add_fault("POST", "publications", "commit_then_drop")
    fake.state.add_fault("GET", "publications", "drop", times=100)
    with pytest.raises(EstuaryApiError):
        captures.create(props)
    fake.state.faults.clear()
    outs = captures.create(props).outs
    _invariants(fake, props["catalogName"], live=True)
    assert outs["lastPubId"] == fake.state.live[props["catalogName"]]["last_pub_id"]

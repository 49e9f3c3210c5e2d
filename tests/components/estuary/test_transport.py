"""The transport and client under single faults, through the fault proxy (tests/faults) in
front of the Estuary stand-in. The matrix (test_fault_matrix.py) runs every fault on every
call; these name the rules one by one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from components.estuary.api import ClientSettings, EstuaryClient
from components.estuary.errors import EstuaryAnswerError, EstuaryApiError
from components.estuary.transport import Tuning, retry_after_seconds
from tests.components.estuary.conftest import FAST
from tests.fakes.estuary_control_plane import FakeControlPlane
from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy


@pytest.fixture
def world() -> Iterator[tuple[FakeControlPlane, FaultProxy, EstuaryClient]]:
    fake = FakeControlPlane().start()
    proxy = FaultProxy(fake.base_url)
    env = fake.env()
    client = EstuaryClient(
        ClientSettings(
            api_url=proxy.base_url + "/rest/v1",
            encryption_url=proxy.base_url + "/encrypt",
            anon_key=env["ESTUARY_ANON_KEY"],
            auth_token=env["FLOW_AUTH_TOKEN"],
        ),
        FAST,
    )
    try:
        yield fake, proxy, client
    finally:
        proxy.stop()
        fake.stop()


def _drafts(fake: FakeControlPlane) -> int:
    return len(fake.state.calls("POST", "drafts"))


def test_a_post_is_not_resent_on_503_with_retry_after(world) -> None:  # type: ignore[no-untyped-def]
    """urllib3 2.8.0 `Retry.is_retry` re-sends any method on 503 + Retry-After; we don't.
    The lost answer is settled by reading the draft back by its marker."""
    fake, proxy, client = world
    proxy.inject(
        faults.status(503, retry_after=1, forward=True), method="POST", path="/rest/v1/drafts"
    )
    draft = client.create_draft("marker-1")
    assert _drafts(fake) == 1 and list(fake.state.drafts) == [draft]


def test_a_post_is_resent_only_when_it_was_never_sent(world) -> None:  # type: ignore[no-untyped-def]
    fake, proxy, client = world
    proxy.inject(faults.reset(), method="POST", path="/rest/v1/drafts")  # before the write
    draft = client.create_draft("marker-2")
    assert _drafts(fake) == 1 and list(fake.state.drafts) == [draft]


def test_an_hour_long_retry_after_is_one_clear_error_at_once(world) -> None:  # type: ignore[no-untyped-def]
    _, proxy, client = world
    proxy.inject(faults.status(429, retry_after=3600), path="/rest/v1/live_specs_ext")
    started = time.monotonic()
    with pytest.raises(EstuaryApiError) as info:
        client.live_specs(["acme/x/y"])
    assert time.monotonic() - started < 1.0
    text = str(info.value)
    assert "asked to wait 3600 s" in text and "waits at most 2 s" in text
    assert info.value.status == 429 and info.value.retry_after == 3600


def test_a_short_retry_after_is_honoured(world) -> None:  # type: ignore[no-untyped-def]
    _, proxy, client = world
    proxy.inject(faults.status(503, retry_after=1), path="/rest/v1/live_specs_ext")
    started = time.monotonic()
    assert client.live_specs(["acme/x/y"]) == {}
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/rest/v1/rpc/generate_access_token", lambda c: c.live_specs(["acme/x/y"])),
        ("/encrypt/v1/encrypt-config", lambda c: c.encrypt_config({"token": "PLAIN_99"}, {})),
        ("/rest/v1/drafts", lambda c: c.create_draft("m")),
    ],
)
def test_redirects_to_another_origin_are_not_followed(world, path, call) -> None:  # type: ignore[no-untyped-def]
    """The refresh token (token exchange body), the apikey and bearer token, and plaintext
    connector secrets (encrypt-config body) must not reach another host."""
    _, proxy, client = world
    proxy.inject(faults.redirect(307), path=path, times=5)
    with pytest.raises(
        EstuaryApiError, match=r"redirected to http://127\.0\.0\.1:\d+; not followed"
    ):
        call(client)
    assert proxy.sink.requests == []


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (faults.truncated(), None),
        (faults.html(502), "status=502"),
        (faults.edit_json(null=("*.last_pub_id",)), "0.last_pub_id"),
        (faults.edit_json(drop=("*.spec_type",)), "0.spec_type: Field required"),
        (faults.edit_json(null=("*.spec",)), "spec and spec_type must both be null"),
    ],
)
def test_unusable_answers_are_errors_naming_the_call(world, fault, problem) -> None:  # type: ignore[no-untyped-def]
    """Never a JSONDecodeError/KeyError/TypeError, never "gone" for a live task."""
    fake, proxy, client = world
    fake.state.commit("acme/x/c", {"key": ["/id"], "schema": {}}, "collection", fake.state.new_id())
    proxy.inject(fault, path="/rest/v1/live_specs_ext", times=10)
    with pytest.raises(EstuaryApiError) as info:
        client.live_specs(["acme/x/c"])
    assert "GET live_specs_ext" in str(info.value)
    if problem:
        assert problem in str(info.value)
        assert isinstance(info.value, EstuaryAnswerError) or problem.startswith("status=")


def test_a_null_body_from_the_token_exchange_is_a_clear_error(world) -> None:  # type: ignore[no-untyped-def]
    _, proxy, client = world
    proxy.inject(faults.edit_json(null=("access_token",)), path="/rest/v1/rpc/", times=10)
    with pytest.raises(EstuaryAnswerError, match=r"generate_access_token.*access_token"):
        client.live_specs(["acme/x/y"])


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0
    assert replace(Tuning(), backoff_factor=1.0, backoff_max=3.0).backoff(5) == 3.0

"""The fault proxy itself, in front of a tiny JSON upstream that counts the writes it applied."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests

from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy, _serve


class _Upstream:
    def __init__(self) -> None:
        self.writes: list[Any] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.command != "GET":
                    upstream.writes.append(json.loads(raw) if raw else None)
                body = json.dumps(
                    {"id": "x1", "name": "n", "data": [{"id": "a", "slug": "s"}], "path": self.path}
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = _serve(Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxied() -> Iterator[tuple[_Upstream, FaultProxy]]:
    upstream = _Upstream()
    proxy = FaultProxy(upstream.base_url)
    try:
        yield upstream, proxy
    finally:
        proxy.stop()
        upstream.stop()


def _post(proxy: FaultProxy, path: str = "/things", **kwargs: Any) -> requests.Response:
    return requests.post(proxy.base_url + path, json={"n": 1}, timeout=2, **kwargs)


def test_forwards_unarmed_calls_unchanged(proxied) -> None:
    upstream, proxy = proxied
    answer = requests.get(proxy.base_url + "/things?q=1", timeout=2)
    assert answer.json()["path"] == "/v1/things?q=1" and upstream.writes == []
    assert [(c.method, c.path, c.fault, c.forwarded, c.status) for c in proxy.log] == [
        ("GET", "/things", "", True, 200)
    ]


def test_status_before_and_after_the_write(proxied) -> None:
    upstream, proxy = proxied
    proxy.inject(faults.status(503, retry_after=7), method="POST")
    proxy.inject(faults.status(503, retry_after=7, forward=True), method="POST")
    first, second, third = _post(proxy), _post(proxy), _post(proxy)
    assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
    assert second.status_code == 503 and third.status_code == 200
    assert len(upstream.writes) == 2  # the second and the third landed
    assert proxy.fired() == ["503+retry-after=7", "503+retry-after=7+after-write"]
    assert proxy.pending() == []


def test_skip_and_regex_matching(proxied) -> None:
    _, proxy = proxied
    proxy.inject(faults.status(500), path=re.compile(r"^/things/\w+$"), skip=1)
    assert requests.get(proxy.base_url + "/things", timeout=2).status_code == 200
    assert requests.get(proxy.base_url + "/things/a", timeout=2).status_code == 200
    assert requests.get(proxy.base_url + "/things/b", timeout=2).status_code == 500


def test_resets_before_and_after_the_write(proxied) -> None:
    upstream, proxy = proxied
    proxy.inject(faults.reset(), method="POST")
    proxy.inject(faults.reset(after_write=True), method="POST")
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            _post(proxy)
    assert len(upstream.writes) == 1


def test_slow_answer_lands_the_write_then_times_out(proxied) -> None:
    upstream, proxy = proxied
    proxy.inject(faults.slow(1.0), method="POST")
    with pytest.raises(requests.Timeout):
        requests.post(proxy.base_url + "/things", json={}, timeout=0.3)
    assert len(upstream.writes) == 1


def test_truncated_body_breaks_the_read(proxied) -> None:
    _, proxy = proxied
    proxy.inject(faults.truncated())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(proxy.base_url + "/things", timeout=2)


def test_html_page_and_json_edits(proxied) -> None:
    _, proxy = proxied
    proxy.inject(faults.html(502))
    proxy.inject(faults.edit_json(drop=("id",), null=("name",), extra={"new": 1}))
    proxy.inject(faults.edit_json(drop=("data.*.slug",)))
    page = requests.get(proxy.base_url + "/things", timeout=2)
    assert page.status_code == 502 and page.text.startswith("<html>")
    edited = requests.get(proxy.base_url + "/things", timeout=2).json()
    assert "id" not in edited and edited["name"] is None and edited["new"] == 1
    assert requests.get(proxy.base_url + "/things", timeout=2).json()["data"] == [{"id": "a"}]


def test_redirect_to_another_origin_records_what_leaks(proxied) -> None:
    upstream, proxy = proxied
    proxy.inject(faults.redirect(307), method="POST")
    answer = _post(proxy, headers={"x-secret": "s3"})  # requests follows 307 with the body
    assert answer.status_code == 200 and upstream.writes == []
    [leaked] = proxy.sink.requests
    assert leaked.headers["x-secret"] == "s3" and json.loads(leaked.body) == {"n": 1}


def test_refuses_a_non_loopback_upstream() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("https://api.portkey.ai/v1")


def test_stop_does_not_wait_for_a_slow_answer(proxied) -> None:
    _, proxy = proxied
    proxy.inject(faults.slow(30))

    def call() -> None:
        with pytest.raises(requests.RequestException):
            requests.get(proxy.base_url + "/x", timeout=0.2)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()

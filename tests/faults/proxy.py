"""A fault-injecting HTTP proxy for control-plane stand-ins (any area: Portkey, Estuary, ...).

It listens on 127.0.0.1 in front of one upstream (a stand-in on loopback) and forwards each call
unchanged, except the calls a test has armed a fault for. A fault matches by method and path
(prefix, or a compiled regex) and fires once per armed time, optionally after skipping the first
matching calls. Every answer carries `Connection: close`, so each call is a fresh connection and a
reset hits exactly one request (no pooled-connection retries inside the client library).

The fault classes (constructors below; `forward=True` means the upstream received and applied the
request first, so a write has landed when the client sees the fault):

    status(code, retry_after=..., forward=...)  an error answer (5xx with/without Retry-After,
                                                 429 short or hour-long, 401 mid-run, ...)
    reset(after_write=False|True)                TCP reset instead of an answer
    slow(seconds)                                the write lands; the answer comes after `seconds`
    truncated()                                  the real answer, cut after half its body
    html(code)                                   a load balancer's HTML error page
    edit_json(drop=, null=, extra=)              the real 200 answer with fields removed, set to
                                                 null or added (dotted paths, `*` for list items)
    redirect(code=307)                           a redirect to another origin: the `Sink`, which
                                                 records every header and body that reaches it

`proxy.log` lists each call (method, path, fault name or "", whether the upstream saw it, the
status sent). `proxy.sink.requests` is what leaked to the other origin.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}

HTML_PAGE = (
    "<html>\r\n<head><title>{code} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{code} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of (or after) forwarding one call."""

    name: str
    kind: str  # status | reset | slow | truncated | html | edit_json | redirect
    forward: bool = False
    code: int = 0
    retry_after: str | None = None
    body: Any = None
    seconds: float = 0.0
    drop: tuple[str, ...] = ()
    null: tuple[str, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()


def status(
    code: int, *, retry_after: str | int | None = None, forward: bool = False, body: Any = None
) -> Fault:
    after = "" if retry_after is None else f"+retry-after={retry_after}"
    where = "+after-write" if forward else ""
    return Fault(
        f"{code}{after}{where}",
        "status",
        forward=forward,
        code=code,
        retry_after=None if retry_after is None else str(retry_after),
        body=body,
    )


def reset(*, after_write: bool = False) -> Fault:
    return Fault("reset-after-write" if after_write else "reset-before", "reset", after_write)


def slow(seconds: float) -> Fault:
    return Fault(f"slow-{seconds:g}s-after-write", "slow", forward=True, seconds=seconds)


def truncated() -> Fault:
    return Fault("truncated-body", "truncated", forward=True)


def html(code: int = 502, *, forward: bool = False) -> Fault:
    return Fault(f"html-{code}" + ("+after-write" if forward else ""), "html", forward, code)


def edit_json(
    *,
    drop: tuple[str, ...] = (),
    null: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    name: str = "",
) -> Fault:
    label = name or "200-" + "+".join(
        [*(f"missing:{p}" for p in drop), *(f"null:{p}" for p in null)]
        + [f"extra:{k}" for k in extra or {}]
    )
    return Fault(label, "edit_json", True, drop=drop, null=null, extra=tuple((extra or {}).items()))


def redirect(code: int = 307) -> Fault:
    return Fault(f"redirect-{code}-other-origin", "redirect", code=code)


@dataclass
class _Armed:
    fault: Fault
    method: str | None
    path: str | re.Pattern[str] | None
    times: int
    skip: int

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.search(path) is not None
        return path.startswith(self.path)


@dataclass
class Call:
    method: str
    path: str
    fault: str
    forwarded: bool
    status: int | None


@dataclass
class SunkRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handler: type[BaseHTTPRequestHandler]) -> _Server:
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


class Sink:
    """Another origin: answers 200 `{}` to anything and records what reached it."""

    def __init__(self) -> None:
        self.requests: list[SunkRequest] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                sink.requests.append(SunkRequest(self.command, self.path, headers, body))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = _serve(Handler)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FaultProxy:
    """Forwards to `upstream` (an http://127.0.0.1 base URL); injects the armed faults."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(
                f"the fault proxy only fronts a loopback http stand-in, not {upstream}"
            )
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.log: list[Call] = []
        self.sink = Sink()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self._server = _serve(Handler)

    # -- test controls ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The upstream's base URL with the proxy's origin (same path prefix)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{self._prefix}"

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Arm `fault` for the next `times` calls matching method and path (a path without the
        upstream's prefix: `/configs`, or a regex), after letting `skip` matching calls through."""
        with self._lock:
            self._armed.append(_Armed(fault, method, path, times, skip))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def pending(self) -> list[str]:
        """Faults armed but not yet fired (a test that expects each to fire checks this)."""
        with self._lock:
            return [armed.fault.name for armed in self._armed if armed.times > 0]

    def fired(self) -> list[str]:
        return [call.fault for call in self.log if call.fault]

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.sink.stop()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------------

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for armed in self._armed:
                if armed.times <= 0 or not armed.matches(method, path):
                    continue
                if armed.skip > 0:
                    armed.skip -= 1
                    continue
                armed.times -= 1
                return armed.fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        full_path = handler.path
        path = urlsplit(full_path).path
        local = path[len(self._prefix) :] if path.startswith(self._prefix) else path
        fault = self._take(method, local)
        call = Call(method, local, fault.name if fault else "", False, None)
        self.log.append(call)

        answer: tuple[int, dict[str, str], bytes] | None = None
        if fault is None or fault.forward:
            answer = self._forward(method, full_path, handler, body)
            call.forwarded = True
        if fault is None:
            assert answer is not None
            return self._send(handler, call, *answer)
        getattr(self, f"_fault_{fault.kind}")(handler, call, fault, answer, full_path)
        return None

    def _forward(
        self, method: str, full_path: str, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            self._upstream_host, self._upstream_port, timeout=30
        )
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = f"{self._upstream_host}:{self._upstream_port}"
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        try:
            connection.request(method, full_path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            out = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return response.status, out, data
        finally:
            connection.close()

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        call: Call,
        code: int,
        headers: dict[str, str],
        body: bytes,
        *,
        declared_length: int | None = None,
    ) -> None:
        call.status = code
        handler.send_response(code)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header(
            "content-length", str(len(body) if declared_length is None else declared_length)
        )
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True

    # -- the fault classes -----------------------------------------------------------------------

    def _fault_status(self, handler, call, fault, answer, full_path) -> None:
        headers = {"content-type": "application/json"}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        body = fault.body if fault.body is not None else {"message": f"injected {fault.code}"}
        self._send(handler, call, fault.code, headers, json.dumps(body).encode())

    def _fault_reset(self, handler, call, fault, answer, full_path) -> None:
        # SO_LINGER 0: close sends RST, so the client sees ECONNRESET, not a clean end of stream.
        sock: socket.socket = handler.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        sock.close()

    def _fault_slow(self, handler, call, fault, answer, full_path) -> None:
        self._stopping.wait(fault.seconds)
        with contextlib.suppress(OSError):  # the client gave up (its timeout), as intended
            self._send(handler, call, *answer)

    def _fault_truncated(self, handler, call, fault, answer, full_path) -> None:
        code, headers, body = answer
        cut = body[: max(1, len(body) // 2)]
        self._send(handler, call, code, headers, cut, declared_length=len(body))
        self._fault_reset(handler, call, fault, answer, full_path)

    def _fault_html(self, handler, call, fault, answer, full_path) -> None:
        page = HTML_PAGE.format(code=fault.code).encode()
        self._send(handler, call, fault.code, {"content-type": "text/html"}, page)

    def _fault_edit_json(self, handler, call, fault, answer, full_path) -> None:
        code, headers, body = answer
        try:
            document = json.loads(body) if body else {}
        except ValueError:
            return self._send(handler, call, code, headers, body)
        for dotted in fault.drop:
            _edit(document, dotted.split("."), lambda parent, key: _remove(parent, key))
        for dotted in fault.null:
            _edit(document, dotted.split("."), lambda parent, key: _assign(parent, key, None))
        for dotted, value in fault.extra:
            _edit(document, dotted.split("."), lambda parent, key, v=value: _assign(parent, key, v))
        return self._send(handler, call, code, headers, json.dumps(document).encode())

    def _fault_redirect(self, handler, call, fault, answer, full_path) -> None:
        headers = {"Location": self.sink.origin + full_path, "content-type": "application/json"}
        self._send(handler, call, fault.code, headers, b"{}")


def _remove(parent: Any, key: str) -> None:
    if isinstance(parent, dict):
        parent.pop(key, None)


def _assign(parent: Any, key: str, value: Any) -> None:
    if isinstance(parent, dict):
        parent[key] = value


def _edit(node: Any, parts: list[str], action: Callable[[Any, str], None]) -> None:
    """Apply `action(parent, last)` at a dotted path; `*` walks every item of a list."""
    head, rest = parts[0], parts[1:]
    if not rest:
        if isinstance(node, list) and head == "*":
            for item in node:
                action(item, head)
        else:
            action(node, head)
        return
    if head == "*" and isinstance(node, list):
        for item in node:
            _edit(item, rest, action)
    elif isinstance(node, dict) and head in node:
        _edit(node[head], rest, action)
    elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
        _edit(node[int(head)], rest, action)

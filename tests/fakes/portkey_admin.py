"""A local stand-in for the Portkey admin API (configs, usage-limits policies, API-key defaults).

Behaves as the admin API is documented (docs/portkey.md "Resources"; sources per rule below): `x-portkey-api-key` auth (401 AB05 otherwise), flat bodies
(or {success, data} with `wrap=True`), `config` returned as a JSON string (`config_as_string`),
errors as {errorCode, message}, every PUT minting a new version_id. It records each request and
can inject faults:
- `fail_next(method, path, status)`    answer an error once (429 carries Retry-After: 0)
- `drop_next(method, path)`            commit the write, then drop the connection (lost response)
- `stale_next_put(path)`               answer a PUT with the previous version_id (stale response)
- `delete_out_of_band(slug_or_id)`     delete behind our back; later reads get 404 AB08
- `deny(slug_or_id)`                   the key loses access: reads get 403 AB03, the object stays
Binds 127.0.0.1 only; use the `portkey_admin` fixture.

Quirks of the real API it follows, each with its source:
- Error codes (Portkey-AI/docs-core api-reference/admin-api/error.mdx): AB08 404 "Resource not
  found"; AB03 403 "User not allowed to access the resource" (a permission error, not "deleted");
  AB01 400 validation.
- Usage-limits policies need a workspace (docs-core product/enterprise-offering/budget-policies.mdx
  "Workspace ID is required (can be provided via API key or request body)"; the fake's key is an
  org-level admin key, so the body / query must carry it: Terraform RESOURCE_MATRIX "List
  (requires ?workspace_id=xxx)"). Missing -> 400 AB01. GUESS: the exact code for that refusal.
- periodic_reset is echoed upper-case (Portkey-AI/terraform internal/provider/idempotency_test.go
  case usage_periodic_reset: sent "monthly", API returns "MONTHLY").
- conditions are echoed with `excludes: null` added. GUESS: the shape Terraform's schema allows
  (terraform-provider-portkey usage_limits_policy_resource.go: value string or array, optional
  excludes); the exact echo is unverified.
- PUT accepts conditions (same Terraform file: conditions "Updated in place").
- The usage-limits list pages with page_size / current_page and answers `total` (Portkey-AI/openapi
  listUsageLimitsPolicies); GUESS: pages count from 0 and at most `page_size_cap` items per page.
- DELETE archives (OpenAPI deleteUsageLimitsPolicy: "Archive (soft delete)"); the list's status
  filter defaults to active (OpenAPI), so archived policies drop out of it. GUESS: GET of an
  archived policy answers 404 AB08.
- API keys: see tests/fakes/portkey_api_keys.py (each rule with its source).
Anything else (an unknown route or method) answers 404 AB08 "no route" loudly.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.portkey_api_keys import ApiKeysMixin

API_KEY = "pk-admin-test-0123456789abcdef"
_ERRORS = {400: "AB01", 401: "AB05", 403: "AB03", 404: "AB08", 409: "AB07", 429: "AB06"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class _Fault:
    method: str
    path: str
    kind: str  # "status" | "drop" | "stale"
    status: int = 0


@dataclass
class FakePortkeyAdmin(ApiKeysMixin):
    api_key: str = API_KEY
    wrap: bool = False
    config_as_string: bool = True
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    override_flag_as_int: bool = False
    api_key_ignores_flag: bool = False
    requests: list[RecordedRequest] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    page_size_cap: int = 50
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # -- test controls ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_next(self, method: str, path: str, status: int, times: int = 1) -> None:
        self._faults.extend(_Fault(method, path, "status", status) for _ in range(times))

    def drop_next(self, method: str, path: str) -> None:
        self._faults.append(_Fault(method, path, "drop"))

    def stale_next_put(self, path: str) -> None:
        self._faults.append(_Fault("PUT", path, "stale"))

    def delete_out_of_band(self, handle: str) -> None:
        with self._lock:
            self.configs.pop(handle, None)
            self.policies.pop(handle, None)
            self.api_keys.pop(handle, None)

    def deny(self, handle: str) -> None:
        with self._lock:
            self.forbidden.add(handle)

    def calls(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request in self.requests]

    def reset_log(self) -> None:
        self.requests.clear()

    def seed_config(self, name: str, config: dict[str, Any], workspace_id: str | None = None):
        return self._create_config({"name": name, "config": config, "workspace_id": workspace_id})

    # -- server -------------------------------------------------------------------------------

    def start(self) -> FakePortkeyAdmin:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake._dispatch(self, raw)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- request handling ---------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method == method and path.startswith(fault.path):
                    return self._faults.pop(index)
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        url = urlsplit(handler.path)
        path = url.path.removeprefix("/v1")
        method = handler.command
        body = json.loads(raw) if raw else None
        self.requests.append(
            RecordedRequest(
                method,
                path,
                parse_qs(url.query),
                body,
                {k.lower(): v for k, v in handler.headers.items()},
            )
        )
        if handler.headers.get("x-portkey-api-key") != self.api_key:
            return self._send(handler, 401, {"errorCode": "AB05", "message": "Invalid API key"})
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": "0"} if fault.status == 429 else {}
            code = _ERRORS.get(fault.status, "AB04")
            return self._send(
                handler, fault.status, {"errorCode": code, "message": "injected"}, headers
            )
        with self._lock:
            status, payload = self._route(method, path, parse_qs(url.query), body, fault)
        if fault is not None and fault.kind == "drop":
            # The write is committed; the client never hears back.
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._send(handler, status, payload)

    def _send(self, handler, status: int, payload: Any, headers: dict[str, str] | None = None):
        if status < 400 and self.wrap:
            payload = {"success": True, "data": payload}
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _error(self, status: int, message: str) -> tuple[int, dict[str, str]]:
        return status, {"errorCode": _ERRORS.get(status, "AB04"), "message": message}

    def _route(self, method, path, query, body, fault) -> tuple[int, Any]:
        parts = [part for part in path.split("/") if part]
        if parts[:1] == ["configs"]:
            return self._configs(method, parts[1:], query, body, fault)
        if parts[:2] == ["policies", "usage-limits"]:
            return self._policies(method, parts[2:], query, body, fault)
        if parts[:1] == ["api-keys"] and len(parts) == 2:
            return self._api_keys(method, parts[1], body)
        return self._error(404, f"no route {method} {path}")

    def _configs(self, method, rest, query, body, fault) -> tuple[int, Any]:
        if not rest and method == "GET":
            workspace = (query.get("workspace_id") or [None])[0]
            items = [
                {k: v for k, v in c.items() if k not in ("config", "version_id")}
                for c in self.configs.values()
                if workspace is None or c["workspace_id"] == workspace
            ]
            return 200, {"object": "list", "total": len(items), "data": items}
        if not rest and method == "POST":
            if not body or not body.get("name") or not isinstance(body.get("config"), dict):
                return self._error(400, "name and config are required")
            created = self._create_config(body)
            return 200, {k: created[k] for k in ("id", "slug", "version_id")} | {"object": "config"}
        slug = rest[0]
        if slug in self.forbidden:
            return self._error(403, "User not allowed to access the resource")
        config = self.configs.get(slug)
        if config is None:
            return self._error(404, f"config {slug} not found")
        if method == "GET":
            out = dict(config)
            out["config"] = (
                json.dumps(config["config"]) if self.config_as_string else config["config"]
            )
            return 200, out
        if method == "PUT":
            previous = config["version_id"]
            config.update(
                name=body["name"], config=body["config"], status=body.get("status", "active")
            )
            config["version_id"] = str(uuid.uuid4())
            config["last_updated_at"] = "2026-01-02T00:00:00.000Z"
            stale = fault is not None and fault.kind == "stale"
            return 200, {"version_id": previous if stale else config["version_id"]}
        if method == "DELETE":
            bound = sorted(
                k["id"]
                for k in self.api_keys.values()
                if (k.get("defaults") or {}).get("config_id") == config["id"]
            )
            if bound:  # 409 AB07 (source: portkey_api_keys.py)
                return self._error(409, f"config is the default config of API key(s) {bound}")
            del self.configs[slug]
            return 200, {}
        return self._error(404, "no route")

    def _create_config(self, body: dict[str, Any]) -> dict[str, Any]:
        slug = f"pc-{body['name'][:5].lower()}-{uuid.uuid4().hex[:6]}"
        config = {
            "id": str(uuid.uuid4()),
            "slug": slug,
            "name": body["name"],
            "config": body["config"],
            # The API answers a UUID even when given a workspace slug.
            "workspace_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, body["workspace_id"]))
            if body.get("workspace_id")
            else "ws-default-uuid",
            "organisation_id": "org-uuid",
            "is_default": 0,
            "status": "active",
            "format": "json",
            "type": "ORG_CONFIG",
            "owner_id": "owner-uuid",
            "version_id": str(uuid.uuid4()),
            "created_at": "2026-01-01T00:00:00.000Z",
            "last_updated_at": "2026-01-01T00:00:00.000Z",
        }
        self.configs[slug] = config
        return config

    @staticmethod
    def _stored(body: dict[str, Any]) -> dict[str, Any]:
        """What the API keeps and echoes (see the quirks in the module doc)."""
        stored = dict(body)
        if isinstance(stored.get("periodic_reset"), str):
            stored["periodic_reset"] = stored["periodic_reset"].upper()
        if "conditions" in stored:
            stored["conditions"] = [{"excludes": None, **c} for c in stored["conditions"]]
        return stored

    def seed_policy(self, body: dict[str, Any]) -> str:
        policy_id = str(uuid.uuid4())
        self.policies[policy_id] = {"id": policy_id, "status": "active", **self._stored(body)}
        return policy_id

    def _policies(self, method, rest, query, body, fault) -> tuple[int, Any]:
        if not rest and method == "GET":
            workspace = (query.get("workspace_id") or [None])[0]
            if not workspace:
                return self._error(400, "workspace_id is required")
            size = min(int((query.get("page_size") or ["50"])[0]), self.page_size_cap)
            page = int((query.get("current_page") or ["0"])[0])
            items = [
                p
                for p in self.policies.values()
                if p["status"] == "active" and p.get("workspace_id") == workspace
            ]
            chunk = items[page * size : (page + 1) * size]
            return 200, {"object": "list", "total": len(items), "data": chunk}
        if not rest and method == "POST":
            missing = [
                k
                for k in ("conditions", "group_by", "type", "credit_limit", "workspace_id")
                if k not in (body or {})
            ]
            if missing:
                return self._error(400, f"missing {missing}")
            policy_id = self.seed_policy(body)
            return 200, {"id": policy_id, "object": "policy"}
        policy_id = rest[0]
        if policy_id in self.forbidden:
            return self._error(403, "User not allowed to access the resource")
        policy = self.policies.get(policy_id)
        if policy is None or policy["status"] == "archived":
            return self._error(404, f"policy {policy_id} not found")
        if method == "GET":
            return 200, dict(policy)
        if method == "PUT":
            allowed = {
                "name",
                "conditions",
                "credit_limit",
                "alert_threshold",
                "periodic_reset",
                "reset_usage_for_value",
            }
            extra = set(body) - allowed
            if extra:
                return self._error(400, f"cannot update {sorted(extra)}")
            policy.update(self._stored(body))
            return 200, {}
        if method == "DELETE":
            policy["status"] = "archived"
            return 200, {}
        return self._error(404, "no route")


@pytest.fixture
def portkey_admin() -> Iterator[FakePortkeyAdmin]:
    fake = FakePortkeyAdmin().start()
    try:
        yield fake
    finally:
        fake.stop()

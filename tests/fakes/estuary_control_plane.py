"""A local stand-in for the Estuary control plane: a real HTTP server on 127.0.0.1.

It implements what `components.estuary.client` uses: PostgREST-style tables under /rest/v1
(drafts, draft_specs, publications, live_specs_ext, draft_errors, connector_tags and
rpc/generate_access_token) and the config-encryption service under /encrypt/v1/encrypt-config.
It can be started from another process (`python -m tests.fakes.estuary_control_plane`).

Rules, each with its source in the module that holds it:
- estuary_build.py: publication = build (draft errors: a stale or must-not-exist
  `expect_pub_id` is a `buildFailed` with an "expected publication ID ... was not matched"
  draft error; deleting a spec that is not live is a build error; collection key types;
  connector Validate after sops decryption) then commit (a commit-time race is
  `buildIdLockFailure`, retryable); a successful publication deletes its draft.
- estuary_models.py: live specs are the models crate's re-serialization of what was staged
  (`fields: {recommended: true}` on materialization bindings, a default 5m interval dropped).
- estuary_connectors.py: connector tags and the connectors' published endpoint and resource
  schemas; encrypt-config validates against the schema it is given and answers
  `FailedValidation` with the plaintext document in it (config-encryption mod.rs `validate`).
- estuary_sops.py: sops documents whose MAC fails when their keys are reordered.
- estuary_state.py: the tables, the test levers and the encrypt-config answer.

It fails loudly on what it does not know: an unknown route or query shape answers 501 and is
recorded in `state.unsupported` (the test fixture fails on any), and an unknown connector
image or tag is a build error.

Test levers: `faults` (429 with Retry-After, 5xx, dropped connections, slow answers, a create
committed whose answer is lost), `fail_next_publication`, `race_next_commit`, out-of-band
edits (`oob_update`, `oob_delete`) and background activity (`background_discover`, `touch`).
Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.estuary_build import run_publication
from tests.fakes.estuary_connectors import CONNECTORS
from tests.fakes.estuary_models import ZERO_ID  # noqa: F401 (re-exported)
from tests.fakes.estuary_state import (  # noqa: F401 (re-exported)
    ControlPlaneState,
    Fault,
    Recorded,
    colon_hex,
    encrypt_answer,
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _answer(
        self, status: int, payload: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        body = self._body()
        record = Recorded(self.command, url.path, url.query, body)
        with state.lock:
            state.requests.append(record)
            fault = next(
                (
                    f
                    for f in state.faults
                    if f.times > 0 and f.method == self.command and url.path.endswith(f.path_suffix)
                ),
                None,
            )
            if fault:
                fault.times -= 1
        if fault and fault.kind == "status":
            record.status = fault.status
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._answer(
                fault.status,
                {"code": None, "message": "injected fault", "details": None, "hint": None},
                headers,
            )
            return
        if fault and fault.kind == "drop":
            self.close_connection = True
            return
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        with state.lock:
            status, payload = self._route(state, url.path, dict(parse_qsl(url.query)), body)
        record.status = status
        if fault and fault.kind == "commit_then_drop":
            record.status = None
            self.close_connection = True
            return
        self._answer(status, payload)

    do_GET = do_POST = do_DELETE = do_PATCH = _handle

    # ---- routing --------------------------------------------------------------------------
    def _route(
        self, state: ControlPlaneState, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if path == "/encrypt/v1/encrypt-config" and self.command == "POST":
            return encrypt_answer(state.sops, body)
        if not path.startswith("/rest/v1/"):
            return self._unsupported(state, f"{self.command} {path}")
        if self.headers.get("apikey") != self.server.anon_key:
            return 401, {"code": "PGRST000", "message": "missing apikey"}
        table = path[len("/rest/v1/") :]
        if table == "rpc/generate_access_token":
            state.token_exchanges += 1
            if body != {"refresh_token_id": state.refresh_id, "secret": state.refresh_secret}:
                return 401, {
                    "code": "28000",
                    "message": "invalid refresh token",
                    "details": None,
                    "hint": None,
                }
            answer: dict[str, Any] = {"access_token": state.issue_access_token()}
            if state.single_use_refresh:
                state.refresh_secret = "rt-secret-" + random.randbytes(8).hex()
                answer["refresh_token"] = {"id": state.refresh_id, "secret": state.refresh_secret}
            return 200, answer
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if state.access_tokens.get(token, 0) < time.time():
            return 401, {
                "code": "PGRST301",
                "message": "JWT expired",
                "details": None,
                "hint": None,
            }
        handler = getattr(self, f"_{self.command.lower()}_{table}", None)
        if handler is None:
            return self._unsupported(state, f"{self.command} {table}")
        allowed = _QUERY_KEYS.get(f"{self.command} {table}", set())
        if not set(query) <= allowed:
            return self._unsupported(
                state, f"{self.command} {table}?{sorted(set(query) - allowed)}"
            )
        return handler(state, query, body)

    @staticmethod
    def _unsupported(state: ControlPlaneState, what: str) -> tuple[int, Any]:
        # Fail loudly: the stand-in does not know this, so a test must not pass through it.
        state.unsupported.append(what)
        return 501, {"code": "STANDIN", "message": f"stand-in does not implement {what}"}

    @staticmethod
    def _eq(query: dict[str, str], key: str) -> str | None:
        value = query.get(key)
        return unquote(value[3:]) if value and value.startswith("eq.") else None

    def _get_connector_tags(self, state, query, body):  # type: ignore[no-untyped-def]
        image = self._eq(query, "connectors.image_name")
        tag = self._eq(query, "image_tag")
        connector = CONNECTORS.get(image or "")
        if connector and tag in connector.tags:
            return 200, [
                {
                    "id": colon_hex(hash(image + tag) & (2**63 - 1)),
                    "image_tag": tag,
                    "endpoint_spec_schema": copy.deepcopy(connector.endpoint_schema),
                    "connectors": {"image_name": image},
                }
            ]
        return 200, []  # PostgREST: no matching row

    def _post_drafts(self, state, query, body):  # type: ignore[no-untyped-def]
        draft = {"id": state.new_id(), "detail": (body or {}).get("detail")}
        state.drafts[draft["id"]] = draft
        return 201, [draft]

    def _get_drafts(self, state, query, body):  # type: ignore[no-untyped-def]
        detail, draft_id = self._eq(query, "detail"), self._eq(query, "id")
        return 200, [
            d
            for d in state.drafts.values()
            if (detail is None or d["detail"] == detail)
            and (draft_id is None or d["id"] == draft_id)
        ]

    def _delete_drafts(self, state, query, body):  # type: ignore[no-untyped-def]
        draft_id = self._eq(query, "id")
        state.drafts.pop(draft_id, None)
        for key in [k for k in state.draft_specs if k[0] == draft_id]:
            del state.draft_specs[key]
        state.draft_errors[:] = [e for e in state.draft_errors if e["draft_id"] != draft_id]
        return 204, None

    def _post_draft_specs(self, state, query, body):  # type: ignore[no-untyped-def]
        if query.get("on_conflict") != "draft_id,catalog_name":
            return 409, {
                "code": "23505",
                "message": "duplicate key value violates unique constraint",
                "details": None,
                "hint": None,
            }
        for row in body if isinstance(body, list) else [body]:
            if (row.get("spec") is None) != (row.get("spec_type") is None):
                # 07_drafts.sql check constraint: (spec is null) = (spec_type is null).
                return 400, {
                    "code": "23514",
                    "message": 'new row for relation "draft_specs" violates check constraint',
                    "details": "Failing row contains (...)",
                    "hint": None,
                }
            if row["draft_id"] not in state.drafts:
                return 409, {
                    "code": "23503",
                    "message": "insert or update on table "
                    "draft_specs violates foreign key constraint",
                    "details": f"Key (draft_id)=({row['draft_id']}) is not present",
                    "hint": None,
                }
            state.draft_specs[(row["draft_id"], row["catalog_name"])] = copy.deepcopy(row)
        return 201, None

    def _post_publications(self, state, query, body):  # type: ignore[no-untyped-def]
        draft_id = body.get("draft_id")
        if draft_id not in state.drafts:
            return 409, {
                "code": "23503",
                "message": "draft not found",
                "details": None,
                "hint": None,
            }
        pub = {
            "id": state.new_id(),
            "draft_id": draft_id,
            "logs_token": state.new_id(),
            "detail": body.get("detail"),
            "data_plane_name": body.get("data_plane_name"),
            "polls": 0,
            "created_at": len(state.publications),
        }
        # Committed now; the job reports `queued` for the first `queued_polls` reads.
        pub["final"] = run_publication(state, draft_id, pub["id"])
        state.publications[pub["id"]] = pub
        return 201, [{"id": pub["id"], "logs_token": pub["logs_token"]}]

    def _get_publications(self, state, query, body):  # type: ignore[no-untyped-def]
        pub_id, draft_id = self._eq(query, "id"), self._eq(query, "draft_id")
        committed_as = self._eq(query, "pub_id")
        out = []
        for pub in state.publications.values():
            if (pub_id and pub["id"] != pub_id) or (draft_id and pub["draft_id"] != draft_id):
                continue
            # `pub_id`: "the effective publication id ... used as the last_pub_id for any
            # drafted specs", null unless it committed (flow migration adding
            # publications.pub_id, search id 26275534194). Here it is the row's own id.
            effective = pub["id"] if pub["final"].get("type") == "success" else None
            if committed_as and effective != committed_as:
                continue
            if pub_id:
                pub["polls"] += 1
            status = pub["final"] if pub["polls"] > state.queued_polls else {"type": "queued"}
            out.append(
                {
                    "id": pub["id"],
                    "job_status": status,
                    "detail": pub["detail"],
                    "pub_id": effective,
                    "created_at": pub["created_at"],
                }
            )
        if query.get("order") == "created_at.desc":
            out.sort(key=lambda p: p["created_at"], reverse=True)
        if query.get("limit"):
            out = out[: int(query["limit"])]
        # PostgREST answers the columns `select` names, and only those
        # (docs.postgrest.org, "Vertical Filtering").
        columns = (query.get("select") or "id,job_status").split(",")
        unknown = set(columns) - {"id", "job_status", "detail", "pub_id"}
        if unknown:
            return self._unsupported(state, f"GET publications?select={sorted(unknown)}")
        return 200, [{c: item[c] for c in columns} for item in out]

    def _get_draft_errors(self, state, query, body):  # type: ignore[no-untyped-def]
        draft_id = self._eq(query, "draft_id")
        return 200, [
            {"scope": e["scope"], "detail": e["detail"]}
            for e in state.draft_errors
            if e["draft_id"] == draft_id
        ]

    def _get_live_specs_ext(self, state, query, body):  # type: ignore[no-untyped-def]
        names: set[str] = set()
        raw = query.get("catalog_name", "")
        if raw.startswith("in.("):
            names = {n.strip('"') for n in unquote(raw[4:-1]).split('","')}
            names = {n.strip('"') for n in names}
        elif raw.startswith("eq."):
            names = {unquote(raw[3:])}
        return 200, [
            {k: copy.deepcopy(v) for k, v in r.items() if k != "created_at"}
            for n, r in state.live.items()
            if n in names
        ]


# Query parameters each route understands; anything else is unsupported (fails loudly).
_QUERY_KEYS = {
    "GET connector_tags": {"select", "connectors.image_name", "image_tag"},
    "POST drafts": {"select"},
    "GET drafts": {"select", "detail", "id"},
    "DELETE drafts": {"id"},
    "POST draft_specs": {"on_conflict"},
    "POST publications": {"select"},
    "GET publications": {"select", "id", "draft_id", "pub_id", "order", "limit"},
    "GET draft_errors": {"select", "draft_id"},
    "GET live_specs_ext": {"select", "catalog_name"},
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ControlPlaneState
    anon_key: str


@dataclass
class FakeControlPlane:
    state: ControlPlaneState = field(default_factory=ControlPlaneState)
    anon_key: str = "fake-anon-key"
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    def start(self) -> FakeControlPlane:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.state = self.state
        server.anon_key = self.anon_key
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/rest/v1"

    @property
    def encryption_url(self) -> str:
        return self.base_url + "/encrypt"

    def env(self) -> dict[str, str]:
        """Environment for the provider: endpoints and the refresh token."""
        return {
            "ESTUARY_API_URL": self.api_url,
            "ESTUARY_ENCRYPTION_URL": self.encryption_url,
            "ESTUARY_AGENT_URL": self.base_url,
            "ESTUARY_ANON_KEY": self.anon_key,
            "FLOW_AUTH_TOKEN": self.state.refresh_token_b64(),
        }


if __name__ == "__main__":  # pragma: no cover - for running the stand-in in another process
    plane = FakeControlPlane().start()
    print(json.dumps(plane.env()), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        plane.stop()

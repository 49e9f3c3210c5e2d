"""A local stand-in for the Estuary control plane: a real HTTP server on 127.0.0.1.

It implements what `components.estuary.client` uses, with the semantics in
../shared/briefs/estuary-control-plane.md: PostgREST-style tables under /rest/v1 (drafts,
draft_specs, publications, live_specs_ext, draft_errors, connector_tags and
rpc/generate_access_token) and the config-encryption service under /encrypt/v1/encrypt-config.

Faithful parts: colon-hex ids; publications that report `queued` before their final job_status;
expect_pub_id checks ("00:00:00:00:00:00:00:00" = must not exist, otherwise must equal the live
last_pub_id) failing with expectPubIdMismatch; build errors as draft_errors; a successful
publication deletes its draft, a failed one keeps it; deletion = spec NULL; live rows carry
last_pub_id, last_build_id and md5; encryption renames secret fields with a `_sops` suffix,
writes ENC[...] values and a top-level `sops` object, differently on every call.

Test levers: `faults` (429 with Retry-After, 5xx, dropped connections, slow answers, a create
committed whose answer is lost), `fail_next_publication`, out-of-band edits (`oob_update`,
`oob_delete`) and background activity (`auto_discover`, `touch`). Every request is recorded.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

ZERO_ID = "00:00:00:00:00:00:00:00"
SECRET_TOKEN_ID = "0e:8e:17:d0:4f:ac:d4:00"


def colon_hex(n: int) -> str:
    return ":".join(f"{b:02x}" for b in n.to_bytes(8, "big"))


@dataclass
class Recorded:
    method: str
    path: str  # e.g. "/rest/v1/drafts"
    query: str
    body: Any
    status: int | None = None  # None = connection dropped, no answer

    @property
    def table(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_write(self) -> bool:
        return self.method != "GET" and self.table not in (
            "generate_access_token",
            "encrypt-config",
        )


@dataclass
class Fault:
    """Applies to the next `times` requests matching method and path suffix.

    kind: "status" (answer `status`, with Retry-After when `retry_after` is set, before doing
    anything), "drop" (close the connection without an answer, before doing anything), "slow"
    (sleep `delay` seconds, then process and answer), "commit_then_drop" (process the request,
    then close the connection: the client never learns it succeeded).
    """

    method: str
    path_suffix: str
    kind: str
    times: int = 1
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0


# Endpoint schemas for the connectors the project uses (trimmed; `secret: true` marks secrets).
def _schema(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


SECRET_STR = {"type": "string", "secret": True}
CONNECTOR_SCHEMAS: dict[str, dict[str, Any]] = {
    "ghcr.io/estuary/source-github": _schema(
        {
            "credentials": {
                "type": "object",
                "oneOf": [
                    _schema(
                        {"option_title": {"type": "string"}, "personal_access_token": SECRET_STR}
                    ),
                    _schema({"option_title": {"type": "string"}, "access_token": SECRET_STR}),
                ],
            },
            "repository": {"type": "string"},
            "start_date": {"type": "string"},
        }
    ),
    "ghcr.io/estuary/source-hubspot-native": _schema(
        {
            "credentials": _schema(
                {"credentials_title": {"type": "string"}, "access_token": SECRET_STR}
            )
        }
    ),
    "ghcr.io/estuary/source-slack": _schema(
        {
            "credentials": _schema({"option_title": {"type": "string"}, "api_token": SECRET_STR}),
            "start_date": {"type": "string"},
            "join_channels": {"type": "boolean"},
        }
    ),
    "ghcr.io/estuary/source-intercom-native": _schema(
        {
            "credentials": _schema(
                {"credentials_title": {"type": "string"}, "access_token": SECRET_STR}
            )
        }
    ),
    "ghcr.io/estuary/source-gong": _schema(
        {
            "credentials": _schema({"access_key": SECRET_STR, "access_key_secret": SECRET_STR}),
            "region": {"type": "string"},
            "start_date": {"type": "string"},
        }
    ),
    "ghcr.io/estuary/source-http-ingest": _schema(
        {
            "paths": {"type": "array"},
            "require_auth_token": SECRET_STR,
            "allowedCorsOrigins": {"type": "array"},
        }
    ),
    "ghcr.io/estuary/materialize-snowflake": _schema(
        {
            "host": {"type": "string"},
            "database": {"type": "string"},
            "schema": {"type": "string"},
            "warehouse": {"type": "string"},
            "role": {"type": "string"},
            "credentials": {
                "type": "object",
                "oneOf": [
                    _schema(
                        {
                            "auth_type": {"type": "string"},
                            "user": {"type": "string"},
                            "private_key": SECRET_STR,
                        }
                    ),
                    _schema(
                        {
                            "auth_type": {"type": "string"},
                            "user": {"type": "string"},
                            "password": SECRET_STR,
                        }
                    ),
                ],
            },
            "syncSchedule": _schema({"syncFrequency": {"type": "string"}}),
        }
    ),
}
CONNECTOR_TAGS = {image: (":v1",) for image in CONNECTOR_SCHEMAS} | {
    "ghcr.io/estuary/materialize-snowflake": (":v1", ":v4"),
}


def _secret_props(schema: dict[str, Any]) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """(secret property names, nested object schemas) merged over oneOf/anyOf variants."""
    secret: set[str] = set()
    nested: dict[str, dict[str, Any]] = {}
    variants = [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
    for variant in variants:
        for key, sub in (variant.get("properties") or {}).items():
            if sub.get("secret") or sub.get("airbyte_secret"):
                secret.add(key)
            elif sub.get("type") == "object" or "properties" in sub or "oneOf" in sub:
                nested[key] = sub
    return secret, nested


def _encrypt(config: Any, schema: dict[str, Any], found: list[int]) -> Any:
    if not isinstance(config, dict):
        return config
    secret, nested = _secret_props(schema)
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in secret:
            found.append(1)
            noise = base64.b64encode(random.randbytes(24)).decode()
            out[f"{key}_sops"] = (
                f"ENC[AES256_GCM,data:{noise},iv:{random.randbytes(6).hex()},"
                f"tag:{random.randbytes(8).hex()},type:str]"
            )
        elif key in nested:
            out[key] = _encrypt(value, nested[key], found)
        else:
            out[key] = value
    return out


def encrypt_config(config: Any, schema: dict[str, Any]) -> dict[str, Any]:
    found: list[int] = []
    doc = _encrypt(config, schema, found)
    doc["sops"] = {
        "kms": None,
        "gcp_kms": [
            {
                "resource_id": "projects/fake/keys/config-encryption",
                "enc": base64.b64encode(random.randbytes(32)).decode(),
            }
        ],
        "lastmodified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mac": f"ENC[AES256_GCM,data:{random.randbytes(16).hex()},type:str]",
        "encrypted_suffix": "_sops",
        "version": "3.7.3",
    }
    return doc


def _is_encrypted(config: Any) -> bool:
    return isinstance(config, dict) and isinstance(config.get("sops"), dict)


class ControlPlaneState:
    """Tables and levers. All access goes through `lock`."""

    def __init__(
        self, *, queued_polls: int = 1, access_ttl: float = 3600.0, single_use_refresh: bool = False
    ) -> None:
        self.lock = threading.RLock()
        self.queued_polls = queued_polls
        self.access_ttl = access_ttl
        self.single_use_refresh = single_use_refresh
        self._ids = itertools.count(random.randrange(1 << 40, 1 << 48) << 8)
        self.refresh_secret = "rt-secret-" + random.randbytes(8).hex()
        self.refresh_id = SECRET_TOKEN_ID
        self.access_tokens: dict[str, float] = {}
        self.drafts: dict[str, dict[str, Any]] = {}
        self.draft_specs: dict[tuple[str, str], dict[str, Any]] = {}
        self.draft_errors: list[dict[str, Any]] = []
        self.publications: dict[str, dict[str, Any]] = {}
        self.live: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.forced_results: list[tuple[str, list[dict[str, Any]]]] = []
        self.token_exchanges = 0

    # ---- ids and tokens -------------------------------------------------------------------
    def new_id(self) -> str:
        return colon_hex(next(self._ids) + random.randrange(1, 255))

    def refresh_token_b64(self) -> str:
        return base64.b64encode(
            json.dumps({"id": self.refresh_id, "secret": self.refresh_secret}).encode()
        ).decode()

    def issue_access_token(self) -> str:
        exp = time.time() + self.access_ttl
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        payload = (
            base64.urlsafe_b64encode(
                json.dumps(
                    {"exp": exp, "role": "authenticated", "n": random.randbytes(4).hex()}
                ).encode()
            )
            .decode()
            .rstrip("=")
        )
        token = f"{header}.{payload}.{random.randbytes(8).hex()}"
        self.access_tokens[token] = exp
        return token

    # ---- levers -----------------------------------------------------------------------------
    def add_fault(self, method: str, path_suffix: str, kind: str, **kw: Any) -> Fault:
        fault = Fault(method, path_suffix, kind, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail_next_publication(
        self, status_type: str = "buildFailed", errors: list[dict[str, Any]] | None = None
    ) -> None:
        with self.lock:
            self.forced_results.append(
                (
                    status_type,
                    errors or [{"scope": "flow://fake/build", "detail": f"injected {status_type}"}],
                )
            )

    def _commit(self, name: str, spec: Any, spec_type: str | None) -> str:
        pub_id = self.new_id()
        self.live[name] = {
            "catalog_name": name,
            "spec_type": spec_type,
            "spec": copy.deepcopy(spec),
            "last_pub_id": pub_id,
            "last_build_id": pub_id,
            "md5": hashlib.md5(json.dumps(spec).strip().encode()).hexdigest() if spec else None,
            "connector_image_tag": None,
        }
        return pub_id

    def oob_update(self, name: str, mutate: Callable[[dict[str, Any]], None]) -> str:
        """Someone edits the spec in the UI: a new publication changes it."""
        with self.lock:
            row = self.live[name]
            spec = copy.deepcopy(row["spec"])
            mutate(spec)
            return self._commit(name, spec, row["spec_type"])

    def oob_delete(self, name: str) -> None:
        with self.lock:
            self._commit(name, None, None)
            self.live[name]["spec_type"] = None

    def auto_discover(
        self,
        capture: str,
        binding: dict[str, Any],
        collection: tuple[str, dict[str, Any]] | None = None,
    ) -> str:
        """A background discovery adds a binding (and its collection)."""
        with self.lock:
            if collection:
                self._commit(collection[0], collection[1], "collection")
            return self.oob_update(capture, lambda s: s.setdefault("bindings", []).append(binding))

    def touch(self, name: str) -> None:
        """A touch publication: only last_build_id moves."""
        with self.lock:
            self.live[name]["last_build_id"] = self.new_id()

    def live_names(self, spec_type: str | None = None) -> list[str]:
        with self.lock:
            return sorted(
                n
                for n, r in self.live.items()
                if r["spec"] is not None and (spec_type is None or r["spec_type"] == spec_type)
            )

    def calls(self, method: str | None = None, table: str | None = None) -> list[Recorded]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (table is None or r.table == table)
            ]

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    # ---- publication semantics -------------------------------------------------------------
    def run_publication(self, draft_id: str) -> dict[str, Any]:
        specs = [s for (d, _), s in sorted(self.draft_specs.items()) if d == draft_id]
        if not specs:
            return {"type": "emptyDraft"}
        failures = []
        for row in specs:
            expect = row.get("expect_pub_id")
            live = self.live.get(row["catalog_name"])
            actual = live["last_pub_id"] if live and live["spec"] is not None else None
            if (expect == ZERO_ID and actual is not None) or (
                expect not in (None, ZERO_ID) and expect != actual
            ):
                failures.append(
                    {
                        "catalog_name": row["catalog_name"],
                        "expected": expect,
                        "actual": actual or ZERO_ID,
                    }
                )
        if failures:
            return {"type": "expectPubIdMismatch", "failures": failures}
        if self.forced_results:
            kind, errors = self.forced_results.pop(0)
            for err in errors:
                self.draft_errors.append({"draft_id": draft_id, **err})
            return {"type": kind}
        errors = self._build_errors(specs)
        if errors:
            for err in errors:
                self.draft_errors.append({"draft_id": draft_id, **err})
            return {"type": "buildFailed"}
        for row in specs:
            self._commit(row["catalog_name"], row["spec"], row["spec_type"])
        # Every spec in one publication shares its id.
        pub_id = self.live[specs[0]["catalog_name"]]["last_pub_id"]
        for row in specs:
            self.live[row["catalog_name"]]["last_pub_id"] = pub_id
            self.live[row["catalog_name"]]["last_build_id"] = pub_id
        self.drafts.pop(draft_id, None)
        for key in [k for k in self.draft_specs if k[0] == draft_id]:
            del self.draft_specs[key]
        return {"type": "success", "pub_id": pub_id}

    def _build_errors(self, specs: list[dict[str, Any]]) -> list[dict[str, str]]:
        drafted = {r["catalog_name"]: r for r in specs}
        exists = {n for n, r in self.live.items() if r["spec"] is not None}
        exists |= {n for n, r in drafted.items() if r["spec"] is not None}
        exists -= {n for n, r in drafted.items() if r["spec"] is None}
        errors = []
        for row in specs:
            spec, name = row["spec"], row["catalog_name"]
            if spec is None:
                continue
            scope = f"flow://{row['spec_type']}/{name}"
            if row["spec_type"] in ("capture", "materialization"):
                image, _, tag = spec["endpoint"]["connector"]["image"].rpartition(":")
                if image not in CONNECTOR_SCHEMAS or f":{tag}" not in CONNECTOR_TAGS[image]:
                    errors.append({"scope": scope, "detail": f"unknown connector {image}:{tag}"})
                elif not _is_encrypted(spec["endpoint"]["connector"]["config"]):
                    errors.append({"scope": scope, "detail": "endpoint config is not encrypted"})
                ref = "target" if row["spec_type"] == "capture" else "source"
                for b in spec.get("bindings", []):
                    if b.get(ref) not in exists:
                        errors.append(
                            {"scope": scope, "detail": f"collection {b.get(ref)} does not exist"}
                        )
            if row["spec_type"] == "collection" and not spec.get("key"):
                errors.append({"scope": scope, "detail": "collection has no key"})
        return errors


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
        if path == "/encrypt/v1/encrypt-config":
            if not isinstance(body, dict) or "config" not in body or "schema" not in body:
                return 400, {"message": "expected {config, schema}"}
            return 200, encrypt_config(body["config"], body["schema"])
        if not path.startswith("/rest/v1/"):
            return 404, {"message": "not found"}
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
            return 404, {
                "code": "PGRST205",
                "message": f"no route {self.command} {table}",
                "details": None,
                "hint": None,
            }
        return handler(state, query, body)

    @staticmethod
    def _eq(query: dict[str, str], key: str) -> str | None:
        value = query.get(key)
        return unquote(value[3:]) if value and value.startswith("eq.") else None

    def _get_connector_tags(self, state, query, body):  # type: ignore[no-untyped-def]
        image = self._eq(query, "connectors.image_name")
        tag = self._eq(query, "image_tag")
        if image in CONNECTOR_SCHEMAS and tag in CONNECTOR_TAGS[image]:
            return 200, [
                {
                    "id": colon_hex(hash(image + tag) & (2**63 - 1)),
                    "image_tag": tag,
                    "endpoint_spec_schema": CONNECTOR_SCHEMAS[image],
                    "connectors": {"image_name": image},
                }
            ]
        return 200, []

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
        }
        # Committed now; the job reports `queued` for the first `queued_polls` reads.
        pub["final"] = state.run_publication(draft_id)
        state.publications[pub["id"]] = pub
        return 201, [{"id": pub["id"], "logs_token": pub["logs_token"]}]

    def _get_publications(self, state, query, body):  # type: ignore[no-untyped-def]
        pub_id, draft_id = self._eq(query, "id"), self._eq(query, "draft_id")
        out = []
        for pub in state.publications.values():
            if (pub_id and pub["id"] != pub_id) or (draft_id and pub["draft_id"] != draft_id):
                continue
            if pub_id:
                pub["polls"] += 1
            status = pub["final"] if pub["polls"] > state.queued_polls else {"type": "queued"}
            out.append({"id": pub["id"], "job_status": status})
        return 200, out

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
        return 200, [copy.deepcopy(r) for n, r in state.live.items() if n in names]


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

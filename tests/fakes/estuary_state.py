"""The stand-in control plane's tables, levers and config-encryption answer (the HTTP routes
are in estuary_control_plane.py). Rules and their sources: see that module's docstring."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.estuary_build import md5_of
from tests.fakes.estuary_connectors import schema_errors, secret_pointers
from tests.fakes.estuary_models import RESERIALIZE
from tests.fakes.estuary_sops import FakeSops

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


def encrypt_answer(sops: FakeSops, body: Any) -> tuple[int, Any]:
    """config-encryption POST /v1/encrypt-config.

    Validates `config` against `schema` first (src/encrypt/mod.rs `validate`). On failure:
    400 with `error: "FailedValidation"` (src/encrypt/test.rs `validation_error_is_returned`)
    and the `FailedValidation {document, basic_output}` whose `document` is the plaintext
    config (mod.rs). GUESS: the `description` text and that the FailedValidation sits under
    `details` are a reading of handler.rs (docs/estuary.md E2), which was not in the index.
    Otherwise the locations the validator annotates `secret` get the `_sops` suffix.
    """
    if not isinstance(body, dict) or set(body) != {"config", "schema"}:
        return 400, {"error": "BadRequest", "description": "expected {config, schema}"}
    config, schema = body["config"], body["schema"]
    errors = schema_errors(schema, config)
    if errors:
        return 400, {
            "error": "FailedValidation",
            "description": "config failed validation against the schema",
            "details": {
                "document": config,
                "basic_output": {"valid": False, "errors": errors},
            },
        }
    return 200, sops.encrypt(config, secret_pointers(schema, config))


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
        self.unsupported: list[str] = []
        self.sops = FakeSops()
        self.token_exchanges = 0
        self._clock = itertools.count(1)

    # ---- ids and tokens -------------------------------------------------------------------
    def new_id(self) -> str:
        # Flow ids grow over time (a publication's id is later than earlier ones).
        return colon_hex(next(self._ids) * 256 + random.randrange(1, 255))

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

    # ---- live specs -----------------------------------------------------------------------
    def live_row(self, name: str) -> dict[str, Any] | None:
        row = self.live.get(name)
        return row if row and row["spec"] is not None else None

    def commit(self, name: str, spec: Any, spec_type: str | None, pub_id: str) -> None:
        """Write a live spec as the agent does: re-serialized through the models crate."""
        stored = None if spec is None else RESERIALIZE[spec_type](spec)  # type: ignore[index]
        previous = self.live.get(name) or {}
        self.live[name] = {
            "catalog_name": name,
            "spec_type": spec_type if spec is not None else None,
            "spec": stored,
            "last_pub_id": pub_id,
            "last_build_id": pub_id,
            "md5": md5_of(stored),
            "connector_image_tag": None,
            "created_at": previous.get("created_at", next(self._clock)),
        }

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

    def race_next_commit(self) -> None:
        """Another publication commits between our build and commit: buildIdLockFailure."""
        with self.lock:
            self.forced_results.append(("buildIdLockFailure", []))

    def oob_update(self, name: str, mutate: Callable[[dict[str, Any]], None]) -> str:
        """Someone edits the spec in the UI: a new publication changes it."""
        with self.lock:
            row = self.live[name]
            spec = copy.deepcopy(row["spec"])
            mutate(spec)
            pub_id = self.new_id()
            self.commit(name, spec, row["spec_type"], pub_id)
            return pub_id

    def oob_delete(self, name: str) -> None:
        with self.lock:
            self.commit(name, None, None, self.new_id())

    def background_discover(
        self,
        capture: str,
        schemas: dict[str, dict[str, Any]] | None = None,
        new_bindings: list[tuple[dict[str, Any], str, dict[str, Any]]] | None = None,
    ) -> str | None:
        """The controller's auto-discover of a capture that has `autoDiscover` set.

        It republishes the discovered schemas of existing bindings' collections and, only
        when `addNewBindings` is on, adds new bindings and collections (`update_only =
        !add_new_bindings`: agent controller `try_auto_discover` (docs/estuary.md L4); GUESS:
        not read here). Returns the publication id, or None when the capture has no
        autoDiscover (nothing runs).
        """
        with self.lock:
            spec = copy.deepcopy(self.live[capture]["spec"])
            auto = spec.get("autoDiscover")
            if not auto:
                return None
            pub_id = self.new_id()
            for cname, schema in (schemas or {}).items():
                cspec = {**self.live[cname]["spec"]}
                cspec.pop("schema", None)
                cspec.update(writeSchema=schema, readSchema=cspec.get("readSchema") or schema)
                self.commit(cname, cspec, "collection", pub_id)
            if auto.get("addNewBindings"):
                for resource, target, cspec in new_bindings or []:
                    self.commit(target, cspec, "collection", pub_id)
                    spec["bindings"].append({"resource": resource, "target": target})
            self.commit(capture, spec, "capture", pub_id)
            return pub_id

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

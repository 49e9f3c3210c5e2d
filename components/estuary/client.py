"""A small client for the Estuary Flow control plane (PostgREST tables + config encryption).

Facts it relies on are in ../shared/briefs/estuary-control-plane.md (section numbers in comments).

Safety rules this client keeps:
- Credentials come from the environment or stack config at call time (see `ClientSettings`);
  nothing here is captured when the dynamic provider is pickled. The token exchange is in
  `components.estuary.auth`.
- Every call has a timeout and retries split by idempotency; errors never carry the request
  body, a header or an answer's plaintext echo (`components.estuary.transport`). Creating a
  draft or a publication after an ambiguous failure first looks it up by a unique marker
  (`create_draft`, `publish` below).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from components.estuary.auth import _jwt_expiry, _TokenAuth, parse_auth_token
from components.estuary.errors import (  # noqa: F401 (re-exported for callers)
    ConflictError,
    CredentialsError,
    EstuaryApiError,
    EstuaryError,
    PublicationFailed,
    PublicationTimeout,
    scrub_answer,
)
from components.estuary.transport import _Transport

# Brief section 1: real defaults used by flowctl.
DEFAULT_API_URL = "https://eyrcnmuzzyriypdajwdk.supabase.co/rest/v1"
DEFAULT_AGENT_URL = "https://api.estuary.dev"
DEFAULT_ENCRYPTION_URL = "https://config-encryption.estuary.dev"
# Estuary's public Supabase *anon* key (flowctl's DEFAULT_PG_PUBLIC_TOKEN) identifies the
# project and grants nothing by itself, but it is deliberately not committed here: set it with
# ESTUARY_ANON_KEY or `estuary.anonKey` (docs/estuary.md). The per-user credential is the token.
DEFAULT_DATA_PLANE = "ops/dp/public/gcp-us-central1-c1"

# Brief section 1.3: "must not exist yet".
MUST_NOT_EXIST = "00:00:00:00:00:00:00:00"

# models::JobStatus types that Estuary documents as retryable: publish again on the same
# draft (control-plane-api.graphql `StatusType`; agent `DefaultRetryPolicy`).
RETRYABLE = frozenset({"publishFailed", "buildIdLockFailure"})


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tuning:
    """Timeouts, retry and polling knobs. Injectable so fault tests run in milliseconds."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 4
    backoff_factor: float = 0.5
    backoff_max: float = 20.0
    retry_after_max: float = 60.0
    poll_initial: float = 0.5
    poll_max_interval: float = 5.0
    poll_timeout: float = 300.0
    create_attempts: int = 3  # draft / publication creation attempts after ambiguous failures
    renew_margin: float = 60.0  # brief 1: renew the access token when < 60 s are left


@dataclass(frozen=True)
class ClientSettings:
    api_url: str = DEFAULT_API_URL
    encryption_url: str = DEFAULT_ENCRYPTION_URL
    agent_url: str = DEFAULT_AGENT_URL
    anon_key: str | None = None
    # Either a base64 refresh token ({id, secret}) or a raw access JWT (brief 1). Hidden from repr.
    auth_token: str | None = field(default=None, repr=False)


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------
def _quote(value: str) -> str:
    return quote(value, safe="")


def _in_list(values: Iterable[str]) -> str:
    # PostgREST `in.(...)`: quote every item so names with commas or dots stay intact.
    items = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return _quote(f"({items})")


class EstuaryClient(_TokenAuth, _Transport):
    def __init__(
        self,
        settings: ClientSettings,
        tuning: Tuning | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._tuning = tuning or Tuning()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._refresh: dict[str, str] | None = None
        self._access: str | None = None
        self._access_expiry: float | None = None  # wall clock (JWT exp)
        if settings.auth_token:
            self._refresh, self._access = parse_auth_token(settings.auth_token)
            if self._access:
                self._access_expiry = _jwt_expiry(self._access)
        self.request_count = 0
        self._safe = self._session(idempotent=True)
        self._once = self._session(idempotent=False)

    # ---- connectors and encryption --------------------------------------------------------
    def connector_tag(self, image: str, tag: str) -> dict[str, Any] | None:
        """The connector_tags row (with endpoint_spec_schema) for image:tag, or None."""
        image_tag = tag if tag.startswith(":") else f":{tag}"
        rows = self._pg(
            "GET",
            "connector_tags?select=id,image_tag,endpoint_spec_schema,connectors!inner(image_name)"
            f"&connectors.image_name=eq.{_quote(image)}&image_tag=eq.{_quote(image_tag)}",
        )
        return rows[0] if rows else None

    def encrypt_config(self, config: Mapping[str, Any], schema: Mapping[str, Any]) -> Any:
        # POST {config, schema}; the answer is kept verbatim (sops MAC = key order).
        return self._call(
            "POST",
            self._settings.encryption_url,
            "v1/encrypt-config",
            json_body={"config": config, "schema": schema},
            auth=False,
        )

    # ---- drafts and publications ----------------------------------------------------------
    def create_draft(self, detail: str) -> str:
        """Create a draft whose `detail` is unique to this operation; returns its id."""

        def create() -> str:
            rows = self._pg(
                "POST",
                "drafts?select=id",
                json_body={"detail": detail},
                headers={"Prefer": "return=representation"},
                idempotent=False,
            )
            return str(rows[0]["id"])

        def lookup() -> str | None:
            rows = self._pg("GET", f"drafts?select=id&detail=eq.{_quote(detail)}")
            return str(rows[0]["id"]) if rows else None

        return self._create_once("create draft", create, lookup)

    def stage(self, draft_id: str, rows: list[dict[str, Any]]) -> None:
        body = [{"draft_id": draft_id, **row} for row in rows]
        # An upsert keyed on (draft_id, catalog_name): repeating it is harmless.
        self._pg(
            "POST",
            "draft_specs?on_conflict=draft_id,catalog_name",
            json_body=body,
            headers={"Prefer": "resolution=merge-duplicates,return=minimal"},
        )

    def delete_draft(self, draft_id: str) -> None:
        self._pg("DELETE", f"drafts?id=eq.{_quote(draft_id)}")

    def publish(self, draft_id: str, detail: str, data_plane: str) -> str:
        def create() -> str:
            rows = self._pg(
                "POST",
                "publications?select=id",
                json_body={
                    "draft_id": draft_id,
                    "dry_run": False,
                    "detail": detail,
                    "data_plane_name": data_plane,
                },
                headers={"Prefer": "return=representation"},
                idempotent=False,
            )
            return str(rows[0]["id"])

        def lookup() -> str | None:
            # The newest one: a retried publication of the same draft leaves older rows.
            rows = self._pg(
                "GET",
                f"publications?select=id&draft_id=eq.{_quote(draft_id)}"
                "&order=created_at.desc&limit=1",
            )
            return str(rows[0]["id"]) if rows else None

        return self._create_once("publish", create, lookup)

    def wait_for_publication(self, publication_id: str) -> dict[str, Any]:
        """Poll (with backoff, bounded) until job_status.type is no longer `queued`."""
        t = self._tuning
        deadline = self._clock() + t.poll_timeout
        interval = t.poll_initial
        while True:
            rows = self._pg(
                "GET", f"publications?select=id,job_status&id=eq.{_quote(publication_id)}"
            )
            status = (rows[0].get("job_status") if rows else None) or {"type": "queued"}
            if status.get("type") != "queued":
                return status
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise PublicationTimeout(
                    f"Estuary publication {publication_id} still queued after "
                    f"{t.poll_timeout:.0f}s; it may still complete: run `pulumi refresh` later"
                )
            self._sleep(min(interval, remaining))
            interval = min(interval * 2, t.poll_max_interval)

    def draft_errors(self, draft_id: str) -> list[dict[str, Any]]:
        rows = self._pg("GET", f"draft_errors?select=scope,detail&draft_id=eq.{_quote(draft_id)}")
        return list(rows or [])

    def live_specs(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """live_specs_ext rows by catalog name; names whose spec is NULL (deleted) are absent."""
        names = sorted(set(names))
        if not names:
            return {}
        rows = self._pg(
            "GET",
            "live_specs_ext?select=catalog_name,spec_type,spec,last_pub_id,last_build_id,md5,"
            f"connector_image_tag&catalog_name=in.{_in_list(names)}",
        )
        return {r["catalog_name"]: r for r in rows or [] if r.get("spec") is not None}


def new_operation_marker(action: str, catalog_name: str) -> str:
    """A unique, non-secret `detail` text so a lost create can be found again."""
    return f"sophia-infra pulumi {action} {catalog_name} op={uuid.uuid4().hex}"

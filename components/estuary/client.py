"""A small client for the Estuary Flow control plane (PostgREST tables + config encryption).

Facts it relies on are in ../shared/briefs/estuary-control-plane.md (section numbers in comments).

Safety rules this module keeps:
- Credentials come from the environment or stack config at call time (see `ClientSettings`);
  nothing here is captured when the dynamic provider is pickled.
- Every call has a timeout. Retries (urllib3 `Retry` on an `HTTPAdapter`, `Retry-After`
  honoured and capped) are split by idempotency:
  * reads, upserts (`draft_specs` with merge-duplicates), deletes, the token exchange and
    `encrypt-config` are safe to repeat: they retry on 429/5xx, connection and read errors;
  * creating a draft or a publication is NOT safe to repeat blindly (a lost response would
    produce a second draft or publication). Those retry at the HTTP layer only when the request
    provably did nothing (connection refused, 429). Any other failure is resolved one level up
    by looking the object up by a unique marker (`create_draft`, `publish`) before trying again.
- Errors surface as `EstuaryApiError` carrying status, code, message, details and hint, and
  never the request body (which may hold plaintext secrets), a header, or the parts of an
  answer that echo plaintext (config-encryption's `details.document`; `errors.scrub_answer`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from components.estuary.errors import (  # noqa: F401 (re-exported for callers)
    ConflictError,
    CredentialsError,
    EstuaryApiError,
    EstuaryError,
    PublicationFailed,
    PublicationTimeout,
    scrub_answer,
)

log = logging.getLogger(__name__)

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

T = TypeVar("T")


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
# Auth
# --------------------------------------------------------------------------------------------
def _jwt_expiry(token: str) -> float | None:
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        exp = json.loads(base64.urlsafe_b64decode(payload)).get("exp")
        return float(exp) if exp is not None else None
    except (IndexError, ValueError, binascii.Error, AttributeError):
        return None


def parse_auth_token(value: str) -> tuple[dict[str, str] | None, str | None]:
    """Return (refresh_token, access_token); exactly one is set. Never echoes the value."""
    value = value.strip()
    if value.count(".") == 2:
        return None, value
    try:
        decoded = json.loads(base64.b64decode(value, validate=False))
        if isinstance(decoded, dict) and decoded.get("id") and decoded.get("secret"):
            return {"id": str(decoded["id"]), "secret": str(decoded["secret"])}, None
    except (ValueError, binascii.Error):
        pass
    raise CredentialsError(
        "the Estuary auth token is neither a base64-encoded refresh token {id, secret} nor an "
        "access JWT (check FLOW_AUTH_TOKEN or sophia-infra:estuaryRefreshToken)"
    )


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------
def _quote(value: str) -> str:
    return quote(value, safe="")


def _in_list(values: Iterable[str]) -> str:
    # PostgREST `in.(...)`: quote every item so names with commas or dots stay intact.
    items = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return _quote(f"({items})")


class EstuaryClient:
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

    # ---- transport ------------------------------------------------------------------------
    def _session(self, *, idempotent: bool) -> requests.Session:
        t = self._tuning
        if idempotent:
            retry = Retry(
                total=t.retries,
                connect=t.retries,
                read=t.retries,
                status=t.retries,
                other=0,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=frozenset({"GET", "POST", "DELETE", "PATCH", "PUT", "HEAD"}),
                backoff_factor=t.backoff_factor,
                backoff_max=t.backoff_max,
                retry_after_max=t.retry_after_max,
                respect_retry_after_header=True,
                raise_on_status=False,
            )
        else:
            # Only failures where the server provably did nothing: refused connections and 429.
            retry = Retry(
                total=t.retries,
                connect=t.retries,
                read=0,
                status=t.retries,
                other=0,
                status_forcelist=(429,),
                allowed_methods=None,
                backoff_factor=t.backoff_factor,
                backoff_max=t.backoff_max,
                retry_after_max=t.retry_after_max,
                respect_retry_after_header=True,
                raise_on_status=False,
            )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _call(
        self,
        method: str,
        base: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        auth: bool = True,
    ) -> Any:
        url = base.rstrip("/") + "/" + path.lstrip("/")
        display_path = path.split("?", 1)[0]
        for attempt in (1, 2):
            hdrs = {"apikey": self._settings.anon_key, "Accept": "application/json"}
            hdrs["Authorization"] = (
                f"Bearer {self._access_token()}" if auth else f"Bearer {self._settings.anon_key}"
            )
            if headers:
                hdrs.update(headers)
            session = self._safe if idempotent else self._once
            self.request_count += 1
            failure: str | None = None
            try:
                response = session.request(
                    method,
                    url,
                    json=json_body,
                    headers=hdrs,
                    timeout=(self._tuning.connect_timeout, self._tuning.read_timeout),
                )
            except requests.RequestException as exc:
                # Keep only the class: the exception holds the request, whose body may be a
                # plaintext config. Raised below, outside `except`, so it is not chained.
                failure = type(exc).__name__
            if failure is not None:
                raise EstuaryApiError(
                    method=method,
                    path=display_path,
                    status=None,
                    code=failure,
                    message="no usable HTTP response after retries",
                )
            if response.status_code == 401 and auth and attempt == 1 and self._refresh:
                # The access token was revoked or expired early: renew once and repeat.
                with self._lock:
                    self._access = None
                continue
            if response.status_code >= 400:
                raise self._error(method, display_path, response)
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise EstuaryApiError(
                    method=method,
                    path=display_path,
                    status=response.status_code,
                    message="response was not JSON",
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _error(method: str, path: str, response: requests.Response) -> EstuaryApiError:
        body: Any = None
        with contextlib.suppress(ValueError):
            body = response.json()
        # scrub_answer keeps only what cannot hold a secret (no document, no config value).
        fields = scrub_answer(path, body)
        return EstuaryApiError(
            method=method,
            path=path,
            status=response.status_code,
            code=fields["code"],
            message=fields["message"] or response.reason,
            details=fields["details"],
            hint=fields["hint"],
        )

    # ---- auth -----------------------------------------------------------------------------
    def _access_token(self) -> str:
        with self._lock:
            now = time.time()
            fresh = self._access is not None and (
                self._access_expiry is None or self._access_expiry - now > self._tuning.renew_margin
            )
            if fresh:
                return self._access  # type: ignore[return-value]
            if self._refresh is None:
                if self._access is not None:
                    # A raw access JWT cannot be renewed; use it until the server says no.
                    return self._access
                raise CredentialsError(
                    "no Estuary credential: set FLOW_AUTH_TOKEN or the secret stack config "
                    "sophia-infra:estuaryRefreshToken (a refresh token from `flowctl auth token`)"
                )
            body = {"refresh_token_id": self._refresh["id"], "secret": self._refresh["secret"]}
        answer = self._call(
            "POST", self._settings.api_url, "rpc/generate_access_token", json_body=body, auth=False
        )
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise CredentialsError("Estuary token exchange returned no access_token")
        with self._lock:
            self._access = str(answer["access_token"])
            self._access_expiry = _jwt_expiry(self._access)
            if self._access_expiry is None:
                # Unknown lifetime: assume a short one so we renew rather than fail.
                self._access_expiry = time.time() + 2 * self._tuning.renew_margin
            rotated = answer.get("refresh_token")
            if isinstance(rotated, dict) and rotated.get("id") and rotated.get("secret"):
                # A single-use token: Estuary spent it and issued a new secret, which only
                # this process now holds (generate_access_token writes it to the DB only).
                # The next process, or another provider's client, fails with the old one.
                self._refresh = {"id": str(rotated["id"]), "secret": str(rotated["secret"])}
                log.warning(
                    "the Estuary refresh token is single-use and was rotated; later runs will "
                    "fail with it. Use a multi-use refresh token (docs/estuary.md)"
                )
            return self._access

    # ---- PostgREST helpers ----------------------------------------------------------------
    def _pg(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, self._settings.api_url, path, **kwargs)

    def _create_once(
        self,
        what: str,
        create: Callable[[], T],
        lookup: Callable[[], T | None],
    ) -> T:
        """Create something that must exist exactly once, surviving lost responses.

        After an ambiguous failure (5xx, dropped connection, timeout) we look the object up by
        its unique marker: if the server committed it, we use it; if not, we try again.
        """
        last: EstuaryApiError | None = None
        for attempt in range(self._tuning.create_attempts):
            if attempt:
                self._sleep(min(self._tuning.backoff_factor * 2**attempt, self._tuning.backoff_max))
            try:
                return create()
            except EstuaryApiError as exc:
                if not exc.ambiguous:
                    raise
                last = exc
                log.info(
                    "%s: ambiguous failure (%s); checking whether it was committed",
                    what,
                    exc.status or exc.code,
                )
                found = lookup()
                if found is not None:
                    return found
        assert last is not None
        raise last

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

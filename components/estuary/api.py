"""The Estuary control-plane client: PostgREST tables and config encryption, by composition.

`EstuaryClient` owns a `Transport` (components/estuary/transport.py: one call, its retries,
its answer parsed into a model from components/estuary/answers.py) and a `TokenSource`
(components/estuary/auth.py), and hands each what it needs explicitly. Facts, estuary/flow
unless said otherwise (docs/estuary.md has the table):
- PostgREST base `https://eyrcnmuzzyriypdajwdk.supabase.co/rest/v1`, agent API
  `https://api.estuary.dev`, config encryption `https://config-encryption.estuary.dev`
  (crates/flow-client/src/lib.rs); every PostgREST call carries the public `apikey` and a
  bearer access token.
- Drafts, `draft_specs` upserts keyed on (draft_id, catalog_name), publications, their
  `job_status`, `draft_errors`, `live_specs_ext` (crates/flowctl/src/draft/mod.rs, poll.rs;
  supabase/migrations/07_drafts.sql, 09_publications.sql).
- `expect_pub_id = 00:00:00:00:00:00:00:00` means "must not exist yet" (07_drafts.sql).
- flowctl's default data plane `ops/dp/public/gcp-us-central1-c1`.

Credentials come from the environment or stack config at call time; nothing here is pickled.
A create (draft, publication) is sent once per attempt and settled after a lost or garbled
answer by reading back (`create_once`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from components.estuary.answers import (
    ConnectorTagRow,
    CreatedRows,
    DetailRow,
    DraftErrorRow,
    IdRow,
    LiveSpecRow,
    PublicationStatusRow,
    SopsDocument,
)
from components.estuary.auth import TokenSource
from components.estuary.errors import EstuaryApiError, EstuaryError, PublicationTimeout
from components.estuary.transport import Transport, Tuning

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_API_URL = "https://eyrcnmuzzyriypdajwdk.supabase.co/rest/v1"
DEFAULT_AGENT_URL = "https://api.estuary.dev"
DEFAULT_ENCRYPTION_URL = "https://config-encryption.estuary.dev"
# Estuary's public Supabase *anon* key (flowctl's DEFAULT_PG_PUBLIC_TOKEN) identifies the
# project and grants nothing by itself, but it is deliberately not committed here: set it with
# ESTUARY_ANON_KEY or `estuary.anonKey` (docs/estuary.md). The per-user credential is the token.
# models::JobStatus types that Estuary documents as retryable: publish again on the same
# draft (control-plane-api.graphql `StatusType`; agent `DefaultRetryPolicy`).
RETRYABLE = frozenset({"publishFailed", "buildIdLockFailure"})
MARKER_PREFIX = "sophia-infra pulumi "


@dataclass(frozen=True)
class ClientSettings:
    api_url: str = DEFAULT_API_URL
    encryption_url: str = DEFAULT_ENCRYPTION_URL
    agent_url: str = DEFAULT_AGENT_URL
    anon_key: str | None = None
    # Either a base64 refresh token ({id, secret}) or a raw access JWT. Hidden from repr.
    auth_token: str | None = field(default=None, repr=False)


def _quote(value: str) -> str:
    return quote(value, safe="")


def _in_list(values: Iterable[str]) -> str:
    # PostgREST `in.(...)`: quote every item so names with commas or dots stay intact.
    items = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return _quote(f"({items})")


def new_operation_marker(action: str, catalog_name: str) -> str:
    """A unique, non-secret `detail` text so a lost create can be found again, and a later
    run can tell this project's publications from anyone else's (`written_by_us`)."""
    return f"{MARKER_PREFIX}{action} {catalog_name} op={uuid.uuid4().hex}"


def written_by_us(detail: str | None, catalog_name: str) -> bool:
    if not detail or not detail.startswith(MARKER_PREFIX):
        return False
    parts = detail[len(MARKER_PREFIX) :].split(" ")
    return len(parts) == 3 and parts[1] == catalog_name and parts[2].startswith("op=")


class EstuaryClient:
    def __init__(
        self,
        settings: ClientSettings,
        tuning: Tuning | None = None,
        *,
        transport: Transport | None = None,
        tokens: TokenSource | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.tuning = tuning or Tuning()
        self._clock = clock
        self._sleep = sleep
        self.transport = transport or Transport(self.tuning, sleep=sleep)
        anon = settings.anon_key or ""
        self._anon_headers = {
            "apikey": anon,
            "Accept": "application/json",
            "Authorization": f"Bearer {anon}",
        }
        self.tokens = tokens or TokenSource(
            self.transport,
            settings.api_url,
            self._anon_headers,
            settings.auth_token,
            renew_margin=self.tuning.renew_margin,
        )

    @property
    def request_count(self) -> int:
        return self.transport.request_count

    # ---- one PostgREST call ----------------------------------------------------------------
    def postgrest(
        self,
        method: str,
        path: str,
        *,
        answer: Any,
        idempotent: bool = True,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        url = self.settings.api_url.rstrip("/") + "/" + path
        for attempt in (1, 2):
            hdrs = {
                "apikey": self.settings.anon_key or "",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.tokens.access_token()}",
                **(headers or {}),
            }
            try:
                return self.transport.call(
                    method,
                    url,
                    json_body=json_body,
                    headers=hdrs,
                    answer=answer,
                    idempotent=idempotent,
                )
            except EstuaryApiError as exc:
                # A refused token (revoked, or expired early) did nothing: renew once, repeat.
                if exc.status != 401 or attempt == 2 or not self.tokens.renewable:
                    raise
                self.tokens.invalidate()
        raise AssertionError("unreachable")  # pragma: no cover

    def create_once(
        self,
        what: str,
        create: Callable[[], T],
        lookup: Callable[[], T | None],
    ) -> T:
        """Create something that must exist exactly once, surviving lost answers.

        `create` is sent once per attempt. After an ambiguous failure (no answer, a 5xx, a
        garbled 2xx) or a refusal for now (429), look the object up by its unique marker: if
        the server committed it, use it; if not, wait (the API's Retry-After, or backoff) and
        try again.
        """
        t = self.tuning
        last: EstuaryApiError | None = None
        for attempt in range(1, t.create_attempts + 1):
            try:
                return create()
            except EstuaryApiError as exc:
                if not exc.retryable:
                    raise
                last = exc
                log.info("%s: no usable answer (%s); reading back", what, exc.status or exc.code)
            found = lookup()
            if found is not None:
                return found
            if attempt < t.create_attempts:
                wait = last.retry_after if last.retry_after is not None else t.backoff(attempt)
                self._sleep(min(wait, t.retry_after_max))
        assert last is not None
        raise last

    # ---- connectors and encryption --------------------------------------------------------
    def connector_tag(self, image: str, tag: str) -> ConnectorTagRow | None:
        """The connector_tags row (with endpoint_spec_schema) for image:tag, or None."""
        image_tag = tag if tag.startswith(":") else f":{tag}"
        rows: list[ConnectorTagRow] = self.postgrest(
            "GET",
            "connector_tags?select=id,image_tag,endpoint_spec_schema,connectors!inner(image_name)"
            f"&connectors.image_name=eq.{_quote(image)}&image_tag=eq.{_quote(image_tag)}",
            answer=list[ConnectorTagRow],
        )
        return rows[0] if rows else None

    def encrypt_config(self, config: Mapping[str, Any], schema: Mapping[str, Any]) -> Any:
        """POST {config, schema}; the sops document, keys in the order Estuary sent them.
        The service is unauthenticated (config-encryption src/main.rs): no token is sent."""
        return self.transport.call(
            "POST",
            self.settings.encryption_url.rstrip("/") + "/v1/encrypt-config",
            json_body={"config": config, "schema": schema},
            headers={"Accept": "application/json"},
            answer=SopsDocument,
            idempotent=True,
        )

    # ---- drafts and publications ----------------------------------------------------------
    def create_draft(self, detail: str) -> str:
        """Create a draft whose `detail` is unique to this operation; returns its id."""

        def create() -> str:
            rows: list[IdRow] = self.postgrest(
                "POST",
                "drafts?select=id",
                json_body={"detail": detail},
                headers={"Prefer": "return=representation"},
                answer=CreatedRows,
                idempotent=False,
            )
            return rows[0].id

        return self.create_once("create draft", create, lambda: self.find_draft(detail))

    def find_draft(self, detail: str) -> str | None:
        rows: list[IdRow] = self.postgrest(
            "GET", f"drafts?select=id&detail=eq.{_quote(detail)}", answer=list[IdRow]
        )
        return rows[0].id if rows else None

    def stage(self, draft_id: str, rows: list[dict[str, Any]]) -> None:
        body = [{"draft_id": draft_id, **row} for row in rows]
        # An upsert keyed on (draft_id, catalog_name): repeating it is harmless.
        self.postgrest(
            "POST",
            "draft_specs?on_conflict=draft_id,catalog_name",
            json_body=body,
            headers={"Prefer": "resolution=merge-duplicates,return=minimal"},
            answer=None,
        )

    def delete_draft(self, draft_id: str) -> None:
        self.postgrest("DELETE", f"drafts?id=eq.{_quote(draft_id)}", answer=None)

    def publish(self, draft_id: str, detail: str, data_plane: str) -> str:
        def create() -> str:
            rows: list[IdRow] = self.postgrest(
                "POST",
                "publications?select=id",
                json_body={
                    "draft_id": draft_id,
                    "dry_run": False,
                    "detail": detail,
                    "data_plane_name": data_plane,
                },
                headers={"Prefer": "return=representation"},
                answer=CreatedRows,
                idempotent=False,
            )
            return rows[0].id

        def lookup() -> str | None:
            # The newest one: a retried publication of the same draft leaves older rows.
            rows: list[IdRow] = self.postgrest(
                "GET",
                f"publications?select=id&draft_id=eq.{_quote(draft_id)}"
                "&order=created_at.desc&limit=1",
                answer=list[IdRow],
            )
            return rows[0].id if rows else None

        return self.create_once("publish", create, lookup)

    def wait_for_publication(self, publication_id: str) -> dict[str, Any]:
        """Poll (with backoff, bounded) until job_status.type is no longer `queued`."""
        t = self.tuning
        deadline = self._clock() + t.poll_timeout
        interval = t.poll_initial
        while True:
            rows: list[PublicationStatusRow] = self.postgrest(
                "GET",
                f"publications?select=id,job_status&id=eq.{_quote(publication_id)}",
                answer=list[PublicationStatusRow],
            )
            if not rows:
                # We created it (or found it by its draft): a publication we cannot see is
                # an answer we cannot believe, not a queued one.
                raise EstuaryError(
                    f"Estuary publication {publication_id} is not visible when polled; "
                    "run `pulumi refresh`, then `pulumi up`"
                )
            status = rows[0].job_status.model_dump(exclude_none=True)
            if status["type"] != "queued":
                return status
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise PublicationTimeout(
                    f"Estuary publication {publication_id} still queued after "
                    f"{t.poll_timeout:.0f}s; it may still complete: run `pulumi refresh` later"
                )
            self._sleep(min(interval, remaining))
            interval = min(interval * 2, t.poll_max_interval)

    def publication_detail(self, pub_id: str) -> str | None:
        """The `detail` of the publication that committed as `pub_id` (a live spec's
        `last_pub_id`), or None when we cannot see it. `publications.pub_id` is "the effective
        publication id ... used as the last_pub_id for any drafted specs" (flow migration adding
        the column); row-level security shows a user only the publications they initiated
        (09_publications.sql policy "Users can access only their initiated publish operations").
        """
        rows: list[DetailRow] = self.postgrest(
            "GET",
            f"publications?select=id,detail&pub_id=eq.{_quote(pub_id)}",
            answer=list[DetailRow],
        )
        return rows[0].detail if rows else None

    def draft_errors(self, draft_id: str) -> list[dict[str, Any]]:
        rows: list[DraftErrorRow] = self.postgrest(
            "GET",
            f"draft_errors?select=scope,detail&draft_id=eq.{_quote(draft_id)}",
            answer=list[DraftErrorRow],
        )
        return [r.model_dump() for r in rows]

    def live_specs(self, names: Iterable[str]) -> dict[str, LiveSpecRow]:
        """live_specs_ext rows by catalog name. A name is absent when it has no row or its row
        is deleted (spec and spec_type both NULL): the only two "gone" answers."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        rows: list[LiveSpecRow] = self.postgrest(
            "GET",
            "live_specs_ext?select=catalog_name,spec_type,spec,last_pub_id,last_build_id,md5,"
            f"connector_image_tag&catalog_name=in.{_in_list(wanted)}",
            answer=list[LiveSpecRow],
        )
        stray = sorted({r.catalog_name for r in rows} - set(wanted))
        if stray:
            raise EstuaryError(
                f"Estuary GET live_specs_ext answered rows that were not asked for: "
                f"{', '.join(stray[:5])}"
            )
        return {r.catalog_name: r for r in rows if not r.deleted}

"""HTTP to the Estuary control plane: sessions, retries, and errors that hold no secret.

Safety rules this module keeps:
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

`EstuaryClient` (components/estuary/client.py) mixes `_Transport` in.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from components.estuary.errors import EstuaryApiError, scrub_answer

if TYPE_CHECKING:  # pragma: no cover
    from components.estuary.client import ClientSettings, Tuning

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Transport:
    """Two sessions (idempotent and create-once), the call loop, and creating exactly once.

    Authenticated calls take their bearer token from `_TokenAuth._access_token`.
    """

    # Set by EstuaryClient.__init__.
    _settings: ClientSettings
    _tuning: Tuning
    _sleep: Callable[[float], None]
    _lock: threading.Lock
    _refresh: dict[str, str] | None
    _access: str | None
    _safe: requests.Session
    _once: requests.Session
    request_count: int

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

"""HTTP to the Estuary control plane: one call, its retries, and an answer parsed before it is
believed. No credential logic here: `EstuaryClient` (components/estuary/api.py) passes the
headers, and the token source (components/estuary/auth.py) calls this transport itself.

Rules (docs/estuary.md "Faults"):
- **A request that is not idempotent is never sent twice by this layer**, whatever the status.
  It is repeated only when the connection failed before the request was sent (refused, or the
  connect timeout). urllib3's `Retry` is not used for this: it re-sends *any* method on 413,
  429 and 503 when the answer carries `Retry-After`, whatever `allowed_methods` and
  `status_forcelist` say (urllib3 2.8.0 `Retry.is_retry`: the `has_retry_after` branch never
  looks at the method list when `allowed_methods` is None, and `respect_retry_after_header`
  adds 413/429/503 to any forcelist). A lost answer to a create is settled one level up, by
  reading back (`EstuaryClient.create_once`).
- Idempotent calls (reads, upserts, deletes, the token exchange, encrypt-config) are repeated on
  429 and 5xx, on connection and read errors, and on a 2xx whose body is unusable.
- `Retry-After` (seconds or an HTTP date, RFC 9110 section 10.2.3) is honoured up to
  `Tuning.retry_after_max`. Longer: one clear error saying how long the API asked to wait.
- Redirects are never followed: every call here carries a credential (the refresh token, the
  bearer token, the apikey, or plaintext connector secrets in the encrypt-config body), and
  `requests` re-sends the body and most headers to whatever origin a 307/308 names. A 3xx is an
  error naming the origin it pointed to.
- Every 2xx body is parsed into its pydantic model (components/estuary/answers.py). A truncated,
  `null`, HTML or incomplete body is an `EstuaryAnswerError` naming the call and what is
  missing; never a `JSONDecodeError`/`KeyError`, and never a success.
- Errors carry status, code, message, details and hint, already scrubbed (`errors.scrub_answer`),
  never the request body, a header, or an input value a validator saw.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from pydantic import TypeAdapter, ValidationError
from requests.adapters import HTTPAdapter

from components.estuary.errors import EstuaryAnswerError, EstuaryApiError, scrub_answer

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NO_BODY = object()  # `answer=None`: the call's body is not read (204, return=minimal)


@dataclass(frozen=True)
class Tuning:
    """Timeouts, retry and polling knobs. Injectable so fault tests run in milliseconds.

    Pickled with the providers (state written before the flat shape names it as
    `components.estuary.client.Tuning`, which re-exports this class); a field added later
    falls back to its class default when old state is loaded."""

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
    renew_margin: float = 60.0  # renew the access token when < 60 s are left (flowctl)

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_factor * 2 ** (attempt - 1), self.backoff_max))


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request provably never reached the server: the TCP connection was
    refused or not made in time (urllib3 `NewConnectionError` is a `ConnectTimeoutError`)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds (delay-seconds or HTTP-date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - now())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "(no origin)"


def describe_validation(error: ValidationError, limit: int = 5) -> str:
    """Which fields of an answer are missing or wrong: locations and messages, never the
    values (an answer may hold an access token or ciphertext)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class Transport:
    """One `requests` session; `call` sends one request under the rules above."""

    def __init__(self, tuning: Tuning, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.tuning = tuning
        self._sleep = sleep
        self.request_count = 0
        session = requests.Session()
        # No retries inside urllib3 (see the module docstring): `Retry(0, read=False)`.
        adapter = HTTPAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session

    def call(
        self,
        method: str,
        url: str,
        *,
        answer: Any,
        idempotent: bool,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send; return the body validated as `answer` (a type for pydantic), or None when
        `answer` is None (the body is not read)."""
        t = self.tuning
        path = urlsplit(url).path.rsplit("/v1/", 1)[-1] or urlsplit(url).path
        adapter = TypeAdapter(answer) if answer is not None else None
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt > t.retries
            self.request_count += 1
            failure: str | None = None
            never_sent = False
            try:
                response = self._session.request(
                    method,
                    url,
                    json=json_body,
                    headers=dict(headers or {}),
                    timeout=(t.connect_timeout, t.read_timeout),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                # Keep only the class: the exception holds the request, whose body may be a
                # plaintext config. Raised below, outside `except`, so it is not chained.
                failure, never_sent = type(exc).__name__, _never_sent(exc)
            if failure is not None:
                if (idempotent or never_sent) and not last_try:
                    self._sleep(t.backoff(attempt))
                    continue
                raise EstuaryApiError(
                    method=method,
                    path=path,
                    status=None,
                    code=failure,
                    message=(
                        "the connection failed before the request was sent"
                        if never_sent
                        else "no answer (the request may have been acted on)"
                    ),
                    sent=not never_sent,
                )
            status = response.status_code
            if 300 <= status < 400:
                where = _origin(response.headers.get("Location", ""))
                raise EstuaryApiError(
                    method=method,
                    path=path,
                    status=status,
                    message=(
                        f"redirected to {where}; not followed, because this call carries "
                        "credentials. Check the Estuary endpoint URLs (docs/estuary.md)"
                    ),
                )
            if status in RETRY_STATUSES:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > t.retry_after_max:
                    raise self._error(
                        method,
                        path,
                        response,
                        retry_after=wait,
                        hint=f"this client waits at most {t.retry_after_max:.0f} s; run again "
                        "later",
                    )
                if idempotent and not last_try:
                    self._sleep(wait if wait is not None else t.backoff(attempt))
                    continue
                raise self._error(method, path, response, retry_after=wait)
            if status >= 400:
                raise self._error(method, path, response)
            if adapter is None:
                return None
            problem = self._parse(adapter, response)
            if isinstance(problem, str):
                if idempotent and not last_try:
                    self._sleep(t.backoff(attempt))
                    continue
                raise EstuaryAnswerError(method=method, path=path, status=status, problem=problem)
            return problem[0]

    @staticmethod
    def _parse(adapter: TypeAdapter[Any], response: requests.Response) -> str | tuple[Any]:
        """(value,) or the text saying what is wrong with the body."""
        raw = response.content
        if not raw.strip():
            return "the body is empty"
        kind = response.headers.get("Content-Type", "")
        if raw.lstrip()[:1] == b"<" or "html" in kind:
            return "the body is an HTML page, not JSON"
        try:
            body = json.loads(raw)
        except ValueError:
            return "the body is not complete JSON (truncated?)"
        try:
            return (adapter.validate_python(body),)
        except ValidationError as exc:
            return describe_validation(exc)

    @staticmethod
    def _error(
        method: str,
        path: str,
        response: requests.Response,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> EstuaryApiError:
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
            hint=hint or fields["hint"],
            retry_after=retry_after,
        )

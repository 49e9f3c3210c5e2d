"""The Portkey admin (control-plane) API client: a `Transport` composed into `PortkeyAdminClient`.

Facts it relies on (docs/portkey.md "Resources"): auth header `x-portkey-api-key`; bodies may be
flat or wrapped as {success, data}; errors carry {errorCode, message} (AB08 = not found, AB03 =
permission denied); the usage-limits list pages with page_size / current_page (Portkey-AI/openapi
listUsageLimitsPolicies) and needs a workspace.

How the transport behaves under faults (docs/portkey.md "Faults"):
- A request is re-sent only when it cannot duplicate anything: any method after a connection
  error before the request was sent (urllib3 `NewConnectionError`/`ConnectTimeoutError`); GET and
  DELETE (idempotent: a second DELETE answers 404 AB08, which callers take as gone) also after a
  lost answer, a 429 or a 5xx. A POST or PUT is never re-sent: a lost answer, a 5xx, or a 2xx
  body that cannot be believed raises `PortkeyOutcomeUnknown`, and the provider reads back.
  urllib3's `Retry` is not used for this: in urllib3 2.8.0 `Retry.is_retry` re-sends any method
  in `allowed_methods` on 413/429/503 carrying `Retry-After` whatever `status_forcelist` says
  (`RETRY_AFTER_STATUS_CODES`), which made a landed POST twice.
- `Retry-After` (seconds or an HTTP date, RFC 9110 section 10.2.3) is honoured up to
  `max_wait_s`; a longer wait is `PortkeyWaitTooLong`, saying how long the API asked for.
- Redirects are never followed: `requests` keeps custom headers such as `x-portkey-api-key` on a
  redirect to another host (it strips only `Authorization`: requests `Session.rebuild_auth`), so a
  3xx is a `PortkeyRefused` naming only the other origin.
- Every 2xx body is parsed into a strict model (components/portkey/answers.py).

The API key lives only in this client's session; it never appears in an exception message
(scrubbed) and the client is never pickled (providers build one per operation).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from components.portkey import answers
from components.portkey.errors import (
    API_KEY_ENV,
    DEFAULT_BASE_URL,
    PortkeyApiError,
    PortkeyBadAnswer,
    PortkeyOutcomeUnknown,
    PortkeyRefused,
    PortkeyWaitTooLong,
)

__all__ = ["API_KEY_ENV", "DEFAULT_BASE_URL", "PortkeyAdminClient", "Transport"]
PAGE_SIZE = 100
IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE"})
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
Model = TypeVar("Model", bound=BaseModel)


def _before_send(error: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (nothing can have landed)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Transport:
    """One origin, one key: sends a call, retries only what cannot duplicate, parses the answer."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 30.0,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        max_wait_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError(
                f"Portkey admin API key missing: set {API_KEY_ENV} (never the gateway key "
                "PORTKEY_API_KEY) or `pulumi config set --secret portkeyAdminApiKey <key>`"
            )
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout_s
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff_s
        self._max_wait = max_wait_s
        self._sleep = sleep
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or .netrc from the environment gets the key
        self._session.headers.update(
            {"x-portkey-api-key": api_key, "content-type": "application/json"}
        )
        # No retries inside urllib3 (see the module doc); this class decides.
        adapter = HTTPAdapter(max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def __reduce__(self):  # pragma: no cover - guard
        raise TypeError("the Portkey transport holds a secret and must not be pickled")

    def scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***")

    def call(
        self,
        method: str,
        path: str,
        answer: type[Model],
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Model:
        waited = 0.0
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=json.dumps(body) if body is not None else None,
                    timeout=self._timeout,
                    allow_redirects=False,
                )
                content = response.content  # a truncated body raises here
            except requests.RequestException as error:
                if not last and (_before_send(error) or method in IDEMPOTENT):
                    waited += self._pause(self._backoff * 2 ** (attempt - 1), waited, method, path)
                    continue
                why = self.scrub(f"{type(error).__name__}: {error}")
                if method not in IDEMPOTENT and not _before_send(error):
                    raise PortkeyOutcomeUnknown(method, path, f"no answer ({why})") from None
                raise ConnectionError(f"Portkey admin API {method} {path}: {why}") from None
            status = response.status_code
            if 300 <= status < 400:
                target = urlsplit(response.headers.get("location", ""))
                raise PortkeyRefused(
                    f"Portkey admin API {method} {path} answered HTTP {status}, a redirect to "
                    f"{target.scheme}://{target.netloc}; not followed: the admin key would be "
                    "sent with it. Check the admin base URL (portkey.adminBaseUrl / "
                    "PORTKEY_BASE_URL)"
                )
            if status in TRANSIENT_STATUS:
                delay = retry_after_seconds(response.headers.get("retry-after"))
                if delay is not None and delay > self._max_wait:
                    raise PortkeyWaitTooLong(method, path, status, delay, self._max_wait)
                if method not in IDEMPOTENT:
                    if status == 429:  # refused before any work (docs-core error.mdx AB06)
                        raise self._error(method, path, response, content, delay)
                    raise PortkeyOutcomeUnknown(
                        method, path, f"HTTP {status} {self._describe(response, content)}"
                    )
                if not last:
                    wait = self._backoff * 2 ** (attempt - 1) if delay is None else delay
                    waited += self._pause(wait, waited, method, path, status)
                    continue
            if status >= 400:
                raise self._error(method, path, response, content, None)
            return self._parse(method, path, answer, response, content)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(
        self, seconds: float, waited: float, method: str, path: str, status: int = 0
    ) -> float:
        if waited + seconds > self._max_wait:
            raise PortkeyWaitTooLong(method, path, status, waited + seconds, self._max_wait)
        if seconds > 0:
            self._sleep(seconds)
        return seconds

    def _describe(self, response: requests.Response, content: bytes) -> str:
        kind = response.headers.get("content-type", "")
        if "html" in kind or content.lstrip()[:1] == b"<":
            return "(an HTML page, not the API's JSON)"
        return f"({self.scrub(content[:200].decode('utf-8', 'replace'))})"

    def _error(
        self,
        method: str,
        path: str,
        response: requests.Response,
        content: bytes,
        retry_after: float | None,
    ) -> PortkeyApiError:
        code, message = "", self._describe(response, content)
        try:
            payload = json.loads(content)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            inner = payload.get("data") if isinstance(payload.get("data"), dict) else payload
            code = str(inner.get("errorCode") or "")
            message = str(inner.get("message") or message)
        return PortkeyApiError(
            method, path, response.status_code, code, self.scrub(message), retry_after=retry_after
        )

    def _parse(
        self,
        method: str,
        path: str,
        answer: type[Model],
        response: requests.Response,
        content: bytes,
    ) -> Model:
        def bad(problem: str) -> Exception:
            problem = self.scrub(problem)
            if method in IDEMPOTENT:
                return PortkeyBadAnswer(method, path, problem)
            return PortkeyOutcomeUnknown(method, path, f"the answer was {problem}")

        status = response.status_code
        if not content.strip():
            if answer is answers.Ack:
                return answer()  # type: ignore[return-value]
            raise bad(f"HTTP {status} with an empty body")
        try:
            payload = json.loads(content)
        except ValueError:
            raise bad(
                f"HTTP {status} with a body that is not JSON {self._describe(response, content)}"
            ) from None
        # The OpenAPI examples wrap bodies as {success, data}; the live API answers flat.
        if isinstance(payload, dict) and "data" in payload and "success" in payload:
            payload = payload["data"]
        if not isinstance(payload, dict):
            raise bad(f"HTTP {status} with {json.dumps(payload)[:80]} instead of a JSON object")
        try:
            return answer.model_validate(payload)
        except ValidationError as error:
            raise bad(f"HTTP {status} without what it must carry: {_problems(error)}") from None


def _problems(error: ValidationError) -> str:
    out = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "(body)"
        if item["type"] == "missing":
            out.append(f"{where} missing")
        elif item.get("input") is None:
            out.append(f"{where} is null")
        else:
            out.append(f"{where}: {item['msg']}")
    return "; ".join(out)


class PortkeyAdminClient:
    """The admin API's calls, each with its answer model; HTTP is the given `Transport`'s."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def __repr__(self) -> str:
        return f"PortkeyAdminClient({self.transport!r})"

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    # Configs -------------------------------------------------------------------------------

    def list_configs(self, workspace_id: str | None = None) -> list[answers.ConfigSummary]:
        params = {"workspace_id": workspace_id} if workspace_id else None
        return self.transport.call("GET", "/configs", answers.ConfigList, params=params).data

    def get_config(self, slug: str) -> answers.Config:
        return self.transport.call("GET", f"/configs/{slug}", answers.Config)

    def create_config(
        self, name: str, config: dict[str, Any], workspace_id: str | None = None
    ) -> answers.ConfigCreated:
        body: dict[str, Any] = {"name": name, "config": config}
        if workspace_id:
            body["workspace_id"] = workspace_id
        return self.transport.call("POST", "/configs", answers.ConfigCreated, body=body)

    def update_config(
        self, slug: str, name: str, config: dict[str, Any], status: str = "active"
    ) -> None:
        body = {"name": name, "config": config, "status": status}
        self.transport.call("PUT", f"/configs/{slug}", answers.Ack, body=body)

    def delete_config(self, slug: str) -> None:
        self.transport.call("DELETE", f"/configs/{slug}", answers.Ack)

    # Usage-limits policies -------------------------------------------------------------------

    def list_usage_limits_policies(self, workspace_id: str | None = None) -> list[answers.Policy]:
        """Every page (OpenAPI: page_size, current_page; the response carries `total`)."""
        items: list[answers.Policy] = []
        page = 0  # GUESS: pages count from 0 (the spec's current_page has minimum 0)
        while True:
            params = {"page_size": str(PAGE_SIZE), "current_page": str(page)}
            if workspace_id:
                params["workspace_id"] = workspace_id
            listed = self.transport.call(
                "GET", "/policies/usage-limits", answers.PolicyList, params=params
            )
            items.extend(listed.data)
            total = listed.total
            done = not listed.data or (total is not None and len(items) >= total)
            if done or (total is None and len(listed.data) < PAGE_SIZE):
                return items
            page += 1

    def get_usage_limits_policy(self, policy_id: str) -> answers.Policy:
        return self.transport.call("GET", f"/policies/usage-limits/{policy_id}", answers.Policy)

    def create_usage_limits_policy(self, body: dict[str, Any]) -> answers.PolicyCreated:
        return self.transport.call(
            "POST", "/policies/usage-limits", answers.PolicyCreated, body=body
        )

    def update_usage_limits_policy(self, policy_id: str, body: dict[str, Any]) -> None:
        self.transport.call("PUT", f"/policies/usage-limits/{policy_id}", answers.Ack, body=body)

    def delete_usage_limits_policy(self, policy_id: str) -> None:
        self.transport.call("DELETE", f"/policies/usage-limits/{policy_id}", answers.Ack)

    # API keys (OpenAPI admin-openapi.yaml /api-keys/{id}: GET -> ApiKeyObject, PUT
    # UpdateApiKeyObject -> {}). Only the key's metadata is read; the key value itself is never
    # returned by GET (Terraform portkey_api_key: "Only returned on creation").

    def get_api_key(self, key_id: str) -> answers.ApiKey:
        return self.transport.call("GET", f"/api-keys/{key_id}", answers.ApiKey)

    def update_api_key(self, key_id: str, body: dict[str, Any]) -> None:
        self.transport.call("PUT", f"/api-keys/{key_id}", answers.Ack, body=body)

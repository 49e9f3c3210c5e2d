"""A small client for the Portkey admin (control-plane) API: configs, usage limits, API keys.

Facts it relies on (see the Portkey brief): auth header `x-portkey-api-key`; bodies may be flat or
wrapped as {success, data}; a config's `config` may come back as a JSON string; errors carry
{errorCode, message} (AB08 = not found, AB03 = permission denied); the usage-limits list pages
with page_size / current_page (OpenAPI listUsageLimitsPolicies) and needs a workspace.

The API key lives only on the requests session of one client instance; it never appears in an
exception message (scrubbed) and the client is never pickled (providers build it per call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from components.portkey.errors import DEFAULT_BASE_URL, PortkeyApiError

__all__ = ["DEFAULT_BASE_URL", "PortkeyAdminClient", "PortkeyApiError"]
RETRY_STATUS = (429, 500, 502, 503, 504)
API_KEY_ENV = "PORTKEY_ADMIN_API_KEY"
PAGE_SIZE = 100
# POST is not idempotent: a 5xx may mean "created, then failed"; only 429 (rejected before any
# work) is safe to resend. Lost POST responses are handled by the provider (look up by name).
POST_RETRY_STATUS = (429,)


def _retry(statuses: tuple[int, ...], methods: frozenset[str], total: int, backoff: float) -> Retry:
    return Retry(
        total=total,
        connect=total,
        read=total if "POST" not in methods else 0,
        status=total,
        status_forcelist=statuses,
        allowed_methods=methods,
        backoff_factor=backoff,
        backoff_max=5.0,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class PortkeyAdminClient:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        max_retries: int = 4,
        backoff_factor: float = 0.5,
        timeout_s: float = 30.0,
    ) -> None:
        if not api_key:
            raise ValueError(
                f"Portkey admin API key missing: set {API_KEY_ENV} (never the gateway key "
                "PORTKEY_API_KEY) or "
                "`pulumi config set --secret portkeyAdminApiKey <key>`"
            )
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout_s
        self._sessions = {
            "idempotent": self._session(
                _retry(
                    RETRY_STATUS, frozenset({"GET", "PUT", "DELETE"}), max_retries, backoff_factor
                )
            ),
            "post": self._session(
                _retry(POST_RETRY_STATUS, frozenset({"POST"}), max_retries, backoff_factor)
            ),
        }

    def __repr__(self) -> str:
        return f"PortkeyAdminClient(base_url={self.base_url!r})"

    def __reduce__(self):  # pragma: no cover - guard, exercised only if someone tries
        raise TypeError("PortkeyAdminClient holds a secret and must not be pickled")

    def _session(self, retry: Retry) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {"x-portkey-api-key": self._api_key, "content-type": "application/json"}
        )
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        return session

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        session = self._sessions["post" if method == "POST" else "idempotent"]
        try:
            response = session.request(
                method,
                self.base_url + path,
                params=params,
                data=json.dumps(body) if body is not None else None,
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            # Requests' messages can include URLs but not headers; scrub anyway.
            raise ConnectionError(
                self._scrub(f"Portkey admin API {method} {path}: {type(error).__name__}: {error}")
            ) from None
        if response.status_code >= 400:
            code, message = _error_fields(response)
            raise PortkeyApiError(
                method, path, response.status_code, code, self._scrub(message)
            ) from None
        if not response.content:
            return {}
        payload = response.json()
        # The OpenAPI examples wrap bodies as {success, data}; the live API answers flat.
        if isinstance(payload, dict) and "data" in payload and "success" in payload:
            return payload["data"]
        return payload

    # Configs -------------------------------------------------------------------------------

    def list_configs(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        params = {"workspace_id": workspace_id} if workspace_id else None
        payload = self.request("GET", "/configs", params=params)
        return list(payload.get("data", []) if isinstance(payload, dict) else payload)

    def get_config(self, slug: str) -> dict[str, Any]:
        config = dict(self.request("GET", f"/configs/{slug}"))
        raw = config.get("config")
        if isinstance(raw, str):  # the API may return the config serialized
            config["config"] = json.loads(raw)
        return config

    def create_config(
        self, name: str, config: dict[str, Any], workspace_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "config": config}
        if workspace_id:
            body["workspace_id"] = workspace_id
        return dict(self.request("POST", "/configs", body=body))

    def update_config(
        self, slug: str, name: str, config: dict[str, Any], status: str = "active"
    ) -> dict[str, Any]:
        body = {"name": name, "config": config, "status": status}
        return dict(self.request("PUT", f"/configs/{slug}", body=body))

    def delete_config(self, slug: str) -> None:
        self.request("DELETE", f"/configs/{slug}")

    # Usage-limits policies -------------------------------------------------------------------

    def list_usage_limits_policies(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        """Every page (OpenAPI: page_size, current_page; the response carries `total`)."""
        items: list[dict[str, Any]] = []
        page = 0  # GUESS: pages count from 0 (the spec's current_page has minimum 0)
        while True:
            params = {"page_size": str(PAGE_SIZE), "current_page": str(page)}
            if workspace_id:
                params["workspace_id"] = workspace_id
            payload = self.request("GET", "/policies/usage-limits", params=params)
            batch = list(payload.get("data", []) if isinstance(payload, dict) else payload)
            items.extend(batch)
            total = payload.get("total") if isinstance(payload, dict) else None
            done = not batch or (isinstance(total, int) and len(items) >= total)
            if done or (total is None and len(batch) < PAGE_SIZE):
                return items
            page += 1

    def get_usage_limits_policy(self, policy_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/policies/usage-limits/{policy_id}"))

    def create_usage_limits_policy(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", "/policies/usage-limits", body=body))

    def update_usage_limits_policy(self, policy_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", f"/policies/usage-limits/{policy_id}", body=body))

    def delete_usage_limits_policy(self, policy_id: str) -> None:
        self.request("DELETE", f"/policies/usage-limits/{policy_id}")

    # API keys (OpenAPI admin-openapi.yaml /api-keys/{id}: GET -> ApiKeyObject, PUT
    # UpdateApiKeyObject -> {}). Only the key's metadata is read; the key value itself is never
    # returned by GET (Terraform portkey_api_key: "Only returned on creation").

    def get_api_key(self, key_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api-keys/{key_id}"))

    def update_api_key(self, key_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", f"/api-keys/{key_id}", body=body))


def _error_fields(response: requests.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        return "", response.text[:300]
    if isinstance(payload, dict):
        if "errorCode" in payload or "message" in payload:
            return str(payload.get("errorCode", "")), str(payload.get("message", ""))
        data = payload.get("data")  # older {success:false, data:{message}} shape
        if isinstance(data, dict):
            return str(data.get("errorCode", "")), str(data.get("message", ""))
    return "", json.dumps(payload)[:300]

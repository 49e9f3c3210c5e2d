"""Estuary credentials: the auth token's two shapes and the token exchange.

`TokenSource` holds the refresh token and the current access token and renews the latter
through the `Transport` it is given (no other link to the client). It lives only in the
client the provider builds at call time, and is never pickled.

Facts (estuary/flow): `FLOW_AUTH_TOKEN` is a base64 JSON `{id, secret}` refresh token, or a
raw access JWT when it has three dot-separated parts (crates/flowctl/src/config.rs); the
exchange is POST `rpc/generate_access_token {refresh_token_id, secret}`, answered
`{access_token, refresh_token?}`; flowctl renews when less than 60 s are left
(crates/flow-client/src/user_auth.rs).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Mapping

from components.estuary.answers import TokenAnswer
from components.estuary.errors import CredentialsError
from components.estuary.transport import Transport

log = logging.getLogger(__name__)

EXCHANGE_PATH = "rpc/generate_access_token"


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (wall clock), or None when it has none or is not a JWT."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        exp = json.loads(base64.urlsafe_b64decode(payload)).get("exp")
        return float(exp) if exp is not None else None
    except (IndexError, ValueError, binascii.Error, AttributeError, TypeError):
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


class TokenSource:
    """The access token, renewed from the refresh token before it expires."""

    def __init__(
        self,
        transport: Transport,
        api_url: str,
        base_headers: Mapping[str, str],
        auth_token: str | None,
        *,
        renew_margin: float = 60.0,
    ) -> None:
        self._transport = transport
        self._url = api_url.rstrip("/") + "/" + EXCHANGE_PATH
        self._headers = dict(base_headers)
        self._margin = renew_margin
        self._lock = threading.Lock()
        self._refresh: dict[str, str] | None = None
        self._access: str | None = None
        self._expiry: float | None = None  # wall clock (JWT exp)
        if auth_token:
            self._refresh, self._access = parse_auth_token(auth_token)
            if self._access:
                self._expiry = jwt_expiry(self._access)

    @property
    def renewable(self) -> bool:
        return self._refresh is not None

    def invalidate(self) -> None:
        """The server refused the access token (401): renew it on the next call."""
        with self._lock:
            if self._refresh is not None:
                self._access = None

    def access_token(self) -> str:
        with self._lock:
            now = time.time()
            fresh = self._access is not None and (
                self._expiry is None or self._expiry - now > self._margin
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
        answer: TokenAnswer = self._transport.call(
            "POST",
            self._url,
            json_body=body,
            headers=self._headers,
            answer=TokenAnswer,
            idempotent=True,
        )
        with self._lock:
            self._access = answer.access_token
            self._expiry = jwt_expiry(self._access)
            if self._expiry is None:
                # Unknown lifetime: assume a short one so we renew rather than fail.
                self._expiry = time.time() + 2 * self._margin
            rotated = answer.refresh_token
            if rotated is not None:
                # A single-use token: Estuary spent it and issued a new secret, which only
                # this process now holds (generate_access_token writes it to the DB only).
                # The next process, or another provider's client, fails with the old one.
                self._refresh = {"id": rotated.id, "secret": rotated.secret}
                log.warning(
                    "the Estuary refresh token is single-use and was rotated; later runs will "
                    "fail with it. Use a multi-use refresh token (docs/estuary.md)"
                )
            return self._access

"""Estuary credentials: the auth token's two shapes and the token exchange (brief section 1).

`EstuaryClient` (components/estuary/client.py) mixes `_TokenAuth` in; the exchange itself is
an HTTP call through `_Transport._call` (components/estuary/transport.py). The refresh token
and access token live only in the client object, which the provider builds at call time and
never pickles.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from typing import TYPE_CHECKING

from components.estuary.errors import CredentialsError

if TYPE_CHECKING:  # pragma: no cover
    from components.estuary.client import ClientSettings, Tuning

log = logging.getLogger(__name__)


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


class _TokenAuth:
    """The access token, renewed from the refresh token before it expires.

    The exchange goes through `_Transport._call`.
    """

    # Set by EstuaryClient.__init__.
    _settings: ClientSettings
    _tuning: Tuning
    _lock: threading.Lock
    _refresh: dict[str, str] | None
    _access: str | None
    _access_expiry: float | None

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

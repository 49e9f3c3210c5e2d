"""What every Portkey dynamic provider shares; imports none of them (they import it).

- Where the admin key and URL come from: PORTKEY_ADMIN_API_KEY (never PORTKEY_API_KEY, the
  gateway key the pods and the Portkey SDKs use) or the stack secret
  `sophia-infra:portkeyAdminApiKey` handed to `configure` by the dynamic-provider host
  (pulumi/dynamic/__main__.py `get_provider`); PORTKEY_BASE_URL or `portkey.adminBaseUrl`.
  What `configure` learns is never pickled (`__getstate__`).
- A fresh client per operation (`client()`), composed of a `Transport` (components/portkey/api.py)
  built with this provider's tuning.
- `settle_write`: a create or update whose answer was lost is settled by reading back and adopting
  what landed, never by re-sending blind (docs/portkey.md "Faults").
- `gone_or_raise`: only the API's documented not-found (404 AB08) means gone.

The client module (and `requests`) load only when an operation runs, so the program's imports
stay light.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import ConfigureRequest, ResourceProvider

from components.portkey.errors import (
    API_KEY_ENV,
    DEFAULT_BASE_URL,
    PortkeyApiError,
    PortkeyError,
    PortkeyOutcomeUnknown,
    PortkeyWaitTooLong,
)

if TYPE_CHECKING:
    from components.portkey.api import PortkeyAdminClient

PROJECT = "sophia-infra"
BASE_URL_ENV = "PORTKEY_BASE_URL"
API_KEY_CONFIG = f"{PROJECT}:portkeyAdminApiKey"
SETTINGS_CONFIG = f"{PROJECT}:portkey"
INACTIVE = frozenset({"archived", "deleted", "inactive"})
T = TypeVar("T")


class PortkeyProvider(ResourceProvider):
    """Shared plumbing: where the key and URL come from, and a fresh client per operation."""

    # The provider carries no secret (the key is read at run time), so its pickle need not be one.
    serialize_as_secret_always = False
    _TRANSIENT: ClassVar[tuple[str, ...]] = ("_configured_api_key", "_configured_base_url")
    # Class defaults, so providers pickled before a field existed still load with it.
    timeout_s: float = 30.0
    max_wait_s: float = 60.0
    write_attempts: int = 3

    def __init__(
        self,
        *,
        max_retries: int = 4,
        backoff_factor: float = 0.5,
        timeout_s: float = 30.0,
        max_wait_s: float = 60.0,
    ) -> None:
        super().__init__()
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        if timeout_s != PortkeyProvider.timeout_s:
            self.timeout_s = timeout_s
        if max_wait_s != PortkeyProvider.max_wait_s:
            self.max_wait_s = max_wait_s
        self._configured_api_key: str | None = None
        self._configured_base_url: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Whatever `configure` learnt stays in this process: never in the serialized provider.
        return {key: value for key, value in self.__dict__.items() if key not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._configured_api_key = None
        self._configured_base_url = None

    def configure(self, req: ConfigureRequest) -> None:
        key = req.config.get(API_KEY_CONFIG)
        self._configured_api_key = key if isinstance(key, str) and key else None
        settings = req.config.get(SETTINGS_CONFIG)
        if isinstance(settings, str):
            try:
                settings = json.loads(settings)
            except json.JSONDecodeError:
                settings = None
        if isinstance(settings, dict) and settings.get("adminBaseUrl"):
            self._configured_base_url = str(settings["adminBaseUrl"])

    def client(self) -> PortkeyAdminClient:
        from components.portkey.api import PortkeyAdminClient, Transport

        api_key = os.environ.get(API_KEY_ENV) or self._configured_api_key or ""
        base_url = os.environ.get(BASE_URL_ENV) or self._configured_base_url or DEFAULT_BASE_URL
        transport = Transport(
            base_url,
            api_key,
            timeout_s=self.timeout_s,
            max_attempts=self.max_retries + 1,
            backoff_s=self.backoff_factor,
            max_wait_s=self.max_wait_s,
        )
        return PortkeyAdminClient(transport)

    def settle_write(
        self,
        write: Callable[[], T],
        read_back: Callable[[], T | None],
        what: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """Run a create/update whose answer may be lost; settle every doubt by reading back.

        `read_back` returns what landed (or None when nothing did). After a lost answer, a 5xx or
        an unbelievable body (`PortkeyOutcomeUnknown`) the write is never sent again: what the
        read finds is adopted, and when it finds nothing the run fails, asking for another (the
        write may still surface, and the next run's look-up adopts it). Only a 429, which says
        the API did no work (docs-core api-reference/admin-api/error.mdx AB06), is sent again,
        after its Retry-After (up to the cap) and a read that found nothing.
        """
        for attempt in range(1, max(1, self.write_attempts) + 1):
            try:
                return write()
            except PortkeyOutcomeUnknown as error:
                landed = read_back()
                if landed is not None:
                    return landed
                raise RuntimeError(
                    f"could not {what}: {error}. Read back: it has not landed. Not sent again "
                    "(it may still appear; the next run adopts it): run again"
                ) from None
            except PortkeyApiError as error:
                if not error.is_rate_limited:
                    raise
                delay = error.retry_after or 0.0
                if delay > self.max_wait_s:
                    raise PortkeyWaitTooLong(
                        error.method, error.path, 429, delay, self.max_wait_s
                    ) from None
                if attempt == self.write_attempts:
                    raise RuntimeError(
                        f"could not {what}: still rate limited after {attempt} tries ({error}); "
                        "run again later"
                    ) from None
                if delay:
                    sleep(delay)
                landed = read_back()
                if landed is not None:
                    return landed
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def delete_settled(delete: Callable[[], None], read: Callable[[], Any], what: str) -> None:
        """Delete; when the answer was lost or unbelievable, a read decides: only 404 AB08 is
        gone (idempotent DELETEs are retried by the transport; a repeat answers 404 AB08)."""
        try:
            delete()
            return
        except PortkeyApiError as error:
            if error.is_not_found:
                return
            raise
        except (PortkeyError, ConnectionError) as error:
            doubt = error
        try:
            read()
        except PortkeyApiError as error:
            if error.is_not_found:
                return
            raise
        raise RuntimeError(f"{what} is still there after DELETE ({doubt})") from None


def unknown(value: Any) -> bool:
    return isinstance(value, pulumi.output.Unknown)


def gone_or_raise(error: PortkeyApiError, what: str) -> bool:
    """True only for a real not-found; a permission error fails loudly (never "deleted")."""
    if error.is_not_found:
        return True
    if error.is_permission_denied:
        raise RuntimeError(
            f"Portkey admin API refused to read {what}: HTTP {error.status} {error.error_code} "
            f"({error.message}). It may still exist: not removing it from state. Check that "
            f"{API_KEY_ENV} is an admin key with access to this workspace."
        ) from None
    return False

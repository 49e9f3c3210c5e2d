"""Errors of the Portkey admin API client (pure: no HTTP library, nothing else of this package).

Every message names the call (`METHOD /path`) and never carries the admin key: the transport
scrubs it from anything an answer echoes (components/portkey/api.py).
"""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"
# Where the admin key is read (never PORTKEY_API_KEY, the gateway key): one name for the client,
# the providers and their messages.
API_KEY_ENV = "PORTKEY_ADMIN_API_KEY"


class PortkeyError(Exception):
    """Anything the admin API client could not turn into a believable answer."""


class PortkeyApiError(PortkeyError):
    """The API answered an error: HTTP status, Portkey errorCode and message (never the key)."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        error_code: str,
        message: str,
        *,
        retry_after: float | None = None,
    ):
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.message = message
        self.retry_after = retry_after
        super().__init__(
            f"Portkey admin API {method} {path} failed: HTTP {status} {error_code}: {message}"
        )

    @property
    def is_not_found(self) -> bool:
        """404 AB08 "Resource not found": the only answer that means the object is gone.

        403 AB03 is "User not allowed to access the resource" and 404 AB02 is a request validation
        error (Portkey-AI/docs-core api-reference/admin-api/error.mdx): neither says it is gone.
        """
        return self.status == 404 and self.error_code == "AB08"

    @property
    def is_permission_denied(self) -> bool:
        return self.status == 403

    @property
    def is_rate_limited(self) -> bool:
        return self.status == 429


class PortkeyBadAnswer(PortkeyError):
    """A 2xx answer whose body is not what the API documents (truncated, HTML, null, a field
    missing): never believed, never a success."""

    def __init__(self, method: str, path: str, problem: str):
        self.method = method
        self.path = path
        self.problem = problem
        super().__init__(f"Portkey admin API {method} {path} answered {problem}")


class PortkeyOutcomeUnknown(PortkeyError):
    """A write (POST/PUT) whose answer was lost after the request was sent: it may have landed.

    Never re-sent blind: the provider reads back and adopts what landed (components/portkey/
    base.py `settle`)."""

    def __init__(self, method: str, path: str, why: str):
        self.method = method
        self.path = path
        self.why = why
        super().__init__(
            f"Portkey admin API {method} {path}: {why}; the write may or may not have landed"
        )


class PortkeyRefused(PortkeyError):
    """An answer this client refuses to act on: a redirect (the admin key would follow it to
    another origin) or a wait longer than the cap."""


class PortkeyWaitTooLong(PortkeyRefused):
    def __init__(self, method: str, path: str, status: int, seconds: float, cap: float):
        self.method = method
        self.path = path
        self.status = status
        self.seconds = seconds
        self.cap = cap
        super().__init__(
            f"Portkey admin API {method} {path} answered HTTP {status} and asked to wait "
            f"{seconds:g} s (Retry-After) before trying again, more than the {cap:g} s this "
            f"provider waits; run again after {seconds:g} s"
        )

"""What callers of the admin-API client need without importing it (and `requests`).

The provider module is imported by every program run, but the client is only used when the
dynamic-provider host runs an operation; keeping these here keeps the program's imports light.
"""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"


class PortkeyApiError(Exception):
    """A failed admin-API call: HTTP status, Portkey errorCode and message (never the key)."""

    def __init__(self, method: str, path: str, status: int, error_code: str, message: str):
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(
            f"Portkey admin API {method} {path} failed: HTTP {status} {error_code}: {message}"
        )

    @property
    def is_gone(self) -> bool:
        """404, or the 403 AB03 Portkey answers for objects deleted out of band."""
        return self.status == 404 or (self.status == 403 and self.error_code == "AB03")

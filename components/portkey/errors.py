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
    def is_not_found(self) -> bool:
        """404 AB08 "Resource not found": the only answer that means the object is gone.

        403 AB03 is "User not allowed to access the resource" and 404 AB02 is a request validation
        error (Portkey-AI/docs-core api-reference/admin-api/error.mdx): neither says it is gone.
        """
        return self.status == 404 and self.error_code == "AB08"

    @property
    def is_permission_denied(self) -> bool:
        return self.status == 403

"""The old home of the Portkey dynamic resources, kept so existing state still loads.

State written before the split pickles providers by reference to this module
(`components.portkey.provider.GatewayConfigProvider`, `...UsageLimitsPolicyProvider`), and the
dynamic-provider host imports it first (pulumi/dynamic/__main__.py `get_provider`). Each kind now
lives in its own module; import from there in new code. This module imports only those.
"""

from __future__ import annotations

from components.portkey.gateway_config import GatewayConfig, GatewayConfigProvider
from components.portkey.usage_limits import UsageLimitsPolicy, UsageLimitsPolicyProvider

__all__ = [
    "GatewayConfig",
    "GatewayConfigProvider",
    "UsageLimitsPolicy",
    "UsageLimitsPolicyProvider",
]

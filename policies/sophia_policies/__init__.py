"""Sophia's CrossGuard rules, one module per area; `POLICIES` is the whole pack.

Imported as `sophia_policies` when the engine runs the pack (cwd=policies/) and as
`policies.sophia_policies` from the repository root (the offline check and the tests). Both names
resolve to this one module object, so the pack and the offline check share the same rule objects.
"""

from __future__ import annotations

import sys

from . import estuary, kubernetes, portkey, secrets, snowflake
from .common import REDACTED, SECRETS_VIEW_REDACTED, SECRETS_VIEW_TAG

PACK_NAME = "sophia-infra"

POLICIES = [
    *snowflake.POLICIES,
    *kubernetes.POLICIES,
    *portkey.POLICIES,
    *estuary.POLICIES,
    *secrets.POLICIES,
]

# One module object whichever name imported it first (see the docstring).
sys.modules.setdefault("sophia_policies", sys.modules[__name__])

__all__ = ["PACK_NAME", "POLICIES", "REDACTED", "SECRETS_VIEW_REDACTED", "SECRETS_VIEW_TAG"]

"""Is the Estuary materialization that writes a table paused?

A materialization is paused by disabling its shards: `shards: {disable: true}` in its spec
(https://docs.estuary.dev/reference/Configuring-task-shards/, `/disable`: "Disable processing
of the task's shards"); this program carries it as `shardsDisabled`
(components/estuary/resources.py). The live value is read from the control plane's
`live_specs_ext` row (components/estuary/client.py `live_specs`), the same read the provider's
refresh uses (components/estuary/views.py `live_view`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

PAUSE_HOW = (
    "pause it first: in the Estuary dashboard disable the materialization, or publish its spec "
    "with `shards: {{disable: true}}` (flowctl; docs.estuary.dev reference/Configuring-task-"
    "shards); the stack declares `shardsDisabled: false`, so the next `pulumi up` re-enables "
    "it: resume it that way once the restore is verified (docs/restore.md)"
)


class LiveSpecs(Protocol):
    def live_specs(self, names: list[str]) -> dict[str, dict[str, Any]]: ...


def shards_disabled(client: LiveSpecs, catalog_name: str) -> bool | None:
    """True/False from the live spec; None when the task has no live spec."""
    row = client.live_specs([catalog_name]).get(catalog_name)
    if row is None:
        return None
    spec = row.get("spec") or {}
    shards = spec.get("shards") if isinstance(spec, Mapping) else None
    return bool((shards or {}).get("disable", False))


def client_from_environment(environ: Mapping[str, str] | None = None) -> LiveSpecs | None:
    """An Estuary client from FLOW_AUTH_TOKEN and ESTUARY_ANON_KEY, or None without them."""
    env = environ if environ is not None else os.environ
    token = env.get("FLOW_AUTH_TOKEN")
    anon = env.get("ESTUARY_ANON_KEY")
    if not token or not anon:
        return None
    from components.estuary.client import ClientSettings, EstuaryClient

    return EstuaryClient(ClientSettings(anon_key=anon, auth_token=token))

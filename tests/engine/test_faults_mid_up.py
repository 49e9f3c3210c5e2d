"""A control-plane fault in the middle of a real `pulumi up`, then the next `up`: no duplicate.

The Portkey admin stand-in sits behind the fault proxy (tests/faults/proxy.py). During the
first `up` the config's POST lands but its answer is a 503 with `Retry-After` (the answer urllib3
used to re-send the POST on, making a second config), and the read-back that would settle it is
refused with a 401: the update fails. The engine recorded nothing for the config, so the next
`up` creates it again: the provider must find the one that landed and adopt it. Afterwards the
stand-in holds exactly one config of that name and a preview has nothing to do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
from pulumi import automation as auto

from tests.engine.workspace import EngineWorkspace
from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.needs_engine

STACK = "dev"
CONFIG_NAME = "sophia-dev-routing"
AB05 = {"errorCode": "AB05", "message": "Invalid API key"}


@dataclass
class ProxiedWorkspace(EngineWorkspace):
    """The engine workspace with the Portkey admin API reached through the fault proxy."""

    proxy: FaultProxy | None = field(default=None)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.proxy = FaultProxy(self.portkey.base_url)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        super().close()

    def env(self, *, refresh: bool = False) -> dict[str, str]:
        assert self.proxy is not None
        return super().env(refresh=refresh) | {"PORTKEY_BASE_URL": self.proxy.base_url}


def test_a_fault_mid_up_then_the_next_up_converges_without_a_duplicate(
    engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workspace = ProxiedWorkspace(engine, tmp_path_factory.mktemp("faults-mid-up"))
    try:
        proxy = workspace.proxy
        assert proxy is not None
        stack = workspace.create_stack(STACK)
        proxy.inject(
            faults.status(503, retry_after=1, forward=True), method="POST", path="/configs"
        )
        # The settle's look-up by name (GET /configs, after the one create made first) is refused.
        proxy.inject(faults.status(401, body=AB05), method="GET", path="/configs", skip=1)

        with pytest.raises(auto.CommandError) as failed:
            workspace.run("up-with-fault", stack.up)
        assert proxy.pending() == [], proxy.pending()
        assert "HTTP 401 AB05" in str(failed.value)
        assert workspace.portkey.api_key not in str(failed.value)
        landed = Counter(c["name"] for c in workspace.portkey.configs.values())
        assert landed == {CONFIG_NAME: 1}, landed  # the POST landed once, never re-sent

        result, _ = workspace.run("up-after-fault", stack.up)
        assert result.summary.result == "succeeded"
        names = Counter(c["name"] for c in workspace.portkey.configs.values())
        assert names == {CONFIG_NAME: 1}, names
        [config] = workspace.portkey.configs.values()
        recorded = [
            resource["id"]
            for resource in stack.export_stack().deployment["resources"]
            if resource["type"].endswith("portkey:GatewayConfig")
        ]
        assert recorded == [config["slug"]], "the state does not record the config that landed"
        assert proxy.sink.requests == []

        preview, _ = workspace.run("preview-after-fault", stack.preview)
        assert {op for op, n in preview.change_summary.items() if n and op != "same"} == set()
    finally:
        workspace.close()
    workspace.assert_stand_ins_understood()

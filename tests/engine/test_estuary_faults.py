"""On the real engine: a fault hits the Estuary control plane in the middle of `pulumi up`
(the first capture's publication lands, then the read-back is refused with an hour-long
Retry-After), the update fails with a clear error, and the next `up` converges: every capture
live once, no create request landed twice, no draft left, and a preview shows no change.

The fault proxy (tests/faults/proxy.py) sits between the dynamic-provider host and the Estuary
stand-in; docs/estuary.md "Faults".
"""

from __future__ import annotations

import collections
import json

import pytest
from pulumi import automation as auto

from tests.engine.workspace import EngineWorkspace
from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.needs_engine

STACK = "dev"


def _landed_twice(workspace: EngineWorkspace) -> int:
    landed = collections.Counter(
        (r.table, json.dumps(r.body, sort_keys=True))
        for r in workspace.estuary.state.requests
        if r.method == "POST" and r.table in ("drafts", "publications") and r.status == 201
    )
    return sum(n - 1 for n in landed.values() if n > 1)


def test_fault_mid_up_then_next_up_converges_without_duplicates(
    engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workspace = EngineWorkspace(engine, tmp_path_factory.mktemp("estuary-fault"))
    proxy = FaultProxy(workspace.estuary.base_url)
    plane_env = workspace.estuary.env()
    proxied = {
        **plane_env,
        "ESTUARY_API_URL": proxy.base_url + "/rest/v1",
        "ESTUARY_ENCRYPTION_URL": proxy.base_url + "/encrypt",
    }
    workspace.estuary.env = lambda: proxied  # type: ignore[method-assign]
    try:
        stack = workspace.create_stack(STACK)
        # The first read of live specs in an `up` from empty is a create's read-back: its
        # publication has landed. The answer asks for an hour's wait: a clear error at once.
        proxy.inject(
            faults.status(429, retry_after=3600), method="GET", path="/rest/v1/live_specs_ext"
        )
        with pytest.raises(auto.CommandError) as info:
            workspace.run("up-with-fault", stack.up)
        assert "asked to wait 3600 s" in str(info.value)
        assert proxy.fired() == ["429+retry-after=3600"]

        result, _ = workspace.run("up-after-fault", stack.up)
        assert result.summary.result == "succeeded"
        preview, _ = workspace.run("preview-after-fault", stack.preview)
        assert {k: n for k, n in preview.change_summary.items() if k != "same" and n} == {}
        assert _landed_twice(workspace) == 0
        assert workspace.estuary.state.drafts == {}
        assert proxy.sink.requests == []
        captures = workspace.estuary.state.live_names("capture")
        assert captures and len(captures) == len(set(captures))
    finally:
        proxy.stop()
        workspace.close()
    workspace.assert_stand_ins_understood()

"""HTTP round trips per operation, counted by the stand-in. Run with `-s` to print the table
(docs/estuary.md quotes it). The bounds guard against a regression adding calls."""

from __future__ import annotations

from collections import Counter

from components.estuary.capture import CaptureProvider
from tests.components.estuary.conftest import FAST, capture_inputs
from tests.fakes.estuary_control_plane import FakeControlPlane


def _count(fake: FakeControlPlane) -> tuple[int, str]:
    calls = Counter(f"{r.method} {r.table}" for r in fake.state.requests)
    fake.state.reset_requests()
    return sum(calls.values()), ", ".join(f"{k} x{v}" for k, v in sorted(calls.items()))


def test_round_trips(fake: FakeControlPlane) -> None:
    provider = CaptureProvider(tuning=FAST)
    props = capture_inputs("github")
    name = props["catalogName"]
    rows = []

    outs = provider.create(props).outs
    create, detail = _count(fake)
    rows.append(("create (first call, incl. token exchange)", create, detail))

    news = {**props, "interval": "10m"}
    outs = provider.update(name, outs, news).outs
    update, detail = _count(fake)
    rows.append(("update (config unchanged)", update, detail))

    rotated = {
        **news,
        "endpointConfig": {**news["endpointConfig"], "start_date": "2025-02-01T00:00:00Z"},
    }
    outs = provider.update(name, outs, rotated).outs
    update_cfg, detail = _count(fake)
    rows.append(("update (config changed)", update_cfg, detail))

    read = provider.read(name, outs)
    reads, detail = _count(fake)
    rows.append(("read / refresh", reads, detail))

    provider.diff(name, read.outs, rotated)
    diffs, detail = _count(fake)
    rows.append(("no-op diff", diffs, detail or "-"))

    provider.delete(name, read.outs)
    deletes, detail = _count(fake)
    rows.append(("delete", deletes, detail))

    print()
    for label, n, what in rows:
        print(f"{label:45s} {n:2d}  {what}")
    # create = token + connector_tags + encrypt + draft + stage + publish + 2 polls + read back
    assert create == 9
    assert update == 6  # draft + stage + publish + 2 polls + read back
    assert update_cfg == 8  # + connector_tags + encrypt
    assert reads == 1 and diffs == 0
    assert deletes == 6  # live read + draft + stage + publish + 2 polls

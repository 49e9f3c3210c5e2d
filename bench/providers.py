"""Dynamic providers against the local control-plane stand-ins: HTTP round trips and time.

Each operation is timed and its requests counted from the stand-in's own request log, so the
numbers are what the provider really sent. The stand-ins answer on loopback, so times measure the
provider's own work (and its bounded polling), not a network.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from components.estuary.capture import CaptureProvider
from components.estuary.materialization import MaterializationProvider
from components.estuary.transport import Tuning
from components.portkey.api_key_binding import ApiKeyConfigBindingProvider
from components.portkey.gateway_config import GatewayConfigProvider
from tests.components.estuary.conftest import ALL_SOURCES, capture_inputs, materialization_inputs
from tests.fakes.estuary_control_plane import FakeControlPlane
from tests.fakes.portkey_admin import FakePortkeyAdmin

# Production timeouts and backoff, but polling that starts at 10 ms: the stand-in finishes a
# publication on its second poll, so this measures calls rather than sleeping.
ESTUARY_TUNING = Tuning(poll_initial=0.01, poll_max_interval=0.05)


@dataclass(frozen=True)
class Operation:
    resource: str
    operation: str
    round_trips: int
    milliseconds: float
    calls: str


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def estuary_operations() -> list[Operation]:
    rows: list[Operation] = []
    fake = FakeControlPlane().start()
    try:
        with _env(fake.env()):
            captures = CaptureProvider(tuning=ESTUARY_TUNING)
            rows.extend(
                _crud("estuary Capture (github)", captures, capture_inputs("github"),
                      {"interval": "10m"}, fake)
            )  # fmt: skip
            rows.append(_adopt("estuary Capture (gong)", captures, capture_inputs("gong"), fake))
            # The materialization reads every source's collections: make them live first.
            for source in ALL_SOURCES:
                if source not in ("github", "gong"):
                    captures.create(capture_inputs(source))
            fake.state.reset_requests()
            rows.extend(
                _crud("estuary Materialization", MaterializationProvider(tuning=ESTUARY_TUNING),
                      materialization_inputs(), {"shardsDisabled": True}, fake)
            )  # fmt: skip
    finally:
        fake.stop()
    return rows


def _crud(
    label: str, provider: Any, props: dict[str, Any], change: dict[str, Any], fake: Any
) -> list[Operation]:
    def count() -> tuple[int, str]:
        calls = [f"{r.method} {r.table}" for r in fake.state.requests]
        fake.state.reset_requests()
        summary = ", ".join(f"{c} x{calls.count(c)}" for c in sorted(set(calls)))
        return len(calls), summary

    rows = []
    created, ms = _timed(lambda: provider.create(props))
    rows.append(Operation(label, "create (incl. token exchange)", *_pair(count(), ms)))
    name = created.id
    news = {**props, **change}
    updated, ms = _timed(lambda: provider.update(name, created.outs, news))
    rows.append(Operation(label, "update", *_pair(count(), ms)))
    read, ms = _timed(lambda: provider.read(name, updated.outs))
    rows.append(Operation(label, "read (refresh)", *_pair(count(), ms)))
    _, ms = _timed(lambda: provider.diff(name, read.outs, news))
    rows.append(Operation(label, "no-op diff", *_pair(count(), ms)))
    return rows


def _adopt(label: str, provider: Any, props: dict[str, Any], fake: Any) -> Operation:
    """Create again after Pulumi lost the first create's answer: Estuary refuses the
    must-not-exist publication (a build error), the provider adopts the live task."""
    provider.create(props)
    fake.state.reset_requests()
    _, ms = _timed(lambda: provider.create(props))
    calls = [f"{r.method} {r.table}" for r in fake.state.requests]
    fake.state.reset_requests()
    summary = ", ".join(f"{c} x{calls.count(c)}" for c in sorted(set(calls)))
    return Operation(label, "create again after a lost answer (adopts)", len(calls), ms, summary)


def portkey_operations() -> list[Operation]:
    admin = FakePortkeyAdmin().start()
    label = "portkey GatewayConfig"
    provider = GatewayConfigProvider()
    props = {
        "name": "sophia-bench-routing",
        "config": json.dumps({"strategy": {"mode": "fallback"}, "targets": [{"provider": "@x"}]}),
        "workspace_id": None,
    }

    def count() -> tuple[int, str]:
        calls = [f"{m} {p.split('?')[0]}" for m, p in admin.calls()]
        admin.reset_log()
        generic = [c if c.count("/") < 2 else c.rsplit("/", 1)[0] + "/{slug}" for c in calls]
        summary = ", ".join(f"{c} x{generic.count(c)}" for c in sorted(set(generic)))
        return len(calls), summary

    rows = []
    try:
        with _env({"PORTKEY_ADMIN_API_KEY": admin.api_key, "PORTKEY_BASE_URL": admin.base_url}):
            created, ms = _timed(lambda: provider.create(props))
            rows.append(Operation(label, "create", *_pair(count(), ms)))
            news = {**props, "config": json.dumps({"retry": {"attempts": 2}})}
            updated, ms = _timed(lambda: provider.update(created.id, created.outs, news))
            rows.append(Operation(label, "update", *_pair(count(), ms)))
            read, ms = _timed(lambda: provider.read(created.id, updated.outs))
            rows.append(Operation(label, "read (refresh)", *_pair(count(), ms)))
            _, ms = _timed(lambda: provider.diff(created.id, read.outs, news))
            rows.append(Operation(label, "no-op diff", *_pair(count(), ms)))
            rows.extend(_binding_operations(admin, created.outs, count))
    finally:
        admin.stop()
    return rows


def _binding_operations(admin: FakePortkeyAdmin, config: dict, count) -> list[Operation]:
    label = "portkey ApiKeyConfigBinding"
    provider = ApiKeyConfigBindingProvider()
    key_id = admin.seed_api_key(defaults={"metadata": {"team": "api"}})
    props = {
        "api_key_id": key_id,
        "config_id": config["config_id"],
        "config_slug": config["slug"],
        "allow_config_override": True,
    }
    rows = []
    created, ms = _timed(lambda: provider.create(props))
    rows.append(Operation(label, "create", *_pair(count(), ms)))
    news = {**props, "allow_config_override": False}
    updated, ms = _timed(lambda: provider.update(key_id, created.outs, news))
    rows.append(Operation(label, "update", *_pair(count(), ms)))
    read, ms = _timed(lambda: provider.read(key_id, updated.outs))
    rows.append(Operation(label, "read (refresh)", *_pair(count(), ms)))
    _, ms = _timed(lambda: provider.diff(key_id, read.outs, news))
    rows.append(Operation(label, "no-op diff", *_pair(count(), ms)))
    _, ms = _timed(lambda: provider.delete(key_id, read.outs))
    rows.append(Operation(label, "delete", *_pair(count(), ms)))
    return rows


def _pair(counted: tuple[int, str], ms: float) -> tuple[int, float, str]:
    return counted[0], ms, counted[1] or "-"

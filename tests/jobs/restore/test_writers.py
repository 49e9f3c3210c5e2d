"""`shards_disabled` through the real Estuary client and the stand-in control plane (the unit
tests elsewhere use `FakeEstuary`): the live row is parsed (components/estuary/answers.py)."""

from __future__ import annotations

from components.estuary.api import ClientSettings, EstuaryClient
from jobs.restore.writers import shards_disabled
from tests.fakes.estuary_control_plane import FakeControlPlane


def test_shards_disabled_reads_the_parsed_live_row() -> None:
    fake = FakeControlPlane().start()
    try:
        env = fake.env()
        client = EstuaryClient(
            ClientSettings(
                api_url=fake.api_url,
                anon_key=env["ESTUARY_ANON_KEY"],
                auth_token=env["FLOW_AUTH_TOKEN"],
            )
        )
        # Any live row will do: shards_disabled reads `spec.shards` whatever the kind.
        collection = {"key": ["/id"], "schema": {"type": "object"}}
        fake.state.commit("acme/x/paused", collection, "collection", fake.state.new_id())
        fake.state.live["acme/x/paused"]["spec"]["shards"] = {"disable": True}
        fake.state.commit("acme/x/running", collection, "collection", fake.state.new_id())
        assert shards_disabled(client, "acme/x/paused") is True
        assert shards_disabled(client, "acme/x/running") is False
        assert shards_disabled(client, "acme/x/absent") is None
    finally:
        fake.stop()

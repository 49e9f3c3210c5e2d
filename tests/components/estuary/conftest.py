"""Fixtures: a running fake control plane, fast tuning, and sample specs for every source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.estuary.capture import CaptureProvider, capture_props
from components.estuary.materialization import (
    MaterializationProvider,
    MaterializationSpec,
    materialization_props,
)
from components.estuary.pipeline import (
    SNOWFLAKE_IMAGE,
    capture_definitions,
    materialization_bindings,
    materialization_name,
    snowflake_config,
)
from components.estuary.transport import Tuning
from components.settings.estuary import EstuarySettings
from tests.fakes.estuary_control_plane import FakeControlPlane

# Short everything so fault tests take milliseconds; read_timeout is what "slow" exceeds.
FAST = Tuning(
    connect_timeout=0.5,
    read_timeout=0.3,
    retries=3,
    backoff_factor=0.01,
    backoff_max=0.05,
    retry_after_max=2.0,
    poll_initial=0.01,
    poll_max_interval=0.05,
    poll_timeout=2.0,
    create_attempts=3,
)

# Distinct plaintext markers: tests search every artefact for them.
SECRETS: dict[str, dict[str, str]] = {
    "github": {"personal_access_token": "ghp_PLAINTEXT_github_5f1a"},
    "hubspot": {
        "client_id": "PLAINTEXT_hubspot_client_77c1",
        "client_secret": "PLAINTEXT_hubspot_secret_77c2",
        "refresh_token": "PLAINTEXT_hubspot_refresh_77c3",
    },
    "slack": {"api_token": "xoxb-PLAINTEXT-slack-9d0e"},
    "intercom": {"access_token": "PLAINTEXT_intercom_3b4c"},
    "gong": {
        "access_key": "PLAINTEXT_gong_key_11aa",
        "access_key_secret": "PLAINTEXT_gong_sec_22bb",
    },
    "usergems": {"auth_token": "PLAINTEXT_usergems_hook_44dd"},
    "apollo": {"auth_token": "PLAINTEXT_apollo_hook_55ee"},
    "zenrows": {"auth_token": "PLAINTEXT_zenrows_hook_66ff"},
    "apify": {"auth_token": "PLAINTEXT_apify_hook_7788"},
}
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nPLAINTEXT_snowflake_pem_99aa\n-----END PRIVATE KEY-----"
ALL_PLAINTEXTS = [v for creds in SECRETS.values() for v in creds.values()] + [
    "PLAINTEXT_snowflake_pem_99aa"
]

ALL_SOURCES = {
    "github": {"enabled": True, "repositories": ["sophia-ai/api"], "startDate": "2025-01-01"},
    "hubspot": {"enabled": True, "interval": "15m"},
    "slack": {"enabled": True, "startDate": "2025-01-01T00:00:00Z"},
    "intercom": {"enabled": True},
    "gong": {"enabled": True},
    "usergems": {"enabled": True},
    "apollo": {"enabled": True},
    "zenrows": {"enabled": True},
    "apify": {"enabled": True},
}
CAPTURE_KINDS = ["github", "hubspot", "slack", "intercom", "gong", "usergems"]


def settings(**overrides: Any) -> EstuarySettings:
    raw = {"tenantPrefix": "sophia/test/", "sources": ALL_SOURCES, **overrides}
    return EstuarySettings.model_validate(raw)


def capture_inputs(source: str, **overrides: Any) -> dict[str, Any]:
    s = overrides.pop("settings", None) or settings()
    name, spec = capture_definitions(s, SECRETS)[source]
    return {**capture_props(name, spec), **overrides}


def materialization_inputs(s: EstuarySettings | None = None) -> dict[str, Any]:
    s = s or settings()
    spec = MaterializationSpec(
        connector_image=SNOWFLAKE_IMAGE,
        connector_tag=s.materialization_tag,
        endpoint_config=snowflake_config(
            s,
            host="acme-xy123.snowflakecomputing.com",
            database="SOPHIA_TEST",
            schema="ESTUARY_REALTIME",
            warehouse="ESTUARY_LOAD_WH",
            role="ESTUARY_LOADER",
            user="ESTUARY_LOADER_USER",
            private_key=PRIVATE_KEY,
        ),
        bindings=materialization_bindings(s),
        data_plane=s.data_plane,
    )
    return materialization_props(materialization_name(s.tenant_prefix), spec)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeControlPlane]:
    control_plane = FakeControlPlane().start()
    for key, value in control_plane.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield control_plane
    finally:
        control_plane.stop()
    # The stand-in fails loudly: a call it does not implement must not pass unnoticed.
    assert control_plane.state.unsupported == [], control_plane.state.unsupported


@pytest.fixture
def captures() -> CaptureProvider:
    return CaptureProvider(tuning=FAST)


@pytest.fixture
def materializations() -> MaterializationProvider:
    return MaterializationProvider(tuning=FAST)

"""No plaintext secret in outputs, the pickled provider, logs, exception text or staged specs;
and the pickled provider loads in a fresh interpreter run from the project root."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path

import dill
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from components.estuary.client import PublicationFailed
from components.estuary.provider import CaptureProvider, MaterializationProvider
from tests.components.estuary.conftest import (
    ALL_PLAINTEXTS,
    CAPTURE_KINDS,
    FAST,
    capture_inputs,
    materialization_inputs,
)
from tests.fakes.estuary_control_plane import FakeControlPlane

ROOT = Path(__file__).resolve().parents[3]


def _leaks(text: str) -> list[str]:
    return [p for p in ALL_PLAINTEXTS if p in text]


def test_outputs_and_staged_specs_hold_no_plaintext(
    fake: FakeControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    captures, mats = CaptureProvider(tuning=FAST), MaterializationProvider(tuning=FAST)
    outputs = []
    for source in CAPTURE_KINDS:
        props = capture_inputs(source)
        outs = captures.create(props).outs
        outputs.append(outs)
        read = captures.read(props["catalogName"], outs)
        outputs += [read.outs, read.inputs]
        outputs.append(
            captures.update(props["catalogName"], read.outs, {**props, "interval": "9m"}).outs
        )
    for source in ("apollo", "zenrows", "apify"):
        captures.create(capture_inputs(source))
    outputs.append(mats.create(materialization_inputs()).outs)
    assert _leaks(json.dumps(outputs, default=str)) == []
    # Only the encryption service ever saw plaintext; every staged spec was ciphertext.
    for record in fake.state.requests:
        if not record.path.endswith("encrypt-config"):
            assert _leaks(json.dumps(record.body)) == [], record.path
    assert _leaks(json.dumps(fake.state.live, default=str)) == []
    assert _leaks(caplog.text) == []


def test_exception_text_holds_no_plaintext(fake: FakeControlPlane) -> None:
    fake.state.fail_next_publication("buildFailed")
    with pytest.raises(PublicationFailed) as info:
        CaptureProvider(tuning=FAST).create(capture_inputs("gong"))
    assert _leaks(str(info.value)) == [] and _leaks(repr(info.value)) == []
    fake.state.add_fault("POST", "encrypt-config", "status", status=500, times=50)
    with pytest.raises(Exception) as info2:
        CaptureProvider(tuning=FAST).create(capture_inputs("github"))
    assert _leaks(str(info2.value)) == []


def _configured_provider(fake: FakeControlPlane) -> CaptureProvider:
    provider = CaptureProvider(tuning=FAST)
    config = Config(
        {
            "sophia-infra:estuaryRefreshToken": fake.state.refresh_token_b64(),
            "sophia-infra:estuary": json.dumps({"apiUrl": fake.api_url}),
        },
        "sophia-infra",
    )
    provider.configure(ConfigureRequest(config))
    provider.create(capture_inputs("github"))  # runtime state now holds a client and tokens
    return provider


def test_pickled_provider_holds_no_credentials(fake: FakeControlPlane) -> None:
    provider = _configured_provider(fake)
    blobs = [
        dill.dumps(provider, recurse=True),
        base64.b64decode(serialize_provider(provider)),
        base64.b64decode(serialize_provider(MaterializationProvider())),
    ]
    for blob in blobs:
        for forbidden in (
            fake.state.refresh_secret,
            fake.state.refresh_token_b64(),
            *fake.state.access_tokens,
            fake.api_url,
            *ALL_PLAINTEXTS,
        ):
            assert forbidden.encode() not in blob
        # A reference to the importable class, not a copy of its code.
        assert b"components.estuary.provider" in blob
        assert len(blob) < 2000


def test_pickled_provider_loads_in_a_fresh_host_process() -> None:
    """What the dynamic provider host does: cwd = project root, dill.loads, configure."""
    payload = serialize_provider(CaptureProvider())
    script = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.stdin.read()))\n"
        "from pulumi.dynamic import ConfigureRequest\n"
        "from pulumi.dynamic.config import Config\n"
        "p.configure(ConfigureRequest(Config({}, 'sophia-infra')))\n"
        "heavy = [m for m in ('pulumi_snowflake', 'pulumi_kubernetes', 'pydantic') "
        "if m in sys.modules]\n"
        "print(type(p).__module__, type(p).__name__, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=payload,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "components.estuary.provider CaptureProvider []"

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

from components.estuary.capture import CaptureProvider
from components.estuary.errors import PublicationFailed
from components.estuary.materialization import MaterializationProvider
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
        assert (
            b"components.estuary.capture" in blob or b"components.estuary.materialization" in blob
        )
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
    assert result.stdout.strip() == "components.estuary.capture CaptureProvider []"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is not None and item not in seen:
            seen.append(item)
            todo += [item.__cause__, item.__context__]
    return seen


def test_encryption_failure_leaks_no_plaintext(
    fake: FakeControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    """config-encryption answers FailedValidation with the plaintext document (private key
    included); nothing of it may reach the exception, its chain, a traceback or a log."""
    import traceback

    import requests

    caplog.set_level(logging.DEBUG)
    props = materialization_inputs()
    props["endpointConfig"]["host"] = "acme.example.com"  # not *.snowflakecomputing.com
    # The stand-in's answer has the real shape, so the test means something:
    schema = fake_schema("ghcr.io/estuary/materialize-snowflake")
    answer = requests.post(
        fake.encryption_url + "/v1/encrypt-config",
        json={"config": props["endpointConfig"], "schema": schema},
        timeout=5,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "FailedValidation"
    assert (
        "PLAINTEXT_snowflake_pem_99aa"
        in answer.json()["details"]["document"]["credentials"]["private_key"]
    )

    with pytest.raises(Exception) as info:
        MaterializationProvider(tuning=FAST).create(props)
    exc = info.value
    assert "FailedValidation" in str(exc) and "/host" in str(exc)
    texts = [str(e) for e in _chain(exc)] + [repr(e) for e in _chain(exc)]
    texts += ["".join(traceback.format_exception(exc)), caplog.text]
    texts += [repr(vars(e)) for e in _chain(exc)]
    assert [t for t in texts if _leaks(t)] == []
    assert "acme.example.com" not in str(exc)  # error texts quoting values are dropped too
    assert fake.state.drafts == {}  # nothing was staged


def fake_schema(image: str) -> dict:
    from tests.fakes.estuary_connectors import CONNECTORS

    return CONNECTORS[image].endpoint_schema


def test_a_credential_the_schema_does_not_mark_secret_is_never_published(
    fake: FakeControlPlane,
) -> None:
    """The old webhook field name `require_auth_token` is not in the connector's schema, so
    encrypt-config leaves it in plain text; the provider refuses to publish it."""
    from components.estuary.errors import EstuaryError

    props = capture_inputs("usergems")
    config = dict(props["endpointConfig"])
    config["require_auth_token"] = config.pop("requireAuthToken")
    with pytest.raises(EstuaryError) as info:
        CaptureProvider(tuning=FAST).create({**props, "endpointConfig": config})
    assert "/require_auth_token" in str(info.value) and "does not mark" in str(info.value)
    assert _leaks(str(info.value)) == []
    assert fake.state.drafts == {} and fake.state.live == {}


def test_reused_ciphertext_survives_pulumi_state(fake: FakeControlPlane) -> None:
    """sops' MAC covers values in document order. Pulumi state does not keep key order
    (Structs, checkpoints written with sorted keys): an update that keeps the config must
    stage exactly the ciphertext Estuary returned, or Validate fails with "MAC mismatch"."""
    captures = CaptureProvider(tuning=FAST)
    props = capture_inputs("gong")
    name = props["catalogName"]
    outs = captures.create(props).outs
    from_state = json.loads(json.dumps(outs, sort_keys=True))
    fake.state.reset_requests()
    updated = captures.update(name, from_state, {**props, "interval": "9m"}).outs
    assert fake.state.calls("POST", "encrypt-config") == []  # reused, not re-encrypted
    assert fake.state.live[name]["spec"]["interval"] == "9m"
    assert updated["lastPubId"] == fake.state.live[name]["last_pub_id"]


def test_a_connector_error_quoting_a_credential_is_masked(fake: FakeControlPlane) -> None:
    """Draft errors are connector messages; one that quotes a credential is masked."""
    props = capture_inputs("slack")
    token = props["endpointConfig"]["credentials"]["api_token"]
    fake.state.fail_next_publication(
        "buildFailed", [{"scope": "flow://capture/x", "detail": f"token {token} was revoked"}]
    )
    with pytest.raises(Exception) as info:
        CaptureProvider(tuning=FAST).create(props)
    assert "token <redacted> was revoked" in str(info.value)
    assert [e for e in _chain(info.value) if _leaks(str(e)) or _leaks(repr(e))] == []

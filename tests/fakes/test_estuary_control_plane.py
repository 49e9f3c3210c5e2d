"""The Estuary stand-in enforces what the real control plane enforces (each rule's source is
in tests/fakes/estuary_*.py). Driven through the real client over HTTP, with raw specs, so
these tests check the stand-in, not the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.estuary.api import ClientSettings, EstuaryClient
from components.estuary.capture import capture_props
from components.estuary.errors import EstuaryApiError
from components.estuary.pipeline import capture_definitions
from components.estuary.transport import Tuning
from components.settings.estuary import EstuarySettings
from tests.fakes.estuary_connectors import CONNECTORS
from tests.fakes.estuary_control_plane import ZERO_ID, FakeControlPlane
from tests.fakes.estuary_models import uses_inference

FAST = Tuning(retries=0, poll_initial=0.01, poll_max_interval=0.02, poll_timeout=2.0)
GITHUB = "ghcr.io/estuary/source-github"
SNOWFLAKE = "ghcr.io/estuary/materialize-snowflake"


@pytest.fixture
def plane() -> Iterator[FakeControlPlane]:
    fake = FakeControlPlane().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def client(plane: FakeControlPlane) -> EstuaryClient:
    env = plane.env()
    return EstuaryClient(
        ClientSettings(
            api_url=env["ESTUARY_API_URL"],
            encryption_url=env["ESTUARY_ENCRYPTION_URL"],
            anon_key=env["ESTUARY_ANON_KEY"],
            auth_token=env["FLOW_AUTH_TOKEN"],
        ),
        FAST,
    )


def _publish(client: EstuaryClient, rows: list[dict[str, Any]]) -> tuple[dict, list[dict]]:
    draft = client.create_draft("test " + json.dumps([r["catalog_name"] for r in rows]))
    client.stage(draft, rows)
    status = client.wait_for_publication(client.publish(draft, "test", "ops/dp/public/x"))
    return status, client.draft_errors(draft)


def _collection(name: str, key_type: Any = "string", **extra: Any) -> dict[str, Any]:
    spec = {
        "writeSchema": {"type": "object", "properties": {"id": {"type": key_type}},
                        "required": ["id"]},
        "readSchema": {"allOf": [{"$ref": "flow://write-schema"},
                                 {"$ref": "flow://inferred-schema"}]},
        "key": ["/id"],
        **extra,
    }  # fmt: skip
    return {"catalog_name": name, "spec_type": "collection", "spec": spec, "expect_pub_id": None}


def _encrypt(client: EstuaryClient, image: str, config: dict[str, Any]) -> Any:
    return client.encrypt_config(config, CONNECTORS[image].endpoint_schema)


def _github_capture(client: EstuaryClient, streams: list[str], expect: str | None = None) -> dict:
    config = _encrypt(
        client,
        GITHUB,
        {
            "credentials": {"option_title": "PAT Credentials", "personal_access_token": "ghp_x"},
            "repository": "acme/api",
            "start_date": "2025-01-01T00:00:00Z",
        },
    )
    spec = {
        "endpoint": {"connector": {"image": f"{GITHUB}:v1", "config": config}},
        "bindings": [
            {"resource": {"stream": s, "syncMode": "incremental"}, "target": f"acme/gh/{s}"}
            for s in streams
        ],
    }
    return {"catalog_name": "acme/gh/source-github", "spec_type": "capture", "spec": spec,
            "expect_pub_id": expect}  # fmt: skip


def test_a_key_location_needs_exactly_one_keyable_type(client: EstuaryClient) -> None:
    status, errors = _publish(client, [_collection("acme/x/things", ["string", "integer"])])
    assert status["type"] == "buildFailed"
    assert "locations used as keys may only be null-able integers, strings" in errors[0]["detail"]
    status, _ = _publish(client, [_collection("acme/x/things", ["integer", "null"])])
    assert status["type"] == "success"


def test_stale_expect_pub_id_is_a_build_error_not_a_status(
    plane: FakeControlPlane, client: EstuaryClient
) -> None:
    assert _publish(client, [_collection("acme/x/a")])[0]["type"] == "success"
    live = plane.state.live["acme/x/a"]["last_pub_id"]
    # Must-not-exist on a live spec, and a stale id: both buildFailed with a draft error.
    for expect in (ZERO_ID, "01:02:03:04:05:06:07:08"):
        row = {**_collection("acme/x/a"), "expect_pub_id": expect}
        status, errors = _publish(client, [row])
        assert status == {"type": "buildFailed"}
        assert errors == [
            {
                "scope": "flow://collection/acme/x/a",
                "detail": f"expected publication ID {expect.replace(':', '')} was not matched "
                f"(it's actually {live.replace(':', '')}): your changes have already been "
                "published or another publication has modified this spec; please try again "
                "with a fresh copy of the spec.",
            }
        ]
    assert plane.state.drafts, "a failed publication keeps its draft"


def test_a_commit_time_race_is_a_retryable_lock_failure(
    plane: FakeControlPlane, client: EstuaryClient
) -> None:
    plane.state.race_next_commit()
    draft = client.create_draft("race")
    client.stage(draft, [_collection("acme/x/b")])
    status = client.wait_for_publication(client.publish(draft, "race", "ops/dp/public/x"))
    assert status["type"] == "buildIdLockFailure"
    assert status["failures"][0]["catalog_name"] == "acme/x/b"
    # The draft is kept; publishing it again succeeds.
    again = client.wait_for_publication(client.publish(draft, "race", "ops/dp/public/x"))
    assert again["type"] == "success"


def test_deleting_a_spec_that_is_not_live_is_a_build_error(client: EstuaryClient) -> None:
    row = {"catalog_name": "acme/x/never", "spec_type": None, "spec": None, "expect_pub_id": None}
    status, errors = _publish(client, [row])
    assert status["type"] == "buildFailed"
    assert errors == [
        {
            "scope": "flow://deletion/acme/x/never",
            "detail": 'draft contains a deletion of "acme/x/never", but no such live spec exists',
        }
    ]


def test_live_specs_come_back_re_serialized(plane: FakeControlPlane, client: EstuaryClient) -> None:
    _publish(client, [_collection("acme/x/c")])
    config = _encrypt(
        client,
        SNOWFLAKE,
        {
            "host": "acme.snowflakecomputing.com",
            "database": "D",
            "schema": "S",
            "timestamp_type": "TIMESTAMP_LTZ",
            "credentials": {"auth_type": "jwt", "user": "U", "private_key": "-----PEM-----"},
        },
    )
    spec = {
        "endpoint": {"connector": {"image": f"{SNOWFLAKE}:v4", "config": config}},
        "bindings": [{"resource": {"table": "C"}, "source": "acme/x/c", "disable": False}],
    }
    row = {"catalog_name": "acme/x/to-snowflake", "spec_type": "materialization", "spec": spec,
           "expect_pub_id": None}  # fmt: skip
    assert _publish(client, [row])[0]["type"] == "success"
    live = client.live_specs(["acme/x/to-snowflake"])["acme/x/to-snowflake"].spec
    assert live["bindings"] == [{"resource": {"table": "C"}, "source": "acme/x/c",
                                 "fields": {"recommended": True}}]  # fmt: skip


def test_encrypt_config_validates_and_returns_the_document(client: EstuaryClient) -> None:
    config = {"credentials": {"auth_type": "jwt", "private_key": "-----SECRET-PEM-----"}}
    with pytest.raises(EstuaryApiError) as info:
        _encrypt(client, SNOWFLAKE, config)  # host, database, schema, timestamp_type missing
    assert info.value.status == 400 and info.value.code == "FailedValidation"
    assert "SECRET-PEM" not in str(info.value)  # the client scrubs details.document


def test_reordered_sops_keys_fail_the_mac(plane: FakeControlPlane, client: EstuaryClient) -> None:
    row = _github_capture(client, ["commits"])
    _publish(client, [_collection("acme/gh/commits")])
    config = row["spec"]["endpoint"]["connector"]["config"]
    row["spec"]["endpoint"]["connector"]["config"] = dict(reversed(list(config.items())))
    status, errors = _publish(client, [row])
    assert status["type"] == "buildFailed"
    assert "MAC mismatch" in errors[0]["detail"]


def test_connectors_validate_their_configs_and_resources(client: EstuaryClient) -> None:
    _publish(client, [_collection("acme/gh/discussions"), _collection("acme/gh/commits")])
    status, errors = _publish(client, [_github_capture(client, ["commits", "discussions"])])
    assert status["type"] == "buildFailed"
    assert [e["detail"] for e in errors] == [
        "connector Validate: stream 'discussions' is not one of the connector's streams"
    ]
    assert _publish(client, [_github_capture(client, ["commits"])])[0]["type"] == "success"


@pytest.mark.parametrize(
    ("image", "config", "where"),
    [
        # materialize-snowflake requires timestamp_type.
        (SNOWFLAKE, {"host": "a.snowflakecomputing.com", "database": "D", "schema": "S",
                     "credentials": {"auth_type": "jwt", "private_key": "k"}}, "/"),
        # source-slack requires lookback_window.
        ("ghcr.io/estuary/source-slack",
         {"start_date": "2025-01-01T00:00:00Z", "join_channels": True,
          "credentials": {"option_title": "API Token Credentials", "api_token": "x"}}, "/"),
        # source-hubspot-native offers only OAuth: a Private App token fails the oneOf.
        ("ghcr.io/estuary/source-hubspot-native",
         {"credentials": {"credentials_title": "Private App Credentials",
                          "access_token": "pat"}}, "/credentials"),
        # Dates are date-times where the connector says `format: date-time`.
        ("ghcr.io/estuary/source-intercom-native",
         {"credentials": {"credentials_title": "Private App Credentials", "access_token": "t"},
          "start_date": "2025-01-01"}, "/start_date"),
    ],
)  # fmt: skip
def test_encryption_refuses_configs_the_connectors_reject(
    client: EstuaryClient, image: str, config: dict, where: str
) -> None:
    with pytest.raises(EstuaryApiError) as info:
        _encrypt(client, image, config)
    assert info.value.code == "FailedValidation" and f"{where} (" in str(info.value)


def test_the_webhook_token_is_secret_only_under_its_real_name(client: EstuaryClient) -> None:
    image = "ghcr.io/estuary/source-http-ingest"
    right = _encrypt(client, image, {"requireAuthToken": "tok-123456", "paths": ["/a"]})
    assert "requireAuthToken_sops" in right and "tok-123456" not in json.dumps(right)
    wrong = _encrypt(client, image, {"require_auth_token": "tok-123456", "paths": ["/a"]})
    assert wrong["require_auth_token"] == "tok-123456"  # accepted, ignored, plain text


def test_gong_region_api_builds_a_host_that_does_not_exist(client: EstuaryClient) -> None:
    from tests.fakes.estuary_connectors import validate_task

    gong = CONNECTORS["ghcr.io/estuary/source-gong"]
    config = {"credentials": {"access_key": "k", "access_key_secret": "s"}, "region": "api"}
    assert validate_task(gong, config, []) == [
        "request to https://api.api.gong.io failed: unknown host"
    ]
    assert validate_task(gong, {**config, "region": "us-55616"}, []) == []


def test_pipeline_collections_turn_inference_on() -> None:
    settings = EstuarySettings.model_validate(
        {"tenantPrefix": "acme/", "sources": {"gong": {"enabled": True}}}
    )
    creds = {"gong": {"access_key": "k", "access_key_secret": "s"}}
    name, spec = capture_definitions(settings, creds)["gong"]
    for cspec in capture_props(name, spec)["collections"].values():
        assert uses_inference(cspec) and "x-infer-schema" not in json.dumps(cspec)


def test_unknown_calls_fail_loudly(plane: FakeControlPlane, client: EstuaryClient) -> None:
    with pytest.raises(EstuaryApiError) as info:
        client.postgrest("GET", "live_specs?select=spec", answer=list)
    assert info.value.status == 501
    assert plane.state.unsupported == ["GET live_specs"]
    status, errors = _publish(
        client,
        [{**_github_capture(client, []), "spec": {"endpoint": {"connector": {
            "image": "ghcr.io/estuary/source-unknown:v9", "config": {}}}, "bindings": []}}],
    )  # fmt: skip
    assert status["type"] == "buildFailed"
    assert "is not in connector_tags" in errors[0]["detail"]

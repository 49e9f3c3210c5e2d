"""Estuary rules, in the engine's view (secrets unwrapped) and the offline view (redacted)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.sophia_policies import REDACTED, estuary
from tests.policies.support import OFFLINE_VIEW, NotApplicable, check, options

COVERED = {
    "estuary-endpoint-config-secret",
    "estuary-no-auto-add-bindings",
    "estuary-materialization-key-pair",
    "estuary-connector-tag-pinned",
}

SECRET_OUTPUTS = options(additional_secret_outputs=["encryptedConfig", "configHash"])
ENDPOINT = {
    "host": "sophiaai-platform.snowflakecomputing.com",
    "database": "SOPHIA_AI",
    "credentials": {
        "auth_type": "jwt",
        "user": "ESTUARY_LOADER_SVC",
        "private_key": "-----FAKE-----",
    },
}
MATERIALIZATION: dict[str, Any] = {
    "catalogName": "sophia/prod/snowflake/materialize-snowflake",
    "connectorImage": "ghcr.io/estuary/materialize-snowflake",
    "connectorTag": "v4",
    "endpointConfig": ENDPOINT,
}
CAPTURE: dict[str, Any] = {
    "catalogName": "sophia/prod/github/source-github",
    "connectorImage": "ghcr.io/estuary/source-github",
    "connectorTag": "v1",
    "autoDiscover": {"addNewBindings": False, "evolveIncompatibleCollections": True},
    "endpointConfig": REDACTED,
}


def test_missing_secret_outputs_fire_in_both_views() -> None:
    for view in ({}, OFFLINE_VIEW):
        assert check(
            "estuary-endpoint-config-secret",
            estuary.CAPTURE,
            CAPTURE,
            opts=options(),
            stack_tags=view,
        ) == [
            "capture sophia/prod/github/source-github does not list encryptedConfig, configHash in additional_secret_outputs; the provider's copies of the endpoint config would be stored in plain text"
        ]


def test_a_plain_endpoint_config_fires_offline() -> None:
    plain = {**CAPTURE, "endpointConfig": {"credentials": {"access_token": "ghp_fake"}}}
    assert check(
        "estuary-endpoint-config-secret",
        estuary.CAPTURE,
        plain,
        opts=SECRET_OUTPUTS,
        stack_tags=OFFLINE_VIEW,
    ) == [
        "capture sophia/prod/github/source-github declares endpointConfig as a plain value; wrap it in pulumi.Output.secret so the credentials in it never reach state unencrypted"
    ]


def test_the_engine_view_cannot_see_secrecy_and_passes_an_unwrapped_config() -> None:
    unwrapped = {**CAPTURE, "endpointConfig": {"credentials": {"access_token": "ghp_fake"}}}
    assert (
        check("estuary-endpoint-config-secret", estuary.CAPTURE, unwrapped, opts=SECRET_OUTPUTS)
        == []
    )


def test_a_secret_endpoint_config_passes_offline() -> None:
    assert (
        check(
            "estuary-endpoint-config-secret",
            estuary.MATERIALIZATION,
            {**MATERIALIZATION, "endpointConfig": REDACTED},
            opts=SECRET_OUTPUTS,
            stack_tags=OFFLINE_VIEW,
        )
        == []
    )


def test_auto_added_bindings_fire_where_forbidden() -> None:
    auto = copy.deepcopy(CAPTURE)
    auto["autoDiscover"]["addNewBindings"] = True
    assert check(
        "estuary-no-auto-add-bindings", estuary.CAPTURE, auto, {"allowAutoAddBindings": False}
    ) == [
        "capture sophia/prod/github/source-github auto-adds discovered bindings; in this stack every captured stream is reviewed in code first (autoDiscover.addNewBindings: false)"
    ]
    assert (
        check("estuary-no-auto-add-bindings", estuary.CAPTURE, auto, {"allowAutoAddBindings": True})
        == []
    )


def test_reviewed_bindings_pass() -> None:
    assert check("estuary-no-auto-add-bindings", estuary.CAPTURE, CAPTURE) == []


def test_password_auth_fires_in_the_engine_view() -> None:
    password = copy.deepcopy(MATERIALIZATION)
    password["endpointConfig"]["credentials"] = {
        "auth_type": "user_password",
        "user": "U",
        "password": "fake",
    }
    assert check("estuary-materialization-key-pair", estuary.MATERIALIZATION, password) == [
        "materialization sophia/prod/snowflake/materialize-snowflake authenticates with user_password; use key-pair auth (credentials.auth_type: jwt with a private_key)",
        "materialization sophia/prod/snowflake/materialize-snowflake sets endpointConfig.credentials.password; the Snowflake loader user has no password (key-pair only)",
    ]


def test_jwt_without_a_key_fires() -> None:
    keyless = copy.deepcopy(MATERIALIZATION)
    del keyless["endpointConfig"]["credentials"]["private_key"]
    assert check("estuary-materialization-key-pair", estuary.MATERIALIZATION, keyless) == [
        "materialization sophia/prod/snowflake/materialize-snowflake uses jwt auth without credentials.private_key"
    ]


def test_key_pair_auth_passes_and_other_connectors_are_ignored() -> None:
    assert check("estuary-materialization-key-pair", estuary.MATERIALIZATION, MATERIALIZATION) == []
    other = {
        **MATERIALIZATION,
        "connectorImage": "ghcr.io/estuary/materialize-postgres",
        "endpointConfig": {},
    }
    assert check("estuary-materialization-key-pair", estuary.MATERIALIZATION, other) == []


def test_the_offline_view_reports_key_pair_not_applicable() -> None:
    with pytest.raises(NotApplicable, match="endpointConfig is secret and redacted offline"):
        check(
            "estuary-materialization-key-pair",
            estuary.MATERIALIZATION,
            {**MATERIALIZATION, "endpointConfig": REDACTED},
            stack_tags=OFFLINE_VIEW,
        )


def test_moving_connector_tags_fire_where_forbidden() -> None:
    for tag in ("dev", ":dev", "latest", ""):
        assert check(
            "estuary-connector-tag-pinned", estuary.CAPTURE, {**CAPTURE, "connectorTag": tag}
        ) == [
            f"capture sophia/prod/github/source-github uses connector tag {tag.lstrip(':') or '(none)'!r}, which is not a pinned release tag; allowed here: tags matching ^v[0-9]+$ (e.g. 'v1')"
        ]
    assert check("estuary-connector-tag-pinned", estuary.CAPTURE, CAPTURE) == []
    assert check("estuary-connector-tag-pinned", estuary.MATERIALIZATION, MATERIALIZATION) == []
    dev = {**CAPTURE, "connectorTag": "dev"}
    allowed = {"allowMovingTags": True, "pinnedTagPattern": "^v[0-9]+$"}
    assert check("estuary-connector-tag-pinned", estuary.CAPTURE, dev, allowed) == []

"""ApiKeyConfigBinding against the admin-API stand-in: bind, read, drift, rebind, release."""

from __future__ import annotations

import base64
import json

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.portkey.answers import ApiKey
from components.portkey.api_key_binding import (
    PLACEHOLDER_KEY_ID,
    ApiKeyConfigBindingProvider,
    live_binding,
)
from components.portkey.errors import PortkeyApiError
from components.portkey.gateway_config import GatewayConfigProvider
from tests.fakes.portkey_admin import FakePortkeyAdmin

CONFIG = {"strategy": {"mode": "fallback"}, "targets": [{"provider": "@openai-prod"}]}


@pytest.fixture
def admin(portkey_admin: FakePortkeyAdmin, monkeypatch: pytest.MonkeyPatch) -> FakePortkeyAdmin:
    monkeypatch.setenv("PORTKEY_ADMIN_API_KEY", portkey_admin.api_key)
    monkeypatch.setenv("PORTKEY_BASE_URL", portkey_admin.base_url)
    return portkey_admin


def _provider() -> ApiKeyConfigBindingProvider:
    return ApiKeyConfigBindingProvider(max_retries=2, backoff_factor=0)


def _props(admin: FakePortkeyAdmin, key_id: str, config: dict, **overrides):
    return {
        "api_key_id": key_id,
        "config_id": config["id"],
        "config_slug": config["slug"],
        "allow_config_override": False,
    } | overrides


@pytest.fixture
def bound(admin: FakePortkeyAdmin):
    config = admin.seed_config("sophia-prod-routing", CONFIG)
    key_id = admin.seed_api_key(defaults={"metadata": {"team": "api"}})
    props = _props(admin, key_id, config)
    created = _provider().create(props)
    admin.reset_log()
    return config, key_id, props, created


def test_create_binds_the_config_with_overrides_off_and_keeps_metadata(
    admin: FakePortkeyAdmin,
) -> None:
    config = admin.seed_config("sophia-prod-routing", CONFIG)
    key_id = admin.seed_api_key(defaults={"metadata": {"team": "api"}})

    result = _provider().create(_props(admin, key_id, config))

    assert admin.calls() == [
        ("GET", f"/api-keys/{key_id}"),
        ("PUT", f"/api-keys/{key_id}"),
        ("GET", f"/api-keys/{key_id}"),
    ]
    put = admin.requests[1].body
    # Terraform's shape: defaults {metadata, config_id, allow_config_override} with a JSON bool.
    assert put == {
        "defaults": {
            "metadata": {"team": "api"},
            "config_id": config["id"],
            "allow_config_override": False,
        }
    }
    assert admin.api_keys[key_id]["defaults"] == {
        "metadata": {"team": "api"},
        "config_id": config["id"],
        "allow_config_override": False,
    }
    assert result.id == key_id
    # What the key had before: no config, the API default (overrides allowed).
    assert result.outs["previous_config_id"] is None
    assert result.outs["previous_allow_config_override"] is True
    assert result.outs["status"] == "active"


@pytest.mark.parametrize("as_int", [False, True])
def test_refresh_of_an_unchanged_binding_shows_no_diff(admin, bound, as_int: bool) -> None:
    _config, key_id, props, created = bound
    admin.override_flag_as_int = as_int

    read = _provider().read(key_id, created.outs)

    assert admin.calls() == [("GET", f"/api-keys/{key_id}")]
    assert read.id == key_id and read.inputs == props
    diff = _provider().diff(key_id, read.outs, props)
    assert diff.changes is False and diff.replaces == []


def test_an_echoed_slug_counts_as_the_same_config(admin, bound) -> None:
    config, key_id, props, created = bound
    admin.api_keys[key_id]["defaults"]["config_id"] = config["slug"]

    read = _provider().read(key_id, created.outs)

    assert read.inputs["config_id"] == config["id"]
    assert _provider().diff(key_id, read.outs, props).changes is False


def test_override_switched_on_in_the_ui_is_drift_and_update_locks_it_again(admin, bound) -> None:
    _config, key_id, props, created = bound
    admin.api_keys[key_id]["defaults"]["allow_config_override"] = True

    read = _provider().read(key_id, created.outs)
    diff = _provider().diff(key_id, read.outs, props)
    assert read.inputs["allow_config_override"] is True
    assert diff.changes is True and diff.replaces == []

    admin.reset_log()
    _provider().update(key_id, read.outs, props)

    assert [m for m, _ in admin.calls()] == ["GET", "PUT", "GET"]
    assert admin.api_keys[key_id]["defaults"]["allow_config_override"] is False


def test_noop_diff_makes_no_call_and_key_change_replaces(admin, bound) -> None:
    _config, key_id, props, created = bound

    same = _provider().diff(key_id, created.outs, dict(props))
    other_key = _provider().diff(key_id, created.outs, props | {"api_key_id": "x"})
    new_config = _provider().diff(key_id, created.outs, props | {"config_id": "cfg-2"})

    assert same.changes is False
    assert other_key.replaces == ["api_key_id"] and other_key.delete_before_replace is False
    assert new_config.changes is True and new_config.replaces == []
    assert admin.requests == []


def test_update_moves_the_key_to_a_new_config_before_the_old_one_is_deleted(admin, bound) -> None:
    config, key_id, _declared, created = bound
    configs = GatewayConfigProvider(max_retries=0, backoff_factor=0)
    with pytest.raises(PortkeyApiError) as caught:  # still the key's default: the API refuses
        configs.delete(config["slug"], {})
    assert caught.value.status == 409
    replacement = admin.seed_config("sophia-prod-routing-2", CONFIG)
    news = _props(admin, key_id, replacement)

    result = _provider().update(key_id, created.outs, news)

    assert admin.api_keys[key_id]["defaults"]["config_id"] == replacement["id"]
    assert result.outs["previous_config_id"] is None  # what create found stays recorded
    configs.delete(config["slug"], {})
    assert config["slug"] not in admin.configs


def test_delete_gives_the_key_back_what_it_had(admin, bound) -> None:
    config, key_id, _declared, created = bound

    _provider().delete(key_id, created.outs)

    assert [m for m, _ in admin.calls()] == ["GET", "PUT", "GET"]  # the release is read back
    assert admin.requests[1].body == {
        "defaults": {"metadata": {"team": "api"}, "config_id": None, "allow_config_override": True}
    }
    assert admin.api_keys[key_id]["defaults"] == {
        "metadata": {"team": "api"},
        "allow_config_override": True,
    }
    GatewayConfigProvider(max_retries=0, backoff_factor=0).delete(config["slug"], {})
    assert admin.configs == {}


def test_delete_restores_a_previous_binding(admin: FakePortkeyAdmin) -> None:
    before = admin.seed_config("hand-made", {"retry": {"attempts": 1}})
    key_id = admin.seed_api_key(defaults={"config_id": before["id"], "allow_config_override": True})
    config = admin.seed_config("sophia-prod-routing", CONFIG)
    created = _provider().create(_props(admin, key_id, config))
    assert created.outs["previous_config_id"] == before["id"]

    _provider().delete(key_id, created.outs)

    assert admin.api_keys[key_id]["defaults"] == {
        "config_id": before["id"],
        "allow_config_override": True,
    }


def test_recreating_over_our_own_binding_does_not_record_it_as_the_previous_one(
    admin, bound
) -> None:
    config, key_id, props, _created = bound  # state lost: create runs again on a bound key

    again = _provider().create(props)
    _provider().delete(key_id, again.outs)

    assert again.outs["previous_config_id"] is None
    assert "config_id" not in admin.api_keys[key_id]["defaults"]
    GatewayConfigProvider(max_retries=0, backoff_factor=0).delete(config["slug"], {})


def test_delete_leaves_a_binding_someone_else_made_alone(admin, bound) -> None:
    _config, key_id, _declared, created = bound
    other = admin.seed_config("someone-else", CONFIG)
    admin.api_keys[key_id]["defaults"]["config_id"] = other["id"]

    _provider().delete(key_id, created.outs)

    # Two reads agree before a binding is left in place (one partial answer reads as unbound).
    assert admin.calls() == [("GET", f"/api-keys/{key_id}")] * 2
    assert admin.api_keys[key_id]["defaults"]["config_id"] == other["id"]


def test_delete_and_read_of_a_deleted_key(admin, bound) -> None:
    _config, key_id, _declared, created = bound
    admin.delete_out_of_band(key_id)

    _provider().delete(key_id, created.outs)
    read = _provider().read(key_id, created.outs)

    assert read.id == "" and read.outs == {}


def test_permission_denied_on_refresh_fails_loudly(admin, bound) -> None:
    _config, key_id, _declared, created = bound
    admin.deny(key_id)

    with pytest.raises(RuntimeError, match="It may still exist: not removing it from state"):
        _provider().read(key_id, created.outs)


def test_unknown_key_is_a_clear_error_without_secrets(admin: FakePortkeyAdmin) -> None:
    config = admin.seed_config("sophia-prod-routing", CONFIG)
    missing = "3f2b6c1e-8d4a-4b7e-9c21-5a6f0e9d1b2c"

    with pytest.raises(RuntimeError) as caught:
        _provider().create(_props(admin, missing, config))

    message = str(caught.value)
    assert f"Portkey has no API key {missing} (sophia-infra:portkey.apiKeyId)" in message
    assert admin.api_key not in message
    assert admin.calls() == [("GET", f"/api-keys/{missing}")]  # nothing written


def test_a_put_the_api_does_not_show_is_not_reported_as_success(admin: FakePortkeyAdmin) -> None:
    config = admin.seed_config("sophia-prod-routing", CONFIG)
    key_id = admin.seed_api_key()
    admin.api_key_ignores_flag = True  # a control plane that does not know the flag

    with pytest.raises(RuntimeError, match="but the key reports config_id="):
        _provider().create(_props(admin, key_id, config))


@pytest.mark.parametrize(
    ("key_id", "expected"),
    [
        ("sophia-api-key", "must be the UUID of the Portkey API key"),
        (PLACEHOLDER_KEY_ID, "is still the placeholder"),
    ],
)
def test_check_refuses_a_bad_or_placeholder_key_id(key_id: str, expected: str) -> None:
    result = _provider().check(
        {}, {"api_key_id": key_id, "config_id": "c", "allow_config_override": False}
    )
    assert [f.property for f in result.failures] == ["api_key_id"]
    assert expected in result.failures[0].reason
    assert "sophia-infra:portkey.apiKeyId" in result.failures[0].reason


def _key(**fields) -> ApiKey:
    return ApiKey.model_validate({"id": "k", "status": "active", **fields})


def test_live_binding_normalizes_the_flag() -> None:
    assert live_binding(_key()) == (None, True)  # never set: the API default, overrides allowed
    assert live_binding(_key(defaults={"config_id": "c", "allow_config_override": 0})) == (
        "c",
        False,
    )
    assert live_binding(_key(defaults={"allow_config_override": "false"})) == (None, False)
    # Terraform client.go APIKey: the flag read back as a top-level integer.
    assert live_binding(_key(defaults={"config_id": "c"}, allow_config_override=0)) == ("c", False)
    with pytest.raises(RuntimeError, match="expected a boolean"):
        live_binding(_key(defaults={"allow_config_override": "maybe"}))


def test_pickled_provider_holds_no_admin_key(admin, bound) -> None:
    provider = _provider()
    provider._configured_api_key = admin.api_key
    assert admin.api_key.encode() not in base64.b64decode(serialize_provider(provider))
    assert admin.api_key not in json.dumps(bound[3].outs)

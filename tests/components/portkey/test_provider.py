"""GatewayConfig / UsageLimitsPolicy providers against the local admin-API stand-in, with faults."""

from __future__ import annotations

import json
import logging

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from components.portkey.client import PortkeyAdminClient, PortkeyApiError
from components.portkey.provider import GatewayConfigProvider, UsageLimitsPolicyProvider
from tests.fakes.portkey_admin import FakePortkeyAdmin

CONFIG = {"strategy": {"mode": "fallback"}, "targets": [{"provider": "@openai-prod"}]}
CONFIG_JSON = json.dumps(CONFIG)


@pytest.fixture
def admin(portkey_admin: FakePortkeyAdmin, monkeypatch: pytest.MonkeyPatch) -> FakePortkeyAdmin:
    monkeypatch.setenv("PORTKEY_API_KEY", portkey_admin.api_key)
    monkeypatch.setenv("PORTKEY_BASE_URL", portkey_admin.base_url)
    return portkey_admin


def _provider() -> GatewayConfigProvider:
    return GatewayConfigProvider(max_retries=3, backoff_factor=0)


def _props(**overrides):
    return {"name": "sophia-prod-routing", "config": CONFIG_JSON, "workspace_id": None} | overrides


def test_create_posts_once_then_reads_back(admin: FakePortkeyAdmin) -> None:
    result = _provider().create(_props())

    assert admin.calls() == [
        ("GET", "/configs"),
        ("POST", "/configs"),
        ("GET", f"/configs/{result.id}"),
    ]
    assert len(admin.configs) == 1
    assert result.outs["slug"] == result.id and result.outs["status"] == "active"
    assert result.outs["version_id"] == admin.configs[result.id]["version_id"]
    assert json.loads(result.outs["config"]) == CONFIG


def test_create_adopts_an_existing_config_of_the_same_name(admin: FakePortkeyAdmin) -> None:
    seeded = admin.seed_config("sophia-prod-routing", {"retry": {"attempts": 1}})

    result = _provider().create(_props())

    assert result.id == seeded["slug"] and len(admin.configs) == 1
    assert admin.configs[seeded["slug"]]["config"] == CONFIG
    assert [m for m, _ in admin.calls()] == ["GET", "GET", "PUT", "GET"]


def test_create_adopting_an_identical_config_writes_nothing(admin: FakePortkeyAdmin) -> None:
    admin.seed_config("sophia-prod-routing", CONFIG)

    _provider().create(_props())

    assert [m for m, _ in admin.calls()] == ["GET", "GET"]


def test_lost_create_response_leaves_exactly_one_config(admin: FakePortkeyAdmin) -> None:
    admin.drop_next("POST", "/configs")

    result = _provider().create(_props())

    assert len(admin.configs) == 1 and result.id in admin.configs
    assert [m for m, _ in admin.calls()] == ["GET", "POST", "GET", "GET"]


def test_create_retries_429_and_5xx_on_reads_and_429_on_post(admin: FakePortkeyAdmin) -> None:
    admin.fail_next("GET", "/configs", 503)
    admin.fail_next("POST", "/configs", 429)

    result = _provider().create(_props())

    assert len(admin.configs) == 1 and result.id in admin.configs
    assert [m for m, _ in admin.calls()] == ["GET", "GET", "POST", "POST", "GET"]


def test_post_5xx_is_not_blindly_resent_but_recovered_by_lookup(admin: FakePortkeyAdmin) -> None:
    admin.fail_next("POST", "/configs", 500)

    with pytest.raises(PortkeyApiError) as caught:
        _provider().create(_props())

    assert caught.value.status == 500 and caught.value.error_code == "AB04"
    assert admin.configs == {}
    assert [m for m, _ in admin.calls()] == ["GET", "POST", "GET"]


def test_update_rereads_after_a_stale_put(admin: FakePortkeyAdmin) -> None:
    created = _provider().create(_props())
    new_config = {"retry": {"attempts": 3}}
    admin.stale_next_put(f"/configs/{created.id}")
    admin.reset_log()

    result = _provider().update(created.id, created.outs, _props(config=json.dumps(new_config)))

    assert admin.calls() == [("PUT", f"/configs/{created.id}"), ("GET", f"/configs/{created.id}")]
    assert result.outs["version_id"] == admin.configs[created.id]["version_id"]
    assert result.outs["version_id"] != created.outs["version_id"]


def test_noop_diff_is_pure_and_canonical(admin: FakePortkeyAdmin) -> None:
    created = _provider().create(_props())
    admin.reset_log()
    respaced = json.dumps(CONFIG, indent=2, sort_keys=True)
    olds = created.outs | {"version_id": "v-old", "updated_at": "yesterday"}

    result = _provider().diff(created.id, olds, _props(config=respaced))

    assert result.changes is False and result.replaces == []
    assert admin.requests == []


def test_diff_reports_config_change_and_replaces_on_workspace(admin: FakePortkeyAdmin) -> None:
    olds = _props() | {"slug": "pc-x", "version_id": "v1"}

    changed = _provider().diff("pc-x", olds, _props(config='{"retry":{"attempts":1}}'))
    moved = _provider().diff("pc-x", olds, _props(workspace_id="ws-other"))

    assert changed.changes is True and changed.replaces == []
    assert moved.changes is True and moved.replaces == ["workspace_id"]
    assert admin.requests == []


@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize("as_string", [False, True])
def test_read_accepts_string_or_object_config_flat_or_wrapped(
    admin: FakePortkeyAdmin, wrap: bool, as_string: bool
) -> None:
    created = _provider().create(_props())
    admin.wrap, admin.config_as_string = wrap, as_string
    admin.reset_log()

    result = _provider().read(created.id, created.outs)

    assert admin.calls() == [("GET", f"/configs/{created.id}")]
    assert result.id == created.id
    assert result.inputs["config"] == CONFIG_JSON  # user's spelling kept: no phantom diff
    assert _provider().diff(created.id, result.outs, _props()).changes is False


def test_read_reports_live_drift(admin: FakePortkeyAdmin) -> None:
    created = _provider().create(_props())
    admin.configs[created.id]["config"] = {"retry": {"attempts": 5}}

    result = _provider().read(created.id, created.outs)

    assert json.loads(result.inputs["config"]) == {"retry": {"attempts": 5}}
    assert _provider().diff(created.id, result.outs, _props()).changes is True


@pytest.mark.parametrize("out_of_band", ["404", "403 AB03"])
def test_read_of_a_deleted_config_returns_empty_id(
    admin: FakePortkeyAdmin, out_of_band: str
) -> None:
    created = _provider().create(_props())
    if out_of_band == "404":
        del admin.configs[created.id]
    else:
        admin.delete_out_of_band(created.id)

    assert _provider().read(created.id, created.outs).id == ""
    _provider().delete(created.id, created.outs)  # deleting what is gone is not an error


def test_only_404_and_403_ab03_count_as_gone(admin: FakePortkeyAdmin) -> None:
    admin.fail_next("GET", "/configs/pc-y", 401)

    with pytest.raises(PortkeyApiError, match="HTTP 401 AB05: injected"):
        _provider().read("pc-y", _props())
    assert PortkeyApiError("GET", "/configs/x", 403, "AB03", "gone").is_gone
    assert PortkeyApiError("GET", "/configs/x", 404, "AB08", "gone").is_gone
    assert not PortkeyApiError("GET", "/configs/x", 403, "", "forbidden").is_gone


def test_delete_round_trip(admin: FakePortkeyAdmin) -> None:
    created = _provider().create(_props())
    admin.reset_log()

    _provider().delete(created.id, created.outs)

    assert admin.calls() == [("DELETE", f"/configs/{created.id}")] and admin.configs == {}


def test_duplicate_names_refuse_to_adopt(admin: FakePortkeyAdmin) -> None:
    admin.seed_config("sophia-prod-routing", CONFIG)
    admin.seed_config("sophia-prod-routing", CONFIG)

    with pytest.raises(RuntimeError, match="2 configs named 'sophia-prod-routing'"):
        _provider().create(_props())


def test_check_rejects_non_object_config() -> None:
    result = _provider().check({}, _props(config="[1, 2]"))
    assert [f.property for f in result.failures] == ["config"]
    assert (
        _provider()
        .check({}, _props(config="{oops"))
        .failures[0]
        .reason.startswith("config is not valid JSON")
    )


# -- secrets --------------------------------------------------------------------------------


def test_api_key_from_stack_config_is_used_but_never_pickled(
    portkey_admin: FakePortkeyAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    monkeypatch.delenv("PORTKEY_BASE_URL", raising=False)
    provider = _provider()
    settings = json.dumps({"adminBaseUrl": portkey_admin.base_url})
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "sophia-infra:portkeyAdminApiKey": portkey_admin.api_key,
                    "sophia-infra:portkey": settings,
                },
                "sophia-infra",
            )
        )
    )

    created = provider.create(_props())

    assert created.id in portkey_admin.configs
    pickled = serialize_provider(provider)
    import base64

    assert portkey_admin.api_key.encode() not in base64.b64decode(pickled)
    assert portkey_admin.api_key not in json.dumps(created.outs)


def test_errors_and_logs_never_show_the_key(
    admin: FakePortkeyAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin.fail_next("GET", "/configs", 500, times=10)

    with pytest.raises(PortkeyApiError) as caught:
        _provider().create(_props())

    text = str(caught.value) + repr(caught.value) + caplog.text
    assert "HTTP 500 AB04: injected" in str(caught.value)
    assert admin.api_key not in text
    assert admin.api_key not in repr(PortkeyAdminClient(admin.api_key, admin.base_url))


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    with pytest.raises(ValueError, match="PORTKEY_API_KEY"):
        _provider().read("pc-x", _props())


def test_unreachable_admin_api_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-secret-value")
    monkeypatch.setenv("PORTKEY_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: refused
    with pytest.raises(ConnectionError) as caught:
        GatewayConfigProvider(max_retries=0, backoff_factor=0).read("pc-x", _props())
    assert "pk-secret-value" not in str(caught.value)


# -- usage-limits policies ------------------------------------------------------------------


def _policy_props(**overrides):
    return {
        "name": "sophia-prod-llm-monthly",
        "conditions": [{"key": "metadata.environment", "value": "prod"}],
        "group_by": [{"key": "metadata.environment"}],
        "type": "cost",
        "credit_limit": 9300.0,
        "alert_threshold": 7440.0,
        "periodic_reset": "monthly",
        "workspace_id": None,
    } | overrides


def _policy_provider() -> UsageLimitsPolicyProvider:
    return UsageLimitsPolicyProvider(max_retries=3, backoff_factor=0)


def test_policy_create_update_read_delete(admin: FakePortkeyAdmin) -> None:
    created = _policy_provider().create(_policy_props())
    assert [m for m, _ in admin.calls()] == ["GET", "POST", "GET"]
    assert admin.policies[created.id]["credit_limit"] == 9300.0

    admin.reset_log()
    news = _policy_props(credit_limit=9000.0, alert_threshold=7200.0)
    diff = _policy_provider().diff(created.id, created.outs, news)
    assert diff.changes is True and diff.replaces == [] and admin.requests == []
    _policy_provider().update(created.id, created.outs, news)
    assert [m for m, _ in admin.calls()] == ["PUT", "GET"]
    assert admin.policies[created.id]["credit_limit"] == 9000.0

    admin.reset_log()
    read = _policy_provider().read(created.id, news)
    assert read.id == created.id and admin.calls() == [
        ("GET", f"/policies/usage-limits/{created.id}")
    ]
    assert _policy_provider().diff(created.id, read.outs, news).changes is False

    admin.delete_out_of_band(created.id)
    assert _policy_provider().read(created.id, news).id == ""


def test_policy_scope_changes_replace(admin: FakePortkeyAdmin) -> None:
    olds = _policy_props()
    diff = _policy_provider().diff(
        "p1", olds, _policy_props(conditions=[{"key": "metadata.environment", "value": "staging"}])
    )
    assert diff.replaces == ["conditions"]
    assert _policy_provider().diff("p1", olds, _policy_props(type="tokens")).replaces == ["type"]
    assert _policy_provider().diff("p1", olds, _policy_props(credit_limit=9300)).changes is False


def test_policy_lost_create_response_and_adoption(admin: FakePortkeyAdmin) -> None:
    admin.drop_next("POST", "/policies/usage-limits")
    first = _policy_provider().create(_policy_props())
    again = _policy_provider().create(_policy_props(credit_limit=100.0, alert_threshold=None))

    assert len(admin.policies) == 1 and first.id == again.id
    assert admin.policies[first.id]["credit_limit"] == 100.0

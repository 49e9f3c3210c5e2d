"""GatewayConfig / UsageLimitsPolicy providers against the local admin-API stand-in, with faults."""

from __future__ import annotations

import json
import logging

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from components.portkey.api import PortkeyAdminClient, Transport
from components.portkey.errors import PortkeyApiError
from components.portkey.gateway_config import GatewayConfigProvider
from components.portkey.usage_limits import UsageLimitsPolicyProvider
from tests.fakes.portkey_admin import FakePortkeyAdmin

CONFIG = {"strategy": {"mode": "fallback"}, "targets": [{"provider": "@openai-prod"}]}
CONFIG_JSON = json.dumps(CONFIG)


@pytest.fixture
def admin(portkey_admin: FakePortkeyAdmin, monkeypatch: pytest.MonkeyPatch) -> FakePortkeyAdmin:
    monkeypatch.setenv("PORTKEY_ADMIN_API_KEY", portkey_admin.api_key)
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
    # A 429 did no work: read back (nothing landed), then send again.
    assert [m for m, _ in admin.calls()] == ["GET", "GET", "POST", "GET", "POST", "GET"]


def test_post_5xx_is_not_blindly_resent_but_recovered_by_lookup(admin: FakePortkeyAdmin) -> None:
    admin.fail_next("POST", "/configs", 500)

    with pytest.raises(RuntimeError) as caught:
        _provider().create(_props())

    assert str(caught.value) == (
        "could not create Portkey config 'sophia-prod-routing': Portkey admin API POST /configs: "
        'HTTP 500 ({"errorCode": "AB04", "message": "injected"}); the write may or may not have '
        "landed. Read back: it has not landed. Not sent again (it may still appear; the next run "
        "adopts it): run again"
    )
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


def test_read_of_a_deleted_config_returns_empty_id(admin: FakePortkeyAdmin) -> None:
    created = _provider().create(_props())
    admin.delete_out_of_band(created.id)  # the API answers 404 AB08

    assert _provider().read(created.id, created.outs).id == ""
    _provider().delete(created.id, created.outs)  # deleting what is gone is not an error


def test_a_403_on_refresh_fails_loudly_and_keeps_the_config(admin: FakePortkeyAdmin) -> None:
    # AB03 is "User not allowed to access the resource": the config still exists and serves.
    created = _provider().create(_props())
    admin.deny(created.id)

    with pytest.raises(RuntimeError) as caught:
        _provider().read(created.id, created.outs)
    assert "HTTP 403 AB03" in str(caught.value) and "not removing it from state" in str(
        caught.value
    )
    assert "PORTKEY_ADMIN_API_KEY" in str(caught.value)
    assert created.id in admin.configs
    with pytest.raises(PortkeyApiError, match="HTTP 403 AB03"):
        _provider().delete(created.id, created.outs)  # a denied delete is not "already gone"


def test_only_404_ab08_counts_as_gone(admin: FakePortkeyAdmin) -> None:
    admin.fail_next("GET", "/configs/pc-y", 401)

    with pytest.raises(PortkeyApiError, match="HTTP 401 AB05: injected"):
        _provider().read("pc-y", _props())
    assert PortkeyApiError("GET", "/configs/x", 404, "AB08", "gone").is_not_found
    assert not PortkeyApiError("GET", "/configs/x", 403, "AB03", "denied").is_not_found
    assert not PortkeyApiError("GET", "/configs/x", 404, "AB02", "validation").is_not_found


def test_a_workspace_change_creates_the_new_config_before_deleting_the_old() -> None:
    diff = _provider().diff("pc-x", _props(), _props(workspace_id="ws-other"))
    assert diff.replaces == ["workspace_id"] and diff.delete_before_replace is False


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
    monkeypatch.delenv("PORTKEY_ADMIN_API_KEY", raising=False)
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
    assert admin.api_key not in repr(PortkeyAdminClient(Transport(admin.base_url, admin.api_key)))


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTKEY_ADMIN_API_KEY", raising=False)
    with pytest.raises(ValueError, match="PORTKEY_ADMIN_API_KEY"):
        _provider().read("pc-x", _props())


def test_unreachable_admin_api_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTKEY_ADMIN_API_KEY", "pk-secret-value")
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
        "workspace_id": "sophia-prod",
        "acknowledge_usage_reset": False,
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

    _policy_provider().delete(created.id, read.outs)  # archives it
    assert _policy_provider().read(created.id, news).id == ""


def test_every_policy_request_carries_the_workspace(admin: FakePortkeyAdmin) -> None:
    created = _policy_provider().create(_policy_props())
    list_call, post_call = admin.requests[0], admin.requests[1]
    assert list_call.query["workspace_id"] == ["sophia-prod"]
    assert post_call.body["workspace_id"] == "sophia-prod"
    assert admin.policies[created.id]["workspace_id"] == "sophia-prod"


def test_refresh_of_an_unchanged_policy_shows_no_change_and_no_replace(
    admin: FakePortkeyAdmin,
) -> None:
    # The API echoes periodic_reset as MONTHLY and conditions with excludes: null.
    created = _policy_provider().create(_policy_props())
    assert admin.policies[created.id]["periodic_reset"] == "MONTHLY"

    read = _policy_provider().read(created.id, created.outs)
    diff = _policy_provider().diff(created.id, read.outs, _policy_props())

    assert (diff.changes, diff.replaces) == (False, [])
    assert read.inputs["periodic_reset"] == "monthly"
    assert _policy_provider().check(read.outs, _policy_props()).failures == []


def test_refresh_of_an_unchanged_config_shows_no_change_and_no_replace(
    admin: FakePortkeyAdmin,
) -> None:
    created = _provider().create(_props(workspace_id="sophia-prod"))
    read = _provider().read(created.id, created.outs)
    diff = _provider().diff(created.id, read.outs, _props(workspace_id="sophia-prod"))
    assert (diff.changes, diff.replaces) == (False, [])


def test_conditions_update_in_place_and_only_changed_fields_are_sent(
    admin: FakePortkeyAdmin,
) -> None:
    created = _policy_provider().create(_policy_props())
    news = _policy_props(conditions=[{"key": "metadata.environment", "value": "production"}])
    diff = _policy_provider().diff(created.id, created.outs, news)
    assert diff.changes is True and diff.replaces == []

    admin.reset_log()
    _policy_provider().update(created.id, created.outs, news)
    (put,) = [r for r in admin.requests if r.method == "PUT"]
    # periodic_reset is not re-sent: the API would recompute the next reset date.
    assert put.body == {"conditions": news["conditions"]}


def test_a_replace_that_resets_the_counter_is_named_and_must_be_acknowledged(
    admin: FakePortkeyAdmin,
) -> None:
    olds = _policy_props()
    news = _policy_props(group_by=[{"key": "api_key"}])
    diff = _policy_provider().diff("p1", olds, news)
    assert diff.replaces == ["group_by"] and diff.delete_before_replace is True
    [failure] = _policy_provider().check(olds, news).failures
    assert failure.property == "group_by"
    assert "RESETS this month's usage counter to 0" in failure.reason
    assert _policy_provider().check(olds, news | {"acknowledge_usage_reset": True}).failures == []
    assert _policy_provider().check({}, news).failures == []  # a first create resets nothing
    assert _policy_provider().diff("p1", olds, _policy_props(type="tokens")).replaces == ["type"]
    assert _policy_provider().diff("p1", olds, _policy_props(credit_limit=9300)).changes is False


def test_adoption_refuses_a_same_named_policy_of_another_type(admin: FakePortkeyAdmin) -> None:
    admin.seed_policy(_policy_props(type="tokens", credit_limit=1_000_000))
    with pytest.raises(RuntimeError, match="already exists with type='tokens'"):
        _policy_provider().create(_policy_props())


def test_the_policy_list_reads_every_page(admin: FakePortkeyAdmin) -> None:
    admin.page_size_cap = 2
    for index in range(5):
        admin.seed_policy(_policy_props(name=f"other-{index}"))
    target = admin.seed_policy(_policy_props())  # the sixth: on the third page

    created = _policy_provider().create(_policy_props())

    assert created.id == target and len(admin.policies) == 6
    pages = [r.query["current_page"] for r in admin.requests if r.path == "/policies/usage-limits"]
    assert pages == [["0"], ["1"], ["2"]]


def test_policy_lost_create_response_and_adoption(admin: FakePortkeyAdmin) -> None:
    admin.drop_next("POST", "/policies/usage-limits")
    first = _policy_provider().create(_policy_props())
    again = _policy_provider().create(_policy_props(credit_limit=100.0, alert_threshold=None))

    assert len(admin.policies) == 1 and first.id == again.id
    assert admin.policies[first.id]["credit_limit"] == 100.0

"""EstuarySettings: defaults, camelCase/snake_case keys, and clear messages for bad values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.settings.estuary import DEFAULT_API_URL, EstuarySettings


def test_defaults_are_the_real_estuary_endpoints_and_safe() -> None:
    s = EstuarySettings.model_validate({"tenantPrefix": "sophia/dev/"})
    assert s.api_url == DEFAULT_API_URL
    assert s.encryption_url == "https://config-encryption.estuary.dev"
    assert s.add_new_bindings is False and s.sources.enabled() == ()
    assert EstuarySettings(tenant_prefix="sophia/dev/", sync_frequency="5m").sync_frequency == "5m"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"tenantPrefix": "sophia/dev"}, "ending in '/'"),
        ({"syncFrequency": "10m"}, "'0s', '30s', '5m', '15m', '30m', '1h', '2h' or '4h'"),
        ({"sources": {"hubspot": {"enabled": True, "interval": "often"}}}, "e.g. '30s', '5m'"),
        ({"sources": {"github": {"enabled": True}}}, "lists no repositories"),
        ({"sources": {"github": {"repositories": ["not a repo"]}}}, "'owner/repo'"),
        ({"sources": {"gong": {"startDate": "01/02/2025"}}}, "YYYY-MM-DD"),
        ({"apiUrl": "not a url"}, "https://host"),
        ({"sources": {"snowplow": {"enabled": True}}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_values_say_what_is_allowed(raw: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        EstuarySettings.model_validate({"tenantPrefix": "sophia/dev/", **raw})
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        # The connector builds https://{region}.api.gong.io.
        ({"gong": {"region": "api"}}, "not 'api', not a host name"),
        ({"gong": {"region": "us-1.api.gong.io"}}, "is not a Gong region"),
        # GitHub and Slack require a start date (their published specs).
        ({"github": {"enabled": True, "repositories": ["a/b"]}}, "github is enabled but has no"),
        ({"slack": {"enabled": True}}, "slack is enabled but has no startDate"),
        ({"slack": {"lookbackWindow": 0}}, "greater than or equal to 1"),
        # source-hubspot-native has no start_date field.
        ({"hubspot": {"startDate": "2025-01-01"}}, "Extra inputs are not permitted"),
    ],
)
def test_connector_options_follow_the_connectors_specs(raw: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        EstuarySettings.model_validate({"tenantPrefix": "sophia/dev/", "sources": raw})
    assert needle in str(info.value)


def test_dates_become_the_date_times_connectors_require() -> None:
    s = EstuarySettings.model_validate(
        {
            "tenantPrefix": "sophia/dev/",
            "sources": {
                "intercom": {"startDate": "2025-01-01"},
                "gong": {"startDate": "2025-02-03T04:05:06Z", "region": "us-55616"},
            },
        }
    )
    assert s.sources.intercom.start_date == "2025-01-01T00:00:00Z"
    assert s.sources.gong.start_date == "2025-02-03T04:05:06Z"
    assert s.sources.gong.region == "us-55616"
    assert s.timestamp_type == "TIMESTAMP_LTZ"
    with pytest.raises(ValidationError, match="TIMESTAMP_NTZ \\(normalize to UTC\\)"):
        EstuarySettings.model_validate({"tenantPrefix": "a/", "timestampType": "NTZ"})


def test_webhooks_need_no_stack_credentials() -> None:
    s = EstuarySettings.model_validate(
        {
            "tenantPrefix": "a/",
            "sources": {"usergems": {"enabled": True}, "gong": {"enabled": True}},
        }
    )
    assert s.sources.needing_credentials() == ("gong",)

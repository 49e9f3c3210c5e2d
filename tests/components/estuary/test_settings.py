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

"""Estuary Flow settings: which sources a stack captures, how often, and where Estuary lives.

Read from the object-valued stack config key `sophia-infra:estuary` (camelCase keys; snake_case
also accepted). Secrets are NOT here: source credentials come from the secure key
`sophia-infra:estuarySourceCredentials` (a JSON object keyed by source name), the loader's
private key from `sophia-infra:estuaryLoaderPrivateKey`, and the dynamic provider reads its
refresh token from `FLOW_AUTH_TOKEN` or `sophia-infra:estuaryRefreshToken`.

Example (Pulumi.dev.yaml):
    sophia-infra:estuary:
      tenantPrefix: sophia/dev/
      addNewBindings: true
      syncFrequency: 30m
      sources:
        github: {enabled: true, interval: 5m, repositories: [sophia-ai/api], startDate: "2025-01-01"}
        hubspot: {enabled: true, interval: 15m}
        usergems: {enabled: true}

Field names and allowed values follow the connectors' published specs (docs/estuary.md, and
tests/fakes/estuary_connectors.py for the sources). Start dates are RFC 3339 date-times in
every connector that takes one; a bare date here means midnight UTC.
"""  # noqa: E501

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.settings._base import CamelModel

# Real control-plane endpoints: estuary/flow crates/flow-client/src/lib.rs (docs/estuary.md,
# "Credentials and endpoints"); the client's copies are in components/estuary/api.py.
DEFAULT_API_URL = "https://eyrcnmuzzyriypdajwdk.supabase.co/rest/v1"
DEFAULT_AGENT_URL = "https://api.estuary.dev"
DEFAULT_ENCRYPTION_URL = "https://config-encryption.estuary.dev"
DEFAULT_DATA_PLANE = "ops/dp/public/gcp-us-central1-c1"

SyncFrequency = Literal["0s", "30s", "5m", "15m", "30m", "1h", "2h", "4h"]
# materialize-snowflake `timestamp_type` (required by the connector).
TimestampType = Literal[
    "TIMESTAMP_LTZ",
    "TIMESTAMP_NTZ (discard TZ)",
    "TIMESTAMP_NTZ (normalize to UTC)",
    "TIMESTAMP_TZ",
]

_TOKEN = r"[\w.\-]+"
_PREFIX = re.compile(rf"^(?:{_TOKEN}/)+$")
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d))+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$")
_STREAM = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*/(?:[A-Za-z0-9_.\-]+|\*)$")


def _interval(value: str) -> str:
    if not _DURATION.match(value.replace(" ", "")) or not any(
        int(number) for number in re.findall(r"\d+", value)
    ):
        raise ValueError(
            f"{value!r} is not a duration; allowed: numbers with units ms, s, m, h, d, "
            "more than zero, e.g. '30s', '5m', '1h'"
        )
    return value


def _date(value: str | None) -> str | None:
    """A UTC date-time as the connectors require it (`format: date-time`, and for GitHub and
    Slack the pattern YYYY-MM-DDTHH:MM:SSZ); a bare date is midnight UTC."""
    if value is None:
        return None
    if not (_DATE.match(value) and _real_date(value)):
        raise ValueError(
            f"{value!r} is not a date; allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
        )
    return value if "T" in value else f"{value}T00:00:00Z"


def _require_start(settings: SourceSettings, source: str) -> None:
    if settings.enabled and getattr(settings, "start_date", None) is None:
        raise ValueError(
            f"{source} is enabled but has no startDate; the connector requires one; allowed: "
            "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
        )


def _real_date(value: str) -> bool:
    """2025-02-30 matches the pattern but is no day of the calendar."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class SourceSettings(CamelModel):
    """A source every stack may switch on; off unless the stack says so."""

    enabled: bool = Field(False, description="Declare this capture in the stack.")
    interval: str = Field(
        "5m", description="How often the connector polls (humantime, Estuary default 5m)."
    )
    connector_tag: str | None = Field(
        None, description="Override the pinned connector image tag (e.g. 'v2')."
    )

    @field_validator("interval")
    @classmethod
    def _check_interval(cls, value: str) -> str:
        return _interval(value)

    @field_validator("connector_tag")
    @classmethod
    def _check_tag(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^:?[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$", value):
            raise ValueError(f"{value!r} is not an image tag; allowed: e.g. 'v1', 'v2', 'dev'")
        return value


class GithubSettings(SourceSettings):
    repositories: tuple[str, ...] = Field(
        (), description="'owner/repo' or 'owner/*'; required when enabled."
    )
    start_date: str | None = Field(None, description="Backfill start (UTC); required.")

    @field_validator("repositories")
    @classmethod
    def _check_repos(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in value if not _REPO.match(r)]
        if bad:
            raise ValueError(f"{bad} are not repositories; allowed: 'owner/repo' or 'owner/*'")
        return value

    @field_validator("start_date")
    @classmethod
    def _check_start(cls, value: str | None) -> str | None:
        return _date(value)

    @model_validator(mode="after")
    def _repos_when_enabled(self) -> GithubSettings:
        if self.enabled and not self.repositories:
            raise ValueError(
                "github is enabled but lists no repositories; allowed: ['owner/repo', ...]"
            )
        _require_start(self, "github")
        return self


class DatedSourceSettings(SourceSettings):
    start_date: str | None = Field(None, description="Backfill start (UTC).")

    @field_validator("start_date")
    @classmethod
    def _check_start(cls, value: str | None) -> str | None:
        return _date(value)


class HubspotSettings(SourceSettings):
    """source-hubspot-native: OAuth only (its published spec offers no other credential)."""

    capture_property_history: bool = Field(
        False, description="Include the history of property changes (capturePropertyHistory)."
    )


class GongSettings(DatedSourceSettings):
    region: str | None = Field(
        None,
        description="Gong API region: the sub-domain in https://<region>.api.gong.io, as shown "
        "in Gong's API settings (e.g. 'us-55616'); unset = the connector's default.",
    )

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str | None) -> str | None:
        # One DNS label: the connector builds https://{region}.api.gong.io, so 'api' or a host
        # name here would build api.api.gong.io or a.b.api.gong.io.
        if value is not None and (
            not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", value) or value == "api"
        ):
            raise ValueError(
                f"{value!r} is not a Gong region; allowed: the sub-domain before .api.gong.io "
                "in your Gong API base URL, e.g. 'us-55616' (not 'api', not a host name)"
            )
        return value


class SlackSettings(DatedSourceSettings):
    join_channels: bool = Field(True, description="Let the bot join public channels.")
    lookback_window: int = Field(
        7, ge=1, le=365, description="Days to look back for new messages in threads."
    )

    @model_validator(mode="after")
    def _start_when_enabled(self) -> SlackSettings:
        _require_start(self, "slack")
        return self


class WebhookSettings(SourceSettings):
    """An HTTP-ingest (webhook) capture: the vendor pushes JSON to Estuary."""

    allowed_cors_origins: tuple[str, ...] = ()
    streams: tuple[str, ...] = Field(
        ("events",),
        description="Feeds pushed to this webhook (e.g. one per scraped site): each is a path "
        "/<source>/<stream> ('events' is /<source>), a collection and a Snowflake table.",
    )

    @field_validator("streams")
    @classmethod
    def _check_streams(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in value if not _STREAM.match(s)]
        if bad:
            raise ValueError(
                f"{bad} are not stream names; allowed: lower-case letters, digits and '_', "
                "starting with a letter, at most 64 characters"
            )
        if not value or len(set(value)) != len(value):
            raise ValueError("needs at least one stream, each named once")
        return value


class EstuarySources(CamelModel):
    github: GithubSettings = GithubSettings()
    hubspot: HubspotSettings = HubspotSettings()
    slack: SlackSettings = SlackSettings()
    intercom: DatedSourceSettings = DatedSourceSettings()
    gong: GongSettings = GongSettings()
    usergems: WebhookSettings = WebhookSettings()
    apollo: WebhookSettings = WebhookSettings()
    zenrows: WebhookSettings = WebhookSettings()
    apify: WebhookSettings = WebhookSettings()

    def enabled(self) -> tuple[str, ...]:
        """Names of the enabled sources, in declaration order."""
        return tuple(name for name in type(self).model_fields if getattr(self, name).enabled)

    def needing_credentials(self) -> tuple[str, ...]:
        """Enabled sources whose credentials come from stack config (a webhook's token is
        generated by the stack itself)."""
        return tuple(
            name for name in self.enabled() if not isinstance(getattr(self, name), WebhookSettings)
        )


class EstuarySettings(CamelModel):
    tenant_prefix: str = Field(
        description="Catalog prefix every task and collection lives under, ending in '/', "
        "e.g. 'sophia/dev/'."
    )
    data_plane: str = Field(DEFAULT_DATA_PLANE, description="Data plane for new tasks.")
    add_new_bindings: bool = Field(
        False,
        description="autoDiscover.addNewBindings on captures. Off in prod: new streams are "
        "reviewed in code, not added by Estuary in the background.",
    )
    evolve_incompatible_collections: bool = Field(True)
    sync_frequency: SyncFrequency = Field(
        "30m", description="Snowflake materialization syncSchedule.syncFrequency."
    )
    materialization_tag: str = Field(
        "v4",
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$",  # an OCI tag (distribution spec)
        description="materialize-snowflake image tag.",
    )
    timestamp_type: TimestampType = Field(
        "TIMESTAMP_LTZ",
        description="materialize-snowflake timestamp_type (required by the connector); must "
        "match TIMESTAMP_TYPE_MAPPING if the loader user sets one.",
    )
    sources: EstuarySources = EstuarySources()
    api_url: str = Field(DEFAULT_API_URL, description="PostgREST base URL.")
    agent_url: str = Field(DEFAULT_AGENT_URL, description="Agent API base URL.")
    encryption_url: str = Field(DEFAULT_ENCRYPTION_URL, description="Config-encryption URL.")
    anon_key: str | None = Field(
        None,
        description="Estuary's public Supabase anon key (flowctl's DEFAULT_PG_PUBLIC_TOKEN); "
        "not a secret, not committed; env ESTUARY_ANON_KEY wins.",
    )

    @field_validator("tenant_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError(
                f"{value!r} is not a catalog prefix; allowed: tokens of letters, digits, "
                "'-', '_' or '.' joined by '/' and ending in '/', e.g. 'sophia/dev/'"
            )
        return value

    @field_validator("data_plane")
    @classmethod
    def _check_data_plane(cls, value: str) -> str:
        if not re.match(rf"^{_TOKEN}(?:/{_TOKEN})*$", value):
            raise ValueError(
                f"{value!r} is not a data plane name; allowed: e.g. "
                "'ops/dp/public/gcp-us-central1-c1'"
            )
        return value

    @field_validator("api_url", "agent_url", "encryption_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(f"{value!r} is not a URL; allowed: https://host[/path]")
        return value.rstrip("/")

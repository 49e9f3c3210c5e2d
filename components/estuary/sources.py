"""What each source captures: connector image and tag, bindings (streams), collection keys and
the endpoint config, written to each connector's published spec.

Sources (the stand-in tests/fakes/estuary_connectors.py holds the transcribed schemas):
- GitHub: estuary/flow site docs `capture-connectors/github.md` (`/credentials`,
  `/repository`, `/start_date` required; resources `{stream, syncMode}`; the resource list
  has no `discussions`).
- HubSpot: estuary/connectors source-hubspot-native spec snapshot (OAuth is the only
  credential its published schema offers).
- Slack: estuary/airbyte source-slack spec.json (`start_date`, `lookback_window`,
  `join_channels` required).
- Intercom, Gong: their estuary/connectors spec and discover snapshots.
- Webhooks: estuary/connectors source-http-ingest/src/lib.rs (`requireAuthToken`, `paths`,
  resources `{stream, path}`, key `/_meta/webhookId`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SNOWFLAKE_IMAGE = "ghcr.io/estuary/materialize-snowflake"
HTTP_INGEST_IMAGE = "ghcr.io/estuary/source-http-ingest"


@dataclass(frozen=True)
class Stream:
    """One binding: the connector resource, the collection it feeds and its typed key."""

    name: str  # collection leaf and Snowflake table suffix
    resource: Mapping[str, Any]
    # (JSON pointer, JSON type): exactly one keyable type per key location, as the
    # connector's discover reports it (Flow rejects a key location with two types).
    key: tuple[tuple[str, str], ...] = (("/id", "string"),)


@dataclass(frozen=True)
class SourceKind:
    image: str
    tag: str
    streams: tuple[Stream, ...]
    # (settings of the source, credentials) -> endpoint config (plaintext; encrypted by Estuary)
    config: Callable[[Any, Mapping[str, Any]], dict[str, Any]]
    # Streams the plan asks for that this connector cannot capture: stream -> why, and what
    # is captured instead. Shown on the capture (`notCaptured`) and in docs/estuary.md.
    not_captured: Mapping[str, str] = field(default_factory=dict)


def _github_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "credentials": {
            "option_title": "PAT Credentials",
            "personal_access_token": c["personal_access_token"],
        },
        "repository": " ".join(s.repositories),
        "start_date": s.start_date,
    }


def _hubspot_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "credentials": {
            "credentials_title": "OAuth Credentials",
            "client_id": c["client_id"],
            "client_secret": c["client_secret"],
            "refresh_token": c["refresh_token"],
        },
        "capturePropertyHistory": s.capture_property_history,
    }


def _slack_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "credentials": {"option_title": "API Token Credentials", "api_token": c["api_token"]},
        "start_date": s.start_date,
        "lookback_window": s.lookback_window,
        "join_channels": s.join_channels,
    }


def _intercom_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "credentials": {
            "credentials_title": "Private App Credentials",
            "access_token": c["access_token"],
        }
    }
    if s.start_date:
        config["start_date"] = s.start_date
    return config


def _gong_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "credentials": {
            "credentials_title": "API Key",
            "access_key": c["access_key"],
            "access_key_secret": c["access_key_secret"],
        }
    }
    if s.region:
        config["region"] = s.region  # unset: the connector's default region
    if s.start_date:
        config["start_date"] = s.start_date
    return config


def webhook_path(source: str, stream: str) -> str:
    # 'events' keeps the plain /<source> path the vendors are already configured with.
    return f"/{source}" if stream == "events" else f"/{source}/{stream}"


def _webhook_config(source: str) -> Callable[..., dict[str, Any]]:
    def build(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
        return {
            # camelCase: the connector's serde `rename_all = "camelCase"`; `secret: true`.
            "requireAuthToken": c["auth_token"],
            "paths": [webhook_path(source, stream) for stream in s.streams],
            "allowedCorsOrigins": list(s.allowed_cors_origins),
        }

    return build


def _named(*names: str, key_type: str = "string") -> tuple[Stream, ...]:
    return tuple(Stream(n, {"name": n}, (("/id", key_type),)) for n in names)


def _airbyte(mode: str, *names: str, key_type: str = "integer") -> tuple[Stream, ...]:
    return tuple(Stream(n, {"stream": n, "syncMode": mode}, (("/id", key_type),)) for n in names)


WEBHOOK_KEY = (("/_meta/webhookId", "string"),)  # http-ingest discover: type string
GITHUB_NO_DISCUSSIONS = (
    "source-github has no discussions resource (Estuary's GitHub connector docs list its "
    "resources; GitHub serves Discussions only through GraphQL and webhooks). A webhook "
    "capture cannot authenticate GitHub's deliveries: they are signed with HMAC-SHA256, and "
    "source-http-ingest checks only a bearer token or ECDSA signatures. Captured instead: "
    "'comments' (issue and pull-request comments), the nearest conversation data the "
    "connector has."
)

# Key types: the connectors' discover snapshots where available (Gong: /id integer; Intercom:
# /id string; HubSpot: models.py `id: int`). GUESS: GitHub ids are integers and commits are
# keyed by `sha`, Slack ids are strings (Airbyte schemas; no snapshot read).
SOURCES: dict[str, SourceKind] = {
    "github": SourceKind(
        "ghcr.io/estuary/source-github",
        "v1",
        (
            Stream(
                "commits", {"stream": "commits", "syncMode": "incremental"}, (("/sha", "string"),)
            ),
            *_airbyte(
                "incremental", "pull_requests", "issues", "comments", "releases", "workflows"
            ),
        ),
        _github_config,
        {"discussions": GITHUB_NO_DISCUSSIONS},
    ),
    "hubspot": SourceKind(
        "ghcr.io/estuary/source-hubspot-native",
        "v1",
        _named("companies", "contacts", "deals", "engagements", "tickets", key_type="integer"),
        _hubspot_config,
    ),
    "slack": SourceKind(
        "ghcr.io/estuary/source-slack",
        "v1",
        (
            *_airbyte("full_refresh", "channels", "users", key_type="string"),
            Stream(
                "channel_messages",
                {"stream": "channel_messages", "syncMode": "incremental"},
                (("/channel_id", "string"), ("/ts", "string")),
            ),
        ),
        _slack_config,
    ),
    "intercom": SourceKind(
        "ghcr.io/estuary/source-intercom-native",
        "v1",
        _named("contacts", "companies", "conversations"),
        _intercom_config,
    ),
    "gong": SourceKind(
        "ghcr.io/estuary/source-gong",
        "v1",
        _named("calls", "users", key_type="integer"),
        _gong_config,
    ),
    **{
        source: SourceKind(
            HTTP_INGEST_IMAGE,
            "v1",
            (Stream("events", {"path": f"/{source}", "stream": "events"}, WEBHOOK_KEY),),
            _webhook_config(source),
        )
        for source in ("usergems", "apollo", "zenrows", "apify")
    },
}


def collection_spec(stream: Stream) -> dict[str, Any]:
    """A write schema that requires the typed key fields, and a read schema with inference.

    Inference is on when the read schema is `allOf: [flow://write-schema,
    flow://inferred-schema]` (docs.estuary.dev/concepts/schemas); `x-infer-schema` no longer
    does anything (flow's own test fixture says so). The write schema only pins the keys, so
    documents with any other fields are accepted and their shape is learnt by inference.
    """
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for pointer, json_type in stream.key:
        parts = pointer.strip("/").split("/")
        required.add(parts[0])
        node = properties
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = {"type": json_type}
            else:
                child = node.setdefault(part, {"type": "object", "properties": {}, "required": []})
                if parts[i + 1] not in child["required"]:
                    child["required"].append(parts[i + 1])
                node = child["properties"]
    return {
        "writeSchema": {"type": "object", "properties": properties, "required": sorted(required)},
        "readSchema": {
            "allOf": [{"$ref": "flow://write-schema"}, {"$ref": "flow://inferred-schema"}]
        },
        "key": [pointer for pointer, _ in stream.key],
    }


def snowflake_config(
    settings: Any,
    *,
    host: str,
    database: str,
    schema: str,
    warehouse: str,
    role: str,
    user: str,
    private_key: str,
) -> dict[str, Any]:
    return {
        "host": host,
        "database": database,
        "schema": schema,
        "warehouse": warehouse,
        "role": role,
        "timestamp_type": settings.timestamp_type,
        "credentials": {"auth_type": "jwt", "user": user, "private_key": private_key},
        "syncSchedule": {"syncFrequency": settings.sync_frequency},
    }

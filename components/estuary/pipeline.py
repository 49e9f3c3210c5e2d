"""`sophia:estuary:Pipeline`: the stack's Estuary captures and its one Snowflake materialization.

What is declared comes from `EstuarySettings` (which sources are on, their intervals and
options) plus secrets handed in by `__main__.py`. Each capture publishes the collections its
bindings write to, with schemas declared below (see docs/estuary.md for why not discover).
The pure `*_definitions` functions build the specs without Pulumi so tests and the provider
tests share one source of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.estuary.resources import (
    AutoDiscover,
    Capture,
    CaptureBinding,
    CaptureSpec,
    Materialization,
    MaterializationBinding,
    MaterializationSpec,
)
from components.settings.estuary import EstuarySettings

SNOWFLAKE_IMAGE = "ghcr.io/estuary/materialize-snowflake"
HTTP_INGEST_IMAGE = "ghcr.io/estuary/source-http-ingest"


@dataclass(frozen=True)
class Stream:
    """One binding: the connector resource, the collection it feeds and that collection's key."""

    name: str  # collection leaf and Snowflake table suffix
    resource: Mapping[str, Any]
    key: tuple[str, ...] = ("/id",)


@dataclass(frozen=True)
class SourceKind:
    image: str
    tag: str
    streams: tuple[Stream, ...]
    # (settings of the source, credentials) -> endpoint config (plaintext; encrypted by Estuary)
    config: Callable[[Any, Mapping[str, Any]], dict[str, Any]]


def _github_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    config = {
        "credentials": {
            "option_title": "PAT Credentials",
            "personal_access_token": c["personal_access_token"],
        },
        "repository": " ".join(s.repositories),
    }
    if s.start_date:
        config["start_date"] = s.start_date
    return config


def _token_config(field: str, title_key: str, title: str) -> Callable[..., dict[str, Any]]:
    def build(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
        config: dict[str, Any] = {"credentials": {title_key: title, field: c[field]}}
        if getattr(s, "start_date", None):
            config["start_date"] = s.start_date
        return config

    return build


def _slack_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    config = _token_config("api_token", "option_title", "API Token Credentials")(s, c)
    config["join_channels"] = s.join_channels
    return config


def _gong_config(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
    config = {
        "credentials": {
            "access_key": c["access_key"],
            "access_key_secret": c["access_key_secret"],
        },
        "region": s.region,
    }
    if s.start_date:
        config["start_date"] = s.start_date
    return config


def _webhook_path(source: str, stream: str) -> str:
    # 'events' keeps the plain /<source> path the vendors are already configured with.
    return f"/{source}" if stream == "events" else f"/{source}/{stream}"


def _webhook_config(source: str) -> Callable[..., dict[str, Any]]:
    def build(s: Any, c: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "paths": [_webhook_path(source, stream) for stream in s.streams],
            "require_auth_token": c["auth_token"],
            "allowedCorsOrigins": list(s.allowed_cors_origins),
        }

    return build


def _streams(field: str, *names: str, extra: Mapping[str, Any] | None = None) -> tuple:
    return tuple(Stream(n, {field: n, **(extra or {})}) for n in names)


# Collection keys are the streams' primary keys as documented by the connectors; they are
# [UNCONFIRMED] against a live discover (docs/estuary.md says how to check before prod).
SOURCES: dict[str, SourceKind] = {
    "github": SourceKind(
        "ghcr.io/estuary/source-github",
        "v1",
        (
            Stream("commits", {"stream": "commits", "syncMode": "incremental"}, ("/sha",)),
            *_streams(
                "stream",
                "pull_requests",
                "issues",
                "discussions",
                "releases",
                "workflows",
                extra={"syncMode": "incremental"},
            ),
        ),
        _github_config,
    ),
    "hubspot": SourceKind(
        "ghcr.io/estuary/source-hubspot-native",
        "v1",
        _streams("name", "companies", "contacts", "deals", "engagements", "tickets"),
        _token_config("access_token", "credentials_title", "Private App Credentials"),
    ),
    "slack": SourceKind(
        "ghcr.io/estuary/source-slack",
        "v1",
        (
            *_streams("stream", "channels", "users", extra={"syncMode": "full_refresh"}),
            Stream(
                "channel_messages",
                {"stream": "channel_messages", "syncMode": "incremental"},
                ("/channel_id", "/ts"),
            ),
        ),
        _slack_config,
    ),
    "intercom": SourceKind(
        "ghcr.io/estuary/source-intercom-native",
        "v1",
        _streams("name", "contacts", "companies", "conversations"),
        _token_config("access_token", "credentials_title", "Private App Credentials"),
    ),
    "gong": SourceKind(
        "ghcr.io/estuary/source-gong", "v1", _streams("name", "calls", "users"), _gong_config
    ),
    **{
        source: SourceKind(
            HTTP_INGEST_IMAGE,
            "v1",
            (Stream("events", {"path": f"/{source}", "stream": "events"}, ("/_meta/webhookId",)),),
            _webhook_config(source),
        )
        for source in ("usergems", "apollo", "zenrows", "apify")
    },
}


def source_streams(settings: EstuarySettings, source: str) -> tuple[Stream, ...]:
    """The bindings of one source: fixed per connector, or the stack's feeds for webhooks."""
    kind = SOURCES[source]
    if kind.image != HTTP_INGEST_IMAGE:
        return kind.streams
    return tuple(
        Stream(name, {"path": _webhook_path(source, name), "stream": name}, ("/_meta/webhookId",))
        for name in getattr(settings.sources, source).streams
    )


def collection_name(prefix: str, source: str, stream: str) -> str:
    return f"{prefix}{source}/{stream}"


def capture_name(prefix: str, source: str) -> str:
    # Not `{prefix}{source}`: a catalog name may not be a prefix of another (its collections).
    return f"{prefix}{source}/source-{source}"


def materialization_name(prefix: str) -> str:
    return f"{prefix}snowflake/materialize-snowflake"


def collection_spec(stream: Stream) -> dict[str, Any]:
    """Declared schema: the key fields are required; everything else is inferred by Estuary."""
    properties = {}
    for pointer in stream.key:
        parts = pointer.strip("/").split("/")
        node = properties
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = {"type": ["string", "integer"]}
            else:
                child = node.setdefault(
                    part, {"type": "object", "properties": {}, "required": [parts[i + 1]]}
                )
                node = child["properties"]
    return {
        "schema": {
            "type": "object",
            "properties": properties,
            "required": sorted({p.strip("/").split("/")[0] for p in stream.key}),
            "x-infer-schema": True,
        },
        "key": list(stream.key),
    }


def capture_definitions(
    settings: EstuarySettings, credentials: Mapping[str, Any]
) -> dict[str, tuple[str, CaptureSpec]]:
    """source -> (capture name, spec) for every enabled source, with plaintext configs."""
    return {
        source: (
            capture_name(settings.tenant_prefix, source),
            _capture_spec(settings, source, capture_definitions_one(settings, source, credentials)),
        )
        for source in settings.sources.enabled()
    }


def _capture_spec(settings: EstuarySettings, source: str, config: Any) -> CaptureSpec:
    kind = SOURCES[source]
    source_settings = getattr(settings.sources, source)
    prefix = settings.tenant_prefix
    streams = source_streams(settings, source)
    return CaptureSpec(
        connector_image=kind.image,
        connector_tag=source_settings.connector_tag or kind.tag,
        endpoint_config=config,
        bindings=[
            CaptureBinding(collection_name(prefix, source, s.name), s.resource) for s in streams
        ],
        collections={collection_name(prefix, source, s.name): collection_spec(s) for s in streams},
        interval=source_settings.interval,
        auto_discover=AutoDiscover(
            add_new_bindings=settings.add_new_bindings,
            evolve_incompatible_collections=settings.evolve_incompatible_collections,
        ),
        data_plane=settings.data_plane,
    )


def materialization_bindings(settings: EstuarySettings) -> list[MaterializationBinding]:
    prefix = settings.tenant_prefix
    return [
        MaterializationBinding(
            source=collection_name(prefix, source, s.name),
            resource={"table": f"{source}_{s.name}".upper(), "delta_updates": False},
        )
        for source in settings.sources.enabled()
        for s in source_streams(settings, source)
    ]


def snowflake_config(
    settings: EstuarySettings,
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
        "credentials": {"auth_type": "jwt", "user": user, "private_key": private_key},
        "syncSchedule": {"syncFrequency": settings.sync_frequency},
    }


@dataclass(frozen=True)
class PipelineArgs:
    settings: EstuarySettings
    source_credentials: pulumi.Input[Mapping[str, Any]]  # secret: {source: {fields}}
    snowflake_host: pulumi.Input[str]  # "<account>.snowflakecomputing.com"
    database: pulumi.Input[str]
    schema: pulumi.Input[str]  # the ESTUARY_REALTIME schema
    warehouse: pulumi.Input[str]
    role: pulumi.Input[str]
    loader_user: pulumi.Input[str]
    loader_private_key: pulumi.Input[str]  # secret (PEM)


class Pipeline(pulumi.ComponentResource):
    """Captures for the enabled sources and one materialization into Snowflake."""

    capture_names: pulumi.Output[list[str]]
    materialization_name: pulumi.Output[str]
    prefix: str

    def __init__(
        self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("sophia:estuary:Pipeline", name, None, opts)
        settings = args.settings
        self.prefix = settings.tenant_prefix
        credentials = pulumi.Output.secret(args.source_credentials)
        captures: list[Capture] = []
        for source in settings.sources.enabled():
            config = credentials.apply(
                lambda creds, source=source: capture_definitions_one(settings, source, creds)
            )
            spec = _capture_spec(settings, source, config)
            captures.append(
                Capture(
                    f"{name}-{source}",
                    capture_name(self.prefix, source),
                    spec,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        endpoint = pulumi.Output.all(
            args.snowflake_host,
            args.database,
            args.schema,
            args.warehouse,
            args.role,
            args.loader_user,
            pulumi.Output.secret(args.loader_private_key),
        ).apply(
            lambda v: snowflake_config(
                settings,
                host=v[0],
                database=v[1],
                schema=v[2],
                warehouse=v[3],
                role=v[4],
                user=v[5],
                private_key=v[6],
            )
        )
        materialization = Materialization(
            f"{name}-snowflake",
            materialization_name(self.prefix),
            MaterializationSpec(
                connector_image=SNOWFLAKE_IMAGE,
                connector_tag=settings.materialization_tag,
                endpoint_config=endpoint,
                bindings=materialization_bindings(settings),
                data_plane=settings.data_plane,
            ),
            # The collections must be live before the materialization can read them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=captures),
        )
        self.capture_names = pulumi.Output.all(*[c.catalogName for c in captures])
        self.materialization_name = materialization.catalogName
        self.register_outputs(
            {
                "capture_names": self.capture_names,
                "materialization_name": self.materialization_name,
            }
        )


def capture_definitions_one(
    settings: EstuarySettings, source: str, credentials: Mapping[str, Any]
) -> dict[str, Any]:
    """The plaintext endpoint config of one source (inside `apply`)."""
    kind = SOURCES[source]
    try:
        return kind.config(getattr(settings.sources, source), credentials.get(source) or {})
    except KeyError as missing:
        raise ValueError(
            f"sophia-infra:estuarySourceCredentials has no {missing} for source '{source}'; "
            "set it with `pulumi config set --secret estuarySourceCredentials '<json>'`"
        ) from None

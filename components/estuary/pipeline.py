"""`sophia:estuary:Pipeline`: the stack's Estuary captures and its one Snowflake materialization.

What is declared comes from `EstuarySettings` (which sources are on, their intervals and
options) plus secrets handed in by `__main__.py`; what each source captures and how its
connector is configured is in `sources.py`. Each capture publishes the collections its
bindings write to (see docs/estuary.md). Each webhook capture gets its own bearer token from
`random.RandomPassword`; `webhook_tokens` exposes them as a secret output for the vendors.
The pure `*_definitions` functions build the specs without Pulumi so the provider tests and
the Pipeline share one source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random

from components.estuary.capture import AutoDiscover, Capture, CaptureBinding, CaptureSpec
from components.estuary.materialization import (
    Materialization,
    MaterializationBinding,
    MaterializationSpec,
)
from components.estuary.sources import (
    HTTP_INGEST_IMAGE,
    SNOWFLAKE_IMAGE,
    SOURCES,
    WEBHOOK_KEY,
    Stream,
    collection_spec,
    snowflake_config,
    webhook_path,
)
from components.settings.estuary import EstuarySettings

__all__ = [
    "SNOWFLAKE_IMAGE",
    "Pipeline",
    "PipelineArgs",
    "capture_definitions",
    "collection_spec",
    "materialization_bindings",
    "materialization_name",
    "snowflake_config",
]


def source_streams(settings: EstuarySettings, source: str) -> tuple[Stream, ...]:
    """The bindings of one source: fixed per connector, or the stack's feeds for webhooks."""
    kind = SOURCES[source]
    if kind.image != HTTP_INGEST_IMAGE:
        return kind.streams
    return tuple(
        Stream(name, {"path": webhook_path(source, name), "stream": name}, WEBHOOK_KEY)
        for name in getattr(settings.sources, source).streams
    )


def is_webhook(source: str) -> bool:
    return SOURCES[source].image == HTTP_INGEST_IMAGE


def collection_name(prefix: str, source: str, stream: str) -> str:
    return f"{prefix}{source}/{stream}"


def capture_name(prefix: str, source: str) -> str:
    # Not `{prefix}{source}`: a catalog name may not be a prefix of another (its collections).
    return f"{prefix}{source}/source-{source}"


def materialization_name(prefix: str) -> str:
    return f"{prefix}snowflake/materialize-snowflake"


def capture_definitions(
    settings: EstuarySettings, credentials: Mapping[str, Any]
) -> dict[str, tuple[str, CaptureSpec]]:
    """source -> (capture name, spec) for every enabled source, with plaintext configs.

    `credentials` is keyed by source; a webhook's entry is `{"auth_token": <token>}`.
    """
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
        # Only where Estuary may add bindings: a capture with autoDiscover is re-discovered
        # in the background, which rewrites its collections' schemas (docs/estuary.md).
        auto_discover=AutoDiscover(
            add_new_bindings=True,
            evolve_incompatible_collections=settings.evolve_incompatible_collections,
        )
        if settings.add_new_bindings
        else None,
        data_plane=settings.data_plane,
        not_captured=dict(kind.not_captured),
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
    webhook_tokens: pulumi.Output[dict[str, str]]  # secret: source -> bearer token
    prefix: str

    def __init__(
        self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("sophia:estuary:Pipeline", name, None, opts)
        settings = args.settings
        self.prefix = settings.tenant_prefix
        credentials = pulumi.Output.secret(args.source_credentials)
        captures: list[Capture] = []
        tokens: dict[str, pulumi.Output[str]] = {}
        for source in settings.sources.enabled():
            source_credentials: pulumi.Output[Any] = credentials
            if is_webhook(source):
                # One token per webhook capture: the connector has one requireAuthToken per
                # endpoint, shared by the capture's paths (feeds).
                token = pulumi_random.RandomPassword(
                    f"{name}-{source}-webhook-token",
                    length=48,
                    special=False,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                tokens[source] = token.result
                source_credentials = pulumi.Output.all(credentials, token.result).apply(
                    lambda v, source=source: {**(v[0] or {}), source: {"auth_token": v[1]}}
                )
            config = source_credentials.apply(
                lambda creds, source=source: capture_definitions_one(settings, source, creds)
            )
            captures.append(
                Capture(
                    f"{name}-{source}",
                    capture_name(self.prefix, source),
                    _capture_spec(settings, source, config),
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
        self.webhook_tokens = pulumi.Output.secret(pulumi.Output.all(**tokens) if tokens else {})
        self.register_outputs(
            {
                "capture_names": self.capture_names,
                "materialization_name": self.materialization_name,
                "webhook_tokens": self.webhook_tokens,
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
            "set it with `pulumi config set --secret --path "
            f"'estuarySourceCredentials.{source}.{str(missing).strip(chr(39))}' <value>`"
        ) from None

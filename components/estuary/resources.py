"""`Capture` and `Materialization`: Pulumi dynamic resources over the Estuary control plane.

Type tokens: `pulumi-python:dynamic/estuary:Capture` and `...:Materialization` (so policies can
target each). The endpoint config is always made secret here, whatever the caller passed, and
the provider's secret outputs are listed in `additional_secret_outputs` (the dynamic provider
host does not mark new secret outputs by itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.dynamic

from components.estuary.provider import SECRET_OUTPUTS, CaptureProvider, MaterializationProvider

DEFAULT_DATA_PLANE = "ops/dp/public/gcp-us-central1-c1"

# Outputs the provider computes; seeded as None so Pulumi exposes them (pulumi#6678).
_COMPUTED = ("lastPubId", "lastBuildId", "md5", "encryptedConfig", "configHash", "configHashSalt")


@dataclass(frozen=True)
class CaptureBinding:
    """One captured resource (e.g. a GitHub stream) written into one collection."""

    target: str
    resource: Mapping[str, Any]
    disable: bool = False


@dataclass(frozen=True)
class AutoDiscover:
    add_new_bindings: bool = False
    evolve_incompatible_collections: bool = True


@dataclass(frozen=True)
class CaptureSpec:
    connector_image: str  # without tag, e.g. "ghcr.io/estuary/source-github"
    connector_tag: str  # "v1" (":v1" also accepted)
    endpoint_config: pulumi.Input[Mapping[str, Any]]  # plaintext; made secret, encrypted by Estuary
    bindings: Sequence[CaptureBinding]
    collections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    interval: str | None = None  # humantime; Estuary's default is 5m
    shards_disabled: bool = False
    auto_discover: AutoDiscover | None = None
    data_plane: str = DEFAULT_DATA_PLANE  # used when the task is first created
    # Streams asked for but not capturable, with the reason (shown, never sent to Estuary).
    not_captured: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MaterializationBinding:
    source: str
    resource: Mapping[str, Any]
    disable: bool = False
    fields: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class MaterializationSpec:
    connector_image: str
    connector_tag: str
    endpoint_config: pulumi.Input[Mapping[str, Any]]
    bindings: Sequence[MaterializationBinding]
    shards_disabled: bool = False
    data_plane: str = DEFAULT_DATA_PLANE


def capture_props(catalog_name: str, spec: CaptureSpec) -> dict[str, Any]:
    """The provider's input bag for a capture (wire names; endpointConfig as given)."""
    bindings = []
    for b in spec.bindings:
        item: dict[str, Any] = {"resource": dict(b.resource), "target": b.target}
        if b.disable:
            item["disable"] = True
        bindings.append(item)
    auto = None
    if spec.auto_discover is not None:
        auto = {
            "addNewBindings": spec.auto_discover.add_new_bindings,
            "evolveIncompatibleCollections": spec.auto_discover.evolve_incompatible_collections,
        }
    return {
        "catalogName": catalog_name,
        "connectorImage": spec.connector_image,
        "connectorTag": spec.connector_tag,
        "endpointConfig": spec.endpoint_config,
        "bindings": bindings,
        "collections": {k: dict(v) for k, v in spec.collections.items()},
        "interval": spec.interval,
        "shardsDisabled": spec.shards_disabled,
        "autoDiscover": auto,
        "dataPlane": spec.data_plane,
        **({"notCaptured": dict(spec.not_captured)} if spec.not_captured else {}),
    }


def materialization_props(catalog_name: str, spec: MaterializationSpec) -> dict[str, Any]:
    """The provider's input bag for a materialization."""
    bindings = []
    for b in spec.bindings:
        item: dict[str, Any] = {"resource": dict(b.resource), "source": b.source}
        if b.disable:
            item["disable"] = True
        if b.fields:
            item["fields"] = dict(b.fields)
        bindings.append(item)
    return {
        "catalogName": catalog_name,
        "connectorImage": spec.connector_image,
        "connectorTag": spec.connector_tag,
        "endpointConfig": spec.endpoint_config,
        "bindings": bindings,
        "shardsDisabled": spec.shards_disabled,
        "dataPlane": spec.data_plane,
    }


def _opts(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts or pulumi.ResourceOptions(),
        pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS)),
    )


class Capture(pulumi.dynamic.Resource, module="estuary", name="Capture"):
    """An Estuary capture plus the collections its bindings write to (one publication)."""

    # Output attributes carry the wire (camelCase) names the provider returns.
    catalogName: pulumi.Output[str]
    lastPubId: pulumi.Output[str]
    lastBuildId: pulumi.Output[str]
    encryptedConfig: pulumi.Output[Any]
    discoveredBindings: pulumi.Output[list]

    def __init__(
        self,
        resource_name: str,
        catalog_name: str,
        spec: CaptureSpec,
        opts: pulumi.ResourceOptions | None = None,
        provider: CaptureProvider | None = None,
    ) -> None:
        props = capture_props(catalog_name, spec)
        # Secret whatever the caller passed: the plaintext must never be a plain value.
        props["endpointConfig"] = pulumi.Output.secret(spec.endpoint_config)
        props.update({"discoveredBindings": None, **dict.fromkeys(_COMPUTED)})
        super().__init__(provider or CaptureProvider(), resource_name, props, _opts(opts))


class Materialization(pulumi.dynamic.Resource, module="estuary", name="Materialization"):
    """An Estuary materialization of existing collections."""

    catalogName: pulumi.Output[str]
    lastPubId: pulumi.Output[str]
    lastBuildId: pulumi.Output[str]
    encryptedConfig: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        catalog_name: str,
        spec: MaterializationSpec,
        opts: pulumi.ResourceOptions | None = None,
        provider: MaterializationProvider | None = None,
    ) -> None:
        props = materialization_props(catalog_name, spec)
        props["endpointConfig"] = pulumi.Output.secret(spec.endpoint_config)
        props.update(dict.fromkeys(_COMPUTED))
        super().__init__(provider or MaterializationProvider(), resource_name, props, _opts(opts))

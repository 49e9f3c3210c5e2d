"""An Estuary materialization of existing collections: its spec and input bag, its dynamic
provider, and its resource.

Type token `pulumi-python:dynamic/estuary:Materialization`. The provider is pickled as a
reference to `components.estuary.materialization.MaterializationProvider` (older state names
`components.estuary.provider.MaterializationProvider`, which re-exports this class).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.estuary import specs
from components.estuary.base import TaskProvider, resource_inputs, secret_outputs_options
from components.estuary.specs import DEFAULT_DATA_PLANE


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


class MaterializationProvider(TaskProvider):
    spec_type = "materialization"
    binding_ref = "source"
    declared_keys = ("connectorTag", "bindings", "shardsDisabled")

    def normalize_binding(self, binding: Mapping[str, Any]) -> dict[str, Any]:
        # Live bindings carry `fields: {recommended: true}` and other re-serialized defaults.
        return specs.materialization_binding(binding)


class Materialization(pulumi.dynamic.Resource, module="estuary", name="Materialization"):
    """An Estuary materialization of existing collections (endpoint config made secret)."""

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
        props = resource_inputs(materialization_props(catalog_name, spec), spec.endpoint_config)
        super().__init__(
            provider or MaterializationProvider(),
            resource_name,
            props,
            secret_outputs_options(opts),
        )

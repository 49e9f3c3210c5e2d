"""An Estuary capture: its spec and input bag, its dynamic provider, and its resource.

Type token `pulumi-python:dynamic/estuary:Capture`. The provider is pickled as a reference to
`components.estuary.capture.CaptureProvider` (state written before this module existed names
`components.estuary.provider.CaptureProvider`, which re-exports this class).

Collections and auto-discover: a capture publishes the collections its bindings write to in
the same draft. When the capture sets `autoDiscover`, Estuary's controller runs discovers in
the background and republishes the schemas of existing bindings' collections (docs/estuary.md
"Collections"). Then Estuary owns those collection specs: the provider publishes a declared
collection only when it is new, and does not report Estuary's schema changes as drift. Without
`autoDiscover` the declared collections are authoritative: staged with every publication and
compared on refresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.dynamic

from components.estuary.base import (
    CATALOG_NAME,
    Fail,
    TaskProvider,
    resource_inputs,
    secret_outputs_options,
)
from components.estuary.specs import DEFAULT_DATA_PLANE, clean, duration_seconds, has_unknown


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


def check_capture(news: Mapping[str, Any], fail: Fail) -> None:
    interval = news.get("interval")
    if interval is not None and not has_unknown(interval):
        try:
            duration_seconds(str(interval))
        except ValueError:
            fail("interval", f"{interval!r} is not a duration such as '30s', '5m' or '1h'")
    auto = news.get("autoDiscover")
    allowed = {"addNewBindings", "evolveIncompatibleCollections"}
    if (
        auto is not None
        and not has_unknown(auto)
        and (not isinstance(auto, Mapping) or not set(auto) <= allowed)
    ):
        fail(
            "autoDiscover",
            "must be an object with only addNewBindings and "
            "evolveIncompatibleCollections (booleans)",
        )
    collections = news.get("collections") or {}
    if has_unknown(collections):
        return
    if not isinstance(collections, Mapping):
        fail("collections", "must be an object keyed by collection name")
        return
    for cname, cspec in collections.items():
        where = f"collections[{cname}]"
        if not CATALOG_NAME.match(str(cname)):
            fail(where, "the key is not a collection name like 'acme/dev/x'")
        if not isinstance(cspec, Mapping):
            fail(where, "must be a collection spec object")
            continue
        key = cspec.get("key")
        if not (
            isinstance(key, list)
            and key
            and all(isinstance(p, str) and p.startswith("/") for p in key)
        ):
            fail(f"{where}.key", "must be a non-empty list of JSON pointers like '/id'")
        if ("schema" in cspec) == ("writeSchema" in cspec) or (
            ("writeSchema" in cspec) != ("readSchema" in cspec)
        ):
            fail(where, "needs 'schema', or both 'writeSchema' and 'readSchema'")


def _discovers(props: Mapping[str, Any]) -> bool:
    """The capture has autoDiscover set, so Estuary discovers in the background."""
    return bool(clean(props.get("autoDiscover")))


class CaptureProvider(TaskProvider):
    spec_type = "capture"
    binding_ref = "target"
    declared_keys = (
        "connectorTag",
        "bindings",
        "interval",
        "shardsDisabled",
        "autoDiscover",
        "collections",
    )

    def check_kind(self, news: Mapping[str, Any], fail: Fail) -> None:
        check_capture(news, fail)

    def declared_view(self, props: Mapping[str, Any]) -> dict[str, Any]:
        view = super().declared_view(props)
        view.update(
            interval=props.get("interval"),
            autoDiscover=clean(props.get("autoDiscover")) or None,
            collections=clean(props.get("collections") or {}),
        )
        return view

    def build_spec(self, props, encrypted_config, extra_bindings):  # type: ignore[no-untyped-def]
        spec = super().build_spec(props, encrypted_config, extra_bindings)
        if props.get("interval"):
            spec["interval"] = props["interval"]
        auto = clean(props.get("autoDiscover"))
        if auto:
            spec["autoDiscover"] = auto
        return spec

    def extra_names(self, props: Mapping[str, Any]) -> list[str]:
        return sorted((props.get("collections") or {}).keys())

    def extra_rows(
        self, props: Mapping[str, Any], olds: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        # Declared collections go in the same draft as the capture, without expect_pub_id (we
        # own them; a capture deleted earlier leaves its collections behind). Under
        # autoDiscover only new ones: Estuary's discovers own the existing ones.
        known = set((olds or {}).get("collections") or {}) if _discovers(props) else set()
        return [
            {
                "catalog_name": cname,
                "spec_type": "collection",
                "spec": dict(cspec),
                "expect_pub_id": None,
            }
            for cname, cspec in sorted((props.get("collections") or {}).items())
            if cname not in known
        ]

    def auto_discovers(self, props: Mapping[str, Any]) -> bool:
        """Estuary adds bindings by itself (they are kept, not reported as drift)."""
        return bool((props.get("autoDiscover") or {}).get("addNewBindings"))

    def extra_outputs(self, props, row):  # type: ignore[no-untyped-def]
        declared = {b.get("target") for b in props.get("bindings") or []}
        live_bindings = (row.spec or {}).get("bindings") or []
        return {
            "discoveredBindings": self.normalize_bindings(
                [b for b in live_bindings if b.get("target") not in declared]
            )
        }

    def live_view(self, olds, live):  # type: ignore[no-untyped-def]
        view = super().live_view(olds, live)
        spec = live.spec or {}
        view["interval"] = spec.get("interval")
        view["autoDiscover"] = clean(spec.get("autoDiscover")) or None
        declared = {b.get("target") for b in olds.get("bindings") or []}
        if self.auto_discovers({"autoDiscover": view["autoDiscover"]}):
            # Bindings autoDiscover added are Estuary's, not drift; keep them for updates.
            view["discoveredBindings"] = [
                b for b in view["bindings"] if b.get("target") not in declared
            ]
            view["bindings"] = [b for b in view["bindings"] if b.get("target") in declared]
        else:
            view["discoveredBindings"] = []
        return view

    def read_extras(self, olds, view, live):  # type: ignore[no-untyped-def]
        if _discovers(olds) or _discovers(view):
            return {}  # Estuary's discovers own the collection schemas
        collections = {}
        for cname in self.extra_names(olds):
            row = live.get(cname)
            if row is not None:
                collections[cname] = row.spec
        return {"collections": collections}


class Capture(pulumi.dynamic.Resource, module="estuary", name="Capture"):
    """An Estuary capture plus the collections its bindings write to (one publication).

    The endpoint config is always made secret here, whatever the caller passed, and the
    provider's secret outputs are listed in `additional_secret_outputs` (the dynamic provider
    host does not mark new secret outputs by itself)."""

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
        props = resource_inputs(
            capture_props(catalog_name, spec), spec.endpoint_config, "discoveredBindings"
        )
        super().__init__(
            provider or CaptureProvider(), resource_name, props, secret_outputs_options(opts)
        )

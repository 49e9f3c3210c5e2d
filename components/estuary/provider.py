"""Pulumi dynamic providers for Estuary captures and materializations.

Both classes live in this importable module, so the pickled provider is a reference to
`components.estuary.provider.<Class>` (plus the non-secret `Tuning`); the shared behaviour is
in `components.estuary.base` (see its docstring for pickling, state and secrets).

Collections and auto-discover: a capture publishes the collections its bindings write to in
the same draft. When the capture sets `autoDiscover`, Estuary's controller runs discovers in
the background and republishes the schemas of existing bindings' collections (with
`addNewBindings` off it still runs, as `update_only`; agent controller `try_auto_discover`,
per the review). Then Estuary owns those collection specs: the provider publishes a declared
collection only when it is new, and does not report Estuary's schema changes as drift. Without
`autoDiscover` the declared collections are authoritative: staged with every publication and
compared on refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.estuary import specs
from components.estuary.base import SECRET_OUTPUTS, _TaskProvider
from components.estuary.checks import check_capture
from components.estuary.specs import clean

__all__ = ["SECRET_OUTPUTS", "CaptureProvider", "MaterializationProvider"]


def _discovers(props: Mapping[str, Any]) -> bool:
    """The capture has autoDiscover set, so Estuary discovers in the background."""
    return bool(clean(props.get("autoDiscover")))


class CaptureProvider(_TaskProvider):
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

    def _check_kind(self, news: Mapping[str, Any], fail: Any) -> None:
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

    def extra_outputs(self, props: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
        declared = {b.get("target") for b in props.get("bindings") or []}
        live_bindings = ((row.get("spec") or {}).get("bindings")) or []
        return {
            "discoveredBindings": self.normalize_bindings(
                [b for b in live_bindings if b.get("target") not in declared]
            )
        }

    def live_view(self, olds: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
        view = super().live_view(olds, live)
        spec = live["spec"]
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
                collections[cname] = row["spec"]
        return {"collections": collections}


class MaterializationProvider(_TaskProvider):
    spec_type = "materialization"
    binding_ref = "source"
    declared_keys = ("connectorTag", "bindings", "shardsDisabled")

    def normalize_binding(self, binding: Mapping[str, Any]) -> dict[str, Any]:
        # Live bindings carry `fields: {recommended: true}` and other re-serialized defaults.
        return specs.materialization_binding(binding)

"""The views the Estuary providers compare and store: declared and live fields in canonical
form, the spec and draft rows they publish, the outputs they record (no plaintext config).

`components.estuary.base._TaskProvider` mixes `_TaskViews` in; the task kinds in
`components.estuary.provider` override its hooks. Pure: no HTTP, no secrets kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from components.estuary import specs
from components.estuary.specs import bare_tag, canonical, clean


class _TaskViews:
    """Canonical views of one Estuary task kind (overridden per kind)."""

    # Set by the task kind (components.estuary.provider).
    spec_type: ClassVar[str]
    binding_ref: ClassVar[str]

    # ---- views ------------------------------------------------------------------------------
    def normalize_binding(self, binding: Mapping[str, Any]) -> dict[str, Any]:
        return specs.capture_binding(binding)

    def normalize_bindings(self, bindings: Any) -> list[dict[str, Any]]:
        out = [self.normalize_binding(b) for b in bindings or []]
        return sorted(out, key=lambda b: str(b.get(self.binding_ref)))

    def declared_view(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The user-declared fields in canonical form (what diff and drift compare)."""
        return {
            "connectorTag": bare_tag(props.get("connectorTag")),
            "bindings": self.normalize_bindings(props.get("bindings")),
            "shardsDisabled": bool(props.get("shardsDisabled") or False),
        }

    def build_spec(
        self,
        props: Mapping[str, Any],
        encrypted_config: Any,
        extra_bindings: list[dict[str, Any]],
    ) -> dict[str, Any]:
        bindings = self.normalize_bindings(props.get("bindings")) + list(extra_bindings)
        spec: dict[str, Any] = {
            "endpoint": {
                "connector": {
                    "image": f"{props['connectorImage']}:{bare_tag(props['connectorTag'])}",
                    "config": encrypted_config,
                }
            },
            "bindings": bindings,
        }
        if props.get("shardsDisabled"):
            spec["shards"] = {"disable": True}
        return spec

    def extra_rows(
        self, props: Mapping[str, Any], olds: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        """Other specs published in the same draft (a capture's collections)."""
        return []

    def extra_names(self, props: Mapping[str, Any]) -> list[str]:
        return []

    def auto_discovers(self, props: Mapping[str, Any]) -> bool:
        return False

    def live_view(self, olds: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
        """Declared fields as they are live, plus kind-specific extras."""
        spec = live["spec"]
        image, tag = specs.split_image(
            spec.get("endpoint", {}).get("connector", {}).get("image", "")
        )
        return {
            "connectorImage": image,
            "connectorTag": tag,
            "bindings": self.normalize_bindings(spec.get("bindings")),
            "shardsDisabled": bool((spec.get("shards") or {}).get("disable", False)),
        }

    # ---- publication flow --------------------------------------------------------------------
    def _rows(
        self,
        props: Mapping[str, Any],
        spec: dict[str, Any] | None,
        expect_pub_id: str | None,
        olds: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        task = {
            "catalog_name": props["catalogName"],
            "spec_type": self.spec_type if spec is not None else None,
            "spec": spec,
            "expect_pub_id": expect_pub_id,
        }
        return [task, *(self.extra_rows(props, olds) if spec is not None else [])]

    def _outputs(
        self,
        props: Mapping[str, Any],
        live: Mapping[str, Mapping[str, Any]],
        encrypted: str,
        salt: str,
        secret_hash: str,
    ) -> dict[str, Any]:
        row = live.get(props["catalogName"]) or {}
        outs = {
            **_public(props),
            **self.declared_view(props),
            "lastPubId": row.get("last_pub_id"),
            "lastBuildId": row.get("last_build_id"),
            "md5": row.get("md5"),
            "encryptedConfig": encrypted,
            "configHash": secret_hash,
            "configHashSalt": salt,
        }
        outs.update(self.extra_outputs(props, row))
        return outs

    def extra_outputs(self, props: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def read_extras(
        self,
        olds: Mapping[str, Any],
        view: Mapping[str, Any],
        live: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Any]:
        return {}

    def _comparable(self, key: str, value: Any) -> str:
        if key == "bindings":
            return canonical(self.normalize_bindings(value))
        if key == "connectorTag":
            return bare_tag(value)
        if key == "shardsDisabled":
            return canonical(bool(value or False))
        if key == "interval":
            return canonical(specs.interval_key(value))
        if key == "autoDiscover":
            return canonical(clean(value) or None)
        return canonical(clean(value))


def _public(props: Mapping[str, Any]) -> dict[str, Any]:
    """Props minus the plaintext config and Pulumi's own keys (like __provider)."""
    return {k: v for k, v in props.items() if k != "endpointConfig" and not k.startswith("__")}

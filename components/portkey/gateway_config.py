"""`GatewayConfig`: a saved Portkey config (props, provider and resource).

Mirrors Terraform's `portkey_config` (terraform-provider-portkey internal/provider/
config_resource.go):
- inputs: name, config (JSON string), workspace_id (change forces replacement); outputs: config_id,
  slug (also the Pulumi id), version_id, status.
- create looks up by name first (POST is not idempotent) and adopts what it finds; a create whose
  answer is lost is settled by reading back (components/portkey/base.py `settle_write`), so a
  fault never leaves a duplicate.
- read treats only 404 AB08 as deleted (empty id); a 403 (AB03, permission) fails the refresh
  loudly instead of dropping a live object from state. What it records comes from the answer,
  parsed strictly (components/portkey/answers.py `Config`).
- diff compares configs canonically and ignores version_id/status; it makes no HTTP call.
- update re-reads after PUT (PUT answers can be stale: Terraform CHANGELOG 0.2.26) and fails when
  the config does not read back as sent.
- a workspace change replaces create-before-delete, so the slug the API sends never points at a
  deleted config.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.portkey.base import INACTIVE, PortkeyProvider, gone_or_raise, unknown
from components.portkey.errors import PortkeyApiError
from components.settings.portkey_routing import canonical_json

if TYPE_CHECKING:
    from components.portkey.answers import Config, ConfigSummary
    from components.portkey.api import PortkeyAdminClient

__all__ = ["GatewayConfig", "GatewayConfigProvider"]


class GatewayConfigProvider(PortkeyProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]):
        failures = []
        config = news.get("config")
        if not unknown(config):
            try:
                parsed = json.loads(config) if isinstance(config, str) else None
            except json.JSONDecodeError as error:
                parsed, reason = None, f"config is not valid JSON: {error.msg}"
            else:
                reason = "config must be a JSON object string"
            if not isinstance(parsed, dict):
                failures.append(pulumi.dynamic.CheckFailure("config", reason))
        if not news.get("name") and not unknown(news.get("name")):
            failures.append(pulumi.dynamic.CheckFailure("name", "name must be a non-empty string"))
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Pure comparison, no HTTP: a no-op preview must not touch the API.
        replaces = []
        if (olds.get("workspace_id") or None) != (news.get("workspace_id") or None):
            replaces.append("workspace_id")
        changes = list(replaces)
        if olds.get("name") != news.get("name"):
            changes.append("name")
        old_config, new_config = olds.get("config"), news.get("config")
        config_changed = (
            unknown(new_config)
            or old_config is None
            or canonical_json(old_config) != canonical_json(new_config)
        )
        if config_changed:
            changes.append("config")
        # Create the new config before deleting the old one: the API pods keep sending the old
        # slug until they roll, and create adopts by name only inside the new workspace.
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client()
        name, workspace_id = props["name"], props.get("workspace_id") or None
        config = json.loads(props["config"])
        existing = self._find_by_name(client, name, workspace_id)
        if existing is None:

            def landed() -> str | None:
                found = self._find_by_name(client, name, workspace_id)
                return found.slug if found else None

            slug = self.settle_write(
                lambda: client.create_config(name, config, workspace_id).slug,
                landed,
                f"create Portkey config '{name}'",
            )
        else:
            slug = existing.slug
        live = self._write(client, slug, name, config)
        return CreateResult(slug, self._outs(props, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self.client().get_config(id_)
        except PortkeyApiError as error:
            if gone_or_raise(error, f"config {id_}"):
                return ReadResult("", {})
            raise
        # Keep the user's spelling when it means the same, so refresh causes no phantom diff.
        config = props.get("config")
        if not isinstance(config, str) or canonical_json(config) != canonical_json(live.config):
            config = canonical_json(live.config)
        inputs = {
            "name": live.name,
            "config": config,
            # The API answers a UUID even when given a slug: keep what the user declared.
            "workspace_id": props.get("workspace_id"),
        }
        return ReadResult(id_, self._outs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        config = json.loads(news["config"])
        live = self._write(self.client(), id_, news["name"], config, read_first=False)
        return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client()
        self.delete_settled(
            lambda: client.delete_config(id_),
            lambda: client.get_config(id_),
            f"Portkey config {id_}",
        )

    # ------------------------------------------------------------------------------------------

    def _write(
        self,
        client: PortkeyAdminClient,
        slug: str,
        name: str,
        config: dict[str, Any],
        *,
        read_first: bool = True,
    ) -> Config:
        """Make the config read back as `name` + `config`; with `read_first`, PUT only when it
        does not already (create, adoption); an update PUTs straight away."""

        def as_wanted() -> Config | None:
            live = client.get_config(slug)
            same = live.name == name and canonical_json(live.config) == canonical_json(config)
            return live if same else None

        live = as_wanted() if read_first else None
        if live is not None:
            return live

        def put() -> Config:
            client.update_config(slug, name, config)
            written = as_wanted()  # the PUT answer can be stale: re-read
            if written is None:
                raise RuntimeError(
                    f"Portkey accepted PUT /configs/{slug} but the config does not read back as "
                    "sent; run again (if it persists, the API changed the config)"
                )
            return written

        return self.settle_write(put, as_wanted, f"update Portkey config {slug}")

    @staticmethod
    def _find_by_name(
        client: PortkeyAdminClient, name: str, workspace_id: str | None
    ) -> ConfigSummary | None:
        matches = [
            item
            for item in client.list_configs(workspace_id)
            if item.name == name and item.status not in INACTIVE
        ]
        if len(matches) > 1:
            slugs = sorted(item.slug for item in matches)
            raise RuntimeError(
                f"Portkey has {len(matches)} configs named '{name}' ({', '.join(slugs)}); "
                "delete the extras or import one by slug before this stack can own the name"
            )
        return matches[0] if matches else None

    @staticmethod
    def _outs(inputs: dict[str, Any], live: Config) -> dict[str, Any]:
        return {
            "name": inputs["name"],
            "config": inputs["config"],
            "workspace_id": inputs.get("workspace_id"),
            "config_id": live.id,
            "slug": live.slug,
            "version_id": live.version_id,
            "status": live.status,
        }


class GatewayConfig(Resource, module="portkey", name="GatewayConfig"):
    """A saved Portkey config; its `slug` goes into the `x-portkey-config` header."""

    name: pulumi.Output[str]
    config: pulumi.Output[str]
    workspace_id: pulumi.Output[str | None]
    config_id: pulumi.Output[str]
    slug: pulumi.Output[str]
    version_id: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        config: pulumi.Input[str],
        workspace_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        provider: GatewayConfigProvider | None = None,
    ) -> None:
        super().__init__(
            provider or GatewayConfigProvider(),
            resource_name,
            {
                "name": name,
                "config": config,
                "workspace_id": workspace_id,
                "config_id": None,
                "slug": None,
                "version_id": None,
                "status": None,
            },
            opts,
        )

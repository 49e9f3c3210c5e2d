"""Dynamic providers for Portkey objects: `GatewayConfig` (a saved config) and `UsageLimitsPolicy`.

Mirrors the Terraform provider's `portkey_config` / `portkey_usage_limits_policy`:
- GatewayConfig inputs: name, config (JSON string), workspace_id (change forces replacement);
  outputs: config_id, slug (also the Pulumi id), version_id, status.
- create looks up by name first (POST is not idempotent) and adopts what it finds; a lost create
  response is recovered the same way, so a retry never leaves a duplicate.
- read treats only 404 AB08 as deleted (empty id); a 403 (AB03, permission) fails the refresh
  loudly instead of dropping a live object from state. `config` may be a string or an object.
- diff compares configs canonically and ignores version_id/status; it makes no HTTP call.
- update re-reads after PUT because PUT responses can be stale.
- a workspace change replaces create-before-delete, so the slug the API sends never points at a
  deleted config.

Credentials: the admin API key comes from PORTKEY_ADMIN_API_KEY (never PORTKEY_API_KEY, the gateway
key the pods and the Portkey SDKs use) or the stack secret
`sophia-infra:portkeyAdminApiKey` (handed to `configure` by the dynamic-provider host). It is never
stored in a way that is pickled (see `__getstate__`) and never put into inputs or outputs.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pulumi.dynamic import (
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from components.portkey.errors import DEFAULT_BASE_URL, PortkeyApiError
from components.settings.portkey_routing import canonical_json

API_KEY_ENV = "PORTKEY_ADMIN_API_KEY"  # same name as client.API_KEY_ENV (kept light to import)

if TYPE_CHECKING:  # the client (and requests) load only when an operation runs
    from components.portkey.client import PortkeyAdminClient

PROJECT = "sophia-infra"
BASE_URL_ENV = "PORTKEY_BASE_URL"
API_KEY_CONFIG = f"{PROJECT}:portkeyAdminApiKey"
SETTINGS_CONFIG = f"{PROJECT}:portkey"
_INACTIVE = {"archived", "deleted", "inactive"}


class _PortkeyProvider(ResourceProvider):
    """Shared plumbing: where the key and URL come from, and a fresh client per operation."""

    # The provider carries no secret (the key is read at run time), so its pickle need not be one.
    serialize_as_secret_always = False
    _TRANSIENT: ClassVar[tuple[str, ...]] = ("_configured_api_key", "_configured_base_url")

    def __init__(self, *, max_retries: int = 4, backoff_factor: float = 0.5) -> None:
        super().__init__()
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self._configured_api_key: str | None = None
        self._configured_base_url: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Whatever `configure` learnt stays in this process: never in the serialized provider.
        return {key: value for key, value in self.__dict__.items() if key not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._configured_api_key = None
        self._configured_base_url = None

    def configure(self, req: ConfigureRequest) -> None:
        key = req.config.get(API_KEY_CONFIG)
        self._configured_api_key = key if isinstance(key, str) and key else None
        settings = req.config.get(SETTINGS_CONFIG)
        if isinstance(settings, str):
            try:
                settings = json.loads(settings)
            except json.JSONDecodeError:
                settings = None
        if isinstance(settings, dict) and settings.get("adminBaseUrl"):
            self._configured_base_url = str(settings["adminBaseUrl"])

    def _client(self) -> PortkeyAdminClient:
        from components.portkey.client import PortkeyAdminClient

        api_key = os.environ.get(API_KEY_ENV) or self._configured_api_key or ""
        base_url = os.environ.get(BASE_URL_ENV) or self._configured_base_url or DEFAULT_BASE_URL
        return PortkeyAdminClient(
            api_key,
            base_url,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
        )


def _unknown(value: Any) -> bool:
    return isinstance(value, pulumi.output.Unknown)


def _gone_or_raise(error: PortkeyApiError, what: str) -> bool:
    """True only for a real not-found; a permission error fails loudly (never "deleted")."""
    if error.is_not_found:
        return True
    if error.is_permission_denied:
        raise RuntimeError(
            f"Portkey admin API refused to read {what}: HTTP {error.status} {error.error_code} "
            f"({error.message}). It may still exist: not removing it from state. Check that "
            f"{API_KEY_ENV} is an admin key with access to this workspace."
        ) from None
    return False


# ----------------------------------------------------------------------------------------------
# GatewayConfig


class GatewayConfigProvider(_PortkeyProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]):
        failures = []
        config = news.get("config")
        if not _unknown(config):
            try:
                parsed = json.loads(config) if isinstance(config, str) else None
            except json.JSONDecodeError as error:
                parsed, reason = None, f"config is not valid JSON: {error.msg}"
            else:
                reason = "config must be a JSON object string"
            if not isinstance(parsed, dict):
                failures.append(pulumi.dynamic.CheckFailure("config", reason))
        if not news.get("name") and not _unknown(news.get("name")):
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
            _unknown(new_config)
            or old_config is None
            or canonical_json(old_config) != canonical_json(new_config)
        )
        if config_changed:
            changes.append("config")
        # Create the new config before deleting the old one: the API pods keep sending the old
        # slug until they roll, and create adopts by name only inside the new workspace.
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        name, workspace_id = props["name"], props.get("workspace_id") or None
        config = json.loads(props["config"])
        existing = self._find_by_name(client, name, workspace_id)
        if existing is None:
            try:
                created = client.create_config(name, config, workspace_id)
                slug = created["slug"]
            except (ConnectionError, PortkeyApiError) as error:
                # The server may have committed before the response was lost: look again.
                if isinstance(error, PortkeyApiError) and error.status < 500:
                    raise
                existing = self._find_by_name(client, name, workspace_id)
                if existing is None:
                    raise
                slug = existing["slug"]
        else:
            slug = existing["slug"]
        live = client.get_config(slug)
        if existing is not None and canonical_json(live.get("config") or {}) != canonical_json(
            config
        ):
            client.update_config(slug, name, config)
            live = client.get_config(slug)
        return CreateResult(slug, self._outs(props, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self._client().get_config(id_)
        except PortkeyApiError as error:
            gone = _gone_or_raise(error, f"config {id_}")
            if gone:
                return ReadResult("", {})
            raise
        live_config = live.get("config") or {}
        # Keep the user's spelling when it means the same, so refresh causes no phantom diff.
        config = props.get("config")
        if not isinstance(config, str) or canonical_json(config) != canonical_json(live_config):
            config = canonical_json(live_config)
        inputs = {
            "name": live.get("name", props.get("name")),
            "config": config,
            # The API answers a UUID even when given a slug: keep what the user declared.
            "workspace_id": props.get("workspace_id"),
        }
        return ReadResult(id_, self._outs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        client.update_config(id_, news["name"], json.loads(news["config"]))
        live = client.get_config(id_)  # the PUT response can be stale
        return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self._client().delete_config(id_)
        except PortkeyApiError as error:
            if not error.is_not_found:
                raise

    @staticmethod
    def _find_by_name(
        client: PortkeyAdminClient, name: str, workspace_id: str | None
    ) -> dict[str, Any] | None:
        matches = [
            item
            for item in client.list_configs(workspace_id)
            if item.get("name") == name and str(item.get("status", "active")) not in _INACTIVE
        ]
        if len(matches) > 1:
            slugs = sorted(str(item.get("slug")) for item in matches)
            raise RuntimeError(
                f"Portkey has {len(matches)} configs named '{name}' ({', '.join(slugs)}); "
                "delete the extras or import one by slug before this stack can own the name"
            )
        return matches[0] if matches else None

    @staticmethod
    def _outs(inputs: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": inputs["name"],
            "config": inputs["config"],
            "workspace_id": inputs.get("workspace_id"),
            "config_id": live.get("id"),
            "slug": live.get("slug"),
            "version_id": live.get("version_id"),
            "status": live.get("status"),
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


# UsageLimitsPolicy lives in components/portkey/usage_limits.py; re-exported so providers pickled
# by reference under this module's name before the split still unpickle.
from components.portkey.usage_limits import (  # noqa: E402
    UsageLimitsPolicy,
    UsageLimitsPolicyProvider,
)

__all__ = [
    "GatewayConfig",
    "GatewayConfigProvider",
    "UsageLimitsPolicy",
    "UsageLimitsPolicyProvider",
]

"""Dynamic providers for Portkey objects: `GatewayConfig` (a saved config) and `UsageLimitsPolicy`.

Mirrors the Terraform provider's `portkey_config` / `portkey_usage_limits_policy`:
- GatewayConfig inputs: name, config (JSON string), workspace_id (change forces replacement);
  outputs: config_id, slug (also the Pulumi id), version_id, status.
- create looks up by name first (POST is not idempotent) and adopts what it finds; a lost create
  response is recovered the same way, so a retry never leaves a duplicate.
- read treats 404 and 403 AB03 as deleted (empty id) and accepts `config` as string or object.
- diff compares configs canonically and ignores version_id/status; it makes no HTTP call.
- update re-reads after PUT because PUT responses can be stale.

Credentials: the API key comes from PORTKEY_API_KEY or the stack secret
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
from components.portkey.routing import canonical_json

if TYPE_CHECKING:  # the client (and requests) load only when an operation runs
    from components.portkey.client import PortkeyAdminClient

PROJECT = "sophia-infra"
API_KEY_ENV = "PORTKEY_API_KEY"
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
        return DiffResult(
            changes=bool(changes), replaces=replaces, delete_before_replace=bool(replaces)
        )

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
            if error.is_gone:
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
            if not error.is_gone:
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


# ----------------------------------------------------------------------------------------------
# UsageLimitsPolicy

_POLICY_REPLACE_KEYS = ("conditions", "group_by", "type", "workspace_id")
_POLICY_UPDATE_KEYS = ("name", "credit_limit", "alert_threshold", "periodic_reset")


def _canonical_conditions(value: Any) -> str:
    items = sorted(
        (dict(item) for item in value or []), key=lambda c: json.dumps(c, sort_keys=True)
    )
    return json.dumps(items, sort_keys=True)


def _same_number(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return float(left) == float(right)


class UsageLimitsPolicyProvider(_PortkeyProvider):
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = []
        for key in ("conditions", "group_by"):
            if _canonical_conditions(olds.get(key)) != _canonical_conditions(news.get(key)):
                replaces.append(key)
        for key in ("type", "workspace_id"):
            if (olds.get(key) or None) != (news.get(key) or None):
                replaces.append(key)
        changes = list(replaces)
        for key in ("name", "periodic_reset"):
            if olds.get(key) != news.get(key):
                changes.append(key)
        for key in ("credit_limit", "alert_threshold"):
            if not _same_number(olds.get(key), news.get(key)):
                changes.append(key)
        return DiffResult(
            changes=bool(changes), replaces=replaces, delete_before_replace=bool(replaces)
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        existing = self._find_by_name(client, props)
        if existing is None:
            body = {key: props[key] for key in (*_POLICY_REPLACE_KEYS, *_POLICY_UPDATE_KEYS)}
            body = {key: value for key, value in body.items() if value is not None}
            try:
                policy_id = client.create_usage_limits_policy(body)["id"]
            except (ConnectionError, PortkeyApiError) as error:
                if isinstance(error, PortkeyApiError) and error.status < 500:
                    raise
                existing = self._find_by_name(client, props)
                if existing is None:
                    raise
                policy_id = existing["id"]
        else:
            policy_id = existing["id"]
            self._check_adoptable(existing, props)
        live = client.get_usage_limits_policy(policy_id)
        if existing is not None and any(
            not self._same(key, live.get(key), props.get(key)) for key in _POLICY_UPDATE_KEYS
        ):
            client.update_usage_limits_policy(policy_id, self._update_body(props))
            live = client.get_usage_limits_policy(policy_id)
        return CreateResult(policy_id, self._outs(props, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self._client().get_usage_limits_policy(id_)
        except PortkeyApiError as error:
            if error.is_gone:
                return ReadResult("", {})
            raise
        inputs = {key: props.get(key) for key in (*_POLICY_REPLACE_KEYS, *_POLICY_UPDATE_KEYS)}
        for key in ("conditions", "group_by"):
            if live.get(key) is not None and _canonical_conditions(
                live[key]
            ) != _canonical_conditions(props.get(key)):
                inputs[key] = live[key]
        for key in ("type", "name", "periodic_reset", "credit_limit", "alert_threshold"):
            if key in live and not self._same(key, live[key], props.get(key)):
                inputs[key] = live[key]
        return ReadResult(id_, self._outs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        client.update_usage_limits_policy(id_, self._update_body(news))
        live = client.get_usage_limits_policy(id_)
        return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self._client().delete_usage_limits_policy(id_)
        except PortkeyApiError as error:
            if not error.is_gone:
                raise

    @staticmethod
    def _same(key: str, left: Any, right: Any) -> bool:
        if key in ("credit_limit", "alert_threshold"):
            return _same_number(left, right)
        return left == right

    @staticmethod
    def _update_body(props: dict[str, Any]) -> dict[str, Any]:
        return {key: props[key] for key in _POLICY_UPDATE_KEYS if props.get(key) is not None}

    @staticmethod
    def _find_by_name(client: PortkeyAdminClient, props: dict[str, Any]) -> dict[str, Any] | None:
        matches = [
            item
            for item in client.list_usage_limits_policies(props.get("workspace_id"))
            if item.get("name") == props["name"]
            and str(item.get("status", "active")) not in _INACTIVE
        ]
        if len(matches) > 1:
            ids = sorted(str(item.get("id")) for item in matches)
            raise RuntimeError(
                f"Portkey has {len(matches)} usage-limits policies named '{props['name']}' "
                f"({', '.join(ids)}); remove the extras before this stack can own the name"
            )
        return matches[0] if matches else None

    @staticmethod
    def _check_adoptable(existing: dict[str, Any], props: dict[str, Any]) -> None:
        for key in ("conditions", "group_by"):
            if key in existing and _canonical_conditions(existing[key]) != _canonical_conditions(
                props[key]
            ):
                raise RuntimeError(
                    f"a usage-limits policy named '{props['name']}' already exists with other "
                    f"{key}; {key} cannot be updated in place: rename the policy or delete it"
                )

    @staticmethod
    def _outs(inputs: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        outs = {key: inputs.get(key) for key in (*_POLICY_REPLACE_KEYS, *_POLICY_UPDATE_KEYS)}
        outs["status"] = live.get("status")
        return outs


class UsageLimitsPolicy(Resource, module="portkey", name="UsageLimitsPolicy"):
    """A Portkey usage-limits policy: a cumulative cost cap with an alert threshold."""

    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        conditions: pulumi.Input[list[dict[str, str]]],
        group_by: pulumi.Input[list[dict[str, str]]],
        credit_limit: pulumi.Input[float],
        alert_threshold: pulumi.Input[float] | None = None,
        type: pulumi.Input[str] = "cost",
        periodic_reset: pulumi.Input[str] | None = "monthly",
        workspace_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        provider: UsageLimitsPolicyProvider | None = None,
    ) -> None:
        super().__init__(
            provider or UsageLimitsPolicyProvider(),
            resource_name,
            {
                "name": name,
                "conditions": conditions,
                "group_by": group_by,
                "type": type,
                "credit_limit": credit_limit,
                "alert_threshold": alert_threshold,
                "periodic_reset": periodic_reset,
                "workspace_id": workspace_id,
                "status": None,
            },
            opts,
        )

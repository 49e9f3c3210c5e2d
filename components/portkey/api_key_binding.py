"""Dynamic provider `ApiKeyConfigBinding`: the app's Portkey API key always runs the stack's config.

Portkey lets an API key carry a default config (`defaults.config_id`) and a flag saying whether a
request may replace it (`defaults.allow_config_override`). Sources:
- Admin API: `PUT /api-keys/{id}` takes `UpdateApiKeyObject` (`defaults.metadata`,
  `defaults.config_id`) and answers `{}`; `GET /api-keys/{id}` answers the key (Portkey-AI/openapi
  admin-openapi.yaml, paths /api-keys/{id}).
- Terraform `portkey_api_key` (terraform-provider-portkey CHANGELOG 0.2.17,
  internal/client/client.go `APIKeyDefaults`): sends `defaults: {metadata, config_id,
  allow_config_override}` with a JSON boolean, reads both back from `defaults`, re-GETs after PUT;
  its acceptance test binds `portkey_config.test.id` (the config UUID) and reads the same id back.
- Docs (docs-core product/administration/enforce-default-config.mdx): "Config Override ON
  (default)" lets a request's config win; OFF makes any attempt to override a 400.
- Gateway (Portkey-AI/gateway src/middlewares/portkey/utils.ts `updateHeaders`): a request that
  carries `x-portkey-config` while the key has a default config and `allow_config_override ===
  false` fails ("Cannot override default config set for this API key"); without the header the
  key's config is applied. So a bound app must stop sending the header (Gateway.config_header).

Lifecycle: create records what the key had before (config and flag), then binds; update rebinds;
read compares normalized fields (the flag as a boolean, the config by id or slug) so an unchanged
binding never diffs; delete puts back what create recorded, and only if the key still carries this
binding (someone else's later change is left alone). A different `api_key_id` is a new binding
(replace, create-before-delete: the new key is bound before the old one is released).

Under faults (docs/portkey.md "Faults"): a bind or release whose answer is lost is settled by
reading the key back (components/portkey/base.py `settle_write`). A create that cannot be settled
puts the key's previous defaults back before failing, so the next run records them again instead
of taking this stack's own binding for the key's original. Delete leaves the key alone only when
two reads agree it carries another config, and verifies the release by reading back.

The admin key comes from `PortkeyProvider` (never pickled, never in inputs/outputs/errors). The app
key's *id* is an identifier, not a credential; the key value is never read or stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.portkey.base import API_KEY_ENV, PortkeyProvider, gone_or_raise, unknown
from components.portkey.errors import PortkeyApiError, PortkeyError

if TYPE_CHECKING:
    from components.portkey.answers import ApiKey
    from components.portkey.api import PortkeyAdminClient

__all__ = ["ApiKeyConfigBinding", "ApiKeyConfigBindingProvider", "live_binding"]

SETTING = "sophia-infra:portkey.apiKeyId"
# OpenAPI /api-keys/{id}: `id` is `format: uuid`.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PLACEHOLDER_KEY_ID = "00000000-0000-0000-0000-000000000000"
# docs enforce-default-config: "ON (default)": a key that never set the flag lets requests override.
API_DEFAULT_ALLOW_OVERRIDE = True
_PREVIOUS_CONFIG = "previous_config_id"
_PREVIOUS_FLAG = "previous_allow_config_override"


def _flag(value: Any) -> bool:
    """The API's boolean, however it is spelled.

    Terraform reads a JSON boolean; other Portkey booleans come back as 1 or "false"
    (terraform-provider-portkey internal/client/flexbool_test.go), so those are accepted too.
    Absent means the API default (overrides allowed).
    """
    if value is None:
        return API_DEFAULT_ALLOW_OVERRIDE
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "false", "0", ""}:
        return value.strip().lower() in {"true", "1"}
    raise RuntimeError(
        f"Portkey answered allow_config_override={value!r}; expected a boolean (true/false)"
    )


def live_binding(key: ApiKey) -> tuple[str | None, bool]:
    """(default config id, allow_config_override) as the API reports them for a key."""
    defaults = key.defaults
    config_id = defaults.config_id if defaults else None
    # Terraform client.go APIKey reads the flag as a top-level integer (null/0/1); the write
    # shape (and this stand-in) carries it in `defaults`: either counts, `defaults` first.
    raw_flag = defaults.allow_config_override if defaults else None
    if raw_flag is None:
        raw_flag = key.allow_config_override
    return (config_id or None), _flag(raw_flag)


def _is_ours(live_config: str | None, props: dict[str, Any]) -> bool:
    # The gateway's key defaults carry both config_id and config_slug (gateway types.ts
    # ApiKeyDefaults); GUESS: the admin API may echo either, so both count as this config.
    ours = {props.get("config_id"), props.get("config_slug")} - {None, ""}
    return live_config is not None and live_config in ours


class ApiKeyConfigBindingProvider(PortkeyProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]):
        failures = []
        key_id = news.get("api_key_id")
        if not unknown(key_id):
            if not isinstance(key_id, str) or not _UUID.match(key_id):
                failures.append(
                    pulumi.dynamic.CheckFailure(
                        "api_key_id",
                        f"{SETTING} = {key_id!r}: must be the UUID of the Portkey API key the API "
                        "sends (Portkey app > API Keys)",
                    )
                )
            elif key_id == PLACEHOLDER_KEY_ID:
                failures.append(
                    pulumi.dynamic.CheckFailure(
                        "api_key_id",
                        f"{SETTING} is still the placeholder {PLACEHOLDER_KEY_ID}; set the id of "
                        "the Portkey API key in the portkeyApiKey secret (Portkey app > API Keys)",
                    )
                )
        config_id = news.get("config_id")
        if not unknown(config_id) and (not isinstance(config_id, str) or not config_id):
            failures.append(
                pulumi.dynamic.CheckFailure("config_id", "config_id must be the config's id")
            )
        if not isinstance(news.get("allow_config_override"), bool):
            failures.append(
                pulumi.dynamic.CheckFailure(
                    "allow_config_override", "allow_config_override must be true or false"
                )
            )
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Pure comparison, no HTTP. config_slug only helps read() recognise an echoed slug.
        replaces = ["api_key_id"] if olds.get("api_key_id") != news.get("api_key_id") else []
        changes = list(replaces)
        new_config = news.get("config_id")
        if unknown(new_config) or olds.get("config_id") != new_config:
            changes.append("config_id")
        if olds.get("allow_config_override") != news.get("allow_config_override"):
            changes.append("allow_config_override")
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client()
        key_id = props["api_key_id"]
        key = self._get_key(client, key_id)
        previous_config, previous_flag = live_binding(key)
        if _is_ours(previous_config, props):
            # Already bound to this config: only this stack does that (a lost state), so what it
            # had before is unknown; releasing gives it the API's default.
            previous_config, previous_flag = None, API_DEFAULT_ALLOW_OVERRIDE
        try:
            live = self._bind_settled(
                client, key_id, key, props["config_id"], props["allow_config_override"], props
            )
        except (PortkeyError, ConnectionError, RuntimeError) as error:
            self._put_back(client, key_id, key, previous_config, previous_flag, error, props)
            raise
        previous = {_PREVIOUS_CONFIG: previous_config, _PREVIOUS_FLAG: previous_flag}
        return CreateResult(key_id, self._outs(props, live, previous))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            key = self.client().get_api_key(id_)
        except PortkeyApiError as error:
            if gone_or_raise(error, f"API key {id_}"):
                return ReadResult("", {})
            raise
        live_config, live_flag = live_binding(key)
        inputs = {
            "api_key_id": props.get("api_key_id") or id_,
            # Keep the declared id when the API reports this config (by id or slug).
            "config_id": props.get("config_id") if _is_ours(live_config, props) else live_config,
            "config_slug": props.get("config_slug"),
            "allow_config_override": live_flag,
        }
        return ReadResult(id_, self._outs(inputs, key, props), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client()
        key = self._get_key(client, id_)
        live = self._bind_settled(
            client, id_, key, news["config_id"], news["allow_config_override"], news
        )
        return UpdateResult(self._outs(news, live, olds))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client()
        key = self._key_or_none(client, id_)
        if key is None:
            return  # the key is gone, and the binding with it
        if not _is_ours(live_binding(key)[0], props):
            # Someone bound another config since: not ours to undo. One answer is not enough to
            # leave a binding in place (a partial answer reads like an unbound key): ask again.
            key = self._key_or_none(client, id_)
            if key is None or not _is_ours(live_binding(key)[0], props):
                return
        restore_config = props.get(_PREVIOUS_CONFIG)
        restore_flag = props.get(_PREVIOUS_FLAG)
        restore_flag = API_DEFAULT_ALLOW_OVERRIDE if restore_flag is None else restore_flag

        def released() -> ApiKey | None:
            live = client.get_api_key(id_)
            config, flag = live_binding(live)
            return live if config == restore_config and flag == bool(restore_flag) else None

        def put() -> ApiKey:
            self._bind(client, id_, key, restore_config, bool(restore_flag))
            live = released()
            if live is None:
                raise RuntimeError(f"PUT /api-keys/{id_} was accepted but the key is still bound")
            return live

        try:
            self.settle_write(put, released, f"release Portkey API key {id_}")
        except (PortkeyError, ConnectionError, RuntimeError) as error:
            raise RuntimeError(
                f"could not release config {props.get('config_id')} from Portkey API key {id_}: "
                f"{error}. The key still forces that config and the config cannot be deleted "
                "while bound; run again, or unbind it in the Portkey app (API Keys > edit > "
                "Config)"
            ) from None

    # ------------------------------------------------------------------------------------------

    def _bind_settled(
        self,
        client: PortkeyAdminClient,
        key_id: str,
        key: ApiKey,
        config_id: str,
        allow_override: bool,
        props: dict[str, Any],
    ) -> ApiKey:
        """Bind, then require the key to read back bound; a lost answer is settled by reading."""

        def bound() -> ApiKey | None:
            live = client.get_api_key(key_id)
            config, flag = live_binding(live)
            return live if _is_ours(config, props) and flag == allow_override else None

        config, flag = live_binding(key)
        if _is_ours(config, props) and flag == allow_override:
            return key

        def put() -> ApiKey:
            self._bind(client, key_id, key, config_id, allow_override)
            return self._verify(client, props)

        return self.settle_write(put, bound, f"bind Portkey API key {key_id}")

    def _put_back(
        self,
        client: PortkeyAdminClient,
        key_id: str,
        key: ApiKey,
        config_id: str | None,
        allow_override: bool,
        cause: Exception,
        props: dict[str, Any],
    ) -> None:
        """A create failed after a bind may have landed: give the key its previous defaults back,
        so a re-run records them again (state keeps nothing of a failed create)."""
        try:
            if not _is_ours(live_binding(client.get_api_key(key_id))[0], props):
                return  # nothing of ours landed
            self._bind(client, key_id, key, config_id, allow_override)
            live_config, live_flag = live_binding(client.get_api_key(key_id))
            if live_config == config_id and live_flag == allow_override:
                return
            problem = f"it reads config_id={live_config!r}"
        except (PortkeyError, ConnectionError) as error:
            problem = str(error)
        raise RuntimeError(
            f"binding Portkey API key {key_id} failed ({cause}) and putting back its previous "
            f"defaults (config_id={config_id!r}, allow_config_override={allow_override}) failed "
            f"too ({problem}); set them in the Portkey app before running again"
        ) from None

    @staticmethod
    def _key_or_none(client: PortkeyAdminClient, key_id: str) -> ApiKey | None:
        try:
            return client.get_api_key(key_id)
        except PortkeyApiError as error:
            if error.is_not_found:
                return None
            raise

    @staticmethod
    def _get_key(client: PortkeyAdminClient, key_id: str) -> ApiKey:
        try:
            return client.get_api_key(key_id)
        except PortkeyApiError as error:
            if error.is_not_found:
                raise RuntimeError(
                    f"Portkey has no API key {key_id} ({SETTING}): set the id of the key the API "
                    "sends (Portkey app > API Keys)"
                ) from None
            if error.is_permission_denied:
                raise RuntimeError(
                    f"Portkey admin API refused to read API key {key_id}: HTTP {error.status} "
                    f"{error.error_code} ({error.message}); {API_KEY_ENV} needs the api-key "
                    "read/update scopes for this key's workspace"
                ) from None
            raise

    @staticmethod
    def _bind(
        client: PortkeyAdminClient,
        key_id: str,
        key: ApiKey,
        config_id: str | None,
        allow_override: bool,
    ) -> None:
        """PUT the key's defaults in Terraform's shape, sending its current metadata back.

        GUESS: whether the api-key PUT replaces the whole `defaults` object (the workspace PUT
        does: Terraform CHANGELOG 0.2.32) is unknown, so the metadata the key already has is sent
        with it either way. `config_id: null` releases the key (Terraform client.go
        UpdateAPIKeyDefaults: "client.JSONNull: sends config_id: null -> removes the pinned
        config").
        """
        body: dict[str, Any] = {}
        if key.defaults is not None and key.defaults.metadata:
            body["metadata"] = key.defaults.metadata
        body["config_id"] = config_id
        body["allow_config_override"] = bool(allow_override)  # a JSON boolean: gateway `=== false`
        client.update_api_key(key_id, {"defaults": body})

    @staticmethod
    def _verify(client: PortkeyAdminClient, props: dict[str, Any]) -> ApiKey:
        """Re-read (the PUT answers `{}`) and refuse to report success the API does not show."""
        key_id = props["api_key_id"]
        live = client.get_api_key(key_id)
        live_config, live_flag = live_binding(live)
        if not _is_ours(live_config, props) or live_flag != props["allow_config_override"]:
            raise RuntimeError(
                f"Portkey accepted PUT /api-keys/{key_id} but the key reports config_id="
                f"{live_config!r}, allow_config_override={live_flag}; expected config_id="
                f"{props['config_id']!r}, allow_config_override={props['allow_config_override']}"
            )
        return live

    @staticmethod
    def _outs(inputs: dict[str, Any], live: ApiKey, previous: dict[str, Any]):
        return {
            "api_key_id": inputs["api_key_id"],
            "config_id": inputs.get("config_id"),
            "config_slug": inputs.get("config_slug"),
            "allow_config_override": inputs["allow_config_override"],
            _PREVIOUS_CONFIG: previous.get(_PREVIOUS_CONFIG),
            _PREVIOUS_FLAG: previous.get(_PREVIOUS_FLAG),
            "status": live.status,
        }


class ApiKeyConfigBinding(Resource, module="portkey", name="ApiKeyConfigBinding"):
    """Binds a saved config to a Portkey API key as its default, overrides off."""

    api_key_id: pulumi.Output[str]
    config_id: pulumi.Output[str]
    allow_config_override: pulumi.Output[bool]
    previous_config_id: pulumi.Output[str | None]
    previous_allow_config_override: pulumi.Output[bool | None]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_key_id: pulumi.Input[str],
        config_id: pulumi.Input[str],
        config_slug: pulumi.Input[str] | None = None,
        allow_config_override: bool = False,
        opts: pulumi.ResourceOptions | None = None,
        provider: ApiKeyConfigBindingProvider | None = None,
    ) -> None:
        super().__init__(
            provider or ApiKeyConfigBindingProvider(),
            resource_name,
            {
                "api_key_id": api_key_id,
                "config_id": config_id,
                "config_slug": config_slug,
                "allow_config_override": allow_config_override,
                _PREVIOUS_CONFIG: None,
                _PREVIOUS_FLAG: None,
                "status": None,
            },
            opts,
        )

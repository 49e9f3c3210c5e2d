"""The API-key part of the Portkey admin-API stand-in (mixed into `FakePortkeyAdmin`).

Rules, each with its source:
- API keys (Portkey-AI/openapi admin-openapi.yaml /api-keys/{id}): GET answers the key object,
  never its secret value (Terraform portkey_api_key `key`: "Only returned on creation"); PUT takes
  UpdateApiKeyObject (name, description, rate_limits, usage_limits, scopes, defaults, alert_emails)
  and answers {}. `defaults` holds metadata, config_id and allow_config_override (OpenAPI
  UpdateApiKeyObject.defaults; Terraform internal/client/client.go APIKeyDefaults, a JSON bool).
  A key that never set the flag has none (Terraform reads a nil *bool); the docs call that "ON
  (default)" (docs-core product/administration/enforce-default-config.mdx).
  GUESS: a PUT merges `defaults` key by key (Terraform CHANGELOG 0.2.17: leaving config_id out
  keeps the binding); `config_id: null` clears it; an unknown config id, a non-boolean flag or an
  unknown field answers 400 AB01; a config slug is stored as the config's id (Terraform's
  acceptance test binds `portkey_config.test.id`, the UUID, and reads that id back).
  `override_flag_as_int=True` echoes the flag as 0/1 (GUESS: other Portkey booleans come back as
  1 / "false": terraform-provider-portkey internal/client/flexbool_test.go).
  `api_key_ignores_flag=True` drops allow_config_override from PUTs: a control plane that predates
  the flag (the OpenAPI UpdateApiKeyObject does not list it; Terraform added it in 0.2.17).
- Deleting a config that is still an API key's default answers 409 (Terraform
  api_key_resource_test.go: deleting the config before the key "causing a 409 (config still bound
  to the key)"). GUESS: the code AB07 (Terraform CHANGELOG: 409 AB07 for a workspace with
  dependents).
"""

from __future__ import annotations

import json
import uuid
from typing import Any


class ApiKeysMixin:
    """Needs `api_keys`, `configs`, `forbidden`, `override_flag_as_int`, `api_key_ignores_flag`
    and `_error` from the fake it is mixed into."""

    def seed_api_key(
        self, workspace_id: str = "ws-default-uuid", defaults: dict[str, Any] | None = None
    ) -> str:
        """A workspace service key as the API describes it (Terraform APIKey fields)."""
        key_id = str(uuid.uuid4())
        self.api_keys[key_id] = {
            "id": key_id,
            "name": "sophia-api",
            "description": "",
            "type": "workspace-service",
            "organisation_id": "org-uuid",
            "workspace_id": workspace_id,
            "status": "active",
            "scopes": ["completions.write"],
            "defaults": dict(defaults or {}),
            "rate_limits": [],
            "alert_emails": [],
            "created_at": "2026-01-01T00:00:00.000Z",
            "last_updated_at": "2026-01-01T00:00:00.000Z",
            "object": "api-key",
        }
        return key_id

    _API_KEY_UPDATE_FIELDS = frozenset(
        {"name", "description", "rate_limits", "usage_limits", "scopes", "defaults", "alert_emails"}
    )
    _API_KEY_DEFAULTS_FIELDS = frozenset({"metadata", "config_id", "allow_config_override"})

    def _api_keys(self, method, key_id, body) -> tuple[int, Any]:
        if key_id in self.forbidden:
            return self._error(403, "User not allowed to access the resource")
        key = self.api_keys.get(key_id)
        if key is None:
            return self._error(404, f"api key {key_id} not found")
        if method == "GET":
            out = json.loads(json.dumps(key))
            flag = out["defaults"].get("allow_config_override")
            if self.override_flag_as_int and isinstance(flag, bool):
                out["defaults"]["allow_config_override"] = int(flag)
            return 200, out
        if method != "PUT":
            return self._error(404, "no route")
        extra = set(body or {}) - self._API_KEY_UPDATE_FIELDS
        if extra:
            return self._error(400, f"unknown fields {sorted(extra)}")
        defaults = (body or {}).get("defaults")
        if defaults is not None:
            if not isinstance(defaults, dict) or set(defaults) - self._API_KEY_DEFAULTS_FIELDS:
                return self._error(
                    400, "defaults: allowed metadata, config_id, allow_config_override"
                )
            if "allow_config_override" in defaults and not isinstance(
                defaults["allow_config_override"], bool
            ):
                return self._error(400, "defaults.allow_config_override must be a boolean")
            merged = dict(key["defaults"])
            for name, value in defaults.items():
                if name == "allow_config_override" and self.api_key_ignores_flag:
                    continue
                if name == "config_id" and value is not None:
                    config = next(
                        (c for c in self.configs.values() if value in (c["id"], c["slug"])), None
                    )
                    if config is None:
                        return self._error(400, f"config {value} not found")
                    value = config["id"]
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            key["defaults"] = merged
        for name in self._API_KEY_UPDATE_FIELDS - {"defaults"}:
            if name in (body or {}):
                key[name] = body[name]
        key["last_updated_at"] = "2026-01-02T00:00:00.000Z"
        return 200, {}

"""The admin API's answers as strict typed models (pure: pydantic only).

The transport (components/portkey/api.py) parses every 2xx body into one of these before anyone
reads it: a missing, `null` or wrongly typed field the code relies on is a `PortkeyBadAnswer`
naming the call and the field, never a KeyError later and never a success. Fields the code does
not read are ignored (the API adds fields over time).

Shapes, each from its source:
- Configs (Terraform terraform-provider-portkey internal/client/client.go `Config`: id, slug,
  name, workspace_id, status, version_id; `GetConfig` accepts `config` as a JSON string or an
  object). Create answers {id, slug, version_id, object} (Portkey-AI/openapi createConfig);
  the list answers {object, total, data[]} (OpenAPI listConfigs).
- Usage-limits policies (same file, `UsageLimitsPolicy`: id, conditions, group_by, type,
  credit_limit and status always present; name, alert_threshold, periodic_reset `omitempty`).
- API keys (same file, `APIKey`: id and status always; `defaults` `omitempty`, so a key without
  defaults has none; `config_id` is absent when the key has no default config).
- Deletes and API-key PUTs answer `{}` (docs-core api-reference/admin-api: "Returns {}"); config
  PUTs answer {version_id}. Both are re-read by the provider, so any JSON object is accepted.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Ack(Answer):
    """An answer whose content nothing reads (`{}`, `{version_id}`): it only has to be an object."""


class ConfigCreated(Answer):
    id: str = Field(min_length=1)
    slug: str = Field(min_length=1)


class ConfigSummary(Answer):
    id: str = Field(min_length=1)
    slug: str = Field(min_length=1)
    name: str
    status: str


class ConfigList(Answer):
    data: list[ConfigSummary]
    total: int | None = None


class Config(Answer):
    id: str = Field(min_length=1)
    slug: str = Field(min_length=1)
    name: str
    status: str
    config: dict[str, Any]
    version_id: str | None = None
    workspace_id: str | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _parse_serialized(cls, value: Any) -> Any:
        # The API may return the config serialized (Terraform client.go GetConfig).
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"config is a string that is not JSON ({error.msg})") from None
        return value


class Condition(Answer):
    key: str
    value: str | list[str] | None = None
    excludes: str | list[str] | None = None


class GroupBy(Answer):
    key: str


class PolicyCreated(Answer):
    id: str = Field(min_length=1)


class Policy(Answer):
    id: str = Field(min_length=1)
    status: str
    name: str | None = None
    conditions: list[Condition]
    group_by: list[GroupBy]
    type: str
    credit_limit: float
    alert_threshold: float | None = None
    periodic_reset: str | None = None
    workspace_id: str | None = None

    def field(self, key: str) -> Any:
        """A field as plain JSON (what the provider compares and records)."""
        value = getattr(self, key)
        if isinstance(value, list):
            return [item.model_dump(exclude_none=True) for item in value]
        return value


class PolicyList(Answer):
    data: list[Policy]
    total: int | None = None


class ApiKeyDefaults(Answer):
    config_id: str | None = None
    allow_config_override: bool | int | str | None = None
    metadata: dict[str, Any] | None = None


class ApiKey(Answer):
    id: str = Field(min_length=1)
    status: str
    defaults: ApiKeyDefaults | None = None
    # Terraform client.go APIKey: "returned as a top-level integer by the API (null/0/1)".
    allow_config_override: bool | int | str | None = None

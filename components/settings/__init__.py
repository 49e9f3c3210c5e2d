"""Typed stack settings: the ONE place that reads `pulumi.Config`.

`load()` reads the stack's config once, validates all of it, and returns frozen typed objects.
A bad value raises `SettingsError` before any resource is registered; its message names the stack,
each bad key, its value and what is allowed, so a reviewer can fix the stack file in one pass.

Per-area models live beside this module (`snowflake.py`, ...); components import only the model of
their own area and are handed only their slice by `__main__.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.runtime.config import get_config
from pydantic import Field, ValidationError, model_validator

from components.settings._base import CamelModel, KeyedValueError
from components.settings.cortex import CortexSettings, check_refresh_fits_monitor
from components.settings.estuary import EstuarySettings
from components.settings.kubernetes import (
    KubernetesSettings,
    ReleaseSettings,
    check_canary_for_environment,
    check_image_reference,
)
from components.settings.portkey import PortkeySettings, check_api_key_binding_for_environment
from components.settings.snowflake import SnowflakeSettings, check_snowflake_for_environment
from components.snowflake.agents import AgentCatalog, AgentCatalogError, load_agent_catalog

PROJECT = "sophia-infra"
Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
PROD_MIN_RETENTION_DAYS = 7

# Object-valued keys, each validated by its area's model.
AREA_KEYS = ("snowflake", "cortex", "estuary", "portkey", "kubernetes", "release")
# Secret keys (`pulumi config set --secret`); never validated into plain models.
SECRET_KEYS = (
    "snowflakePrivateKey",
    "estuarySourceCredentials",
    "estuaryLoaderPrivateKey",
    "apiSnowflakePrivateKey",
    "portkeyApiKey",
)


class SettingsError(Exception):
    """Stack configuration is invalid; the message lists every problem."""


class StackSettings(CamelModel):
    """Everything non-secret a stack declares, validated as a whole."""

    stack: str = Field(description="The Pulumi stack name.")
    environment: Environment = Field(description="Which stage this stack is: dev, staging, prod.")
    snowflake: SnowflakeSettings
    cortex: CortexSettings = CortexSettings()
    estuary: EstuarySettings
    portkey: PortkeySettings
    kubernetes: KubernetesSettings
    release: ReleaseSettings = Field(description="What is deployed; written by jobs.promote.")

    @model_validator(mode="after")
    def _references(self) -> StackSettings:
        for index, service in enumerate(self.cortex.additional_search_services):
            if service.warehouse not in self.snowflake.warehouses:
                raise KeyedValueError(
                    ("cortex", "additionalSearchServices", index, "warehouse"),
                    service.warehouse,
                    "not a declared warehouse; declared: " + ", ".join(self.snowflake.warehouses),
                )
        return self

    @model_validator(mode="after")
    def _snowflake_rules(self) -> StackSettings:
        check_snowflake_for_environment(self.snowflake, self.environment)
        check_refresh_fits_monitor(self.cortex, self.snowflake)
        return self

    @model_validator(mode="after")
    def _release_rules(self) -> StackSettings:
        try:
            check_image_reference(
                self.release.api_image, self.environment, self.kubernetes.image_repository
            )
        except ValueError as error:
            raise KeyedValueError(
                ("release", "apiImage"), self.release.api_image, str(error)
            ) from error
        try:
            check_canary_for_environment(self.kubernetes.canary, self.environment)
        except ValueError as error:
            raise KeyedValueError(
                ("kubernetes", "canary", "strategy"), self.kubernetes.canary.strategy, str(error)
            ) from error
        return self

    @model_validator(mode="after")
    def _portkey_rules(self) -> StackSettings:
        try:
            check_api_key_binding_for_environment(self.portkey, self.environment)
        except ValueError as error:
            raise KeyedValueError(("portkey", "apiKeyId"), None, str(error)) from error
        return self

    @model_validator(mode="after")
    def _prod_rules(self) -> StackSettings:
        retention = self.snowflake.database.data_retention_days
        if self.environment == "prod" and retention < PROD_MIN_RETENTION_DAYS:
            raise KeyedValueError(
                ("snowflake", "database", "dataRetentionDays"),
                retention,
                f"prod needs at least {PROD_MIN_RETENTION_DAYS} days of time travel so "
                "CLONE ... AT (TIMESTAMP => ...) rollbacks work; allowed: "
                f"{PROD_MIN_RETENTION_DAYS}..90",
            )
        if self.environment == "prod" and self.estuary.add_new_bindings:
            raise KeyedValueError(
                ("estuary", "addNewBindings"),
                True,
                "prod must not let Estuary add bindings in the background (schema changes go "
                "through review); allowed: false",
            )
        return self

    @property
    def name_suffix(self) -> str:
        """Suffix for account-level names; prod keeps the plan's bare names."""
        if self.snowflake.name_suffix is not None:
            return self.snowflake.name_suffix
        return "" if self.environment == "prod" else f"_{self.environment.upper()}"


@dataclass(frozen=True)
class StackSecrets:
    """Secret config values as secret Outputs; they never pass through a plain model."""

    snowflake_private_key: pulumi.Output[str]
    estuary_source_credentials: pulumi.Output[dict[str, Any]]
    """Per enabled source, the connector's credential fields (see docs/estuary.md)."""
    estuary_loader_private_key: pulumi.Output[str]
    api_snowflake_private_key: pulumi.Output[str]
    """The API service user's key, mounted into the API's Secret."""
    portkey_api_key: pulumi.Output[str]
    """The key the API sends to the Portkey gateway."""


@dataclass(frozen=True)
class Settings:
    """What `load()` returns: validated settings plus the secrets."""

    stack: StackSettings
    secrets: StackSecrets
    agents: AgentCatalog
    """The Cortex Agent catalog (components/snowflake/agents.yaml), resolved for this stack."""
    portkey_config_json: str
    """The gateway config built from the routing policy (validated, canonical JSON), built once."""


def load(config: pulumi.Config | None = None, stack: str | None = None) -> Settings:
    """Read and validate the current stack's configuration."""
    config = config or pulumi.Config(PROJECT)
    stack = stack or pulumi.get_stack()
    raw: dict[str, Any] = {"stack": stack}
    problems: list[str] = []

    environment = config.get("environment")
    if environment is not None:
        raw["environment"] = environment
    for key in AREA_KEYS:
        try:
            value = config.get_object(key)
        except (json.JSONDecodeError, pulumi.ConfigTypeError):
            problems.append(
                f"{PROJECT}:{key} = {_show(config.get(key))}: must be an object (a YAML mapping)"
            )
            continue
        if value is not None:
            raw[key] = value

    stack_settings = None
    try:
        stack_settings = StackSettings.model_validate(raw)
    except ValidationError as error:
        problems.extend(_describe(error))

    agents = None
    if stack_settings is not None:
        try:
            agents = load_agent_catalog(
                search_services={"SOPHIA_SEARCH"}
                | {s.name for s in stack_settings.cortex.additional_search_services},
                warehouses=set(stack_settings.snowflake.warehouses),
                model_overrides=stack_settings.cortex.agent_models,
            )
        except AgentCatalogError as error:
            problems.append(str(error))

    portkey_config_json = None
    if stack_settings is not None:
        # Imported here: routing imports the settings models, so a module-level import would be
        # circular whenever routing is imported first (as in the dynamic-provider host).
        from components.portkey.routing import (
            ConfigSchemaError,
            RoutingPolicyError,
            build_config,
            canonical_json,
        )

        try:
            portkey_config_json = canonical_json(build_config(stack_settings.portkey))
        except (RoutingPolicyError, ConfigSchemaError) as error:
            problems.append(f"{PROJECT}:portkey: {error}")
        problems.extend(_missing_source_credentials(stack_settings.estuary))

    missing_secrets = [key for key in SECRET_KEYS if _raw(key) is None]
    problems.extend(
        f"{PROJECT}:{key}: missing; set it with `pulumi config set --secret {key} <value>`"
        for key in missing_secrets
    )
    if problems:
        raise SettingsError(
            f"Invalid configuration for stack '{stack}' (Pulumi.{stack}.yaml):\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )
    assert stack_settings is not None and agents is not None and portkey_config_json is not None
    secrets = StackSecrets(
        snowflake_private_key=config.require_secret("snowflakePrivateKey"),
        estuary_source_credentials=config.require_secret_object("estuarySourceCredentials"),
        estuary_loader_private_key=config.require_secret("estuaryLoaderPrivateKey"),
        api_snowflake_private_key=config.require_secret("apiSnowflakePrivateKey"),
        portkey_api_key=config.require_secret("portkeyApiKey"),
    )
    return Settings(
        stack=stack_settings,
        secrets=secrets,
        agents=agents,
        portkey_config_json=portkey_config_json,
    )


def _raw(key: str) -> str | None:
    """A config value without marking it read (no secret-read warning); never logged."""
    return get_config(f"{PROJECT}:{key}")


def _missing_source_credentials(estuary: EstuarySettings) -> list[str]:
    """Every enabled source needs credentials; only key names are inspected, never values."""
    enabled = estuary.sources.needing_credentials()
    raw = _raw("estuarySourceCredentials")
    if raw is None or not enabled:
        return []
    try:
        present = json.loads(raw)
    except json.JSONDecodeError:
        return [f"{PROJECT}:estuarySourceCredentials: must be an object keyed by source name"]
    if not isinstance(present, dict):
        return [f"{PROJECT}:estuarySourceCredentials: must be an object keyed by source name"]
    return [
        f"{PROJECT}:estuarySourceCredentials.{source}: missing, but estuary.sources.{source} is "
        f"enabled; set it with `pulumi config set --secret --path "
        f"'estuarySourceCredentials.{source}.<field>' <value>`"
        for source in enabled
        if source not in present
    ]


def _describe(error: ValidationError) -> list[str]:
    """One line per problem: key path, offending value, and what is allowed."""
    lines = []
    for item in error.errors(include_url=False):
        path: tuple[Any, ...] = tuple(item["loc"])
        value: Any = item.get("input")
        message = item["msg"]
        original = (item.get("ctx") or {}).get("error")
        if isinstance(original, KeyedValueError):
            path, value, message = original.path, original.value, original.message
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        key = _key(path)
        if item["type"] == "missing":
            lines.append(f"{key}: missing (required)")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown key (check spelling; see Pulumi.yaml for allowed keys)")
        else:
            lines.append(f"{key} = {_show(value)}: {message}")
    return lines


def _key(path: tuple[Any, ...]) -> str:
    key = PROJECT
    for index, part in enumerate(path):
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += (":" if index == 0 else ".") + str(part)
    return key


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{...}"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

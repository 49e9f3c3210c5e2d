"""Typed stack settings: the ONE place that reads `pulumi.Config`.

`load()` reads the stack's config once, validates all of it, and returns frozen typed objects.
A bad value raises `SettingsError` before any resource is registered; its message names the stack,
each bad key, its value and what is allowed, so a reviewer can fix the stack file in one pass.

Per-area models live beside this module (`snowflake.py`, ...); components import only the model of
their own area and are handed only their slice by `__main__.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Literal

import pulumi
from pulumi.runtime.config import get_config, is_config_secret
from pulumi.runtime.mocks import MockMonitor
from pydantic import Field, ValidationError

from components.settings import checks, commands, identity, placeholders, schema, stack_rules
from components.settings._base import CamelModel, KeyedValueError, raw_value
from components.settings.agents import (
    AgentCatalog,
    AgentCatalogError,
    agent_specification,
    load_agent_catalog,
    specification_yaml,
)
from components.settings.cortex import CortexSettings, check_refresh_fits_monitor
from components.settings.credentials import (
    REQUIRED_SECRET_KEYS,
    credential_problems,
    leaves,
    looks_like_credential,
)
from components.settings.credentials import SECRET_KEYS as ALL_SECRET_KEYS
from components.settings.estuary import EstuarySettings
from components.settings.kubernetes import KubernetesSettings, ReleaseSettings
from components.settings.migration import (
    CREDENTIAL_KEYS as MIGRATION_CREDENTIAL_KEYS,
)
from components.settings.migration import (
    MigrationSettings,
    check_migration_for_environment,
    check_migration_router,
)
from components.settings.migration import credential_problems as migration_credential_problems
from components.settings.portkey import PortkeySettings, check_api_key_binding_for_environment
from components.settings.slo import SloSettings
from components.settings.slo_checks import (
    check_canary_against_page,
    check_freshness,
    check_slo_for_environment,
    check_weekly_policy,
)
from components.settings.snowflake import SnowflakeSettings, check_snowflake_for_environment

PROJECT = "sophia-infra"
Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
PROD_MIN_RETENTION_DAYS = stack_rules.PROD_MIN_RETENTION_DAYS

# Object-valued keys, each validated by its area's model.
AREA_MODELS: dict[str, type[CamelModel] | type[Any]] = {
    "snowflake": SnowflakeSettings,
    "cortex": CortexSettings,
    "estuary": EstuarySettings,
    "portkey": PortkeySettings,
    "kubernetes": KubernetesSettings,
    "release": ReleaseSettings,
    "slo": SloSettings,
    "migration": MigrationSettings,
}
AREA_KEYS = tuple(AREA_MODELS)
OPTIONAL_AREAS = ("cortex", "slo", "migration")
NON_SECRET_KEYS = ("environment", *AREA_KEYS)
assert NON_SECRET_KEYS == checks.NON_SECRET_KEYS, "checks.py must list the same keys"
SECRET_KEYS = REQUIRED_SECRET_KEYS  # keys load() requires (all secret keys: ALL_SECRET_KEYS)
SOURCE_CREDENTIAL_FIELDS = checks.SOURCE_CREDENTIAL_FIELDS
MAX_CONFIG_CHARS = 1_000_000  # one stack value; Pulumi's own limit is far above any real config


class SettingsError(Exception):
    """Stack configuration is invalid; the message lists every problem."""


class StackSettings(CamelModel):
    """Everything non-secret a stack declares, validated as a whole.

    Cross-area rules (prod retention, image pinning, names that carry the stack) live in
    `stack_rules` and `identity` and are run by `load`, so they report even when an area failed.
    """

    stack: str = Field(description="The Pulumi stack name; every shared name derives from it.")
    environment: Environment = Field(description="Which stage this stack is: dev, staging, prod.")
    snowflake: SnowflakeSettings
    cortex: CortexSettings = CortexSettings()
    estuary: EstuarySettings
    portkey: PortkeySettings
    kubernetes: KubernetesSettings
    release: ReleaseSettings = Field(description="What is deployed; written by jobs.promote.")
    slo: SloSettings = SloSettings()
    migration: MigrationSettings = Field(
        MigrationSettings(), description="The migration rows; written by jobs.migration advance."
    )

    @property
    def name_suffix(self) -> str:
        """Suffix for account-level names: '' for stack prod, '_<STACK>' otherwise."""
        return identity.name_suffix(self.stack)


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
    legacy_credentials: Mapping[str, pulumi.Output[str]] = dataclass_field(default_factory=dict)
    """Per migration row whose legacy side is declared (parallel, cutover), its credential."""


@dataclass(frozen=True)
class Settings:
    """What `load()` returns: validated settings plus the secrets."""

    stack: StackSettings
    secrets: StackSecrets
    agents: AgentCatalog
    """The Cortex Agent catalog (components/snowflake/agents.yaml), resolved for this stack."""
    portkey_config_json: str
    """The gateway config built from the routing policy (validated, canonical JSON), built once."""


def load(
    config: pulumi.Config | None = None,
    stack: str | None = None,
    project_dir: Path | None = None,
) -> Settings:
    """Read and validate the current stack's configuration; raise SettingsError listing all.

    `project_dir` holds Pulumi.yaml and the stack files (default: the working directory: the
    Python language host starts the program with `cmd.Dir = req.Info.ProgramDirectory`, pulumi
    sdk/python/cmd/pulumi-language-python main.go, and this project has no `main:`); they are read
    for what the program cannot see in its config (which leaves are `secure:`, the other stacks'
    names).
    """
    config = config or pulumi.Config(PROJECT)
    stack = stack or pulumi.get_stack()
    project_dir = project_dir or Path.cwd()
    problems: list[str] = []

    problems.extend(
        schema.unknown_key_problems(_project_keys(), (*NON_SECRET_KEYS, *ALL_SECRET_KEYS))
    )
    secret = {key for key in (*NON_SECRET_KEYS, *ALL_SECRET_KEYS) if _is_secret(key)}
    problems.extend(checks.secrecy_problems(secret, _raw))

    raw: dict[str, Any] = {}
    for key in NON_SECRET_KEYS:
        if key in secret:
            continue  # reported above; its (decrypted) value must not reach a message
        text = _raw(key)
        if text is None:
            continue
        if len(text) > MAX_CONFIG_CHARS:
            problems.append(f"{PROJECT}:{key}: {len(text)} characters; at most {MAX_CONFIG_CHARS}")
            continue
        if key == "environment":
            raw[key] = text
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if not isinstance(value, dict):
            problems.append(f"{PROJECT}:{key} = {_show(value)}: must be an object (a YAML mapping)")
            continue
        raw[key] = value
    for key in NON_SECRET_KEYS:
        if key in raw:
            problems.extend(credential_problems(key, raw[key]))

    parts = _validate_parts(raw, problems)
    environment = parts.get("environment")
    problems.extend(stack_rules.prod_rules(environment, raw))
    problems.extend(stack_rules.release_rules(environment, parts))
    problems.extend(stack_rules.reference_rules(parts))
    problems.extend(stack_rules.connector_tag_rules(environment, parts))
    problems.extend(stack_rules.url_rules(raw))
    problems.extend(_area_rules(environment, parts))
    own_identity = identity.identity_of(stack, raw)
    problems.extend(identity.identity_problems(own_identity))
    suffix_override = raw_value(raw, "snowflake", "nameSuffix")
    if suffix_override is not None and suffix_override != identity.name_suffix(stack):
        problems.append(
            f"{PROJECT}:snowflake.nameSuffix = {_show(suffix_override)}: the suffix comes from "
            f"the stack name; stack {stack!r} has {identity.name_suffix(stack)!r} (remove the key)"
        )
    problems.extend(checks.file_problems(project_dir, stack, own_identity))
    problems.extend(_placeholder_problems(stack, raw, project_dir))
    problems.extend(
        checks.migration_order_problems(stack, raw.get("migration"), environment, project_dir)
    )
    if parts.get("migration") is not None:
        problems.extend(
            migration_credential_problems(
                parts["migration"],
                {key: _raw(key) is not None for key in MIGRATION_CREDENTIAL_KEYS.values()},
                stack,
            )
        )

    stack_settings = None
    if len(parts) == len(AREA_KEYS) + 1 and not problems:
        stack_settings = StackSettings(stack=stack, **parts)

    agents = None
    if parts.get("cortex") is not None and parts.get("snowflake") is not None:
        agents = _agents(parts["cortex"], parts["snowflake"], stack, problems)

    portkey_config_json = None
    if parts.get("portkey") is not None:
        # Imported here: routing imports the settings models, so a module-level import would be
        # circular whenever routing is imported first (as in the dynamic-provider host).
        from components.settings.portkey_routing import (
            ConfigSchemaError,
            RoutingPolicyError,
            build_config,
            canonical_json,
        )

        try:
            portkey_config_json = canonical_json(build_config(parts["portkey"]))
        except (RoutingPolicyError, ConfigSchemaError) as error:
            problems.append(f"{PROJECT}:portkey: {error}")
    if parts.get("estuary") is not None:
        problems.extend(
            checks.source_credential_problems(parts["estuary"], _raw("estuarySourceCredentials"))
        )

    missing_secrets = [key for key in REQUIRED_SECRET_KEYS if _raw(key) is None]
    problems.extend(
        f"{PROJECT}:{key}: missing; set it with `{commands.config_set(key)}`"
        for key in missing_secrets
    )
    problems = [_scrub(p, raw) for p in dict.fromkeys(problems)]  # dedupe, then hide secrets
    if problems or stack_settings is None:
        raise SettingsError(
            f"Invalid configuration for stack '{stack}' (Pulumi.{stack}.yaml):\n"
            + "\n".join(f"  - {problem}" for problem in problems or ["(incomplete)"])
        )
    assert agents is not None and portkey_config_json is not None
    secrets = StackSecrets(
        snowflake_private_key=config.require_secret("snowflakePrivateKey"),
        estuary_source_credentials=config.require_secret_object("estuarySourceCredentials"),
        estuary_loader_private_key=config.require_secret("estuaryLoaderPrivateKey"),
        api_snowflake_private_key=config.require_secret("apiSnowflakePrivateKey"),
        portkey_api_key=config.require_secret("portkeyApiKey"),
        legacy_credentials={
            row: config.require_secret(key)
            for row, key in MIGRATION_CREDENTIAL_KEYS.items()
            if stack_settings.migration.needs_credential(row)
        },
    )
    return Settings(
        stack=stack_settings,
        secrets=secrets,
        agents=agents,
        portkey_config_json=portkey_config_json,
    )


def _placeholder_problems(stack: str, raw: Mapping[str, Any], project_dir: Path) -> list[str]:
    """Refused where a real engine would act on them; under mocks (the offline synth, tests)
    nothing can, so the stack is still shown, with one warning (placeholders.py)."""
    offline = isinstance(pulumi.runtime.settings.get_monitor(), MockMonitor)
    problems, warning = placeholders.load_problems(stack, raw, project_dir, offline)
    if warning:
        pulumi.log.warn(warning)
    return problems


def _area_rules(environment: str | None, parts: Mapping[str, Any]) -> list[str]:
    """Rules an area states about the environment or another area (they need validated models).

    Each rule raises KeyedValueError (naming its key) or a plain ValueError about the key given
    beside it, whose value is unset."""
    snowflake, cortex, portkey = parts.get("snowflake"), parts.get("cortex"), parts.get("portkey")
    slo, estuary, kubernetes = parts.get("slo"), parts.get("estuary"), parts.get("kubernetes")
    migration = parts.get("migration")
    rules: list[tuple[tuple[str | int, ...], Callable[[], None]]] = []
    if snowflake is not None and environment is not None:
        rules.append(((), lambda: check_snowflake_for_environment(snowflake, environment)))
    if snowflake is not None and cortex is not None:
        rules.append(((), lambda: check_refresh_fits_monitor(cortex, snowflake)))
    if portkey is not None and environment is not None:
        rules.append(
            (
                ("portkey", "apiKeyId"),
                lambda: check_api_key_binding_for_environment(portkey, environment),
            )
        )
    if slo is not None and environment is not None:
        rules.append(((), lambda: check_slo_for_environment(slo, environment)))
    if slo is not None and kubernetes is not None:
        rules.append(
            (
                ("kubernetes", "canary", "maxErrorRate"),
                lambda: check_canary_against_page(slo, kubernetes.canary),
            )
        )
    if slo is not None and portkey is not None:
        rules.append(((), lambda: check_weekly_policy(slo, portkey)))
    if environment == "prod" and slo is not None and estuary is not None and cortex is not None:
        # Prod refuses an objective its own pipeline cannot meet; other stacks are warned by
        # `jobs.synth --check` and the cost view (docs/slo.md, Freshness).
        rules.append(
            (
                ("slo", "freshness", "objectiveSeconds"),
                lambda: check_freshness(slo, estuary, cortex),
            )
        )
    if migration is not None and environment is not None:
        rules.append(((), lambda: check_migration_for_environment(migration, environment)))
    if migration is not None and parts.get("kubernetes") is not None:
        router_kind = parts["kubernetes"].router.kind
        rules.append(((), lambda: check_migration_router(migration, router_kind)))
    problems = []
    for path, rule in rules:
        try:
            rule()
        except KeyedValueError as error:
            problems.append(f"{_key(error.path)} = {_show(error.value)}: {error.message}")
        except ValueError as error:
            problems.append(f"{_key(path)} = {_show(None)}: {error}")
    return problems


def _validate_parts(raw: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """Each area on its own (strict: no bool as a number, no number as a string), so one bad
    area does not hide another's problems."""
    parts: dict[str, Any] = {}
    environment = raw.get("environment")
    if environment is None:
        problems.append(f"{PROJECT}:environment: missing (required)")
    elif environment not in ENVIRONMENTS:
        problems.append(
            f"{PROJECT}:environment = {_show(environment)}: must be 'dev', 'staging' or 'prod'"
        )
    else:
        parts["environment"] = environment
    for key, model in AREA_MODELS.items():
        value = raw.get(key)
        if value is None:
            if key in OPTIONAL_AREAS:
                parts[key] = model()
            elif key not in _reported_keys(problems, key):
                problems.append(f"{PROJECT}:{key}: missing (required)")
            continue
        try:
            parts[key] = model.model_validate_json(json.dumps(value, allow_nan=True), strict=True)
        except ValidationError as error:
            problems.extend(_describe(error, prefix=(key,)))
    return parts


def _reported_keys(problems: list[str], key: str) -> set[str]:
    return {key} if any(p.startswith(f"{PROJECT}:{key}") for p in problems) else set()


def _agents(
    cortex: CortexSettings, snowflake: SnowflakeSettings, stack: str, problems: list[str]
) -> AgentCatalog | None:
    """The catalog, and each agent's specification built now: `$$` and the 100 KB limit are
    refused here, before any resource, not when the Cortex component serializes it."""
    services = {"SOPHIA_SEARCH"} | {s.name for s in cortex.additional_search_services}
    try:
        agents = load_agent_catalog(
            search_services=services,
            warehouses=set(snowflake.warehouses),
            model_overrides=cortex.agent_models,
        )
    except AgentCatalogError as error:
        problems.append(str(error))
        return None
    suffix = identity.name_suffix(stack)
    database = f"{snowflake.database.base_name}{suffix}"
    for agent in agents.agents:
        try:
            specification_yaml(
                agent_specification(
                    agent,
                    database,
                    {s.lower(): f"{database}.CORTEX_VECTORS.{s}" for s in services},
                    {w: f"{w}{suffix}" for w in snowflake.warehouses},
                )
            )
        except (AgentCatalogError, KeyError) as error:
            problems.append(f"components/snowflake/agents.yaml: agent {agent.name!r}: {error}")
    return agents


def _scrub(problem: str, raw: Mapping[str, Any]) -> str:
    """Hide every secret value and credential-shaped stack value a message might quote (an area
    validator's own message may include its input)."""
    hidden = [
        leaf
        for key in NON_SECRET_KEYS
        for _, leaf in leaves(raw.get(key))
        if isinstance(leaf, str) and looks_like_credential(leaf)
    ]
    for key in ALL_SECRET_KEYS:
        text = _raw(key)
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        hidden.append(text)
        hidden.extend(leaf for _, leaf in leaves(value) if isinstance(leaf, str))
    for value in sorted({h for h in hidden if len(h) >= 4}, key=len, reverse=True):
        problem = problem.replace(value, "(value not shown)")
        problem = problem.replace(repr(value)[1:-1], "(value not shown)")
    return problem


def _is_secret(key: str) -> bool:
    return is_config_secret(f"{PROJECT}:{key}")


def _project_keys() -> set[str]:
    """Every key of the project's namespace the program was handed (the language host sets them
    all with `set_all_config`; a bare process reads PULUMI_CONFIG), read or not."""
    from pulumi.runtime.config import CONFIG, get_config_env

    keys = set(CONFIG.get()) | set(get_config_env())
    return {key.removeprefix(f"{PROJECT}:") for key in keys if key.startswith(f"{PROJECT}:")}


def _raw(key: str) -> str | None:
    """A config value without marking it read (no secret-read warning); never logged."""
    return get_config(f"{PROJECT}:{key}")


def _describe(error: ValidationError, prefix: tuple[Any, ...] = ()) -> list[str]:
    """One line per problem: key path, offending value, and what is allowed."""
    lines = []
    for item in error.errors(include_url=False):
        path: tuple[Any, ...] = prefix + tuple(item["loc"])
        value: Any = item.get("input")
        message = item["msg"]
        original = (item.get("ctx") or {}).get("error")
        if isinstance(original, KeyedValueError):
            path, value, message = prefix + original.path, original.value, original.message
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
    """A value for a message: never one that looks like a credential, never a whole object."""
    if isinstance(value, Mapping):
        return "{...}"
    if isinstance(value, list) and any(looks_like_credential(v) for _, v in leaves(value)):
        return "(value not shown: it looks like a credential)"
    what = looks_like_credential(value)
    if what is not None:
        return f"(value not shown: it looks like {what})"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

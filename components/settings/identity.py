"""What identifies a stack, and the account- and tenant-level names that must never be shared.

The stack NAME is the key (`Pulumi.<stack>.yaml`, `pulumi stack select <stack>`). Everything that
lives outside the stack's own state (in a shared Snowflake account, an Estuary tenant, a Portkey
workspace, a Kubernetes cluster) is derived from it or must carry it:

- Snowflake account-level names (database, warehouses, monitors, roles, users): base name +
  `_S` (upper case); prod keeps the plan's bare names;
- Estuary catalog prefix: ends in `/S/` (e.g. `sophia/S/`);
- Portkey config name and usage-limit name: contain `S` as a word (`sophia-S-routing`);
- Portkey provider slugs: end in `-S` (`@openai-S`);
- Kubernetes namespace: contains `S` as a word (`sophia-S`);
- API host: outside prod, contains `S` as a DNS label (`api.S.sophia.ai`);
- environment: stack `prod` is environment prod; no other stack may be.

`environment` says which stage's rules apply (dev, staging, prod); it does not name anything, so a
new stack `qa` with `environment: staging` gets `_QA` names, not staging's. Rules per stack are
`identity_problems`; `collisions` compares stacks pairwise (settings compare the stack being
loaded with every other stack file in the project; `python -m jobs.synth --check` compares all of
them), so even names that pass the per-stack rules cannot be shared.

Only plain data goes in (the raw stack config as a dict), so a broken sibling stack file cannot
stop another stack: what cannot be read from it is simply not compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.settings._base import raw_value

PROJECT = "sophia-infra"
PROD_STACK = "prod"
PROD_ENVIRONMENT = "prod"
# Lower-case letter then letters/digits: the suffix `_<STACK>` is then a valid unquoted Snowflake
# identifier part, a DNS label and a catalog token, and two stack names never map to one suffix.
STACK_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")
SNOWFLAKE_MAX_IDENTIFIER = 255  # Snowflake: identifiers are at most 255 characters

# Account-level Snowflake objects the program names (components/snowflake/roles.py
# ROLE_BASE_NAMES, __main__.py service users); a test keeps these lists in step with the code.
ROLE_BASE_NAMES = ("SOPHIA_ADMIN", "SOPHIA_LOADER", "SOPHIA_API", "SOPHIA_ANALYST")
SERVICE_USER_BASE_NAMES = ("ESTUARY_LOADER_SVC", "SOPHIA_API_SVC")
MONITOR_SUFFIX = "_MONITOR"


def name_suffix(stack: str) -> str:
    """Suffix of every account-level Snowflake name: '' for prod, '_<STACK>' otherwise."""
    return "" if stack == PROD_STACK else f"_{stack.upper()}"


@dataclass(frozen=True)
class StackIdentity:
    """The names one stack claims outside its own state."""

    stack: str
    environment: str | None = None
    snowflake_account: str | None = None
    snowflake_names: frozenset[str] = field(default_factory=frozenset)
    estuary_prefix: str | None = None
    portkey_workspace: str = "(default workspace)"
    portkey_config: str | None = None
    portkey_usage_limit: str | None = None
    provider_slugs: frozenset[str] = field(default_factory=frozenset)
    namespace: str | None = None
    host: str | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def snowflake_names(stack: str, snowflake: Any) -> frozenset[str]:
    """Every account-level Snowflake name the stack declares (from raw or validated config)."""
    suffix = name_suffix(stack)
    names = {f"{base}{suffix}" for base in (*ROLE_BASE_NAMES, *SERVICE_USER_BASE_NAMES)}
    database = _text(raw_value(snowflake, "database", "baseName")) or "SOPHIA_AI"
    names.add(f"{database}{suffix}")
    warehouses = raw_value(snowflake, "warehouses")
    if isinstance(warehouses, Mapping):
        for base in warehouses:
            if isinstance(base, str):
                names |= {f"{base}{suffix}", f"{base}{MONITOR_SUFFIX}{suffix}"}
    return frozenset(names)


def identity_of(stack: str, config: Mapping[str, Any]) -> StackIdentity:
    """The identity from a stack's raw config (short keys: 'snowflake', 'estuary', ...)."""
    snowflake = config.get("snowflake")
    portkey = config.get("portkey")
    kubernetes = config.get("kubernetes")
    organization = _text(raw_value(snowflake, "organizationName"))
    account = _text(raw_value(snowflake, "accountName"))
    targets = raw_value(portkey, "targets")
    slugs = {
        slug
        for target in (targets if isinstance(targets, list) else [])
        if (slug := _text(raw_value(target, "provider")))
    }
    return StackIdentity(
        stack=stack,
        environment=_text(config.get("environment")),
        snowflake_account=f"{organization}-{account}".upper() if organization and account else None,
        snowflake_names=snowflake_names(stack, snowflake)
        if isinstance(snowflake, Mapping)
        else frozenset(),
        estuary_prefix=_text(raw_value(config.get("estuary"), "tenantPrefix")),
        portkey_workspace=_text(raw_value(portkey, "workspaceId")) or "(default workspace)",
        portkey_config=_text(raw_value(portkey, "configName")),
        portkey_usage_limit=_text(raw_value(portkey, "usageLimit", "name")),
        provider_slugs=frozenset(slugs),
        namespace=_text(raw_value(kubernetes, "namespace")),
        host=_text(raw_value(kubernetes, "host")),
    )


def _has_word(text: str, word: str, separators: str) -> bool:
    return word in re.split(f"[{re.escape(separators)}]", text.lower())


def identity_problems(identity: StackIdentity) -> list[str]:
    """Per-stack rules: names carry the stack; only stack prod is environment prod."""
    stack = identity.stack
    if not STACK_NAME.match(stack):
        return [
            f"stack name {stack!r}: allowed: a lower-case letter then lower-case letters or "
            "digits, at most 16 characters (it becomes the '_<STACK>' suffix of Snowflake names, "
            "a DNS label and an Estuary catalog token)"
        ]
    problems = []
    environment = identity.environment
    if stack == PROD_STACK and environment not in (None, PROD_ENVIRONMENT):
        problems.append(
            f"{PROJECT}:environment = {environment!r}: stack prod must be environment prod"
        )
    if stack != PROD_STACK and environment == PROD_ENVIRONMENT:
        problems.append(
            f"{PROJECT}:environment = 'prod': only stack prod may be environment prod (it would "
            f"apply prod's rules to stack {stack!r} and share prod's metadata in Portkey); "
            "allowed: dev, staging"
        )
    prefix = identity.estuary_prefix
    if prefix is not None and not (prefix == f"{stack}/" or prefix.endswith(f"/{stack}/")):
        problems.append(
            f"{PROJECT}:estuary.tenantPrefix = {prefix!r}: must end in '/{stack}/' (the stack's "
            f"own catalog prefix, e.g. 'sophia/{stack}/')"
        )
    for key, name in (
        ("portkey.configName", identity.portkey_config),
        ("portkey.usageLimit.name", identity.portkey_usage_limit),
    ):
        if name is not None and not _has_word(name, stack, " -_."):
            problems.append(
                f"{PROJECT}:{key} = {name!r}: must contain the stack name {stack!r} as a word "
                f"(e.g. 'sophia-{stack}-routing'), so two stacks never share it in one workspace"
            )
    for slug in sorted(identity.provider_slugs):
        if not slug.lower().endswith(f"-{stack}"):
            problems.append(
                f"{PROJECT}:portkey.targets provider = {slug!r}: must end in '-{stack}' (the "
                f"stack's own Portkey integration, e.g. '@openai-{stack}'); another stack's "
                "provider spends its budget and keys"
            )
    if identity.namespace is not None and not _has_word(identity.namespace, stack, "-"):
        problems.append(
            f"{PROJECT}:kubernetes.namespace = {identity.namespace!r}: must contain the stack "
            f"name {stack!r} as a word (e.g. 'sophia-{stack}')"
        )
    host = identity.host
    if host is not None and stack != PROD_STACK and not _has_word(host, stack, "."):
        problems.append(
            f"{PROJECT}:kubernetes.host = {host!r}: must contain the stack name {stack!r} as a "
            f"DNS label (e.g. 'api.{stack}.sophia.ai'); only prod serves the bare host"
        )
    for name in sorted(identity.snowflake_names):
        if len(name) > SNOWFLAKE_MAX_IDENTIFIER:
            problems.append(
                f"{PROJECT}:snowflake: the name {name[:40]}... is {len(name)} characters with "
                f"the stack suffix; Snowflake allows {SNOWFLAKE_MAX_IDENTIFIER}"
            )
    return problems


def _prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def collisions(a: StackIdentity, b: StackIdentity) -> Iterator[str]:
    """Everything stacks `a` and `b` would both claim; one line each, naming both stacks."""
    pair = f"stacks {a.stack!r} and {b.stack!r}"
    if a.snowflake_account and a.snowflake_account == b.snowflake_account:
        shared = sorted(a.snowflake_names & b.snowflake_names)
        if shared:
            yield (
                f"{pair} both declare Snowflake {', '.join(shared[:5])}"
                f"{' ...' if len(shared) > 5 else ''} in account {a.snowflake_account}"
            )
    prefix_a, prefix_b = a.estuary_prefix, b.estuary_prefix
    if prefix_a and prefix_b and _prefixes_overlap(prefix_a, prefix_b):
        yield (
            f"{pair} share the Estuary catalog prefix ({a.estuary_prefix!r} / "
            f"{b.estuary_prefix!r}): one stack's publications would replace the other's tasks"
        )
    if a.portkey_workspace == b.portkey_workspace:
        for what, x, y in (
            ("Portkey config name", a.portkey_config, b.portkey_config),
            ("Portkey usage-limit name", a.portkey_usage_limit, b.portkey_usage_limit),
        ):
            if x and y and x.casefold() == y.casefold():
                yield f"{pair} both use the {what} {x!r} in {a.portkey_workspace}"
        shared_slugs = sorted(
            {s.casefold() for s in a.provider_slugs} & {s.casefold() for s in b.provider_slugs}
        )
        if shared_slugs:
            yield f"{pair} both route to the Portkey provider(s) {', '.join(shared_slugs)}"
    if a.namespace and a.namespace == b.namespace:
        yield f"{pair} both deploy into the Kubernetes namespace {a.namespace!r}"
    if a.host and a.host == b.host:
        yield f"{pair} both serve the host {a.host!r}"


def short_keys(config: Mapping[str, Any]) -> dict[str, Any]:
    """`sophia-infra:snowflake` -> `snowflake`; other namespaces are dropped."""
    return {
        key.split(":", 1)[1]: value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(f"{PROJECT}:")
    }

"""Shared helpers for the rule modules: policy builders, config defaults, and property walking.

A rule is a plain function over a resource's type and properties (and the policy's config) that
yields one message per violation. `resource_policy` and `stack_policy` wrap such functions into
pulumi-policy objects, so the same objects serve the CrossGuard pack (`policies/__main__.py`) and
the offline check (`jobs.check`).

Two views of the same stack reach these rules:
- the engine (`pulumi preview --policy-pack policies`): resource policies get checked inputs, stack
  policies get outputs; keys are camelCase for generated providers; secrets arrive unwrapped, so a
  rule cannot tell a secret value from a plain one;
- the offline check (`python -m jobs.synth --stack X --check`): the synth's declared inputs, where
  every secret value is replaced by `REDACTED`, and the stack tag `SECRETS_VIEW_TAG` says so.
  Rules that judge secrecy use `secrets_are_redacted(stack_tags)` to know which view they have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# How the offline synth shows a secret value (jobs/harness.py SECRET_MARK).
REDACTED = "[secret]"
# Stack tag set by the offline check: secret values in props are REDACTED (never set it on a stack).
SECRETS_VIEW_TAG = "sophia:secretsView"
SECRETS_VIEW_REDACTED = "redacted"

ResourceCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[
    [Sequence[PolicyResource], Mapping[str, Any], Mapping[str, str]],
    Iterable[tuple[str, str | None]],
]


def secrets_are_redacted(stack_tags: Mapping[str, str]) -> bool:
    """True in the offline check's view (secret values replaced by REDACTED)."""
    return stack_tags.get(SECRETS_VIEW_TAG) == SECRETS_VIEW_REDACTED


def schema(properties: Mapping[str, Mapping[str, Any]] | None) -> PolicyConfigSchema | None:
    return (
        PolicyConfigSchema(properties={k: dict(v) for k, v in properties.items()})
        if properties
        else None
    )


def with_defaults(
    config_schema: PolicyConfigSchema | None, config: Mapping[str, Any]
) -> dict[str, Any]:
    """The policy's config with each schema default filled in (the CLI does the same).

    A threshold pair out of order (minX above maxX) raises ValueError: every value would pass
    or fail at once, so the rule would be silently switched on or off.
    """
    merged: dict[str, Any] = {}
    if config_schema is not None:
        for key, spec in config_schema.properties.items():
            if "default" in spec:
                merged[key] = spec["default"]
    merged.update({k: v for k, v in (config or {}).items() if k != "enforcementLevel"})
    problems = threshold_order_problems(merged)
    if problems:
        raise ValueError("; ".join(problems))
    return merged


def threshold_order_problems(settings: Mapping[str, Any]) -> list[str]:
    """`minX` above `maxX` for any threshold pair X of one policy's settings."""
    problems = []
    for key, low in settings.items():
        if not key.startswith("min") or isinstance(low, bool):
            continue
        high_key = "max" + key[3:]
        high = settings.get(high_key)
        if (
            isinstance(low, int | float)
            and isinstance(high, int | float)
            and not isinstance(high, bool)
            and low > high
        ):
            problems.append(f"{key} ({low}) is above {high_key} ({high})")
    return problems


def resource_policy(
    *,
    name: str,
    description: str,
    resource_types: Sequence[str],
    check: ResourceCheck,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A resource policy that runs `check(type, props, config)` on the listed types only."""
    return resource_policy_with_args(
        name=name,
        description=description,
        resource_types=resource_types,
        check=lambda args, settings: check(args.resource_type, args.props, settings),
        config=config,
        enforcement_level=enforcement_level,
    )


def resource_policy_with_args(
    *,
    name: str,
    description: str,
    resource_types: Sequence[str],
    check: Callable[[ResourceValidationArgs, Mapping[str, Any]], Iterable[str]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """Like `resource_policy`, for the few rules that also read resource options or stack tags."""
    types = frozenset(resource_types)
    config_schema = schema(config)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        for message in check(args, with_defaults(config_schema, args.get_config())):
            report_violation(message, None)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
    return policy


def stack_policy(
    *,
    name: str,
    description: str,
    check: StackCheck,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """A stack policy; `check(resources, config, stack_tags)` yields (message, urn or None)."""
    config_schema = schema(config)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = with_defaults(config_schema, args.get_config())
        for message, urn in check(args.resources, settings, args.stack_tags):
            report_violation(message, urn)

    policy = StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
    return policy


# --- property helpers -----------------------------------------------------------------------------


def get_path(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[p0][p1]...`, or `default` where any step is missing or of the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not is_list(value) or not -len(value) <= step < len(value):
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
    return value


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def as_bool(value: Any) -> bool | None:
    """Provider booleans arrive as bools or as the strings "true"/"false" (snowflake v2)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def display(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def label(props: Mapping[str, Any], fallback: str = "resource") -> str:
    """A reviewer's name for the object: its `name` input, or the Kubernetes metadata.name."""
    name = props.get("name")
    if isinstance(name, str) and name:
        return name
    meta_name = get_path(props, "metadata", "name")
    if isinstance(meta_name, str) and meta_name:
        return meta_name
    return fallback


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair below `value`, containers included, depth first."""
    yield path, value
    if isinstance(value, Mapping):
        for key in value:
            yield from walk(value[key], f"{path}.{key}" if path else str(key))
    elif is_list(value):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def embedded_document(value: Any) -> Any:
    """A JSON object or array carried in a string input (e.g. a Portkey config), else None."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(key: str) -> list[str]:
    """camelCase, snake_case, kebab-case and SCREAMING_CASE keys as lower-case words."""
    return [w.lower() for w in _WORD.findall(key)]

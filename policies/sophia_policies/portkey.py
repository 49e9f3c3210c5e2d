"""Portkey gateway rules over the `config` input of `GatewayConfig` (the Portkey config JSON).

A config is a tree: a group node has `strategy` and `targets`; a leaf names a `provider` (or
virtual key) and usually `override_params` (`model`, `max_tokens`). `retry` and
`request_timeout` may sit on any node and apply to what is below it.

Prices come from `components/portkey/prices.yaml`, read as a data file (this package never
imports `components`), or from the policy config's `priceTable` when the pack runs without the
repository (e.g. published to Pulumi Cloud).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel

from .common import REDACTED, embedded_document, get_path, is_list, resource_policy, words

GATEWAY_CONFIG = "pulumi-python:dynamic/portkey:GatewayConfig"
POLICIES_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PRICES_FILE = "../components/portkey/prices.yaml"  # relative to policies/
DEFAULT_LIFECYCLE_FILE = "../components/portkey/model_lifecycle.yaml"
_THOUSAND = Decimal(1000)


def parse_config(props: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str | None]:
    """(the parsed config, None) or (None, why it cannot be read)."""
    raw = props.get("config")
    if raw == REDACTED:
        return None, "its config is secret"
    document = embedded_document(raw) if isinstance(raw, str) else raw
    if not isinstance(document, Mapping):
        return None, "its config is not a JSON object"
    return document, None


def _children(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    targets = node.get("targets")
    return [t for t in targets if isinstance(t, Mapping)] if is_list(targets) else []


def nodes(
    node: Mapping[str, Any], path: str = "config", timeout: Any = None
) -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    """(path, node, effective request_timeout) for every node of the tree, root first."""
    timeout = node.get("request_timeout", timeout)
    yield path, node, timeout
    for index, child in enumerate(_children(node)):
        name = child.get("name")
        yield from nodes(child, f"{path}.targets[{index}]" + (f"({name})" if name else ""), timeout)


def leaves(config: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    for path, node, timeout in nodes(config):
        if not _children(node):
            yield path, node, timeout


def _gateway(props: Mapping[str, Any]) -> str:
    return f"gateway config {props.get('name') or '(unnamed)'}"


def fallback(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if not config["requireFallback"]:
        return
    document, problem = parse_config(props)
    if document is None:
        yield f"{_gateway(props)}: cannot check for a fallback because {problem}"
        return
    minimum = int(config["minFallbackTargets"])
    groups = [
        len(_children(node))
        for _, node, _ in nodes(document)
        if get_path(node, "strategy", "mode") == "fallback"
    ]
    if not any(count >= minimum for count in groups):
        yield (
            f"{_gateway(props)} has no fallback group with at least {minimum} targets; this "
            "stack needs a second provider to take over when the first fails (requireFallback)"
        )


def retry_attempts(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    document, problem = parse_config(props)
    if document is None:
        yield f"{_gateway(props)}: cannot check retries because {problem}"
        return
    maximum = int(config["maxRetryAttempts"])
    for path, node, _ in nodes(document):
        attempts = get_path(node, "retry", "attempts")
        if isinstance(attempts, (int, float)) and attempts > maximum:
            yield (
                f"{_gateway(props)} retries {attempts} times at {path}; at most {maximum} "
                "(maxRetryAttempts): each retry can be a paid upstream call"
            )


def request_timeout(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    document, problem = parse_config(props)
    if document is None:
        yield f"{_gateway(props)}: cannot check the request timeout because {problem}"
        return
    maximum = int(config["maxRequestTimeoutMs"])
    for path, _, timeout in leaves(document):
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            yield (
                f"{_gateway(props)} sets no request_timeout for {path}; a hung upstream would "
                "hold the API worker (set request_timeout in milliseconds)"
            )
        elif timeout > maximum:
            yield (
                f"{_gateway(props)} waits {timeout} ms for {path}; at most {maximum} ms "
                "(maxRequestTimeoutMs)"
            )


@functools.cache
def _load_prices(path: str) -> Mapping[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def price_table(config: Mapping[str, Any]) -> tuple[Mapping[str, Any], int, str]:
    """(models, assumed prompt tokens, where the prices came from)."""
    if config.get("priceTable"):
        table = config["priceTable"]
        source = "policy config priceTable"
    else:
        path = (POLICIES_DIR / str(config["pricesFile"])).resolve()
        table = _load_prices(str(path))
        source = f"{path.name} v{table.get('version', '?')}"
    prompt = config.get("assumedPromptTokens") or table["assumed_prompt_tokens"]
    return table["models"], int(prompt), source


def cost_ceiling(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    document, problem = parse_config(props)
    if document is None:
        yield f"{_gateway(props)}: cannot check the cost ceiling because {problem}"
        return
    ceiling = Decimal(str(config["maxCostPerRequestUsd"]))
    try:
        models, prompt_tokens, source = price_table(config)
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        yield f"{_gateway(props)}: cannot read the price table ({error})"
        return
    for path, leaf, _ in leaves(document):
        model = get_path(leaf, "override_params", "model") or leaf.get("model")
        price = models.get(model) if isinstance(model, str) else None
        if price is None:
            yield (
                f"{_gateway(props)} routes {path} to model {model!r}, which has no price in "
                f"{source}; add it before routing to it"
            )
            continue
        caps = [
            value
            for value in (
                get_path(leaf, "override_params", "max_completion_tokens"),
                get_path(leaf, "override_params", "max_tokens"),
            )
            if isinstance(value, int) and not isinstance(value, bool)
        ]
        # The gateway lets a client-sent max_completion_tokens replace max_tokens (Anthropic and
        # Mistral map both to max_tokens; GW transformToProviderRequest, later key wins), so only a
        # max_completion_tokens override is a cap the caller cannot lift.
        capped = isinstance(get_path(leaf, "override_params", "max_completion_tokens"), int)
        output_tokens = max(caps) if capped else int(price["max_output_tokens"])
        worst = (
            Decimal(prompt_tokens) * Decimal(str(price["input_per_1k"]))
            + Decimal(output_tokens) * Decimal(str(price["output_per_1k"]))
        ) / _THOUSAND
        if worst > ceiling:
            yield (
                f"{_gateway(props)}: {path} ({model}) can cost ${_usd(worst)} per request "
                f"({prompt_tokens} prompt + {output_tokens} output tokens"
                f"{'' if capped else ', no max_completion_tokens override'}, {source}); this "
                "stack's ceiling is "
                f"${ceiling} (maxCostPerRequestUsd)"
            )


def _usd(amount: Decimal) -> str:
    """Exact enough to compare with a ceiling: 0.09998 stays 0.09998, never rounds to 0.1000."""
    text = f"{amount:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


@functools.cache
def _load_yaml(path: str) -> Mapping[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def lifecycle_table(config: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """(models, where the table came from): the policy config's copy, else the repository file."""
    if config.get("lifecycleTable"):
        return config["lifecycleTable"]["models"], "policy config lifecycleTable"
    path = (POLICIES_DIR / str(config["lifecycleFile"])).resolve()
    table = _load_yaml(str(path))
    return table["models"], f"{path.name} v{table.get('version', '?')}"


def _today(config: Mapping[str, Any]) -> date:
    """`asOf` (YYYY-MM-DD) when the policy config pins the date, else today (UTC)."""
    pinned = config.get("asOf")
    return date.fromisoformat(str(pinned)) if pinned else datetime.now(UTC).date()


def _routed_models(props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    document, _ = parse_config(props)
    if document is None:
        return
    for path, leaf, _ in leaves(document):
        yield path, get_path(leaf, "override_params", "model") or leaf.get("model")


def _retired_on(entry: Mapping[str, Any]) -> date | None:
    value = entry.get("retired_on")
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def model_retired(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    """Mandatory: every routed model is in the lifecycle table and not past its retirement."""
    document, problem = parse_config(props)
    if document is None:
        yield f"{_gateway(props)}: cannot check its models because {problem}"
        return
    try:
        models, source = lifecycle_table(config)
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        yield f"{_gateway(props)}: cannot read the model lifecycle table ({error})"
        return
    today = _today(config)
    for path, model in _routed_models(props):
        entry = models.get(model) if isinstance(model, str) else None
        if entry is None:
            yield (
                f"{_gateway(props)} routes {path} to model {model!r}, which is not in {source}; "
                "add it with its provider's deprecation source, or route to a served model"
            )
            continue
        retired_on = _retired_on(entry)
        if retired_on is not None and today >= retired_on:
            yield (
                f"{_gateway(props)} routes {path} to {model}, retired by "
                f"{entry.get('provider')} on {retired_on} (source: {entry.get('source')}); "
                "requests to it fail"
            )


def model_retiring(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    """Advisory: a routed model retires within `warnDaysBeforeRetirement` days."""
    try:
        models, source = lifecycle_table(config)
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return  # portkey-model-retired reports an unreadable table
    today = _today(config)
    horizon = today + timedelta(days=int(config["warnDaysBeforeRetirement"]))
    for path, model in _routed_models(props):
        entry = models.get(model) if isinstance(model, str) else None
        retired_on = _retired_on(entry) if entry is not None else None
        if retired_on is not None and today < retired_on <= horizon:
            yield (
                f"{_gateway(props)} routes {path} to {model}, which {entry.get('provider')} "
                f"retires on {retired_on} ({(retired_on - today).days} days; "
                f"warnDaysBeforeRetirement {config['warnDaysBeforeRetirement']}, {source}); "
                "move to its replacement before then"
            )


_CREDENTIAL_KEYS = ({"api", "key"}, {"token"}, {"password"}, {"secret"}, {"authorization"})


def no_inline_credentials(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    document, _ = parse_config(props)
    if document is None:
        return  # a secret config cannot hold a plaintext key
    for path, node, _ in nodes(document):
        for key, value in node.items():
            key_words = set(words(str(key)))
            if isinstance(value, str) and value and any(c <= key_words for c in _CREDENTIAL_KEYS):
                yield (
                    f"{_gateway(props)} carries a credential in plain text at {path}.{key}; "
                    "reference a Portkey provider (@slug) or virtual key instead"
                )


_LIFECYCLE_CONFIG: dict[str, dict[str, Any]] = {
    "lifecycleFile": {"type": "string", "default": DEFAULT_LIFECYCLE_FILE},
    "lifecycleTable": {"type": "object"},
    "asOf": {"type": "string", "description": "YYYY-MM-DD; default today (UTC)"},
}

POLICIES = [
    resource_policy(
        name="portkey-fallback",
        description="The gateway has a fallback target where the stack requires one.",
        resource_types=[GATEWAY_CONFIG],
        check=fallback,
        config={
            "requireFallback": {"type": "boolean", "default": True},
            "minFallbackTargets": {"type": "integer", "minimum": 2, "default": 2},
        },
    ),
    resource_policy(
        name="portkey-retry-attempts",
        description="Retry attempts stay within the bound.",
        resource_types=[GATEWAY_CONFIG],
        check=retry_attempts,
        config={"maxRetryAttempts": {"type": "integer", "minimum": 0, "maximum": 5, "default": 5}},
    ),
    resource_policy(
        name="portkey-request-timeout",
        description="Every target has a request timeout within the bound.",
        resource_types=[GATEWAY_CONFIG],
        check=request_timeout,
        config={"maxRequestTimeoutMs": {"type": "integer", "minimum": 1, "default": 120000}},
    ),
    resource_policy(
        name="portkey-cost-ceiling",
        description="Every target's worst-case request cost is within the per-request ceiling.",
        resource_types=[GATEWAY_CONFIG],
        check=cost_ceiling,
        config={
            "maxCostPerRequestUsd": {"type": "number", "exclusiveMinimum": 0, "default": 0.10},
            "pricesFile": {"type": "string", "default": DEFAULT_PRICES_FILE},
            "priceTable": {"type": "object"},
            "assumedPromptTokens": {"type": "integer", "minimum": 1},
        },
    ),
    resource_policy(
        name="portkey-model-retired",
        description="Every routed model is in the lifecycle table and not past its retirement.",
        resource_types=[GATEWAY_CONFIG],
        check=model_retired,
        config=_LIFECYCLE_CONFIG,
    ),
    resource_policy(
        name="portkey-model-retiring",
        description="Warns while a routed model is within N days of its retirement.",
        resource_types=[GATEWAY_CONFIG],
        check=model_retiring,
        config={
            **_LIFECYCLE_CONFIG,
            "warnDaysBeforeRetirement": {"type": "integer", "minimum": 0, "default": 90},
        },
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    resource_policy(
        name="portkey-no-inline-credentials",
        description="The gateway config carries no API key or token in plain text.",
        resource_types=[GATEWAY_CONFIG],
        check=no_inline_credentials,
    ),
]

"""Routing policy (stack settings) -> Portkey gateway config JSON.

Pure functions, no Pulumi and no network, so the same code drives `pulumi up`, the offline synth,
the cost view and the end-to-end test against the real open-source gateway.

Shape built (docs/portkey.md "Routing"): a `conditional` strategy sends requests whose metadata
carries the budget tag to the budget target and everything else to a `fallback` chain primary ->
fallbacks. Retry and request timeout sit at the top level so every target inherits them.

Portkey has no per-request dollar cap, so each target's output cap is derived from the ceiling:
    worst case = assumed_prompt_tokens * input price + max_tokens * output price <= ceiling
and a policy whose worst case cannot fit (or whose explicit max_tokens breaks it) is refused.

The cap goes into `override_params`, which the gateway spreads over the request body
(`{...requestBody, ...overrideParams}`, Portkey-AI/gateway src/handlers/services/
providerContext.ts `params`), so it replaces whatever the client sent. The gateway copies to a
provider only the request keys that provider's config lists (src/services/
transformToProviderRequest.ts); in gateway 1.15.2 the keys that reach an output-token limit on
our providers are exactly (read from node_modules/@portkey-ai/gateway/build/start-server.js):
- openai chatComplete: `max_tokens` -> max_tokens, `max_completion_tokens` ->
  max_completion_tokens; the Responses route (`/v1/responses`): `max_output_tokens`;
- anthropic and mistral-ai chatComplete: `max_tokens` and `max_completion_tokens`, both ->
  max_tokens (the later key wins).
So every leaf overrides all three aliases (`CLIENT_OUTPUT_ALIASES`); a key a provider does not
list is dropped by the gateway, so an extra override is harmless. For models that take
`max_completion_tokens` (OpenAI GPT-5, model_lifecycle.yaml `output_param`), `max_tokens` is
overridden with JSON null instead of the cap: GPT-5 refuses a numeric `max_tokens` with 400,
and the OpenAI API declares `max_tokens` "integer or null" (null = not set). GUESS: that GPT-5
accepts an explicit null (not verifiable offline); if it refused it, the request fails closed.
The real gateway test (tests/components/portkey/test_gateway_e2e.py) sends each alias.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from components.settings.portkey import PortkeySettings, PortkeyTarget
from components.settings.portkey_models import load_lifecycle
from components.yaml_files import load_yaml_file

# Data files stay with the Portkey component; the derivation is settings (it must fail before
# any resource registers).
_HERE = Path(__file__).resolve().parents[1] / "portkey"
PRICES_PATH = _HERE / "prices.yaml"
SCHEMA_PATH = _HERE / "config_schema.json"
# Below this many output tokens a model cannot answer usefully; refuse instead of routing to it.
MIN_USEFUL_OUTPUT_TOKENS = 64
BUDGET_TARGET_NAME = "budget"
PREMIUM_TARGET_NAME = "premium"
_THOUSAND = Decimal(1000)


class RoutingPolicyError(ValueError):
    """The policy cannot be turned into a config that respects its own limits."""


class ConfigSchemaError(ValueError):
    """A built (or hand-written) config does not match config_schema.json."""


@dataclass(frozen=True)
class ModelPrice:
    input_per_1k: Decimal
    output_per_1k: Decimal
    max_output_tokens: int


@dataclass(frozen=True)
class PriceTable:
    version: int
    date: str
    source: str
    assumed_prompt_tokens: int
    models: dict[str, ModelPrice]

    def price(self, target: PortkeyTarget) -> ModelPrice:
        try:
            return self.models[target.model]
        except KeyError:
            raise RoutingPolicyError(
                f"target '{target.name}': model '{target.model}' has no price in "
                f"prices.yaml (version {self.version}); priced models: {sorted(self.models)}. "
                "Add its prices before routing to it."
            ) from None


@dataclass(frozen=True)
class TargetCost:
    """The cost view of one routed target."""

    target: str
    provider: str
    model: str
    max_tokens: int
    prompt_tokens: int
    worst_case_usd: Decimal
    ceiling_usd: Decimal

    @property
    def headroom_usd(self) -> Decimal:
        return self.ceiling_usd - self.worst_case_usd


def load_price_table(path: Path = PRICES_PATH) -> PriceTable:
    raw = load_yaml_file(path)  # strict: duplicate keys refused (components/yaml_files.py)
    models = {
        model: ModelPrice(
            input_per_1k=Decimal(str(entry["input_per_1k"])),
            output_per_1k=Decimal(str(entry["output_per_1k"])),
            max_output_tokens=int(entry["max_output_tokens"]),
        )
        for model, entry in raw["models"].items()
    }
    return PriceTable(
        version=int(raw["version"]),
        date=str(raw["date"]),
        source=str(raw["source"]).strip(),
        assumed_prompt_tokens=int(raw["assumed_prompt_tokens"]),
        models=models,
    )


def usd(value: Decimal) -> str:
    """$0.10, $0.09998: cents always shown, more digits only when they matter."""
    exponent = value.normalize().as_tuple().exponent
    digits = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"${value:.{digits}f}"


def _worst_case(prices: PriceTable, price: ModelPrice, max_tokens: int) -> Decimal:
    prompt = Decimal(prices.assumed_prompt_tokens) * price.input_per_1k / _THOUSAND
    return prompt + Decimal(max_tokens) * price.output_per_1k / _THOUSAND


def _max_tokens(target: PortkeyTarget, policy: PortkeySettings, prices: PriceTable) -> int:
    price = prices.price(target)
    if target.max_tokens is not None:
        return target.max_tokens
    prompt_cost = Decimal(prices.assumed_prompt_tokens) * price.input_per_1k / _THOUSAND
    left = policy.max_cost_per_request_usd - prompt_cost
    affordable = (left * _THOUSAND / price.output_per_1k).to_integral_value(rounding=ROUND_FLOOR)
    derived = min(int(affordable), price.max_output_tokens)
    if derived < MIN_USEFUL_OUTPUT_TOKENS:
        raise RoutingPolicyError(
            f"target '{target.name}' ({target.model}): a ceiling of "
            f"{usd(policy.max_cost_per_request_usd)} leaves {max(derived, 0)} output tokens "
            f"after an assumed {prices.assumed_prompt_tokens}-token prompt; at least "
            f"{MIN_USEFUL_OUTPUT_TOKENS} are needed. Raise maxCostPerRequestUsd or use a "
            "cheaper model."
        )
    return derived


def worst_case_per_target(
    policy: PortkeySettings, prices: PriceTable | None = None
) -> list[TargetCost]:
    """Worst-case USD per upstream call for every routed target (fallback chain, then budget).

    Raises RoutingPolicyError naming target, model, worst case and ceiling if any exceeds it.
    """
    prices = prices or load_price_table()
    costs = []
    for target in policy.routed_targets():
        price = prices.price(target)
        max_tokens = _max_tokens(target, policy, prices)
        worst = _worst_case(prices, price, max_tokens)
        if worst > policy.max_cost_per_request_usd:
            raise RoutingPolicyError(
                f"target '{target.name}' ({target.model}): worst case {usd(worst)} per "
                f"request ({prices.assumed_prompt_tokens} prompt + {max_tokens} output tokens, "
                f"prices v{prices.version}) exceeds the ceiling "
                f"{usd(policy.max_cost_per_request_usd)}; lower its maxTokens or raise "
                "maxCostPerRequestUsd."
            )
        costs.append(
            TargetCost(
                target=target.name,
                provider=target.provider,
                model=target.model,
                max_tokens=max_tokens,
                prompt_tokens=prices.assumed_prompt_tokens,
                worst_case_usd=worst,
                ceiling_usd=policy.max_cost_per_request_usd,
            )
        )
    return costs


# Every request key the gateway maps onto an output-token limit (see the module doc).
CLIENT_OUTPUT_ALIASES = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def output_caps(model: str, max_tokens: int) -> dict[str, int | None]:
    """The override_params entries that cap `model`'s output at `max_tokens` whatever alias the
    client sends (see module doc)."""
    entry = load_lifecycle().models.get(model)
    if entry is None:
        raise RoutingPolicyError(f"model '{model}' is not in model_lifecycle.yaml")
    caps: dict[str, int | None] = dict.fromkeys(CLIENT_OUTPUT_ALIASES, max_tokens)
    if entry.output_param == "max_completion_tokens":
        caps["max_tokens"] = None  # cleared, not capped: these models refuse the key
    return caps


def _leaf(target: PortkeyTarget, max_tokens: int) -> dict[str, Any]:
    leaf: dict[str, Any] = {
        "provider": target.provider,
        "override_params": {"model": target.model, **output_caps(target.model, max_tokens)},
    }
    if target.weight != 1:
        leaf["weight"] = target.weight
    return leaf


def build_config(policy: PortkeySettings, prices: PriceTable | None = None) -> dict[str, Any]:
    """The Portkey config for `policy`, checked against the ceiling and the JSON schema."""
    prices = prices or load_price_table()
    max_tokens = {cost.target: cost.max_tokens for cost in worst_case_per_target(policy, prices)}

    def leaf(name: str) -> dict[str, Any]:
        return _leaf(policy.target(name), max_tokens[name])

    chain = [leaf(name) for name in policy.fallback.order]
    premium: dict[str, Any]
    if len(chain) == 1:
        premium = chain[0]
    else:
        premium = {
            "strategy": {
                "mode": "fallback",
                "on_status_codes": list(policy.fallback.on_status_codes),
            },
            "targets": chain,
        }

    config: dict[str, Any]
    if policy.budget is None:
        config = dict(premium) if len(chain) > 1 else {"strategy": {"mode": "single"}}
        if len(chain) == 1:
            config["targets"] = [premium]
    else:
        budget = policy.budget
        config = {
            "strategy": {
                "mode": "conditional",
                "conditions": [
                    {
                        "query": {
                            f"metadata.{budget.metadata_key}": {"$eq": budget.metadata_value}
                        },
                        "then": BUDGET_TARGET_NAME,
                    }
                ],
                "default": PREMIUM_TARGET_NAME,
            },
            "targets": [
                {"name": BUDGET_TARGET_NAME, **leaf(budget.target)},
                {"name": PREMIUM_TARGET_NAME, **premium},
            ],
        }
    if policy.retry.attempts:
        config["retry"] = {
            "attempts": policy.retry.attempts,
            "on_status_codes": list(policy.retry.on_status_codes),
        }
    config["request_timeout"] = policy.request_timeout_ms
    if policy.cache is not None:
        config["cache"] = {"mode": policy.cache.mode, "max_age": policy.cache.max_age}
    validate_config(config)
    return config


def canonical_json(config: dict[str, Any] | str) -> str:
    """One spelling per config: sorted keys, no whitespace (what diffs and state compare)."""
    value = json.loads(config) if isinstance(config, str) else config
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def validate_config(config: dict[str, Any]) -> None:
    """Raise ConfigSchemaError listing every schema violation with its JSON path."""
    errors = sorted(_validator().iter_errors(config), key=lambda error: list(error.path))
    if errors:
        lines = [f"  - at {_where(error)}: {_explain(error)}" for error in errors]
        raise ConfigSchemaError(
            "Portkey config does not match components/portkey/config_schema.json:\n"
            + "\n".join(lines)
        )


def _where(error: jsonschema.ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    return "config" + path


def _explain(error: jsonschema.ValidationError) -> str:
    if error.validator == "anyOf" and error.context:
        # anyOf over `required` alternatives: say what would have satisfied it.
        wanted = [sub.schema.get("required") for sub in error.context if "required" in sub.schema]
        if wanted:
            return "needs one of: " + "; ".join(" + ".join(keys) for keys in wanted if keys)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys: {allowed}"
    return error.message


def with_inline_providers(
    config: dict[str, Any], providers: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Copy of `config` with each `@slug` provider replaced by inline fields.

    The open-source gateway cannot resolve saved provider slugs, so a local gateway (the
    end-to-end test, a laptop) needs e.g. {"@openai-prod": {"provider": "openai",
    "api_key": "...", "custom_host": "http://127.0.0.1:9000/v1"}}. Production configs keep the
    slugs: credentials stay in Portkey, never in the config.
    """

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: rewrite(value) for key, value in node.items()}
        slug = node.get("provider")
        if isinstance(slug, str) and slug.startswith("@"):
            if slug not in providers:
                raise KeyError(f"no inline provider given for {slug}")
            out.update(providers[slug])
        return out

    rendered = rewrite(config)
    validate_config(rendered)
    return rendered

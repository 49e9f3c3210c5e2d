"""The LLM gateway: worst case per request on every Portkey target, and the usage limit's cap."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from components.settings.portkey_models import OUTPUT_PARAMS
from jobs.cost.document import GATEWAY_CONFIG, UNCAPPED, USAGE_LIMITS, of_type
from jobs.cost.prices import Assumptions, PriceBook, dec

_THOUSAND = Decimal(1000)


@dataclass(frozen=True)
class TargetCost:
    route: str
    provider: str
    model: str
    max_tokens: int | None
    prompt_tokens: int
    worst_case_usd: Decimal | None
    """Per request: prompt_tokens x input price + max_tokens x output price; None: unpriced."""
    flags: tuple[str, ...]


@dataclass(frozen=True)
class UsageLimit:
    name: str
    kind: str
    limit: Decimal
    alert_threshold: Decimal | None
    periodic_reset: str | None
    scope: str
    monthly_cap_usd: Decimal | None
    """Dollars the limit lets through in a month; None for token limits (not a dollar cap)."""


@dataclass(frozen=True)
class GatewayCost:
    key: str
    name: str
    targets: tuple[TargetCost, ...]
    requests_per_day: Decimal
    daily_bound_usd: Decimal
    """At the assumed request rate, every request on the most expensive target."""
    monthly_worst_usd: Decimal
    limit: UsageLimit | None
    flags: tuple[str, ...]

    @property
    def worst_request_usd(self) -> Decimal:
        return max((t.worst_case_usd or Decimal(0) for t in self.targets), default=Decimal(0))

    @property
    def monthly_bound_usd(self) -> Decimal:
        if self.limit is None or self.limit.monthly_cap_usd is None:
            return self.monthly_worst_usd
        return min(self.monthly_worst_usd, self.limit.monthly_cap_usd)


def config_leaves(node: Mapping[str, Any], route: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every upstream target of a Portkey config, with a readable route name."""
    children = node.get("targets")
    if not isinstance(children, list):
        yield route, node
        return
    mode = (node.get("strategy") or {}).get("mode")
    for index, child in enumerate(children):
        name = child.get("name")
        if name:
            child_route = f"{route}/{name}" if route else str(name)
        elif mode == "fallback":
            role = "primary" if index == 0 else "fallback"
            child_route = f"{route or 'fallback'} #{index + 1} ({role})"
        else:
            child_route = f"{route or mode or 'target'} #{index + 1}"
        yield from config_leaves(child, child_route)


def _gateway_targets(config: Mapping[str, Any], prices: PriceBook) -> list[TargetCost]:
    rows = []
    prompt = prices.llm.assumed_prompt_tokens
    for route, leaf in config_leaves(config, ""):
        params = leaf.get("override_params") or {}
        model = str(params.get("model") or "?")
        provider = str(leaf.get("provider") or "?")
        flags: list[str] = []
        price = prices.llm.models.get(model)
        # The output cap the gateway enforces is max_tokens and/or max_completion_tokens
        # (components/settings/portkey_routing.py::output_caps: GPT-5 models take only
        # max_completion_tokens). With both, the larger one bounds the worst case.
        caps = [int(params[key]) for key in OUTPUT_PARAMS if params.get(key) is not None]
        max_tokens = max(caps) if caps else None
        worst = None
        if price is None:
            flags.append(
                f"model {model} has no price in prices.yaml: unpriced, and Portkey usage limits "
                "count unpriced models as $0"
            )
        else:
            if max_tokens is None:
                flags.append(
                    f"no max_tokens or max_completion_tokens: priced at the model's "
                    f"{price.max_output_tokens}"
                )
                max_tokens = price.max_output_tokens
            worst = (
                Decimal(prompt) * price.input_per_1k / _THOUSAND
                + Decimal(int(max_tokens)) * price.output_per_1k / _THOUSAND
            ) * prices.llm_billed_calls_per_request
        rows.append(
            TargetCost(
                route=route or "single",
                provider=provider,
                model=model,
                max_tokens=int(max_tokens) if max_tokens is not None else None,
                prompt_tokens=prompt,
                worst_case_usd=worst,
                flags=tuple(flags),
            )
        )
    return rows


def _usage_limit(inputs: Mapping[str, Any], prices: PriceBook) -> UsageLimit:
    kind = str(inputs.get("type") or "cost")
    limit = dec(inputs.get("credit_limit") or 0)
    reset = inputs.get("periodic_reset")
    monthly = None
    if kind == "cost":
        monthly = limit * prices.days_per_month / 7 if reset == "weekly" else limit
    scope = ", ".join(f"{c.get('key')}={c.get('value')}" for c in inputs.get("conditions") or [])
    threshold = inputs.get("alert_threshold")
    return UsageLimit(
        name=str(inputs.get("name") or "?"),
        kind=kind,
        limit=limit,
        alert_threshold=dec(threshold) if threshold is not None else None,
        periodic_reset=str(reset) if reset else None,
        scope=scope or "everything",
        monthly_cap_usd=monthly,
    )


def price_gateways(
    resources: list[Mapping[str, Any]], prices: PriceBook, assumptions: Assumptions
) -> list[GatewayCost]:
    configs = of_type(resources, GATEWAY_CONFIG)
    limits = of_type(resources, USAGE_LIMITS)
    rows = []
    for resource in configs:
        inputs = resource["inputs"]
        flags: list[str] = []
        raw = inputs.get("config")
        try:
            config = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        except (json.JSONDecodeError, TypeError, ValueError):
            config = {}
        if not config:
            flags.append("config is not readable here (secret or computed): targets not priced")
        targets = _gateway_targets(config, prices) if config else []
        # The usage-limits policy sits beside the config in the same Gateway component.
        siblings = [
            r for r in limits if r.get("parent") and r.get("parent") == resource.get("parent")
        ]
        if not siblings and len(configs) == 1:
            siblings = limits
        # The monthly policy caps the month; a weekly one beside it (docs/slo.md) is the SLO's
        # budget alarm, shown in the error-budget table.
        siblings = sorted(
            siblings,
            key=lambda r: str(r["inputs"].get("periodic_reset") or "").lower() != "monthly",
        )
        limit = _usage_limit(siblings[0]["inputs"], prices) if siblings else None
        if limit is None:
            flags.insert(0, f"{UNCAPPED}: no usage limit")
        elif limit.monthly_cap_usd is None:
            flags.insert(0, f"{UNCAPPED} in dollars: the usage limit counts tokens")
        else:
            flags.append(
                f"the usage limit counts only requests with {limit.scope}; calls without that "
                "metadata are not capped"
            )
        worst_request = max((t.worst_case_usd or Decimal(0) for t in targets), default=Decimal(0))
        daily = assumptions.llm_requests_per_day * worst_request
        rows.append(
            GatewayCost(
                key=str(resource["name"]),
                name=str(inputs.get("name") or resource["name"]),
                targets=tuple(targets),
                requests_per_day=assumptions.llm_requests_per_day,
                daily_bound_usd=daily,
                monthly_worst_usd=daily * prices.days_per_month,
                limit=limit,
                flags=tuple(flags),
            )
        )
    return rows

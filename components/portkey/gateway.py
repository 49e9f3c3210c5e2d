"""`sophia:portkey:Gateway`: the stack's routing policy as a saved Portkey config (+ usage limit,
+ the binding of that config to the app's API key).

The config JSON is built and checked (cost ceiling, JSON schema) while the program runs, so a bad
policy fails `pulumi preview` before anything is registered. With `apiKeyId` set, the config is the
app key's default with overrides off, so the app cannot skip it; the API then must not send
`x-portkey-config` (the gateway refuses any such header on a locked key), so `config_header` is
empty. Without a binding, `config_header` is the slug.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.portkey.api_key_binding import ApiKeyConfigBinding
from components.portkey.gateway_config import GatewayConfig
from components.portkey.usage_limits import UsageLimitsPolicy
from components.settings.portkey import PortkeySettings
from components.settings.portkey_routing import PriceTable, build_config, canonical_json
from components.settings.slo import LlmBudget
from components.settings.slo_checks import weekly_policy_name


@dataclass(frozen=True)
class GatewayArgs:
    settings: PortkeySettings
    """The stack's routing policy (`sophia-infra:portkey`)."""
    prices: PriceTable | None = None
    """Price table for the ceiling check; default: components/portkey/prices.yaml."""
    config_json: str | None = None
    """The config already built from `settings` (canonical JSON); built here when not given."""
    llm_budget: LlmBudget | None = None
    """The SLO's LLM budget (`sophia-infra:slo` llm): with weeklyPolicy, a weekly usage-limits
    policy of 7 x the daily budget beside the monthly one (docs/slo.md, "LLM budget")."""


class Gateway(pulumi.ComponentResource):
    config_slug: pulumi.Output[str]
    """Slug of the saved config: the value of the `x-portkey-config` header."""
    config_version: pulumi.Output[str]
    """Portkey version_id of the config; changes on every update (release record)."""
    config_json: pulumi.Output[str]
    """The canonical config JSON that was saved."""
    config_header: pulumi.Output[str]
    """What the API sends as `x-portkey-config`: the slug, or "" when the key is bound to it."""
    config_bound_to_api_key: pulumi.Output[bool]
    """True when the config is the app key's default (overrides off unless allowConfigOverride)."""

    def __init__(
        self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("sophia:portkey:Gateway", name, None, opts)
        settings = args.settings
        config_json = args.config_json or canonical_json(build_config(settings, args.prices))

        config = GatewayConfig(
            f"{name}-config",
            name=settings.config_name,
            config=config_json,
            workspace_id=settings.workspace_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        limit = settings.usage_limit
        if limit is not None:
            UsageLimitsPolicy(
                f"{name}-usage-limits",
                name=limit.name,
                conditions=[{"key": c.key, "value": c.value} for c in limit.conditions],
                group_by=[{"key": key} for key in limit.group_by],
                credit_limit=float(limit.monthly_credit_limit_usd),
                alert_threshold=(
                    float(limit.alert_threshold_usd) if limit.alert_threshold_usd else None
                ),
                type="cost",
                periodic_reset="monthly",
                workspace_id=settings.workspace_id,
                acknowledge_usage_reset=limit.acknowledge_usage_reset,
                opts=pulumi.ResourceOptions(parent=self),
            )
            budget = args.llm_budget
            if budget is not None and budget.weekly_policy:
                # Same conditions, grouping and workspace as the monthly cap; policies stack: a
                # request passes every policy that applies (portkey.ai/docs/guides/use-cases/
                # enforcing-limits-and-budgets), and the Admin API allows periodic_reset weekly
                # (portkey.ai/docs/api-reference/admin-api/control-plane/policies).
                UsageLimitsPolicy(
                    f"{name}-usage-limits-weekly",
                    name=weekly_policy_name(limit.name),
                    conditions=[{"key": c.key, "value": c.value} for c in limit.conditions],
                    group_by=[{"key": key} for key in limit.group_by],
                    credit_limit=float(budget.weekly_limit_usd),
                    alert_threshold=float(budget.weekly_alert_usd),
                    type="cost",
                    periodic_reset="weekly",
                    workspace_id=settings.workspace_id,
                    acknowledge_usage_reset=limit.acknowledge_usage_reset,
                    opts=pulumi.ResourceOptions(parent=self),
                )

        bound = settings.api_key_id is not None
        binding = None
        if bound:
            binding = ApiKeyConfigBinding(
                f"{name}-api-key-binding",
                api_key_id=settings.api_key_id,
                config_id=config.config_id,
                config_slug=config.slug,
                allow_config_override=settings.allow_config_override,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.config_slug = config.slug
        self.config_version = config.version_id
        self.config_json = pulumi.Output.from_input(config_json)
        # A locked key answers any x-portkey-config header with an error (gateway updateHeaders),
        # so a bound app sends none and the key's default applies.
        self.config_header = pulumi.Output.from_input("") if bound else config.slug
        self.config_bound_to_api_key = (
            binding.api_key_id.apply(lambda _: True)
            if binding is not None
            else pulumi.Output.from_input(False)
        )
        self.register_outputs(
            {
                "config_slug": self.config_slug,
                "config_version": self.config_version,
                "config_json": self.config_json,
                "config_header": self.config_header,
                "config_bound_to_api_key": self.config_bound_to_api_key,
            }
        )

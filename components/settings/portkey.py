"""The Portkey routing policy as declared in stack config (`sophia-infra:portkey`).

This is the *policy* (which models, in which order, under which limits); the gateway config JSON
Portkey runs is derived from it by `components.settings.portkey_routing`. Keys are camelCase in
Pulumi.<stack>.yaml and snake_case in Python.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.settings._base import FrozenModel
from components.settings.portkey_models import load_lifecycle

DEFAULT_ADMIN_BASE_URL = "https://api.portkey.ai/v1"
# Portkey's documented retry defaults (docs automatic-retries). An explicit list is matched
# literally by both gateways (Portkey-AI/gateway handlerUtils tryTargetsRecursively), 529 too.
DEFAULT_RETRY_STATUS_CODES = (429, 500, 502, 503, 504, 529)
# Fallback also on: 404 (a retired or unknown model: Anthropic not_found_error, OpenAI
# model_not_found), 408 (the gateway's own answer when request_timeout fires) and 529 (Anthropic
# overloaded_error). 400/401/403/412 stay final: another provider would refuse the same request.
DEFAULT_FALLBACK_STATUS_CODES = (404, 408, 429, 500, 502, 503, 504, 529)
MAX_RETRY_ATTEMPTS = 5  # Portkey rejects more than 5 attempts.
CACHE_MAX_AGE_RANGE = (60, 7_776_000)  # seconds: 1 minute .. 90 days (Portkey's bounds)
REQUEST_TIMEOUT_RANGE_MS = (1_000, 600_000)
USAGE_LIMIT_MIN_USD = Decimal(1)  # Portkey's minimum cost limit

_TARGET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PROVIDER_SLUG = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# Keys both the OpenAPI spec and the budget-policies docs accept (organisation_id is OAS-only).
_POLICY_KEY = re.compile(r"^(api_key|workspace_id|metadata\.[A-Za-z0-9_.-]+)$")
_POLICY_KEYS_ALLOWED = "api_key, workspace_id or metadata.<key>"
# Portkey API key ids are UUIDs (OpenAPI admin-openapi.yaml /api-keys/{id}: `format: uuid`).
_API_KEY_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Stacks whose app key must be bound to the config (so the app cannot skip it).
ENVIRONMENTS_REQUIRING_KEY_BINDING = ("prod",)


class _PortkeyModel(FrozenModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _check_status_codes(codes: tuple[int, ...]) -> tuple[int, ...]:
    bad = [code for code in codes if not 400 <= code <= 599]
    if bad:
        raise ValueError(f"status codes {bad} are not errors; allowed: HTTP codes 400..599")
    if len(set(codes)) != len(codes):
        raise ValueError("status codes must not repeat")
    if not codes:
        raise ValueError("needs at least one status code (400..599)")
    return codes


class PortkeyTarget(_PortkeyModel):
    """One model behind one Portkey provider (an integration slug such as `@openai-prod`)."""

    name: str = Field(description="Handle used by fallback.order and budget.target.")
    provider: str = Field(description="Portkey provider slug, e.g. '@openai-prod'.")
    model: str = Field(
        description="Dated model id as the provider knows it; must be served per "
        "model_lifecycle.yaml and priced in prices.yaml."
    )
    weight: float = Field(default=1.0, description="Portkey target weight (loadbalance only).")
    max_tokens: int | None = Field(
        default=None,
        description="Explicit output cap; default: derived from maxCostPerRequestUsd.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TARGET_NAME.match(value):
            raise ValueError(
                "allowed: lower-case letters, digits and '-', starting with a letter or digit, "
                "at most 63 characters"
            )
        return value

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if not _PROVIDER_SLUG.match(value):
            raise ValueError(
                "must be a Portkey provider slug: '@' then letters, digits, '_' or '-' "
                "(e.g. '@openai-prod')"
            )
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not value or "/" in value or value.strip() != value:
            raise ValueError(
                "must be a bare model id such as 'gpt-4-turbo' (no '@provider/' prefix, "
                "no spaces); the provider goes in 'provider'"
            )
        problem = load_lifecycle().problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: float) -> float:
        if value < 0:
            raise ValueError("allowed: a number >= 0 (0 stops traffic in loadbalance mode)")
        return value

    @field_validator("max_tokens")
    @classmethod
    def _max_tokens(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("allowed: a whole number of tokens >= 1, or leave it out to derive it")
        return value


class FallbackSettings(_PortkeyModel):
    """The premium chain: first name is the primary, the rest are tried in order."""

    order: tuple[str, ...] = Field(description="Target names, primary first.")
    on_status_codes: tuple[int, ...] = Field(
        default=DEFAULT_FALLBACK_STATUS_CODES, description="Upstream codes that move to the next."
    )

    @field_validator("order")
    @classmethod
    def _order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one target name (the primary)")
        return value

    @field_validator("on_status_codes")
    @classmethod
    def _codes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return _check_status_codes(value)


class RetrySettings(_PortkeyModel):
    """Retries of the same target before falling back (Portkey backs off 1, 2, 4, 8, 16 s)."""

    attempts: int = Field(default=0, description=f"0..{MAX_RETRY_ATTEMPTS}")
    on_status_codes: tuple[int, ...] = Field(default=DEFAULT_RETRY_STATUS_CODES)

    @field_validator("attempts")
    @classmethod
    def _attempts(cls, value: int) -> int:
        if not 0 <= value <= MAX_RETRY_ATTEMPTS:
            raise ValueError(f"allowed: 0..{MAX_RETRY_ATTEMPTS} (Portkey's maximum is 5)")
        return value

    @field_validator("on_status_codes")
    @classmethod
    def _codes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return _check_status_codes(value)


class CacheSettings(_PortkeyModel):
    mode: Literal["simple", "semantic"] = Field(description="semantic is Enterprise-only.")
    max_age: int = Field(default=604_800, description="Seconds, 60..7776000.")

    @field_validator("max_age")
    @classmethod
    def _max_age(cls, value: int) -> int:
        low, high = CACHE_MAX_AGE_RANGE
        if not low <= value <= high:
            raise ValueError(f"allowed: {low}..{high} seconds (1 minute to 90 days)")
        return value


class BudgetTierSettings(_PortkeyModel):
    """Requests whose metadata carries key=value go to the budget target, nothing else does."""

    metadata_key: str = Field(default="tier")
    metadata_value: str = Field(default="budget")
    target: str = Field(description="Target name of the budget model.")

    @field_validator("metadata_key")
    @classmethod
    def _metadata_key(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", value):
            raise ValueError("allowed: 1..64 letters, digits, '_' or '-' (a metadata key)")
        return value

    @field_validator("metadata_value")
    @classmethod
    def _metadata_value(cls, value: str) -> str:
        if not value or len(value) > 128:
            raise ValueError("allowed: a non-empty string of at most 128 characters")
        return value


class UsageCondition(_PortkeyModel):
    key: str
    value: str

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _POLICY_KEY.match(value):
            raise ValueError(f"allowed: {_POLICY_KEYS_ALLOWED}")
        return value


class UsageLimitSettings(_PortkeyModel):
    """A Portkey usage-limits policy (cost, reset monthly): the cumulative cap behind the plan."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")  # as configName
    monthly_credit_limit_usd: Decimal = Field(
        le=1_000_000, description="Cost limit per month, >= 1 USD (ours: at most 1,000,000)."
    )
    alert_threshold_usd: Decimal | None = Field(default=None, description="< the credit limit.")
    conditions: tuple[UsageCondition, ...]
    group_by: tuple[str, ...]
    acknowledge_usage_reset: bool = Field(
        default=False,
        description="Set true for the one `pulumi up` that replaces the policy (groupBy or "
        "workspaceId change): the new policy starts the month's usage at zero.",
    )

    @field_validator("monthly_credit_limit_usd")
    @classmethod
    def _limit(cls, value: Decimal) -> Decimal:
        if value < USAGE_LIMIT_MIN_USD:
            raise ValueError("allowed: at least 1 (USD; Portkey's minimum cost limit)")
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: tuple[UsageCondition, ...]) -> tuple[UsageCondition, ...]:
        if not value:
            raise ValueError("needs at least one {key, value} saying which requests count")
        return value

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one key to group usage by")
        for key in value:
            if not _POLICY_KEY.match(key):
                raise ValueError(f"'{key}' is not allowed; allowed: {_POLICY_KEYS_ALLOWED}")
        return value

    @model_validator(mode="after")
    def _threshold_below_limit(self) -> UsageLimitSettings:
        threshold = self.alert_threshold_usd
        if threshold is not None and not 0 < threshold < self.monthly_credit_limit_usd:
            raise ValueError(
                f"alertThresholdUsd {threshold} must be > 0 and below monthlyCreditLimitUsd "
                f"{self.monthly_credit_limit_usd}"
            )
        return self


class PortkeySettings(_PortkeyModel):
    """The routing policy of one stack (`sophia-infra:portkey`)."""

    config_name: str = Field(description="Name of the saved Portkey config (unique per workspace).")
    workspace_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",  # a slug or UUID: it goes into URLs
        description="Workspace slug or id (replaces); required with usageLimit (the policy API "
        "needs it).",
    )
    admin_base_url: str = Field(default=DEFAULT_ADMIN_BASE_URL)
    targets: tuple[PortkeyTarget, ...]
    fallback: FallbackSettings
    retry: RetrySettings = Field(default_factory=RetrySettings)
    request_timeout_ms: int = Field(default=30_000)
    cache: CacheSettings | None = None
    budget: BudgetTierSettings | None = None
    max_cost_per_request_usd: Decimal = Field(description="Worst-case USD per upstream call.")
    usage_limit: UsageLimitSettings | None = None
    api_key_id: str | None = Field(
        default=None,
        description="UUID of the Portkey API key the API sends (the portkeyApiKey secret's key). "
        "Set: the config becomes that key's default and the API stops sending x-portkey-config. "
        "Required in prod; dev/staging without it send the config slug and can skip it.",
    )
    allow_config_override: bool = Field(
        default=False,
        description="Only for the first rollout of a binding: true lets requests that still send "
        "x-portkey-config through while the pods roll; then set it back to false.",
    )

    @field_validator("api_key_id")
    @classmethod
    def _api_key_id(cls, value: str | None) -> str | None:
        if value is not None and not _API_KEY_ID.match(value):
            raise ValueError(
                "must be the UUID of a Portkey API key (Portkey app > API Keys), e.g. "
                "'3f2b6c1e-8d4a-4b7e-9c21-5a6f0e9d1b2c'"
            )
        return value

    @field_validator("config_name")
    @classmethod
    def _config_name(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$", value):
            raise ValueError(
                "allowed: 1..100 letters, digits, spaces, '_', '.' or '-', starting with a "
                "letter or digit"
            )
        return value

    @field_validator("admin_base_url")
    @classmethod
    def _admin_base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL such as https://api.portkey.ai/v1")
        return value.rstrip("/")

    @field_validator("request_timeout_ms")
    @classmethod
    def _timeout(cls, value: int) -> int:
        low, high = REQUEST_TIMEOUT_RANGE_MS
        if not low <= value <= high:
            raise ValueError(f"allowed: {low}..{high} milliseconds")
        return value

    @field_validator("max_cost_per_request_usd")
    @classmethod
    def _ceiling(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= Decimal(10):
            raise ValueError("allowed: more than 0 and at most 10 (USD per request)")
        return value

    @model_validator(mode="after")
    def _references(self) -> PortkeySettings:
        names = [target.name for target in self.targets]
        if not names:
            raise ValueError("targets: needs at least one target")
        # a name given twice is refused for every list (components/settings/_base.py)
        unknown = [name for name in self.fallback.order if name not in names]
        if unknown:
            raise ValueError(f"fallback.order: unknown target(s) {unknown}; allowed: {names}")
        if self.budget is not None and self.budget.target not in names:
            raise ValueError(
                f"budget.target: unknown target '{self.budget.target}'; allowed: {names}"
            )
        if self.usage_limit is not None and not self.workspace_id:
            raise ValueError(
                "workspaceId: required when usageLimit is set (Portkey's usage-limits API needs "
                "a workspace: docs budget-policies 'Workspace ID is required'; Terraform "
                "portkey_usage_limits_policy.workspace_id is Required)"
            )
        if self.allow_config_override and self.api_key_id is None:
            raise ValueError(
                "allowConfigOverride: only means something with apiKeyId (it is the bound key's "
                "override flag); remove it or set apiKeyId"
            )
        return self

    def target(self, name: str) -> PortkeyTarget:
        return next(target for target in self.targets if target.name == name)

    def routed_targets(self) -> tuple[PortkeyTarget, ...]:
        """Targets that can receive traffic: the fallback chain, then the budget model."""
        chosen = [self.target(name) for name in self.fallback.order]
        if self.budget is not None and self.budget.target not in self.fallback.order:
            chosen.append(self.target(self.budget.target))
        return tuple(chosen)


def check_api_key_binding_for_environment(settings: PortkeySettings, environment: str) -> None:
    """Prod must bind its config to the app's key: otherwise the app can send any config, or none,
    and skip the routing, retries and output caps (issue 15 item 3)."""
    if environment in ENVIRONMENTS_REQUIRING_KEY_BINDING and settings.api_key_id is None:
        raise ValueError(
            f"required in {environment}: the UUID of the Portkey API key the API sends (the "
            "portkeyApiKey secret's key; Portkey app > API Keys), so that key always runs this "
            "config and cannot override it"
        )

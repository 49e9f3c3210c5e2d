"""The LLM gateway: rows recomputed by hand, and flags for unpriced or unbounded targets."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from components.settings.portkey import PortkeySettings
from components.settings.portkey_routing import load_price_table, worst_case_per_target
from jobs import cost
from jobs.harness import Synthesis
from tests.conftest import stack_config
from tests.jobs.cost.helpers import (
    document,
)


def test_prod_gateway_rows_by_hand(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    (gateway,) = cost.cost_report(document(synthesized("prod")), book).gateways
    by_model = {t.model: t for t in gateway.targets}
    # 2000 prompt tokens x $0.003/1K + 6266 output tokens x $0.015/1K
    assert by_model["claude-sonnet-4-6"].worst_case_usd == Decimal("0.006") + Decimal("0.09399")
    # 2000 x $0.0005/1K + 4096 x $0.0015/1K
    assert by_model["mistral-large-2512"].worst_case_usd == Decimal("0.001") + Decimal("0.006144")
    # GPT-5 leaves carry their cap as max_completion_tokens (6333): 2000 x $0.0025/1K +
    # 6333 x $0.015/1K.
    primary = by_model["gpt-5.4-2026-03-05"]
    assert primary.max_tokens == 6333
    assert primary.worst_case_usd == Decimal("0.005") + Decimal("0.094995")
    assert primary.flags == ()
    assert gateway.requests_per_day == 10_000
    assert gateway.daily_bound_usd == 10_000 * Decimal("0.099995") == Decimal("999.95")
    # $999.95 a day x 730/24 days = $30,415.15 a month
    assert gateway.monthly_worst_usd.quantize(Decimal("0.01")) == Decimal("30415.15")
    assert gateway.monthly_bound_usd == 9300  # the usage limit binds


def test_cost_view_reads_the_gateway_cap(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    (gateway,) = cost.cost_report(document(synthesized("prod")), book).gateways
    # Same numbers as the gateway's own cost view computed from the stack's routing policy.
    policy = PortkeySettings.model_validate(stack_config("prod")["portkey"])
    expected = {
        (c.model, c.max_tokens, c.worst_case_usd)
        for c in worst_case_per_target(policy, load_price_table())
    }
    assert {(t.model, t.max_tokens, t.worst_case_usd) for t in gateway.targets} == expected


def test_gateway_flags_unpriced_models_and_missing_max_tokens(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    doc = document(synthesized("prod"))
    gateway = next(r for r in doc["resources"] if r["type"] == cost.GATEWAY_CONFIG)
    config = json.loads(gateway["inputs"]["config"])
    config["targets"][0]["override_params"]["model"] = "gpt-9"
    del config["targets"][1]["targets"][1]["override_params"]["max_tokens"]
    del config["targets"][1]["targets"][1]["override_params"]["max_completion_tokens"]
    gateway["inputs"]["config"] = json.dumps(config)
    (priced,) = cost.cost_report(doc, book).gateways
    budget, _, claude, _ = priced.targets
    assert budget.worst_case_usd is None
    assert budget.flags == (
        "model gpt-9 has no price in prices.yaml: unpriced, and Portkey usage limits count unpriced models as $0",
    )
    assert claude.flags == ("no max_tokens or max_completion_tokens: priced at the model's 64000",)

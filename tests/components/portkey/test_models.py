"""Served models: the lifecycle table, the plan mapping, and settings refusing a retired model."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from components.settings import portkey_models
from components.settings.portkey import PortkeySettings
from components.settings.portkey_models import load_lifecycle
from components.settings.portkey_routing import load_price_table
from tests.conftest import committed_stack_configs

POLICIES = committed_stack_configs()
TABLE = load_lifecycle()


def _models(stack: str) -> set[str]:
    return {t["model"] for t in POLICIES[stack]["sophia-infra:portkey"]["targets"]}


def test_every_row_is_dated_and_sourced() -> None:
    assert TABLE.version >= 2 and TABLE.date
    for entry in TABLE.models.values():
        assert entry.source.startswith(("http", "'http")) or "http" in entry.source
        assert entry.checked >= date(2026, 11, 1)
        assert entry.provider in {"openai", "anthropic", "mistral-ai"}
        if entry.retired_on and entry.deprecated_on:
            assert entry.deprecated_on <= entry.retired_on


def test_the_plan_models_are_all_retired_and_mapped_to_served_ids() -> None:
    on = date(2026, 12, 1)
    for plan, row in TABLE.plan_model_mapping.items():
        assert row["reason"] and row["role"]
        assert TABLE.problem(row["model"], on) is None, plan
    for retired in ("gpt-4-turbo", "gpt-3.5-turbo", "claude-3-sonnet-20240229"):
        assert "was retired by" in TABLE.problem(retired, on)


@pytest.mark.parametrize("stack", sorted(POLICIES))
def test_stacks_route_only_to_mapped_served_priced_models(stack: str) -> None:
    mapped = {row["model"] for row in TABLE.plan_model_mapping.values()}
    prices = load_price_table()
    for model in _models(stack):
        assert model in mapped and model in prices.models
        assert not model.endswith("-latest")


def test_prod_and_staging_keep_the_plan_intent() -> None:
    for stack in ("staging", "prod"):
        raw = POLICIES[stack]["sophia-infra:portkey"]
        by_name = {t["name"]: t for t in raw["targets"]}
        providers = [by_name[n]["provider"].split("-")[0] for n in raw["fallback"]["order"]]
        assert providers == ["@openai", "@anthropic", "@mistral"]  # three providers
        assert by_name[raw["budget"]["target"]]["model"] == "gpt-5.4-mini-2026-03-17"


def test_moving_the_clock_past_a_retirement_makes_settings_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = copy.deepcopy(POLICIES["dev"]["sophia-infra:portkey"])
    raw["targets"][0]["model"] = "gpt-3.5-turbo"  # retired 2026-10-23
    retired_on = TABLE.models["gpt-3.5-turbo"].retired_on
    assert retired_on == date(2026, 10, 23)

    monkeypatch.setattr(portkey_models, "today", lambda: retired_on - timedelta(days=1))
    PortkeySettings.model_validate(raw)  # still served the day before

    monkeypatch.setattr(portkey_models, "today", lambda: retired_on)
    with pytest.raises(ValidationError) as caught:
        PortkeySettings.model_validate(raw)
    assert "'gpt-3.5-turbo' was retired by openai on 2026-10-23" in str(caught.value)
    assert "targets.0.model" in str(caught.value)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("mistral-large-latest", "is a moving alias; name a dated model id"),
        ("gpt-9-ultra", "is not in the model lifecycle table"),
        ("claude-3-sonnet-20240229", "retired by anthropic on 2025-07-21"),
    ],
)
def test_aliases_unknown_and_retired_models_are_refused(model: str, expected: str) -> None:
    raw = copy.deepcopy(POLICIES["prod"]["sophia-infra:portkey"])
    raw["targets"][2]["model"] = model
    with pytest.raises(ValidationError) as caught:
        PortkeySettings.model_validate(raw)
    assert expected in str(caught.value)

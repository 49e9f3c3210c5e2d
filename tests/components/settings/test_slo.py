"""`sophia-infra:slo`: the model, its arithmetic, and the one message listing every problem."""

from __future__ import annotations

from typing import Any

from components.settings.slo import BURN_WINDOWS, SloSettings, budget_minutes
from components.settings.slo_checks import weekly_policy_name
from jobs.harness import RecordingMonitor, SynthMocks, synthesize
from tests.components.settings.test_settings import _reject
from tests.conftest import stack_config


def test_burn_factors_follow_the_workbook_for_any_window() -> None:
    # SRE workbook Table 5-8 for 30 days: 14.4, 6, (Sloth's ticket pairs) 3, 1.
    assert [w.factor(30) for w in BURN_WINDOWS] == [14.4, 6.0, 3.0, 1.0]
    # 28 days: Sloth's google-28d.yaml uses the same budget shares: 2 % x 672 h / 1 h = 13.44.
    assert [w.factor(28) for w in BURN_WINDOWS] == [13.44, 5.6, 2.8, 0.9333]


def test_budget_minutes_of_four_nines() -> None:
    slo = SloSettings.model_validate({"availability": {"objectivePercent": 99.99}})
    assert round(budget_minutes(slo), 2) == 4.32  # 30 x 24 x 60 x 1e-4


def test_weekly_policy_name_carries_the_monthly_name() -> None:
    assert weekly_policy_name("sophia-prod-llm-monthly") == "sophia-prod-llm-weekly"
    assert weekly_policy_name("sophia-prod-llm") == "sophia-prod-llm-weekly"


def test_prod_refuses_a_freshness_objective_its_pipeline_cannot_meet() -> None:
    message = _reject("prod", lambda c: c["slo"]["freshness"].update(objectiveSeconds=60))
    assert (
        "sophia-infra:slo.freshness.objectiveSeconds = 60: the pipeline's worst-case freshness "
        "is estuary.sources.github.interval 5m (300 s) + estuary.syncFrequency 5m (300 s) + "
        "cortex.searchTargetLag 1 minute (60 s) = 660 s, above the objective (60 s); allowed: an "
        "objective of at least 660 s, or shorter capture intervals, syncFrequency or "
        "searchTargetLag (docs/slo.md, Freshness)"
    ) in message


def test_a_canary_looser_than_the_page_is_refused() -> None:
    message = _reject("prod", lambda c: c["kubernetes"]["canary"].update(maxErrorRate=0.01))
    assert (
        "sophia-infra:kubernetes.canary.maxErrorRate = 0.01: a canary failing just under "
        "maxErrorRate 0.01 at weight 50 % burns the 99.99 % budget at 50x, faster than the page "
        "(14.4x); allowed: maxErrorRate <= 0.00288 (page factor x (1 - objective) / weight), or "
        "a sentence in slo.canaryBurnAcknowledgement saying why this stack accepts it"
    ) in message


def test_an_acknowledged_canary_loads() -> None:
    config = stack_config("prod")
    config["kubernetes"]["canary"]["maxErrorRate"] = 0.01
    config["slo"]["canaryBurnAcknowledgement"] = "Prod accepts it because the page aborts it."
    synthesis = synthesize("prod", overrides=config, monitor=RecordingMonitor(SynthMocks()))
    contradictions = synthesis.outputs["slo"]["contradictions"]
    assert contradictions[0]["enforcement"] == "advisory"
    assert contradictions[0]["message"].startswith(
        "kubernetes.canary: a canary at the gate burns 50x (page at 14.4x), acknowledged:"
    )


def test_dev_never_pages() -> None:
    message = _reject("dev", lambda c: c["slo"]["availability"].update(page=True))
    assert "sophia-infra:slo.availability.page = true: dev never pages; allowed: false" in message


def test_weekly_policy_needs_the_monthly_one() -> None:
    message = _reject("staging", lambda c: c["slo"]["llm"].update(weeklyPolicy=True))
    assert (
        "sophia-infra:slo.llm.weeklyPolicy = true: needs portkey.usageLimit (the weekly policy "
        "reuses its conditions, groupBy and workspace); allowed: false, or set "
        "portkey.usageLimit"
    ) in message


def test_every_slo_problem_in_one_message() -> None:
    def bad(config: dict[str, Any]) -> None:
        config["slo"]["latency"]["thresholdSeconds"] = 0.3
        config["slo"]["availability"]["objectivePercent"] = 80
        config["slo"]["windowDays"] = 400
        config["slo"]["runbookBaseUrl"] = "http://runbooks.example/"
        config["slo"]["latency"]["excludeHandlers"] = ["/ws(.*"]

    message = _reject("staging", bad)
    for line in (
        "sophia-infra:slo.latency.thresholdSeconds = 0.3: must be a bucket edge of "
        'http_request_duration_seconds, one of 0.1, 0.5, 1 (the SLI counts le="<threshold>" '
        "exactly); got 0.3",
        "sophia-infra:slo.availability.objectivePercent = 80: must be a percentage between 90 "
        "and 99.999; got 80",
        "sophia-infra:slo.windowDays = 400: must be less than or equal to 90",
        "sophia-infra:slo.runbookBaseUrl = 'http://runbooks.example/': must be an https:// URL "
        "(runbook_url = this + the alert name)",
        """sophia-infra:slo.latency.excludeHandlers = ["/ws(.*"]: '/ws(.*' is not a regex""",
    ):
        assert line in message, message


def test_retention_shorter_than_the_window_fails_the_check() -> None:
    config = stack_config("staging")
    config["slo"]["prometheusRetentionDays"] = 15
    synthesis = synthesize("staging", overrides=config, monitor=RecordingMonitor(SynthMocks()))
    from jobs.check.slo import slo_violations

    mandatory = [v for v in slo_violations(synthesis) if v.enforcement == "mandatory"]
    assert [v.message for v in mandatory] == [
        "slo.prometheusRetentionDays = 15: shorter than the SLO window (30 d): the period "
        "budget series cannot be computed"
    ]

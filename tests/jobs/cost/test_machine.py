"""`jobs/cost/machine.py`: `--format json` (Infracost-shaped) and the `--max-monthly-increase` gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from jobs import cost, synth
from jobs.cost.machine import cost_diff_json, cost_json, gate_problem, parse_usd
from jobs.harness import Synthesis
from tests.jobs.cost.helpers import document


def report(synthesized: Callable[[str], Synthesis], book: cost.PriceBook, stack: str):
    return cost.cost_report(document(synthesized(stack)), book)


def test_one_stack_in_infracost_shape(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    prod = report(synthesized, book, "prod")
    out = cost_json(prod)
    assert (out["currency"], out["totalMonthlyCost"], out["totalMonthlyCostBound"]) == (
        "USD",
        str(prod.total_worst_usd.quantize(Decimal("0.01"))),
        str(prod.total_bound_usd.quantize(Decimal("0.01"))),
    )
    (project,) = out["projects"]
    resources = project["breakdown"]["resources"]
    assert [(r["section"], r["name"]) for r in resources] == [
        (i.section, i.label) for i in cost.line_items(prod)
    ]
    # Money as decimal strings, each rounded to the cent, that add up to the total (Infracost
    # JSON v0.2 writes strings).
    total = sum(Decimal(r["monthlyCost"]) for r in resources)
    assert abs(total - Decimal(out["totalMonthlyCost"])) <= Decimal("0.01") * len(resources)


def test_the_diff_and_the_gate(
    synthesized: Callable[[str], Synthesis], book: cost.PriceBook
) -> None:
    staging, prod = report(synthesized, book, "staging"), report(synthesized, book, "prod")
    diff = cost.diff_cost(staging, prod)
    out = cost_diff_json(diff, Decimal(10))
    past, now = Decimal(out["pastTotalMonthlyCost"]), Decimal(out["totalMonthlyCost"])
    assert abs(Decimal(out["diffTotalMonthlyCost"]) - (now - past)) <= Decimal("0.01")
    assert out["gate"] == {"maxMonthlyIncrease": "10.00", "passed": False}
    changes = out["projects"][0]["diff"]["resources"]
    assert {c["change"] for c in changes} <= {"added", "removed", "changed"}
    assert gate_problem(diff, Decimal(10)) == (
        f"cost gate: prod raises the worst-case monthly cost by "
        f"${out['diffTotalMonthlyCost']} over staging (${out['pastTotalMonthlyCost']} -> "
        f"${out['totalMonthlyCost']}); --max-monthly-increase allows $10.00"
    )
    assert gate_problem(diff, diff.worst_usd_delta) is None  # exactly at the limit passes
    assert gate_problem(cost.diff_cost(prod, staging), Decimal(0)) is None  # a decrease passes


@pytest.mark.parametrize("text", ["-5", "abc", "inf", "NaN", ""])
def test_a_bad_limit_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a non-negative amount of USD per month"):
        parse_usd(text)


def test_the_command_line_gates(
    tmp_path: Path, synthesized: Callable[[str], Synthesis], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    base.write_text(json.dumps(document(synthesized("staging"))))
    head.write_text(json.dumps(document(synthesized("prod"))))
    files = ["--base-json", str(base), "--head-json", str(head)]
    assert cost.main([*files, "--max-monthly-increase", "10", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["gate"]["passed"] is False
    assert captured.err.startswith("error: cost gate: prod raises the worst-case monthly cost by $")
    assert cost.main([*files, "--max-monthly-increase", "1000000"]) == 0
    assert capsys.readouterr().out.startswith("## Cost diff: staging -> prod")
    with pytest.raises(SystemExit) as raised:
        cost.main(["--head-json", str(head), "--max-monthly-increase", "10"])
    assert raised.value.code == 2
    assert "--max-monthly-increase needs a base" in capsys.readouterr().err


def test_synth_cost_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "dev", "--cost", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["projects"][0]["name"] == "dev"
    assert synth.main(["--stack", "prod", "--cost", "--diff", "staging", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["projects"][0]["pastName"] == "staging"


def test_the_base_ref_synth_says_it_is_running(
    synthesized: Callable[[str], Synthesis],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobs.cost import cli

    monkeypatch.setattr(
        cli, "synthesize_ref", lambda ref, stack, root: document(synthesized(stack))
    )
    assert cost.main(["--stack", "dev", "--base-ref", "origin/main"]) == 0
    assert capsys.readouterr().err.startswith(
        "cost: synthesizing stack dev at origin/main in a temporary git worktree"
    )

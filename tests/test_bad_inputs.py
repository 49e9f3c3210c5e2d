"""The bad-input trial (`python -m bench.bad_inputs`, docs/bad-input.md) on a sample of its cases:
each class is rejected with a message, none crashes, none leaks a planted secret. The full run
(about 400 cases, a few minutes) is the bench's, not the suite's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bad_inputs import Case, cases, run_case

SAMPLE = (
    "identity duplicate environment key",
    "identity new stack qa copying dev",
    "secret snowflakePrivateKey in plain text",
    "secret credential-shaped value in kubernetes/host",
    "file stack file is a list",
    "file invalid UTF-8",
    "file .inf quota",
    "agents.yaml $$ in an instruction",
    "policy config all disabled in prod",
    "price book not YAML",
    "cli synth --json to a missing directory",
    "cli cost cost --head-json missing",
    "restore time without offset",
    "restore swap of prod table without allow-swap",
    "restore malformed key in SNOWFLAKE_PRIVATE_KEY",
)


def test_the_trial_has_at_least_260_cases() -> None:
    assert len(cases()) >= 260


@pytest.mark.parametrize("name", SAMPLE)
def test_sampled_bad_input_is_rejected_cleanly(name: str, tmp_path: Path) -> None:
    (case,) = [c for c in cases() if c.name == name]
    outcome = run_case(case, tmp_path)
    assert outcome.kind == "rejected", outcome.output[-2000:]
    assert outcome.leaked == []


@pytest.mark.parametrize(
    "stale",
    [
        Case("stale text edit", "bad", text=lambda t: t.replace("no such text", "x")),
        Case("stale value edit", "bad", mutate=lambda doc: None),
    ],
    ids=["text", "mutate"],
)
def test_a_case_whose_edit_changes_nothing_fails_instead_of_passing(
    stale: Case, tmp_path: Path
) -> None:
    with pytest.raises(AssertionError, match=r"stale .* edit \(Pulumi.dev.yaml\): the case's edit"):
        run_case(stale, tmp_path)


def test_a_value_of_another_type_is_a_change_though_python_calls_it_equal(tmp_path: Path) -> None:
    """True == 1 in Python; in the stack file `true` and `1` differ, so the case runs."""
    flipped = Case(
        "bool for an int",
        "bad",
        mutate=lambda doc: doc["config"]["sophia-infra:snowflake"]["warehouses"]["API_WH"].update(
            minClusterCount=True
        ),
    )
    assert run_case(flipped, tmp_path).kind == "rejected"

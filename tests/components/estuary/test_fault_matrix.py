"""Every fault class of issue 23 on every HTTP call of every Estuary provider operation
(tests/components/estuary/fault_matrix.py): each case ends in success with exactly the declared
state, or in one clear, secret-free error after which one clean re-run converges.

About five minutes in all (most of it the one-second Retry-After waits); `-m "not
fault_matrix"` skips it. `python -m tests.components.estuary.fault_matrix` prints the figures.
"""

from __future__ import annotations

import pytest

from tests.components.estuary.fault_matrix import CALLS, Case, cases, run_case

CASES = list(cases())


@pytest.mark.fault_matrix
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_ends_in_the_declared_state_or_one_clear_error(case: Case) -> None:
    result = run_case(case)
    assert result.outcome in ("ok", "clear-error"), f"{result.outcome}: {result.detail}"


def test_the_matrix_covers_every_operation_of_both_kinds() -> None:
    kinds_ops = {(c.kind, c.op) for c in CASES}
    assert kinds_ops == {(k, op) for k in ("capture", "materialization") for op in CALLS}
    assert len(CASES) == 718

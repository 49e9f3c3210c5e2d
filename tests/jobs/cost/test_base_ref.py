"""The base of a PR cost diff: a git ref synthesized by its own code in a temporary worktree."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

from jobs import cost
from jobs.harness import REPO_ROOT, Synthesis
from tests.jobs.cost.helpers import (
    document,
)


def _git_unavailable() -> str | None:
    if shutil.which("git") is None:
        return "git is not installed"
    probe = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return "the repository is not a git checkout with a HEAD commit"
    return None


@pytest.mark.skipif(_git_unavailable() is not None, reason=str(_git_unavailable()))
def test_base_ref_head_against_head_shows_no_change(
    synthesized: Callable[[str], Synthesis],
    book: cost.PriceBook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worktrees this test makes: other checkouts of the same repository may run this test at
    # the same time, so `git worktree list` can show their sophia-cost-* worktrees too.
    made: list[str] = []
    original = tempfile.TemporaryDirectory

    def recording(*args: Any, **kwargs: Any) -> tempfile.TemporaryDirectory[str]:
        directory = original(*args, **kwargs)
        made.append(directory.name)
        return directory

    monkeypatch.setattr(cost.base_ref.tempfile, "TemporaryDirectory", recording)
    base_doc = cost.synthesize_ref("HEAD", "prod", REPO_ROOT)
    assert base_doc is not None
    base = cost.cost_report(base_doc, book, label="prod@HEAD")
    tracked_changes = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # HEAD against itself through the worktree path...
    again = cost.cost_report(cost.synthesize_ref("HEAD", "prod", REPO_ROOT) or {}, book)
    assert cost.diff_cost(base, again).changes == ()
    # ...and against this checkout, when it has no uncommitted edits.
    if not tracked_changes:
        head = cost.cost_report(document(synthesized("prod")), book)
        text = cost.render_cost_diff(cost.diff_cost(base, head))
        assert text.startswith("## Cost diff: prod@HEAD -> prod (0 priced resources differ)")
        assert "No priced resource changes." in text
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert len(made) == 2 and all(
        name.rsplit("/", 1)[-1].startswith("sophia-cost-") for name in made
    )
    assert not [name for name in made if name in worktrees]


@pytest.mark.skipif(_git_unavailable() is not None, reason=str(_git_unavailable()))
def test_base_ref_without_the_stack_or_with_a_bad_ref() -> None:
    assert cost.synthesize_ref("HEAD", "no-such-stack", REPO_ROOT) is None
    with pytest.raises(cost.CostError) as error:
        cost.synthesize_ref("no-such-ref-xyz", "prod", REPO_ROOT)
    assert str(error.value).startswith("cannot check out no-such-ref-xyz: ")

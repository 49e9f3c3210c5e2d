"""The base side of a pull request's cost diff: a git ref synthesized by its own code."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobs.cost.prices import CostError


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def synthesize_ref(ref: str, stack: str, repo: Path) -> dict[str, Any] | None:
    """The synth document of `stack` at git `ref`, made by that revision's own code.

    Checks the ref out in a temporary `git worktree` and runs `python -m jobs.synth --json` there
    in a subprocess (cwd = the worktree, so its own modules are imported). Returns None when the
    stack did not exist at `ref` (everything in head is then "added"); raises CostError when the
    revision cannot be checked out or synthesized.
    """
    top = _git(["rev-parse", "--show-toplevel"], repo)
    if top.returncode != 0:
        raise CostError(f"{repo} is not a git checkout: {top.stderr.strip()}")
    root = Path(top.stdout.strip())
    subdir = Path(repo).resolve().relative_to(root.resolve())
    with tempfile.TemporaryDirectory(prefix="sophia-cost-") as tmp:
        worktree = Path(tmp) / "base"
        added = _git(["worktree", "add", "--detach", str(worktree), ref], root)
        if added.returncode != 0:
            raise CostError(f"cannot check out {ref}: {added.stderr.strip()}")
        try:
            project = worktree / subdir
            if not (project / f"Pulumi.{stack}.yaml").exists():
                return None
            out = Path(tmp) / "base.json"
            command = [sys.executable, "-m", "jobs.synth", "--stack", stack, "--json", str(out)]
            result = subprocess.run(
                [*command, "--project-dir", str(project)],
                cwd=project,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 and "--project-dir" in result.stderr:
                # An older synth without --project-dir: it reads the checkout it runs from anyway.
                result = subprocess.run(
                    command, cwd=project, capture_output=True, text=True, check=False
                )
            if result.returncode != 0 or not out.exists():
                raise CostError(
                    f"synth of {stack} at {ref} failed (exit {result.returncode}): "
                    + (result.stderr.strip()[-2000:] or result.stdout.strip()[-2000:])
                )
            return json.loads(out.read_text())
        finally:
            _git(["worktree", "remove", "--force", str(worktree)], root)
            _git(["worktree", "prune"], root)

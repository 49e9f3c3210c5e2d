"""The cost package's shape: one module per concern, each small, and one-way arrows with the synth
(jobs.synth may use jobs.cost for --cost; nothing in jobs.cost imports jobs.synth)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.harness import REPO_ROOT

PACKAGE = REPO_ROOT / "jobs" / "cost"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
MAX_LINES = 400  # CONTRIBUTING.md: split a module that passes ~400 lines


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_single_module_is_gone_and_the_package_has_one_module_per_concern() -> None:
    assert not (REPO_ROOT / "jobs" / "cost.py").exists()
    assert MODULES == [
        "base_ref",
        "cells",
        "cli",
        "diff",
        "document",
        "gateway",
        "machine",
        "prices",
        "render",
        "report",
        "search",
        "warehouses",
    ]
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) <= MAX_LINES, path.name


def test_nothing_in_the_cost_package_imports_the_synth_cli() -> None:
    single = REPO_ROOT / "jobs" / "cost.py"  # the old single module, if it came back
    for path in sorted(PACKAGE.glob("*.py")) + ([single] if single.exists() else []):
        synth = {
            m
            for m in imported_modules(path)
            if m in ("jobs.synth", "jobs.synth.to_json")
            or m.startswith(("jobs.synth_tree", "jobs.synth_diff"))
        }
        assert not synth, f"{path.name} imports {synth}: use jobs.synth_document"


@pytest.mark.parametrize("module", ["jobs.cost", *(f"jobs.cost.{m}" for m in MODULES)])
def test_each_cost_module_imports_alone_without_the_synth(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "print(','.join(m for m in ('jobs.synth', 'jobs.synth_tree', 'jobs.synth_diff', "
        "'jobs.harness') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    # Pricing a document needs neither the synth CLI nor the mocked-engine harness.
    assert result.stdout.strip() == "", result.stdout


def test_the_synth_loads_the_cost_package_only_for_cost() -> None:
    probe = "import sys, jobs.synth; print('jobs.cost' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"

"""Import directions of the drift and promotion jobs, `jobs.engine_events` among them."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# jobs/synth.py runs the program under mocks, so it imports components by design.
DRIFT_AND_PROMOTE_MODULES = (
    "automation.py",
    "drift.py",
    *sorted(
        f"engine_events/{path.name}" for path in (REPO_ROOT / "jobs" / "engine_events").glob("*.py")
    ),
    *sorted(f"promote/{path.name}" for path in (REPO_ROOT / "jobs" / "promote").glob("*.py")),
    "stack_file.py",
    "stack_ops.py",
)


def test_only_the_adapter_imports_the_automation_api_and_jobs_stay_out_of_components() -> None:
    for name in DRIFT_AND_PROMOTE_MODULES:
        path = REPO_ROOT / "jobs" / name
        imports = _imports(path)
        assert not any(n == "components" or n.startswith("components.") for n in imports), path
        if path.name != "automation.py":
            assert not any(n.startswith("pulumi.automation") for n in imports), path
    for path in sorted((REPO_ROOT / "components").rglob("*.py")):
        assert not any(n == "jobs" or n.startswith("jobs.") for n in _imports(path)), path

"""Modules load on their own, in any order.

The dynamic-provider host unpickles a provider by importing its module first, in a fresh
interpreter: a circular import that the program's own import order hides would break it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobs.harness import REPO_ROOT

FIRST_IMPORTS = (
    "components.estuary.provider",
    "components.portkey.api_key_binding",
    "components.portkey.provider",
    "components.settings.portkey_routing",
    "components.settings.portkey",
    "components.settings.kubernetes",
    "components.settings.agents",
    "jobs.restore.cli",
    "tests.fakes.snowflake_time_travel",
)


@pytest.mark.parametrize("module", FIRST_IMPORTS)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1500:]


SETTINGS_MODULES = [
    "components.settings",
    *sorted(
        f"components.settings.{path.stem}"
        for path in (REPO_ROOT / "components" / "settings").glob("*.py")
        if path.stem != "__init__"
    ),
]
# The rooms above the floor: every components/ subpackage but settings itself.
AREAS = [
    "release",
    *(
        path.name
        for path in (REPO_ROOT / "components").iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "settings"
    ),
]


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_settings_import_no_component(module: str) -> None:
    # Settings are the floor: components import them, never the other way round.
    probe = (
        f"import sys, {module}\n"
        f"areas = {AREAS!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[:2][-1] in areas "
        "and m.startswith('components.'))\n"
        "print('\\n'.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.split() == [], f"{module} loaded {result.stdout.split()}"

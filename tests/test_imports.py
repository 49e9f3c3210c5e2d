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
    "components.portkey.routing",
    "components.settings.portkey",
    "components.settings.kubernetes",
    "components.snowflake.agents",
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

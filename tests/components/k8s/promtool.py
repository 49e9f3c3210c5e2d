"""The real promtool for the rule tests, installed by `promtool/ensure.sh` (make test does).

Found at ${SOPHIA_PROMTOOL_HOME:-~/.cache/sophia-infra/promtool}/bin/promtool, else on PATH.
Without one, every `needs_promtool` test is deselected and the run prints one line saying so
(tests/components/k8s/conftest.py), as the real-engine tests do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def find_promtool() -> Path | str:
    """The promtool binary, or the reason there is none."""
    home = Path(
        os.environ.get("SOPHIA_PROMTOOL_HOME") or Path.home() / ".cache/sophia-infra/promtool"
    )
    candidates = [home / "bin" / "promtool"]
    on_path = shutil.which("promtool")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return f"no promtool at {home}/bin or on PATH; run `bash promtool/ensure.sh` (docs/slo.md)"


def version(promtool: Path) -> str:
    out = subprocess.run([promtool, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0] if first else "promtool (version unknown)"


def run(promtool: Path, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(promtool), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )

"""`python -m policies` by hand says what the pack is and exits (PolicyPack alone would wait for
an engine forever)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_python_dash_m_policies_explains_itself_and_exits() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "policies"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # without the guard this never returns (the analyzer's gRPC server)
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("This is the sophia-infra CrossGuard policy pack")
    assert "--policy-pack policies --policy-pack-config policies/config/<stack>.json" in done.stdout
    assert "python -m jobs.synth --stack <stack> --check" in done.stdout

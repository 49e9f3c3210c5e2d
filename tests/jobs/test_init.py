"""`jobs/__init__.py`: a job started with a Python that is not the project's virtualenv says
what to run, instead of a traceback; `make venv` makes the jobs importable from any directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_python_without_the_sdks_is_told_what_to_run() -> None:
    # -S: no site-packages, so no pulumi: what `python3 -m jobs.synth` outside the venv meets.
    done = subprocess.run(
        [sys.executable, "-S", "-m", "jobs.synth", "--stack", "dev"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    assert done.stderr == (
        f"error: {sys.executable} is not this project's virtualenv (it has no 'pulumi' package). "
        f"Set it up once with `make venv` in {REPO_ROOT}, then run `{venv_python} -m jobs.synth "
        "--stack dev` (from any directory after `make venv`), or `make synth STACK=<stack>` "
        "there\n"
    )


def _site_pth_program() -> str:
    makefile = (REPO_ROOT / "Makefile").read_text()
    match = re.search(r"^define SITE_PTH\n(.*?)^endef$", makefile, re.S | re.M)
    assert match, "Makefile has no SITE_PTH program"
    return match.group(1)


def test_make_venv_makes_the_jobs_importable_from_any_directory(tmp_path: Path) -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert '$(BIN)/python -c "$$SITE_PTH" "$(CURDIR)"' in makefile
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-c", _site_pth_program(), str(REPO_ROOT)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [str(python), "-m", "jobs.synth", "--stack", "dev"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Found from another directory: no "No module named 'jobs'"; this bare venv has no SDKs, so
    # the job itself says what to run.
    assert "No module named 'jobs'" not in done.stderr
    assert done.stderr.startswith(f"error: {python} is not this project's virtualenv")

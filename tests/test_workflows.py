"""Offline checks of every GitHub Actions workflow in .github/workflows/.

- the workflow JSON schema (check-jsonschema's vendored `github-workflows` schema);
- zizmor in offline mode, which must report no findings;
- every `on.schedule[].cron` is a valid POSIX cron expression (GitHub: "scheduled workflows use
  POSIX cron syntax"; the JSON schema only says it is a string, so `61 * * * *` passed);
- the house rules zizmor does not enforce by default: actions pinned by full commit SHA with
  the version tag in a comment, `persist-credentials: false` on every checkout, top-level
  permissions empty or read-only, and no `${{ }}` expressions inside `run:` scripts (pass
  values through `env:`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")
TIMEOUT_SECONDS = 120


def _tool(name: str) -> str:
    """The pinned tool from this venv (requirements-dev.txt), else one on PATH."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run `make venv` (pinned in requirements-dev.txt)")
    return found


def _load(path: Path) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as True; normalise it back.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]):
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, step


def test_there_are_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"drift.yml", "release.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(path: Path) -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_reports_no_findings() -> None:
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--no-progress",
            "--format",
            "json",
            str(WORKFLOWS_DIR),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
        cwd=REPO_ROOT,
    )
    findings = json.loads(result.stdout or "[]")
    if findings:  # show them the way a person reads them
        plain = subprocess.run(
            [_tool("zizmor"), "--offline", "--no-progress", "--color", "never", str(WORKFLOWS_DIR)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            cwd=REPO_ROOT,
        )
        pytest.fail(f"zizmor found {len(findings)} problem(s):\n{plain.stdout}")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha_with_a_version_comment(path: Path) -> None:
    for line in path.read_text().splitlines():
        match = USES_LINE.match(line)
        if not match or match.group(1).startswith(("./", "docker://")):
            continue
        ref, comment = match.group(1), match.group(2) or ""
        assert PINNED_USES.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
        assert re.search(r"#\s*v\d", comment), f"{path.name}: {ref} has no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for job_id, step in _steps(_load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert (step.get("with") or {}).get("persist-credentials") is False, (
                f"{path.name} job {job_id}: checkout without persist-credentials: false"
            )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_are_empty_or_read_only(path: Path) -> None:
    workflow = _load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    permissions = workflow["permissions"]
    if isinstance(permissions, str):
        assert permissions == "read-all", f"{path.name}: top-level permissions {permissions}"
    else:
        writable = {k: v for k, v in (permissions or {}).items() if v != "read" and v != "none"}
        assert not writable, f"{path.name}: top-level permissions grant {writable}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expressions_inside_run_scripts(path: Path) -> None:
    for job_id, step in _steps(_load(path)):
        script = step.get("run")
        if script is not None:
            assert "${{" not in script, (
                f"{path.name} job {job_id} step {step.get('name', '?')!r}: pass values via env:"
            )


# --- cron ------------------------------------------------------------------------------------------

# POSIX cron (crontab(5) as GitHub documents it for `on.schedule`): five fields, each `*`, a number,
# a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of these; months and weekdays may also be
# written JAN-DEC / SUN-SAT. GitHub adds no seconds field and no macros such as @daily.
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(WEEKDAYS)}),
)


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a cron GitHub accepts, or None."""
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        return f"{expression!r}: {len(fields)} fields; cron has 5 (minute hour day month weekday)"
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for part in text.split(","):
            base, _, step = part.partition("/")
            if step and (not step.isdigit() or int(step) < 1):
                return f"{expression!r}: {name} step {step!r} is not a positive number"
            if base == "*":
                continue
            bounds = base.split("-")
            if len(bounds) > 2 or not all(bounds):
                return f"{expression!r}: {name} {part!r} is not a number, range or list"
            values = []
            for bound in bounds:
                value = names.get(bound.upper()) if not bound.isdigit() else int(bound)
                if value is None or not low <= value <= high:
                    return f"{expression!r}: {name} {bound!r} is outside {low}..{high}"
                values.append(value)
            if len(values) == 2 and values[0] > values[1]:
                return f"{expression!r}: {name} range {base!r} runs backwards"
    return None


def _schedules(workflow: dict[str, Any]) -> list[str]:
    triggers = workflow.get("on")
    schedule = triggers.get("schedule") if isinstance(triggers, dict) else None
    return [str(entry.get("cron")) for entry in schedule or [] if isinstance(entry, dict)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_schedules_are_valid_cron(path: Path) -> None:
    for expression in _schedules(_load(path)):
        problem = cron_problem(expression)
        assert problem is None, f"{path.name}: {problem}"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "'61 * * * *': minute '61' is outside 0..59"),
        ("0 24 * * *", "'0 24 * * *': hour '24' is outside 0..23"),
        ("0 3 * *", "'0 3 * *': 4 fields; cron has 5 (minute hour day month weekday)"),
        ("0 3 * * * *", "'0 3 * * * *': 6 fields; cron has 5 (minute hour day month weekday)"),
        ("@daily", "'@daily': 1 fields; cron has 5 (minute hour day month weekday)"),
        ("*/0 * * * *", "'*/0 * * * *': minute step '0' is not a positive number"),
        ("0 3 32 * *", "'0 3 32 * *': day of month '32' is outside 1..31"),
        ("0 3 * FOO *", "'0 3 * FOO *': month 'FOO' is outside 1..12"),
        ("0 5-2 * * *", "'0 5-2 * * *': hour range '5-2' runs backwards"),
        ("0 3 * * 7", "'0 3 * * 7': day of week '7' is outside 0..6"),
    ],
)
def test_a_bad_cron_is_refused(expression: str, message: str) -> None:
    assert cron_problem(expression) == message


@pytest.mark.parametrize("expression", ["17 3 * * *", "*/15 * * * 1-5", "0 0 1 JAN,JUL SUN"])
def test_good_crons_pass(expression: str) -> None:
    assert cron_problem(expression) is None


def test_a_workflow_with_a_bad_cron_fails(tmp_path: Path) -> None:
    workflow = tmp_path / "bad.yml"
    workflow.write_text("on:\n  schedule:\n    - cron: '61 3 * * *'\n")
    problems = [cron_problem(c) for c in _schedules(_load(workflow))]
    assert problems == ["'61 3 * * *': minute '61' is outside 0..59"]

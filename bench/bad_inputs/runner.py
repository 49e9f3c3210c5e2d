"""Run one case in a scratch project and sort its outcome: rejected, accepted or crashed, and
whether a planted secret shows in the output."""

from __future__ import annotations

import contextlib
import io
import shutil
import traceback
from pathlib import Path
from typing import Any

import yaml

from bench.bad_inputs.case import REPO_ROOT, STACKS, Case, Outcome, _require_change
from bench.bad_inputs.planted import PLANTED


def _scratch(directory: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(REPO_ROOT / name, directory / name)


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def run_case(case: Case, directory: Path) -> Outcome:
    _scratch(directory)
    stack_path = directory / f"Pulumi.{case.stack}.yaml"
    patches: list[contextlib.AbstractContextManager[Any]] = []
    if case.project is not None:
        case.project(directory)
    if case.mutate is not None:
        doc = yaml.safe_load(stack_path.read_text())
        before = _dump(doc)
        case.mutate(doc)
        after = _dump(doc)  # compared as text: True == 1 in Python, not in the file
        _require_change(before, after, f"{case.name} ({stack_path.name})")
        stack_path.write_text(after)
    if case.text is not None:
        old = stack_path.read_text()
        new = case.text(old)
        _require_change(old, new, f"{case.name} ({stack_path.name})")
        stack_path.write_bytes(new if isinstance(new, bytes) else new.encode())
    if case.patch is not None:
        patches.append(case.patch(directory))

    args = [a.replace("{dir}", str(directory)) for a in case.args]
    if "--stack" not in args:
        args = ["--stack", case.stack, *args]
    if "--project-dir" not in args and case.tool in ("synth", "cost", "restore"):
        args += ["--project-dir", str(directory)]
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    kind = "crashed"
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            if case.tool == "cost":
                from jobs import cost

                code = cost.main(args)
            elif case.tool == "restore":
                from jobs.restore import cli as restore_cli

                code = restore_cli.main(args)
            else:
                from jobs import synth

                code = synth.main(args)
            kind = "accepted" if code == 0 else "rejected"
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
            kind = "rejected" if code else "accepted"
        except BaseException:
            err.write(traceback.format_exc())
    output = out.getvalue() + err.getvalue()
    if kind == "rejected" and not (err.getvalue().strip() or "FAIL:" in out.getvalue()):
        kind = "accepted"  # a non-zero exit with no word of why is not a clear rejection
    leaked = [token for token in PLANTED if token in output]
    return Outcome(case, kind, code, output, leaked)

"""The one place that talks to the Pulumi CLI: `StackOperations` over the Automation API.

A LocalWorkspace on this project (work_dir = repository root), or on any workspace folder with
an inline program (the real-engine tests). Every CLI failure becomes a `StackOperationError`
with a short reason (the CLI's `error:` lines), so callers can never mistake "could not
decrypt" or "stack not found" for "no changes".

Policy packs: a pack directory is run by the engine through the Python language host
(`pulumi-language-python`, which every Pulumi install ships). Where that host is absent (the
engine `make engine` builds: its Go module is not served, docs/engine.md), the pack is handed
to the engine as an executable analyzer instead, a launcher that runs the same
`python -m pulumi.policy <engine> <pack dir>` the host would (pkg/resource/plugin
analyzer_plugin.go `NewPolicyAnalyzer`: "If policyPackPath points at an executable file ...
launch it directly as a binary analyzer plugin").
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from pulumi import automation as auto

from jobs.stack_ops import StackOperationError, StackOutput, UpdateRecord

REPO_ROOT = Path(__file__).resolve().parent.parent

# Exit codes of the CLI (3.227+); older CLIs exit 255 for every error.
_CLI_EXIT_MEANING = {
    3: "authentication failed",
    6: "stack not found",
    7: "changes found while --expect-no-changes was set",
}
_EXIT_CODE = re.compile(r"^\s*code:\s*(-?\d+)", re.M)
_STDERR_BLOCK = re.compile(r"^\s*stderr:(.*)\Z", re.M | re.S)
_MAX_REASON_LINES = 6

T = TypeVar("T")


class AutomationStackOperations:
    """`jobs.stack_ops.StackOperations` backed by the local Pulumi CLI.

    By default the project's own program in `work_dir`; with `program`, an inline program
    (the Automation API's language server, no language host needed) in a workspace built from
    `workspace_options` (backend, secrets provider, environment, CLI)."""

    def __init__(
        self,
        work_dir: Path = REPO_ROOT,
        *,
        program: Callable[[], None] | None = None,
        project_name: str = "sophia-infra",
        workspace_options: auto.LocalWorkspaceOptions | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.program = program
        self.project_name = project_name
        self.workspace_options = workspace_options

    def preview_refresh(self, stack: str) -> list[Any]:
        events: list[Any] = []
        self._run(
            stack,
            lambda s: s.preview_refresh(on_event=events.append, color="never"),
            events,
        )
        return events

    def preview(
        self,
        stack: str,
        *,
        policy_packs: Sequence[str] = (),
        policy_pack_configs: Sequence[str] = (),
        config_file: str | None = None,
    ) -> list[Any]:
        events: list[Any] = []
        with self._policy_packs(policy_packs) as packs:
            self._run(
                stack,
                lambda s: s.preview(
                    policy_packs=packs or None,
                    policy_pack_configs=list(policy_pack_configs) or None,
                    config_file=config_file,
                    on_event=events.append,
                    color="never",
                ),
                events,
            )
        return events

    def up(
        self,
        stack: str,
        *,
        policy_packs: Sequence[str] = (),
        policy_pack_configs: Sequence[str] = (),
    ) -> list[Any]:
        events: list[Any] = []
        with self._policy_packs(policy_packs) as packs:
            self._run(
                stack,
                lambda s: s.up(
                    policy_packs=packs or None,
                    policy_pack_configs=list(policy_pack_configs) or None,
                    on_event=events.append,
                    color="never",
                ),
                events,
            )
        return events

    def history(self, stack: str) -> list[UpdateRecord]:
        summaries = self._run(stack, lambda s: s.history(show_secrets=False), [])
        records = [
            UpdateRecord(
                kind=str(s.kind),
                result=str(s.result),
                # The CLI prints UTC timestamps; the Automation API parses them as naive.
                start_time=s.start_time.replace(tzinfo=UTC),
                end_time=s.end_time.replace(tzinfo=UTC) if s.end_time else None,
                # A DIY backend (file://, s3://) reports version 0 for every update.
                version=s.version or None,
                # Automation API UpdateSummary.config: ConfigValue per key ("[secret]" unless
                # show_secrets; pulumi automation/_stack.py UpdateSummary).
                config={key: str(value.value) for key, value in (s.config or {}).items()},
            )
            for s in summaries
        ]
        return sorted(records, key=lambda r: r.start_time, reverse=True)

    def outputs(self, stack: str) -> dict[str, StackOutput]:
        raw = self._run(stack, lambda s: s.outputs(), [])
        return {k: StackOutput(value=v.value, secret=bool(v.secret)) for k, v in raw.items()}

    # --- internals -----------------------------------------------------------------------

    def _select(self, stack: str) -> auto.Stack:
        if self.program is None:
            return auto.select_stack(stack_name=stack, work_dir=str(self.work_dir))
        return auto.select_stack(
            stack_name=stack,
            project_name=self.project_name,
            program=self.program,
            opts=self.workspace_options,
        )

    @contextmanager
    def _policy_packs(self, packs: Sequence[str]) -> Iterator[list[str]]:
        """The packs as the engine can load them here (see the module docstring)."""
        if not packs or self._has_python_language_host():
            yield list(packs)
            return
        with tempfile.TemporaryDirectory(prefix="sophia-policy-") as scratch:
            root = Path(scratch)
            yield [
                str(policy_pack_launcher(Path(pack), root / str(index)))
                for index, pack in enumerate(packs)
            ]

    def _has_python_language_host(self) -> bool:
        options = self.workspace_options
        env = dict(os.environ)
        if options is not None and options.env_vars:
            env.update(options.env_vars)
        search = env.get("PATH", "")
        command = getattr(options.pulumi_command, "command", None) if options else None
        if command and os.sep in str(command):
            search = os.pathsep.join([str(Path(command).parent), search])
        return shutil.which("pulumi-language-python", path=search) is not None

    def _run(self, stack: str, operation: Callable[[auto.Stack], T], events: list[Any]) -> T:
        try:
            return operation(self._select(stack))
        except auto.CommandError as err:
            raise StackOperationError(
                f"stack {stack}: {command_error_reason(str(err))}", events=events
            ) from None
        except FileNotFoundError as err:
            raise StackOperationError(
                f"stack {stack}: the Pulumi CLI is not installed ({err})", events=events
            ) from None
        except Exception as err:  # the Automation API also raises plain errors (version, summary)
            raise StackOperationError(
                f"stack {stack}: {type(err).__name__}: {err}", events=events
            ) from None


def policy_pack_launcher(pack_dir: Path, into: Path, python: str = sys.executable) -> Path:
    """An executable analyzer that runs the Python policy pack in `pack_dir`.

    The engine starts it with the engine address as its one argument; it runs what
    pulumi-language-python's RunPlugin runs for a policy pack: `python -u -m pulumi.policy
    <engine address> <pack dir>` in the pack directory. PulumiPolicy.yaml is copied beside it:
    the engine reads the pack's version and description from the launcher's folder."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise StackOperationError(f"no policy pack at {pack_dir} (PulumiPolicy.yaml missing)")
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pack_dir / "PulumiPolicy.yaml", into / "PulumiPolicy.yaml")
    launcher = into / f"pulumi-analyzer-policy-{pack_dir.name}"
    launcher.write_text(
        "#!/bin/sh\n"
        f"cd {shlex.quote(str(pack_dir))} || exit 1\n"
        f'exec {shlex.quote(python)} -u -m pulumi.policy "$@" {shlex.quote(str(pack_dir))}\n'
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return launcher


def command_error_reason(message: str) -> str:
    """Boil a `CommandError` message (" code: N / stdout: ... / stderr: ...") down to its cause.

    The Automation API only exposes the exit code inside the message text."""
    code_match = _EXIT_CODE.search(message)
    code = int(code_match.group(1)) if code_match else None
    stderr_match = _STDERR_BLOCK.search(message)
    stderr = stderr_match.group(1) if stderr_match else message
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.lower().startswith("error")]
    chosen = (error_lines or lines)[:_MAX_REASON_LINES]
    reason = " | ".join(chosen) or "the Pulumi CLI failed without a message"
    if code is not None:
        meaning = _CLI_EXIT_MEANING.get(code)
        reason += f" (exit code {code}{': ' + meaning if meaning else ''})"
    return reason

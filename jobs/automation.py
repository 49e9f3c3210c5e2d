"""The one place that talks to the Pulumi CLI: `StackOperations` over the Automation API.

A LocalWorkspace on this project (work_dir = repository root). Every CLI failure becomes a
`StackOperationError` with a short reason (the CLI's `error:` lines), so callers can never
mistake "could not decrypt" or "stack not found" for "no changes".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    """`jobs.stack_ops.StackOperations` backed by the local Pulumi CLI."""

    def __init__(self, work_dir: Path = REPO_ROOT) -> None:
        self.work_dir = Path(work_dir)

    def preview_refresh(self, stack: str) -> list[Any]:
        events: list[Any] = []
        self._run(
            stack,
            lambda s: s.preview_refresh(on_event=events.append, color="never"),
            events,
        )
        return events

    def preview(
        self, stack: str, *, policy_packs: Sequence[str] = (), config_file: str | None = None
    ) -> list[Any]:
        events: list[Any] = []
        self._run(
            stack,
            lambda s: s.preview(
                policy_packs=list(policy_packs) or None,
                config_file=config_file,
                on_event=events.append,
                color="never",
            ),
            events,
        )
        return events

    def up(self, stack: str, *, policy_packs: Sequence[str] = ()) -> list[Any]:
        events: list[Any] = []
        self._run(
            stack,
            lambda s: s.up(
                policy_packs=list(policy_packs) or None, on_event=events.append, color="never"
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
                version=s.version,
            )
            for s in summaries
        ]
        return sorted(records, key=lambda r: r.start_time, reverse=True)

    def outputs(self, stack: str) -> dict[str, StackOutput]:
        raw = self._run(stack, lambda s: s.outputs(), [])
        return {k: StackOutput(value=v.value, secret=bool(v.secret)) for k, v in raw.items()}

    # --- internals -----------------------------------------------------------------------

    def _run(self, stack: str, operation: Callable[[auto.Stack], T], events: list[Any]) -> T:
        try:
            selected = auto.select_stack(stack_name=stack, work_dir=str(self.work_dir))
            return operation(selected)
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

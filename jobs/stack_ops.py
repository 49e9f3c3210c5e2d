"""The interface the drift and promote jobs use to talk to stacks.

The jobs' logic takes a `StackOperations`; `jobs.automation` implements it with the Pulumi
Automation API (which shells out to the CLI), and tests implement it with recorded engine
events. This module imports nothing from Pulumi so the logic stays testable without the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class StackOperationError(Exception):
    """A stack operation could not run (or the engine failed): never read this as "no changes".

    `reason` is a short, human-readable cause (for example "error: could not decrypt ...");
    `events` holds whatever engine events arrived before the failure.
    """

    def __init__(self, reason: str, *, events: Sequence[Any] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.events = list(events)


@dataclass(frozen=True)
class UpdateRecord:
    """One entry of `pulumi stack history` (kind is update/refresh/destroy/import...)."""

    kind: str
    result: str  # succeeded | failed | in-progress
    start_time: datetime  # timezone-aware, UTC
    end_time: datetime | None = None
    version: int | None = None
    # The config the update ran with ("Config used for the update", backend.UpdateInfo.Config in
    # pulumi/pulumi pkg/backend; the DIY backend writes it per update): fully qualified keys,
    # values as the CLI hands them (objects as JSON text), secrets as "[secret]".
    config: Mapping[str, str] | None = None


@dataclass(frozen=True)
class StackOutput:
    value: Any
    secret: bool = False


class StackOperations(Protocol):
    """Operations on a stack of this project. Engine events are `EngineEvent`-shaped objects
    (attributes `resource_pre_event`, `res_outputs_event`, `diagnostic_event`, ...).
    Every method raises `StackOperationError` when the stack cannot be reached, decrypted or
    run; none of them ever turns a failure into an empty result."""

    def preview_refresh(self, stack: str) -> list[Any]:
        """Refresh preview: compare the recorded state with the live resources."""
        ...

    def preview(
        self,
        stack: str,
        *,
        policy_packs: Sequence[str] = (),
        policy_pack_configs: Sequence[str] = (),
        config_file: str | None = None,
    ) -> list[Any]:
        """Preview an update of the program, optionally with policy packs (each with its
        config file, `--policy-pack-config`) and a stack config file."""
        ...

    def history(self, stack: str) -> list[UpdateRecord]:
        """The stack's update history, newest first."""
        ...

    def outputs(self, stack: str) -> dict[str, StackOutput]:
        """The stack outputs of the last update."""
        ...

    def up(
        self,
        stack: str,
        *,
        policy_packs: Sequence[str] = (),
        policy_pack_configs: Sequence[str] = (),
    ) -> list[Any]:
        """Run an update of the stack."""
        ...

"""The Snowflake readiness gate: a real preview is refused while the stack's checklist is open.

Declared only while `components.settings.snowflake_readiness` lists open items (a ready stack has no
gate, so fixing the last item changes nothing else). Every Snowflake provider depends on it, so no
Snowflake statement (no network policy, no user, no monitor) can run before it exists; its
provider's `check` fails with the checklist, and the engine runs `check` for every resource in
`pulumi preview` and in the preview `pulumi up` starts with (pulumi/pulumi sdk/python/lib/pulumi/
dynamic/__main__.py, `DynamicResourceProviderServicer.Check`). Under the offline synth's mocks no
provider runs, so `jobs.synth` still shows the unfinished stack, gate included, with its items.

Type token: `pulumi-python:dynamic/snowflake:ReadinessGate`. No API client, no secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from components.settings.snowflake_readiness import ReadinessItem


def refusals(items: Any) -> list[str]:
    """One line per open item, as the preview prints it."""
    if not isinstance(items, list):
        return ["the readiness items are not a list (program error)"]
    return [
        f"{key}: {why}; set it with: {command}"
        for key, why, command in (tuple(item) for item in items)
    ]


class ReadinessGateProvider(pulumi.dynamic.ResourceProvider):
    """Refuses in `check` (preview and up) while items are open; nothing to create otherwise."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        items = news.get("items") or []
        failures = [
            pulumi.dynamic.CheckFailure("items", f"not ready for a real `up`: {line}")
            for line in refusals(items)
        ]
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        changed = olds.get("items") != news.get("items")
        return pulumi.dynamic.DiffResult(
            changes=changed, replaces=[], stables=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        # Unreachable while items are open (check refuses); an empty gate is never declared.
        return pulumi.dynamic.CreateResult(id_="snowflake-readiness", outs=dict(props))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        return pulumi.dynamic.ReadResult(id_=id_, outs=dict(props))


class ReadinessGate(pulumi.dynamic.Resource, module="snowflake", name="ReadinessGate"):
    items: pulumi.Output[list[list[str]]]

    def __init__(
        self, name: str, items: Sequence[ReadinessItem], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            ReadinessGateProvider(), name, {"items": [list(item) for item in items]}, opts
        )


def readiness_gate(name: str, items: Sequence[ReadinessItem]) -> ReadinessGate | None:
    """The gate for `items`, or None when the stack is ready."""
    return ReadinessGate(name, items) if items else None

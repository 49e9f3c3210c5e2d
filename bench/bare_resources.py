"""Calibration: Pulumi's own cost per resource under mocks, for a resource with two scalar inputs.

`python -m bench.bare_resources N` registers N such resources and prints the milliseconds each
took; the synth's per-resource cost is read against this floor.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pulumi


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", {}

    def call(self, args: Any) -> dict[str, Any]:
        return {}


def milliseconds_per_resource(count: int) -> float:
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_mocks(_EchoMocks(), project="bench", stack="bench", preview=False)

    @pulumi.runtime.test
    def program() -> None:
        for index in range(count):
            pulumi.CustomResource("bench:index:Bare", f"bare-{index}", {"a": "x", "b": 1})

    start = time.perf_counter()
    program()
    return (time.perf_counter() - start) / count * 1000


if __name__ == "__main__":
    print(f"{milliseconds_per_resource(int(sys.argv[1])):.3f}")

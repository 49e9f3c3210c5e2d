"""`python -m tests.engine.bench_engine`: the engine-test stack on the real engine, timed.

In one run, on one fresh workspace (tests/engine/workspace.py, the dev stack's settings):
the offline synth of the same stack (`python -m jobs.synth --stack dev`, a whole process, as a
user runs it), then `preview` from empty, `up` from empty, a no-op `up`, an `up` that changes
one capture's interval, a `refresh`, and `destroy`, each through the Automation API. For each
operation it counts the HTTP requests the dynamic providers sent to the stand-ins, by endpoint.
Prints a Markdown section for BENCHMARKS.md. Needs an engine (`make engine`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

from jobs.harness import synthesize
from tests.engine.toolchain import Engine, find_engine, pinned_versions
from tests.engine.workspace import PROJECT, EngineWorkspace

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK = "dev"


def requests_of(workspace: EngineWorkspace) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r in workspace.estuary.state.requests:
        counts[f"Estuary {r.method} {r.path.rsplit('/', 1)[-1]}"] += 1
    for r in workspace.portkey.requests:
        counts[f"Portkey {r.method} {'/'.join(r.path.split('/')[:3])}"] += 1
    return counts


def reset(workspace: EngineWorkspace) -> None:
    with workspace.estuary.state.lock:
        workspace.estuary.state.requests.clear()
    workspace.portkey.reset_log()


def synth_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jobs.synth", "--stack", STACK],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def synth_in_process_seconds() -> tuple[float, int]:
    """The same synth inside this process, after a first run (imports done), as the engine
    operations below run: a like-for-like base for the ratio; and its resource count."""
    synthesize(STACK)
    started = time.perf_counter()
    synthesis = synthesize(STACK)
    return time.perf_counter() - started, len(synthesis.resources)


def run(engine: Engine) -> str:
    rows: list[tuple[str, float, str, Counter[str]]] = []
    totals: list[int] = []  # resources each step counted
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as scratch:
        workspace = EngineWorkspace(engine, Path(scratch))
        try:
            synth = synth_seconds()
            synth_warm, synth_resources = synth_in_process_seconds()
            stack = workspace.create_stack(STACK)

            def step(label: str, operation, **kwargs) -> None:
                reset(workspace)
                result, seconds = workspace.run(label, operation, **kwargs)
                summary = getattr(result, "change_summary", None) or result.summary.resource_changes
                changed = ", ".join(f"{k} {v}" for k, v in sorted(summary.items()) if v)
                totals.append(sum(summary.values()))
                rows.append((label, seconds, changed, requests_of(workspace)))

            step("preview (empty stack)", stack.preview)
            step("up (create everything)", stack.up)
            step("preview (no change)", stack.preview)
            step("up (no change)", stack.up)
            doc = yaml.safe_load(workspace.stack_file(STACK).read_text())
            doc["config"][f"{PROJECT}:estuary"]["sources"]["github"]["interval"] = "2h"
            workspace.stack_file(STACK).write_text(yaml.safe_dump(doc, sort_keys=False))
            step("up (GitHub capture interval 1h -> 2h)", stack.up)
            step("refresh (no change)", workspace.select(STACK, refresh=True).refresh)
            step("destroy", stack.destroy)
        finally:
            workspace.close()
    counts = (synth_resources, synth_resources - totals[0])
    return render(engine, synth, synth_warm, rows, counts)


def render(
    engine: Engine, synth_process: float, synth: float, rows: list, counts: tuple[int, int]
) -> str:
    """`counts`: the synth's resources, and how many more it declares than the engine run."""
    versions = pinned_versions()
    up = next(s for label, s, _, _ in rows if label.startswith("up (create"))
    preview = next(s for label, s, _, _ in rows if label.startswith("preview (empty"))
    lines = [
        "## The real engine (tests/engine)",
        "",
        f"`python -m tests.engine.bench_engine` on {datetime.now(UTC):%Y-%m-%d}, "
        f"{platform.platform()}, {_cores()} cores, Python {platform.python_version()}; pulumi "
        f"{engine.version} ({engine.source}), pulumi-kubernetes plugin "
        f"{versions.get('KUBERNETES_PROVIDER_VERSION')}. One run (each step is one operation "
        "of one fresh workspace: file backend, passphrase secrets, Estuary and Portkey on their "
        "stand-ins, Kubernetes rendered to a folder, the dev stack's settings, Snowflake names "
        "as values, webhook sources off: no pulumi-random plugin, docs/engine.md); wall time "
        "as the Automation API call returns.",
        "",
        "| operation | s | x offline synth | resources | HTTP requests to the stand-ins |",
        "|---|---|---|---|---|",
        f"| offline synth `python -m jobs.synth --stack dev` (a whole process: imports + {counts[0]} "
        f"resources) | {synth_process:.1f} | {synth_process / synth:.1f} | | none |",
        f"| offline synth of dev in this process, imports done (the base of the ratios) "
        f"| {synth:.1f} | 1.0 | | none |",
    ]
    for label, seconds, changed, requests in rows:
        calls = "; ".join(f"{k} x{n}" for k, n in sorted(requests.items())) or "none"
        total = sum(requests.values())
        lines.append(
            f"| {label} | {seconds:.1f} | {seconds / synth:.1f} | {changed} | "
            f"{total}{': ' + calls if total else ''} |"
        )
    lines += [
        "",
        f"Ratio in this run: `preview` from empty is {preview / synth:.1f}x and `up` from empty "
        f"{up / synth:.1f}x the in-process offline synth of the same stack (which also declares "
        f"its Snowflake part and the webhook sources left off here, {counts[1]} more resources, "
        "under mocks). Each engine operation "
        "starts the "
        "CLI, the kubernetes plugin and a dynamic-provider process; the program itself runs in "
        "the calling process.",
    ]
    return "\n".join(lines) + "\n"


def _cores() -> int:
    return os.cpu_count() or 0


def main() -> int:
    engine = find_engine()
    if not isinstance(engine, Engine):
        print(f"error: {engine}", file=sys.stderr)
        return 2
    print(run(engine))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time whole processes: wall seconds and peak resident memory of each run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_mib: float
    stdout: str


@dataclass(frozen=True)
class Measurement:
    label: str
    command: str
    runs: tuple[Run, ...]

    @property
    def median_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def min_seconds(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def median_cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.peak_mib for r in self.runs)


def run_once(args: list[str], cwd: Path = REPO_ROOT) -> Run:
    """One process; `os.wait4` gives this child's own rusage (peak RSS), not the cumulative one."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}:\n{stderr[-2000:]}")
    # ru_maxrss is KiB on Linux.
    return Run(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        stdout=stdout,
    )


def measure_interleaved(
    commands: dict[str, list[str]],
    runs: int,
    cwd: Path = REPO_ROOT,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Measurement]:
    """Run each command `runs` times, round-robin, so a slow spell of a shared machine hits
    every command alike and the ratios between them stay fair. `progress` is told after each
    round how far the measurement is (a round takes seconds to minutes)."""
    results: dict[str, list[Run]] = {label: [] for label in commands}
    started = time.monotonic()
    for round_number in range(1, runs + 1):
        for label, args in commands.items():
            results[label].append(run_once(args, cwd))
        if progress is not None:
            elapsed = time.monotonic() - started
            left = elapsed / round_number * (runs - round_number)
            progress(
                f"  round {round_number}/{runs} of {len(commands)} commands done "
                f"({elapsed:.0f} s so far, about {left:.0f} s to go)"
            )
    return {
        label: Measurement(label=label, command=_shown(commands[label]), runs=tuple(runs_))
        for label, runs_ in results.items()
    }


def _shown(args: list[str]) -> str:
    return " ".join(a if a != sys.executable else "python" for a in args)

"""`python -m bench --output`: the hand-written part of BENCHMARKS.md survives an update."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import NOTES_MARK, kept_notes

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_the_notes_from_the_mark_on_are_kept(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"# Benchmarks\n\nold numbers\n\n{NOTES_MARK}\n\n## The real engine\n")
    assert kept_notes(report) == f"\n{NOTES_MARK}\n\n## The real engine\n"


def test_no_mark_or_no_file_keeps_nothing(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    assert kept_notes(report) == ""
    report.write_text("# Benchmarks\n")
    assert kept_notes(report) == ""


def test_the_committed_report_carries_the_mark_once() -> None:
    assert (REPO_ROOT / "BENCHMARKS.md").read_text().count(NOTES_MARK) == 1


def test_each_round_reports_progress() -> None:
    import sys

    from bench.processes import measure_interleaved

    lines: list[str] = []
    commands = {"a": [sys.executable, "-c", "pass"], "b": [sys.executable, "-c", "pass"]}
    measured = measure_interleaved(commands, 2, progress=lines.append)
    assert [len(m.runs) for m in measured.values()] == [2, 2]
    assert [line.split(" (")[0] for line in lines] == [
        "  round 1/2 of 2 commands done",
        "  round 2/2 of 2 commands done",
    ]

"""python -m bench.bad_inputs: run the cases (all, or `--only SUBSTRING`) and print the report."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import bench.bad_inputs
from bench.bad_inputs import cases
from bench.bad_inputs.report import print_outcome, print_summary
from bench.bad_inputs.runner import run_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bad_inputs", description=bench.bad_inputs.__doc__.split("\n")[0]
    )
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="print each case and its message")
    args = parser.parse_args(argv)
    selected = [c for c in cases() if args.only in c.name]
    outcomes = []
    for case in selected:
        with tempfile.TemporaryDirectory() as scratch:
            outcome = run_case(case, Path(scratch))
        outcomes.append(outcome)
        if args.verbose or outcome.harmful or outcome.leaked:
            print_outcome(outcome)
    return print_summary(outcomes)


if __name__ == "__main__":
    sys.exit(main())

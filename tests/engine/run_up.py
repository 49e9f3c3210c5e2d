"""`python -m tests.engine.run_up ROOT STACK`: one `pulumi up` of an engine-test workspace.

The crash test runs this in its own process group so that it can SIGKILL the whole update
(this process, the CLI and its provider processes) in the middle. The stand-ins' addresses and
the offline settings come in the environment, from `EngineWorkspace.env()`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi import automation as auto

from tests.engine.program import make_program
from tests.engine.toolchain import Engine, find_engine
from tests.engine.workspace import PROJECT, synthesized_names, workspace_options


def main(root: Path, stack: str) -> int:
    engine = find_engine()
    if not isinstance(engine, Engine):
        print(engine, file=sys.stderr)
        return 2
    # The synth runs under Pulumi's mocks: never inside the engine's run of the program.
    names = {stack: synthesized_names(stack)}
    program = make_program(names.__getitem__, root / "rendered")
    selected = auto.select_stack(
        stack, project_name=PROJECT, program=program, opts=workspace_options(engine, root, None)
    )
    selected.up(on_output=print, color="never")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))

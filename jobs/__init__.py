"""The jobs: command lines that drive the program from outside (`python -m jobs.<name>`).

They need the project's virtualenv (the pinned Pulumi SDKs). Run with another Python, they would
end in a traceback ("No module named 'pulumi'"); this says what to run instead.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("pulumi") is None:  # not the project's virtualenv
    _root = Path(__file__).resolve().parent.parent
    _args = list(getattr(sys, "orig_argv", sys.argv))[1:]
    _args = _args[_args.index("-m") :] if "-m" in _args else _args  # drop interpreter flags
    _shown = " ".join(_args) if _args else "-m jobs.<name> ..."
    sys.stderr.write(
        f"error: {sys.executable} is not this project's virtualenv (it has no 'pulumi' "
        f"package). Set it up once with `make venv` in {_root}, then run "
        f"`{_root / '.venv' / 'bin' / 'python'} {_shown}` (from any directory after "
        "`make venv`), or `make synth STACK=<stack>` there\n"
    )
    raise SystemExit(2)

"""Where the real Pulumi engine is, and the environment that keeps it offline.

Order: a `pulumi` the user already has on PATH, else the one `make engine` built into
`${SOPHIA_ENGINE_HOME:-~/.cache/sophia-infra/engine}/bin`. Provider plugins are found by the
engine itself on PATH (ambient plugins, any version: sdk/go/common/workspace/plugins.go
`getPluginInfoAndPath`), so the built bin folder goes on PATH after the user's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = REPO_ROOT / "engine" / "versions.env"
ENGINE_HOME = Path(
    os.environ.get("SOPHIA_ENGINE_HOME") or Path.home() / ".cache" / "sophia-infra" / "engine"
)
BUILT_BIN = ENGINE_HOME / "bin"
# Plugins the engine tests load: kubernetes (render mode) and the Python dynamic-provider host.
REQUIRED_PLUGINS = ("pulumi-resource-kubernetes", "pulumi-resource-pulumi-python")


def pinned_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    """engine/versions.env as a dict (KEY=VALUE lines; comments and blanks ignored)."""
    versions = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            versions[key.strip()] = value.strip()
    return versions


@dataclass(frozen=True)
class Engine:
    pulumi: Path  # the CLI
    search_path: tuple[Path, ...]  # folders put first on PATH: the CLI's and the built plugins'
    version: str  # what `pulumi version` prints
    source: str  # "PATH" (the user's own) or "built"

    @property
    def root(self) -> Path:
        """The folder holding bin/pulumi, as `pulumi.automation.PulumiCommand(root=...)` wants."""
        return self.pulumi.parent.parent

    def path_env(self) -> str:
        return os.pathsep.join([*(str(p) for p in self.search_path), os.environ.get("PATH", "")])


def find_engine() -> Engine | str:
    """The engine to use, or the reason there is none (one line, says what to do)."""
    on_path = shutil.which("pulumi")
    candidates: list[tuple[Path, str]] = []
    if on_path:
        candidates.append((Path(on_path).resolve(), "PATH"))
    if (BUILT_BIN / "pulumi").is_file():
        candidates.append((BUILT_BIN / "pulumi", "built"))
    if not candidates:
        return (
            f"no Pulumi engine: no `pulumi` on PATH and none built in {BUILT_BIN} "
            "(run `make engine`, docs/engine.md)"
        )
    cli, source = candidates[0]
    search = [cli.parent]
    if BUILT_BIN.is_dir() and cli.parent != BUILT_BIN:
        search.append(BUILT_BIN)
    missing = [p for p in REQUIRED_PLUGINS if not any((d / p).is_file() for d in search)]
    missing = [p for p in missing if shutil.which(p) is None]
    if missing:
        return (
            f"Pulumi engine at {cli} ({source}) lacks {', '.join(missing)} "
            "(run `make engine`, docs/engine.md)"
        )
    try:
        version = subprocess.run(
            [str(cli), "version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as err:
        return f"Pulumi engine at {cli} does not run: {err}"
    return Engine(pulumi=cli, search_path=tuple(search), version=version, source=source)


def offline_env(engine: Engine, home: Path, passphrase: str) -> dict[str, str]:
    """Variables for every CLI run: local plugins only, no update check, this venv's python."""
    return {
        "PATH": engine.path_env(),  # the CLI's folder first, then the built plugins
        "PULUMI_HOME": str(home),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # ... which unpickles our providers by reference: `components` must import.
        "PYTHONPATH": str(REPO_ROOT),
        **python_env(),
    }


def python_env() -> dict[str, str]:
    """Make upstream's pulumi-resource-pulumi-python run this interpreter (its two knobs)."""
    if sys.prefix != sys.base_prefix:  # a virtualenv: the launcher runs <venv>/bin/python
        return {"PULUMI_RUNTIME_VIRTUALENV": sys.prefix}
    return {"PULUMI_PYTHON_CMD": sys.executable}


def main() -> int:
    """`python -m tests.engine.toolchain`: which engine the tests would use; exit 1 if none.

    CI runs this before the engine tests, so a missing engine fails the job instead of
    deselecting every real-engine test with one line (which would pass)."""
    found = find_engine()
    if isinstance(found, str):
        print(f"error: {found}", file=sys.stderr)
        return 1
    print(f"engine: pulumi {found.version} ({found.source}: {found.pulumi})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Modules load on their own, in any order, and every dynamic provider loads as the engine does.

The dynamic-provider host (`python -m pulumi.dynamic`, pulumi/dynamic/__main__.py `get_provider`)
unpickles a provider with `dill.loads`, which imports the provider's module first, in a fresh
interpreter: a circular import that the program's own import order hides would break it. So:
- every module under components/ is found here (no hand-kept list) and imported FIRST in a
  fresh interpreter;
- every dynamic provider class found in those modules is pickled with
  `pulumi.dynamic.dynamic.serialize_provider` and loaded back in a fresh interpreter by the
  host's own `get_provider` (dill.loads, then `configure`);
- every provider pickled by earlier code (tests/fixtures/pickled_providers/, state written
  before a module moved) still loads, as the class it names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import pytest

from jobs.harness import REPO_ROOT

COMPONENTS = REPO_ROOT / "components"
PICKLED = REPO_ROOT / "tests" / "fixtures" / "pickled_providers"


def _module_name(path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


ALL_MODULES = sorted(
    _module_name(path)
    for path in COMPONENTS.rglob("*.py")
    if "__pycache__" not in path.parts and (path.parent / "__init__.py").exists()
)
# Entry points outside components/ that must also load first (a CLI, a stand-in it drives).
OTHER_FIRST_IMPORTS = ("jobs.restore.cli", "tests.fakes.snowflake_time_travel")

_FIND_PROVIDERS = r"""
import importlib, inspect, json, sys
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

found = {}
for name in json.loads(sys.argv[1]):
    module = importlib.import_module(name)
    for cls_name, cls in vars(module).items():
        if (
            inspect.isclass(cls)
            and issubclass(cls, ResourceProvider)
            and cls is not ResourceProvider
            and cls.__module__ == name
            and not cls_name.startswith("_")
        ):
            found[f"{name}.{cls_name}"] = serialize_provider(cls())
json.dump(found, sys.stdout)
"""

# The host's own code: pulumi/dynamic/__main__.py ends in `main()` (a gRPC server), so its source
# runs here without that last call, and its `get_provider` loads and configures the provider.
_LOAD_LIKE_THE_HOST = r"""
import sys
import pulumi.dynamic

host = pulumi.dynamic.__path__[0] + "/__main__.py"
source = open(host).read()
assert source.rstrip().endswith("main()"), "pulumi/dynamic/__main__.py changed shape"
namespace = {"__name__": "pulumi.dynamic.__host__", "__file__": host}
exec(compile(source.rstrip()[: -len("main()")], host, "exec"), namespace)
provider = namespace["get_provider"]({namespace["PROVIDER_KEY"]: sys.stdin.read().strip()}, {})
print(f"{type(provider).__module__}.{type(provider).__qualname__}")
"""


def _python(code: str, *args: str, stdin: str = "") -> tuple[bool, str]:
    """Run `code` in a fresh interpreter at the repository root (as the host runs there)."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return result.returncode == 0, (result.stdout if result.returncode == 0 else result.stderr)


@cache
def _probe() -> dict[str, Any]:
    pickled = {
        f"fixture:{path.stem}": path.read_text().strip() for path in sorted(PICKLED.glob("*.b64"))
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = [*ALL_MODULES, *OTHER_FIRST_IMPORTS]
        imports = dict(
            zip(
                first,
                pool.map(lambda name: _python(f"import {name}"), first),
                strict=True,
            )
        )
        ok, text = _python(_FIND_PROVIDERS, json.dumps(ALL_MODULES))
        providers = {"ok": ok, "value": json.loads(text) if ok else None, "error": text}
        if ok:
            pickled.update({f"current:{k}": v for k, v in providers["value"].items()})
        labels = sorted(pickled)
        loaded = pool.map(lambda label: _python(_LOAD_LIKE_THE_HOST, stdin=pickled[label]), labels)
        loads = dict(zip(labels, loaded, strict=True))
    return {
        "imports": {k: {"ok": ok, "error": text[-2500:]} for k, (ok, text) in imports.items()},
        "providers": providers,
        "loads": {
            k: {"ok": ok, "value": text.strip(), "error": text[-2500:]}
            for k, (ok, text) in loads.items()
        },
    }


def test_every_module_is_found() -> None:
    # Discovery is by glob; these are here so a broken glob cannot pass with nothing to check.
    for name in (
        "components.portkey.base",
        "components.portkey.usage_limits",
        "components.estuary.provider",
        "components.settings",
    ):
        assert name in ALL_MODULES


@pytest.mark.parametrize("module", [*ALL_MODULES, *OTHER_FIRST_IMPORTS])
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    outcome = _probe()["imports"][module]
    assert outcome["ok"], outcome.get("error")


def test_every_provider_is_found_and_pickles() -> None:
    found = _probe()["providers"]
    assert found["ok"], found.get("error")
    names = set(found["value"])
    # At least the providers the stacks declare today (discovery must not silently find none).
    assert {
        "components.portkey.gateway_config.GatewayConfigProvider",
        "components.portkey.usage_limits.UsageLimitsPolicyProvider",
        "components.portkey.api_key_binding.ApiKeyConfigBindingProvider",
    } <= names, sorted(names)
    assert any(name.startswith("components.estuary.") for name in names), sorted(names)


def _load_labels() -> list[str]:
    fixtures = [f"fixture:{path.stem}" for path in sorted(PICKLED.glob("*.b64"))]
    return fixtures


@pytest.mark.parametrize("label", _load_labels())
def test_provider_pickled_by_earlier_code_loads_in_the_host(label: str) -> None:
    outcome = _probe()["loads"][label]
    assert outcome["ok"], outcome.get("error")
    # It loads as the class of that name (the old path may now re-export the moved class).
    old_name = label.removeprefix("fixture:").rsplit(".", 1)[1]
    assert outcome["value"].rsplit(".", 1)[1] == old_name


def test_every_current_provider_loads_in_the_host() -> None:
    loads = {k: v for k, v in _probe()["loads"].items() if k.startswith("current:")}
    assert loads, "no provider was pickled"
    failed = {k: v["error"] for k, v in loads.items() if not v["ok"]}
    assert not failed, "\n".join(f"{k}:\n{v}" for k, v in failed.items())


SETTINGS_MODULES = [
    name for name in ALL_MODULES if name.split(".")[:2] == ["components", "settings"]
]
# The rooms above the floor: every components/ subpackage but settings itself.
AREAS = [
    "release",
    *(
        path.name
        for path in COMPONENTS.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "settings"
    ),
]


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_settings_import_no_component(module: str) -> None:
    # Settings are the floor: components import them, never the other way round.
    probe = (
        f"import sys, {module}\n"
        f"areas = {AREAS!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[:2][-1] in areas "
        "and m.startswith('components.'))\n"
        "print('\\n'.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.split() == [], f"{module} loaded {result.stdout.split()}"

"""State written by the code before the one-module-per-kind layout still loads and works.

Fixtures (tests/components/estuary/fixtures/), written by the code at e52d125 before the move:
- pickled_providers.json: `pulumi.dynamic.dynamic.serialize_provider` of both providers as the
  resources create them, and of one with a `Tuning` (pickled as
  `components.estuary.client.Tuning`);
- outputs_before_flat_shape.json: the outputs `create` recorded on the stand-in.
Loaded here as the dynamic provider host does (pulumi/dynamic/__main__.py `get_provider`:
base64, `dill.loads`, `configure`), in a fresh interpreter whose first import is the pickle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.estuary.capture import CaptureProvider
from components.estuary.materialization import MaterializationProvider
from tests.components.estuary.conftest import capture_inputs, materialization_inputs

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[3]
PICKLED = json.loads((FIXTURES / "pickled_providers.json").read_text())
OUTPUTS = json.loads((FIXTURES / "outputs_before_flat_shape.json").read_text())

HOST = """
import base64, sys, dill
p = dill.loads(base64.b64decode(sys.stdin.read()))
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
p.configure(ConfigureRequest(Config({}, 'sophia-infra')))
t = p.tuning
print(type(p).__module__, type(p).__name__, t if t is None else (type(t).__module__, t.read_timeout, t.retry_after_max))
"""


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("CaptureProvider", "components.estuary.capture CaptureProvider None"),
        (
            "MaterializationProvider",
            "components.estuary.materialization MaterializationProvider None",
        ),
        (
            "CaptureProvider+tuning",
            "components.estuary.capture CaptureProvider "
            "('components.estuary.transport', 12.0, 60.0)",
        ),
    ],
)
def test_providers_pickled_before_the_move_load_in_a_fresh_host(label: str, expected: str) -> None:
    assert PICKLED["commit"].startswith("e52d125")
    result = subprocess.run(
        [sys.executable, "-c", HOST],
        input=PICKLED["providers"][label],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("key", "provider", "inputs"),
    [
        ("capture_github", CaptureProvider, lambda: capture_inputs("github")),
        ("capture_usergems", CaptureProvider, lambda: capture_inputs("usergems")),
        ("materialization", MaterializationProvider, materialization_inputs),
    ],
)
def test_outputs_written_before_the_move_diff_clean(key: str, provider: type, inputs) -> None:  # type: ignore[no-untyped-def]
    """The same declaration against the old outputs: no change, so no republish."""
    olds = OUTPUTS[key]
    result = provider().diff(olds["catalogName"], olds, inputs())
    assert (result.changes, result.replaces) == (False, []), result

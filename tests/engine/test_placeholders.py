"""A placeholder value is refused by the program under the real engine, before any resource
registers (docs/readiness.md); the offline synth of the same config only warns."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from jobs.engine_events.fold import summarize
from jobs.stack_ops import StackOperationError
from tests.conftest import stack_config
from tests.engine.workspace import PROJECT, EngineWorkspace

pytestmark = pytest.mark.needs_engine

STACK = "dev"
# RFC 2606 reserves example.com; the host still carries the stack as a label (identity rules).
HOST = "api.dev.example.com"


def test_a_real_preview_refuses_a_placeholder_value(workspace: EngineWorkspace) -> None:
    kubernetes = copy.deepcopy(stack_config(STACK)["kubernetes"])
    kubernetes["host"] = HOST
    workspace.create_stack(STACK, overrides={"kubernetes": kubernetes})
    with pytest.raises(StackOperationError) as raised:
        workspace.ops().preview(STACK)
    outcome = summarize(raised.value.events)
    text = " ".join(outcome.errors) + " " + raised.value.reason
    assert "sophia-infra:kubernetes.host: names a domain reserved for examples" in text
    assert "python -m jobs.readiness --stack dev" in text
    # Nothing but the stack itself (registered before the program runs) was declared.
    assert [c.type for c in outcome.changes] == ["pulumi:pulumi:Stack"]


def test_a_real_preview_refuses_a_top_level_typo(
    workspace: EngineWorkspace, tmp_path: Path
) -> None:
    """The language host hands the program every config key, so a key the program never reads
    is seen and refused there too, not only in the offline synth (runs after the test above,
    on its stack, with the committed host back)."""
    doc = yaml.safe_load(workspace.stack_file(STACK).read_text())
    doc["config"][f"{PROJECT}:kubernetes"]["host"] = stack_config(STACK)["kubernetes"]["host"]
    doc["config"][f"{PROJECT}:cortexs"] = {"searchTargetLag": "1 hour"}
    config_file = tmp_path / f"Pulumi.{STACK}.yaml"
    config_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(StackOperationError) as raised:
        workspace.ops().preview(STACK, config_file=str(config_file))
    text = " ".join(summarize(raised.value.events).errors) + " " + raised.value.reason
    assert "sophia-infra:cortexs: unknown key; did you mean 'cortex'?" in text
    assert "placeholder" not in text

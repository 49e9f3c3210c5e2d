"""`python -m jobs.agent_spec`: declared specification against DESCRIBE AGENT's agent_spec.

The stored sides below are written by hand in the documented format (JSON, per the DESCRIBE AGENT
page); they test the comparison, not what Snowflake really returns (unverified: docs/snowflake.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from jobs import agent_spec
from jobs.harness import Synthesis

DECLARED = """\
models:
  orchestration: auto
tools:
- tool_spec: {type: cortex_search, name: recall_memory, description: Recall.}
tool_resources:
  recall_memory:
    search_service: SOPHIA_AI.CORTEX_VECTORS.SOPHIA_SEARCH
    id_column: ID
    max_results: 5
"""


def _stored(**changes: object) -> str:
    spec = yaml.safe_load(DECLARED)
    resource = spec["tool_resources"]["recall_memory"]
    for key, value in changes.items():
        if value is None:
            resource.pop(key)
        else:
            resource[key] = value
    return json.dumps(spec, sort_keys=True)  # JSON, keys in another order


def test_json_with_other_key_order_is_no_difference_for_anyone() -> None:
    result = agent_spec.compare(DECLARED, _stored())
    assert result.same_meaning and not result.provider_diff


def test_what_snowflake_may_rewrite_means_the_same_but_the_provider_sees_a_diff() -> None:
    stored = json.loads(_stored(max_results="5"))
    resource = stored["tool_resources"]["recall_memory"]
    resource["name"] = resource.pop("search_service")
    stored["sample_questions"] = []
    result = agent_spec.compare(DECLARED, json.dumps(stored))
    assert result.same_meaning
    assert result.provider_diff


def test_dropped_changed_and_added_fields_are_named() -> None:
    stored = json.loads(_stored(id_column=None, max_results=10))
    stored["orchestration"] = {"budget": {"seconds": 900}}
    result = agent_spec.compare(DECLARED, json.dumps(stored))
    assert result.missing == ["tool_resources.recall_memory.id_column"]
    assert result.changed == ["tool_resources.recall_memory.max_results: declared 5, stored 10"]
    assert result.added == ["orchestration"]
    assert (
        agent_spec.render("SEMANTIC_MEMORY_AGENT", result)
        .splitlines()[-1]
        .startswith("  provider: DIFFERS: every preview shows a diff")
    )


def test_the_cli_compares_the_stack_s_own_declaration(
    tmp_path: Path, synthesized, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dev: Synthesis = synthesized("dev")
    monkeypatch.setattr("jobs.harness.synthesize", lambda stack: dev)
    (agent,) = [
        r for r in dev.by_type(agent_spec.AGENT_TYPE) if r.inputs["name"] == "SEMANTIC_MEMORY_AGENT"
    ]
    described = tmp_path / "agent_spec.json"
    described.write_text(json.dumps(yaml.safe_load(agent.inputs["specification"])))
    args = ["--stack", "dev", "--agent", "SEMANTIC_MEMORY_AGENT", "--described", str(described)]
    assert agent_spec.main(args) == 0
    assert capsys.readouterr().out.endswith("  provider: no difference (canonical JSON equal)\n")
    assert agent_spec.main([*args[:3], "NOPE", *args[4:]]) == 2
    assert capsys.readouterr().err == "agent_spec: stack dev declares no agent NOPE\n"

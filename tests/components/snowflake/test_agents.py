"""The agent catalog: what each agent's specification says, and every bad-input case."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import SettingsError
from components.settings import agents as agents_module
from components.settings.agents import AGENTS_FILE, AgentCatalogError, load_agent_catalog
from jobs.harness import RecordingMonitor, Synthesis, SynthMocks, synthesize

Synth = Callable[[str], Synthesis]
AGENT = "snowflake:index/cortexAgent:CortexAgent"
WAREHOUSES = {"CORTEX_COMPUTE_WH", "ESTUARY_LOAD_WH", "API_WH"}


def _specifications(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        a.inputs["name"]: yaml.safe_load(a.inputs["specification"])
        for a in synthesis.by_type(AGENT)
    }


def test_semantic_memory_agent_specification_in_prod(synthesized: Synth) -> None:
    spec = _specifications(synthesized("prod"))["SEMANTIC_MEMORY_AGENT"]
    assert spec == {
        "models": {"orchestration": "auto"},
        "instructions": {
            "system": "You remember and recall facts for Sophia AI users, grounded in stored context.",
            "response": "Cite the source_type and source_id of every recalled item.",
            "orchestration": "Use recall_memory or search_context before answering; store_memory only when asked.",
            "sample_questions": [
                {"question": "What did we decide about the HubSpot sync last week?"}
            ],
        },
        "orchestration": {"budget": {"seconds": 30, "tokens": 8000}},
        "tools": [
            {
                "tool_spec": {
                    "type": "generic",
                    "name": "store_memory",
                    "description": "Store a memory (text plus metadata) as a document chunk for later recall.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string", "description": "The text to remember."},
                            "source_id": {"type": "string", "description": "Where it came from."},
                        },
                        "required": ["content"],
                    },
                }
            },
            {
                "tool_spec": {
                    "type": "cortex_search",
                    "name": "recall_memory",
                    "description": "Recall stored memories similar to the request.",
                }
            },
            {
                "tool_spec": {
                    "type": "cortex_search",
                    "name": "search_context",
                    "description": "Search all ingested business context (GitHub, HubSpot, Slack, Gong, ...).",
                }
            },
        ],
        "tool_resources": {
            "store_memory": {
                "type": "procedure",
                "identifier": "SOPHIA_AI.CORTEX_VECTORS.SP_STORE_MEMORY",
                "execution_environment": {"type": "warehouse", "warehouse": "CORTEX_COMPUTE_WH"},
            },
            "recall_memory": {
                "search_service": "SOPHIA_AI.CORTEX_VECTORS.SOPHIA_SEARCH",
                "id_column": "ID",  # row 31: the agent cites source ids
                "max_results": 5,
            },
            "search_context": {
                "search_service": "SOPHIA_AI.CORTEX_VECTORS.SOPHIA_SEARCH",
                "id_column": "ID",
                "max_results": 10,
            },
        },
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_models_resolve_per_stack(stack: str, synthesized: Synth) -> None:
    """Every model the catalog used is retired (agent_models.yaml): all agents run on `auto`."""
    specs = _specifications(synthesized(stack))
    assert {name: spec["models"] for name, spec in specs.items()} == {
        "SNOWFLAKE_OPS_AGENT": {"orchestration": "auto"},
        "SEMANTIC_MEMORY_AGENT": {"orchestration": "auto"},
        "BUSINESS_INTELLIGENCE_AGENT": {"orchestration": "auto"},
    }


@pytest.mark.parametrize(
    ("model", "retired_on"),
    [("claude-3-5-sonnet", "2025-10-28"), ("claude-4-sonnet", "2026-06-15")],
)
def test_a_retired_orchestration_model_is_refused(model: str, retired_on: str) -> None:
    """Review F7: the catalog used both; the dated lifecycle table refuses them."""
    from tests.components.settings.test_settings import _reject

    message = _reject(
        "dev",
        lambda c: c.setdefault("cortex", {}).update(agentModels={"snowflake_ops_agent": model}),
    )
    assert (
        f"agent 'snowflake_ops_agent': model = '{model}' (stack override): '{model}' was retired "
        f"on {retired_on} ("
    ) in message
    assert "); served: auto, openai-gpt-4.1, openai-gpt-5" in message


def test_a_model_is_refused_the_day_it_retires(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from components.settings import agent_models

    table = agent_models.load_agent_models()
    assert table.problem("openai-gpt-5", date(2026, 12, 8)) is None
    assert table.problem("claude-3-7-sonnet", date(2026, 4, 27)) is None
    assert table.problem("claude-3-7-sonnet", date(2026, 4, 28)).startswith(
        "'claude-3-7-sonnet' was retired on 2026-04-28"
    )
    assert table.problem("gpt-9", date(2026, 12, 8)) == (
        "'gpt-9' has no row in agent_models.yaml v1; add it with the source of its lifecycle "
        "first; served: auto, openai-gpt-4.1, openai-gpt-5"
    )


def test_every_agent_has_its_plan_tools_and_stack_objects(synthesized: Synth) -> None:
    specs = _specifications(synthesized("dev"))
    tools = {name: [t["tool_spec"]["name"] for t in spec["tools"]] for name, spec in specs.items()}
    assert tools == {
        "SNOWFLAKE_OPS_AGENT": ["execute_query", "optimize_performance", "manage_schemas"],
        "SEMANTIC_MEMORY_AGENT": ["store_memory", "recall_memory", "search_context"],
        "BUSINESS_INTELLIGENCE_AGENT": ["analyze_metrics", "generate_insights", "forecast_trends"],
    }
    bi = specs["BUSINESS_INTELLIGENCE_AGENT"]["tool_resources"]["analyze_metrics"]
    assert bi == {
        "semantic_view": "SOPHIA_AI_DEV.BUSINESS_ENRICHED.BUSINESS_METRICS",
        "execution_environment": {"type": "warehouse", "warehouse": "API_WH_DEV"},
    }
    for spec in specs.values():
        assert set(spec["tool_resources"]) == {t["tool_spec"]["name"] for t in spec["tools"]}


def test_catalog_version_and_digest() -> None:
    catalog = load_agent_catalog({"SOPHIA_SEARCH"}, WAREHOUSES)
    assert catalog.version >= 1
    assert len(catalog.digest) == 12
    sources = {a.name: a.model_source for a in catalog.agents}
    assert sources == {
        "snowflake_ops_agent": "mapped from mistral-large",
        "semantic_memory_agent": "mapped from mistral-7b",
        "business_intelligence_agent": "declared",
    }


# --- bad input ----------------------------------------------------------------------------------


def _catalog() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(AGENTS_FILE.read_text()))


def _agent(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in doc["agents"] if a["name"] == name)


def _load_error(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> str:
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(AgentCatalogError) as raised:
        load_agent_catalog({"SOPHIA_SEARCH"}, WAREHOUSES, path=path, **kwargs)
    message = str(raised.value)
    assert message.startswith(str(path)), "the message names the file"
    return message


def test_unknown_tool_type(tmp_path: Path) -> None:
    doc = _catalog()
    _agent(doc, "snowflake_ops_agent")["tools"][1]["type"] = "shell"
    message = _load_error(tmp_path, doc)
    assert (
        "agent 'snowflake_ops_agent': tools[1].type = 'shell': must be 'cortex_search', 'cortex_analyst_text_to_sql' or 'generic'"
        in message
    )


def test_tool_referencing_an_undeclared_search_service(tmp_path: Path) -> None:
    doc = _catalog()
    _agent(doc, "semantic_memory_agent")["tools"][2]["search_service"] = "pinecone_index"
    message = _load_error(tmp_path, doc)
    assert (
        "agent 'semantic_memory_agent': tools[2] (search_context).search_service = 'pinecone_index': no such search service in this stack; declared: sophia_search"
        in message
    )


@pytest.mark.parametrize("temperature", [0.2, 1.5])
def test_temperature_is_refused_because_no_agent_api_takes_it(
    tmp_path: Path, temperature: float
) -> None:
    # Row 35: agent:run with an agent object cannot set models/orchestration; the spec has no
    # temperature. The old catalog accepted 0..1 and promised the API would send it.
    doc = _catalog()
    _agent(doc, "business_intelligence_agent")["temperature"] = temperature
    message = _load_error(tmp_path, doc)
    assert "agent 'business_intelligence_agent'" in message
    assert "temperature: Cortex Agents take none" in message


def test_generic_tool_needs_its_procedure_signature(tmp_path: Path) -> None:
    doc = _catalog()
    del _agent(doc, "snowflake_ops_agent")["tools"][0]["arguments"]
    message = _load_error(tmp_path, doc)
    assert "a generic tool needs arguments" in message


def test_runtime_config_names_agents_without_temperature(synthesized: Synth) -> None:
    import json

    api_config = [
        r
        for r in synthesized("prod").resources
        if r.type == "kubernetes:core/v1:ConfigMap" and "CORTEX_AGENT" in r.inputs.get("data", {})
    ]
    (config,) = api_config
    agents = json.loads(config.inputs["data"]["CORTEX_AGENT"])
    assert agents["semantic_memory_agent"] == {"name": "SEMANTIC_MEMORY_AGENT"}
    assert all("temperature" not in entry for entry in agents.values())


def test_unmanaged_objects_are_declared_with_the_grants_the_api_needs(synthesized: Synth) -> None:
    # Row 33: the procedures and the semantic view are not created here; the stack says so.
    objects = {o["name"]: o for o in synthesized("prod").outputs["snowflake"]["unmanagedObjects"]}
    assert objects["SOPHIA_AI.CORTEX_VECTORS.SP_STORE_MEMORY(VARCHAR, VARCHAR)"] == {
        "kind": "PROCEDURE",
        "name": "SOPHIA_AI.CORTEX_VECTORS.SP_STORE_MEMORY(VARCHAR, VARCHAR)",
        "agents": ["semantic_memory_agent"],
        "grant": "GRANT USAGE ON PROCEDURE SOPHIA_AI.CORTEX_VECTORS.SP_STORE_MEMORY(VARCHAR, "
        "VARCHAR) TO ROLE SOPHIA_API",
    }
    view = objects["SOPHIA_AI.BUSINESS_ENRICHED.BUSINESS_METRICS"]
    assert view["grant"] == (
        "GRANT SELECT ON SEMANTIC VIEW SOPHIA_AI.BUSINESS_ENRICHED.BUSINESS_METRICS TO ROLE "
        "SOPHIA_API"
    )
    assert len(objects) == 7  # six procedures and one semantic view


def test_duplicate_agent_name(tmp_path: Path) -> None:
    doc = _catalog()
    doc["agents"].append(copy.deepcopy(_agent(doc, "semantic_memory_agent")))
    message = _load_error(tmp_path, doc)
    assert "agent 'semantic_memory_agent': name: declared 2 times; names must be unique" in message


def test_missing_model(tmp_path: Path) -> None:
    doc = _catalog()
    del _agent(doc, "snowflake_ops_agent")["model"]
    message = _load_error(tmp_path, doc)
    assert "agent 'snowflake_ops_agent': model: missing (required)" in message


def test_model_that_is_neither_allowed_nor_mapped(tmp_path: Path) -> None:
    doc = _catalog()
    _agent(doc, "snowflake_ops_agent")["model"] = "llama3-70b"
    message = _load_error(tmp_path, doc)
    assert (
        "agent 'snowflake_ops_agent': model = 'llama3-70b': not a Cortex orchestration model and not in plan_model_mapping"
        in message
    )


def test_stack_override_for_unknown_agent(tmp_path: Path) -> None:
    message = _load_error(tmp_path, _catalog(), model_overrides={"ops": "auto"})
    assert "cortex.agentModels names unknown agent 'ops'" in message


def test_generic_tool_needs_procedure_and_warehouse(tmp_path: Path) -> None:
    doc = _catalog()
    del _agent(doc, "snowflake_ops_agent")["tools"][0]["procedure"]
    message = _load_error(tmp_path, doc)
    assert "agent 'snowflake_ops_agent': tools[0] = " in message
    assert "a generic tool needs procedure" in message


def test_bad_catalog_stops_the_program_before_any_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _catalog()
    _agent(doc, "semantic_memory_agent")["budget"]["seconds"] = 3000
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setattr(agents_module, "AGENTS_FILE", path)
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(
        SettingsError, match=r"agent 'semantic_memory_agent': budget\.seconds = 3000"
    ):
        synthesize("dev", monitor=monitor)
    assert monitor.declared == []

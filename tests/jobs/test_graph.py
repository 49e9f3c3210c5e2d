"""The stack graph: boxes and links read from the synth document, not from names in the code."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable

import pytest

from jobs import graph
from jobs.harness import REPO_ROOT, Synthesis
from jobs.synth_document import to_json


def picture(synthesis: Synthesis) -> graph.Graph:
    return graph.build_graph(to_json(synthesis))


def edges_by(g: graph.Graph, source: str) -> dict[str, str]:
    return {e.target: e.label for e in g.edges if e.source == source}


def test_prod_links_name_the_schema_role_warehouse_search_and_gateway(
    synthesized: Callable[[str], Synthesis],
) -> None:
    g = picture(synthesized("prod"))
    labels = {n.id: n.label[0] for n in g.nodes.values()}
    loads = {labels[t]: label for t, label in edges_by(g, "n_estuary_snowflake").items()}
    assert loads == {
        "SOPHIA_AI.ESTUARY_REALTIME": "writes 23 tables",
        "SOPHIA_LOADER": "as role",
        "ESTUARY_LOAD_WH": "loads on",
        "ESTUARY_LOADER_SVC": "as user",
    }
    search = {labels[t]: label for t, label in edges_by(g, "n_cortex_search_sophia_search").items()}
    assert search == {
        "CORTEX_COMPUTE_WH": "refreshes on",
        "CORTEX_VECTORS.EMBEDDINGS": "indexes CONTENT",
    }
    memory = edges_by(g, "n_cortex_agent_semantic_memory_agent")
    assert memory == {
        "n_warehouse_cortex_compute_wh_warehouse": "runs 1 tool on",
        "n_cortex_search_sophia_search": "searches: recall_memory, search_context",
    }
    api = {labels[t]: label for t, label in edges_by(g, "n_sophia_api_rollout").items()}
    assert api["API_WH"] == "SNOWFLAKE_WAREHOUSE"
    assert api["SOPHIA_API"] == "SNOWFLAKE_ROLE"
    assert api["SOPHIA_SEARCH"] == "CORTEX_SEARCH_SERVICE"
    # Prod binds the routing config to the app's API key instead of sending its slug: the binding
    # links to the config; the workload's key is a secret, so no link can say which key it holds.
    assert "sophia-prod-routing" not in api
    binding = edges_by(g, "n_llm_api_key_binding")
    assert binding == {"n_llm_config": "binds the key to"}
    assert g.nodes["n_llm_api_key_binding"].label == (
        "Portkey API-key binding",
        "key 00000000..., overrides off",
    )
    collections = sum(int(e.label.split()[0]) for e in g.edges if e.target == "n_estuary_snowflake")
    assert collections == 23  # every binding the materialization reads comes from one capture


def test_dev_sends_the_config_slug_so_its_api_links_to_the_config(
    synthesized: Callable[[str], Synthesis],
) -> None:
    g = graph.build_graph(to_json(synthesized("dev")))
    assert edges_by(g, "n_sophia_api_deployment")["n_llm_config"] == "uses Portkey config"
    assert "n_llm_api_key_binding" not in g.nodes


def test_links_follow_the_document_not_names_in_the_code(
    synthesized: Callable[[str], Synthesis],
) -> None:
    doc = copy.deepcopy(to_json(synthesized("prod")))
    by_name = {r["name"]: r for r in doc["resources"]}
    # The search service refreshes on another warehouse; an agent's tools move there too.
    by_name["cortex-search-sophia-search"]["inputs"]["warehouse"] = "ESTUARY_LOAD_WH"
    agent = by_name["cortex-agent-snowflake-ops-agent"]["inputs"]
    agent["specification"] = agent["specification"].replace(
        "warehouse: API_WH", "warehouse: ESTUARY_LOAD_WH"
    )
    # A capture whose collections the materialization does not read has no link to it.
    for binding in by_name["estuary-github"]["inputs"]["bindings"]:
        binding["target"] = "elsewhere/" + binding["target"]
    g = graph.build_graph(doc)
    assert (
        edges_by(g, "n_cortex_search_sophia_search")["n_warehouse_estuary_load_wh_warehouse"]
        == "refreshes on"
    )
    assert edges_by(g, "n_cortex_agent_snowflake_ops_agent") == {
        "n_warehouse_estuary_load_wh_warehouse": "runs 3 tools on"
    }
    assert edges_by(g, "n_estuary_github") == {}


def test_two_boxes_with_one_id_fail_clearly(synthesized: Callable[[str], Synthesis]) -> None:
    doc = copy.deepcopy(to_json(synthesized("dev")))
    (agent,) = [r for r in doc["resources"] if r["name"] == "cortex-agent-snowflake-ops-agent"]
    agent["name"] = "cortex-search-sophia-search"  # the search service's logical name
    with pytest.raises(ValueError) as error:
        graph.build_graph(doc)
    assert str(error.value) == (
        "stack dev: snowflake:index/cortexAgent:CortexAgent cortex-search-sophia-search and snowflake:index/cortexSearchService:CortexSearchService cortex-search-sophia-search would both be box n_cortex_search_sophia_search; give one of them another logical name"
    )


def test_the_graph_modules_do_not_import_the_synth_cli() -> None:
    """One-way arrows: jobs.synth imports the graph for --graph, never the other way round."""
    for name in ("graph.py", "graph_mermaid.py"):
        imported = set()
        for node in ast.walk(ast.parse((REPO_ROOT / "jobs" / name).read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        synth = ("jobs.synth", "jobs.synth_tree", "jobs.synth_diff")  # the CLI and its views
        assert not {m for m in imported if m in synth or m.startswith(synth)}, name

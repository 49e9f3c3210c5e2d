"""The stack picture: Mermaid that mermaid itself renders, links read from the synth document, and
diff marks that are exactly what `jobs.synth --diff` reports."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from jobs import graph, synth
from jobs.harness import REPO_ROOT, Synthesis, synthesize
from jobs.synth_document import to_json
from tests.conftest import STACKS, stack_config

RENDERER = REPO_ROOT / "tests" / "jobs" / "render_mermaid.mjs"
MERMAID = REPO_ROOT / "node_modules" / "mermaid" / "package.json"
JSDOM = REPO_ROOT / "node_modules" / "jsdom" / "package.json"
BOX = re.compile(r'^\s+(\w+)[\[(]+"(?:([+~-]) )?')
DIFF_LINE = re.compile(r"^([+~-]) (\S+ \S+)$")


def _renderer_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (MERMAID.exists() and JSDOM.exists()):
        return "mermaid/jsdom are not in node_modules (run `make node`)"
    return None


def render(text: str) -> dict[str, Any]:
    """Render with the mermaid npm package (tests/jobs/render_mermaid.mjs); fail on its error."""
    missing = _renderer_missing()
    if missing:
        pytest.skip(f"mermaid renderer absent: {missing}")
    result = subprocess.run(
        ["node", str(RENDERER)],
        input=text,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def picture(synthesis: Synthesis) -> graph.Graph:
    return graph.build_graph(to_json(synthesis))


def box_marks(text: str) -> dict[str, str | None]:
    """Box id -> the mark its label starts with, from Mermaid text."""
    found = {}
    for line in text.splitlines():
        match = BOX.match(line)
        if match and not line.strip().startswith("subgraph"):
            found[match.group(1)] = match.group(2)
    return found


def diff_marks(text: str) -> dict[str, str]:
    """`--diff` output: resource identity -> + / - / ~."""
    found = {}
    for line in text.splitlines():
        match = DIFF_LINE.match(line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def identity(resource: tuple[str, str]) -> str:
    type_, name = resource
    return f"{synth._short_type(type_)} {name}"


def edges_by(g: graph.Graph, source: str) -> dict[str, str]:
    return {e.target: e.label for e in g.edges if e.source == source}


# --- rendering ----------------------------------------------------------------------------------


@pytest.mark.needs_node
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_with_mermaid_and_draws_every_box_and_link(
    stack: str, synthesized: Callable[[str], Synthesis]
) -> None:
    g = picture(synthesized(stack))
    text = graph.render_graph(g)
    rendered = render(text)
    assert rendered["diagramType"] == "flowchart-v2"
    assert (rendered["nodes"], rendered["edges"]) == (len(g.nodes), len(g.edges))
    assert text.startswith(f"flowchart LR\n  %% stack {stack}: ")


@pytest.mark.needs_node
def test_a_stack_diff_renders_and_a_broken_diagram_fails(
    synthesized: Callable[[str], Synthesis],
) -> None:
    base, head = synthesized("staging"), synthesized("prod")
    text = graph.render_graph_diff(picture(base), picture(head), synth.graph_marks(base, head))
    rendered = render(text)
    assert rendered["nodes"] == len(box_marks(text))
    # The renderer is not a rubber stamp: a dangling arrow and a link style past the last link fail.
    with pytest.raises(AssertionError, match="Parse error"):
        render(text + "\n  n_llm_config -->\n")
    with pytest.raises(AssertionError, match="mermaid: "):
        render(text + "\n  linkStyle 999 stroke:#000\n")


@pytest.mark.needs_node
def test_labels_with_quotes_and_brackets_are_escaped(
    synthesized: Callable[[str], Synthesis],
) -> None:
    doc = to_json(synthesized("dev"))
    doc = copy.deepcopy(doc)
    (warehouse,) = [
        r
        for r in doc["resources"]
        if r["type"] == graph.WAREHOUSE and r["inputs"]["name"].startswith("API_WH")
    ]
    warehouse["inputs"]["name"] = 'API "WH" <b>|x|</b>'
    text = graph.render_graph(graph.build_graph(doc))
    assert "API #quot;WH#quot; #lt;b#gt;|x|#lt;/b#gt;" in text
    render(text)


def test_synth_cli_prints_the_graph_and_its_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "dev", "--graph", "--diff", "staging"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n  %% diff staging -> dev: boxes ")
    assert "  classDef changed " in out


# --- links come from the document ---------------------------------------------------------------


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
    assert api["sophia-prod-routing"] == "uses Portkey config"
    collections = sum(int(e.label.split()[0]) for e in g.edges if e.target == "n_estuary_snowflake")
    assert collections == 23  # every binding the materialization reads comes from one capture


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


# --- diff marks are --diff's --------------------------------------------------------------------


def _assert_marks_match(base: Synthesis, head: Synthesis) -> str:
    text = graph.render_graph_diff(picture(base), picture(head), synth.graph_marks(base, head))
    reported = diff_marks(synth.render_diff(base, head))
    boxes = box_marks(text)
    nodes = {**picture(base).nodes, **picture(head).nodes}
    for node_id, mark in boxes.items():
        node = nodes[node_id]
        if node.resource is not None:
            assert mark == reported.get(identity(node.resource)), (node_id, mark)
    # A link is marked only when a resource it was read from, or one of its ends, is in --diff.
    diff = graph.diff_graph(picture(base), picture(head), synth.graph_marks(base, head))
    for edge, mark in diff.edges:
        if mark:
            ends = [nodes[i].resource for i in (edge.source, edge.target)]
            read = [*edge.via, *(r for r in ends if r is not None)]
            assert any(identity(r) in reported for r in read), (edge, mark)
    return text


@pytest.mark.parametrize(("base", "head"), [("staging", "prod"), ("prod", "dev"), ("prod", "prod")])
def test_stack_diff_marks_match_synth_diff(
    base: str, head: str, synthesized: Callable[[str], Synthesis]
) -> None:
    text = _assert_marks_match(synthesized(base), synthesized(head))
    if base == head:
        assert not any(box_marks(text).values()) and "linkStyle" not in text


def test_a_changed_warehouse_and_a_removed_agent_are_marked_as_diff_reports_them(
    synthesized: Callable[[str], Synthesis],
) -> None:
    config = stack_config("prod")
    config["snowflake"]["warehouses"]["API_WH"]["size"] = "LARGE"
    head = synthesize("prod", overrides={"snowflake": config["snowflake"]})
    base = synthesized("prod")
    text = _assert_marks_match(base, head)
    marks = box_marks(text)
    assert marks["n_warehouse_api_wh_warehouse"] == "~"
    assert '"~ API_WH<br/>warehouse LARGE x4"' in text
    assert {m for i, m in marks.items() if i != "n_warehouse_api_wh_warehouse"} <= {None, "~"}

    # The reverse of an added agent: the box and its links drawn dashed from the base.
    fewer = synthesize("prod")
    fewer.resources = [r for r in fewer.resources if r.name != "cortex-agent-snowflake-ops-agent"]
    text = _assert_marks_match(base, fewer)
    assert box_marks(text)["n_cortex_agent_snowflake_ops_agent"] == "-"
    assert '  n_cortex_agent_snowflake_ops_agent -.->|"- runs 3 tools on"|' in text


def test_the_pull_request_comment_shows_the_picture_for_each_stack() -> None:
    workflow = (REPO_ROOT / ".github" / "workflows" / "pr.yml").read_text()
    assert (
        '.venv/bin/python -m jobs.synth --stack "$STACK" --graph > "reports/graph.mmd"' in workflow
    )
    assert "printf '#### Stack picture\\n\\n```mermaid\\n'" in workflow
    assert "stack: [dev, staging, prod]" in workflow

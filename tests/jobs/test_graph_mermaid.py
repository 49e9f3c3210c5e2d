"""The stack picture as Mermaid: mermaid itself renders it, and its diff marks are exactly what
`jobs.synth --diff` reports."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from jobs import graph, graph_mermaid, synth, synth_diff, synth_tree
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
    return f"{synth_tree._short_type(type_)} {name}"


@pytest.mark.needs_node
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_with_mermaid_and_draws_every_box_and_link(
    stack: str, synthesized: Callable[[str], Synthesis]
) -> None:
    g = picture(synthesized(stack))
    text = graph_mermaid.render_graph(g)
    rendered = render(text)
    assert rendered["diagramType"] == "flowchart-v2"
    assert (rendered["nodes"], rendered["edges"]) == (len(g.nodes), len(g.edges))
    assert text.startswith(f"flowchart LR\n  %% stack {stack}: ")


@pytest.mark.needs_node
def test_a_stack_diff_renders_and_a_broken_diagram_fails(
    synthesized: Callable[[str], Synthesis],
) -> None:
    base, head = synthesized("staging"), synthesized("prod")
    text = graph_mermaid.render_graph_diff(
        picture(base), picture(head), synth_diff.graph_marks(base, head)
    )
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
    text = graph_mermaid.render_graph(graph.build_graph(doc))
    assert "API #quot;WH#quot; #lt;b#gt;|x|#lt;/b#gt;" in text
    render(text)


@pytest.mark.parametrize("other", ["--cost", "--check"])
def test_graph_with_another_view_is_refused(other: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        synth.main(["--stack", "dev", "--graph", other])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: --graph prints the picture alone; run --check or --cost in a separate command\n"
    )


def test_synth_cli_prints_the_graph_and_its_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "dev", "--graph", "--diff", "staging"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n  %% diff staging -> dev: boxes ")
    assert "  classDef changed " in out


def _assert_marks_match(base: Synthesis, head: Synthesis) -> str:
    text = graph_mermaid.render_graph_diff(
        picture(base), picture(head), synth_diff.graph_marks(base, head)
    )
    reported = diff_marks(synth_diff.render_diff(base, head))
    boxes = box_marks(text)
    nodes = {**picture(base).nodes, **picture(head).nodes}
    for node_id, mark in boxes.items():
        node = nodes[node_id]
        if node.resource is not None:
            assert mark == reported.get(identity(node.resource)), (node_id, mark)
    # A link is marked only when a resource it was read from, or one of its ends, is in --diff.
    diff = graph_mermaid.diff_graph(
        picture(base), picture(head), synth_diff.graph_marks(base, head)
    )
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
    # stdout only into the diagram: the synth's warnings (stderr) would break it.
    assert (
        '.venv/bin/python -m jobs.synth --stack "$STACK" --graph \\\n'
        '            > "reports/graph.mmd" 2> "reports/graph.err"\n'
    ) in workflow
    assert "printf '#### Stack picture\\n\\n```mermaid\\n'" in workflow
    assert "stack: [dev, staging, prod]" in workflow

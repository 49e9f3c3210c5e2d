// Render a Mermaid diagram (stdin) with the real mermaid package under Node, so a broken diagram
// fails the test that pipes `python -m jobs.synth --graph` into it (tests/jobs/test_graph.py).
//
// mermaid needs a DOM: jsdom provides it. jsdom has no layout engine, so SVG text measurement
// (getBBox, getComputedTextLength) is stubbed with a fixed width per character: the geometry of
// the SVG is meaningless, but parsing, the diagram database and SVG generation are mermaid's own.
// Prints {"diagramType", "nodes", "edges", "svgBytes"} as JSON; exits 1 with mermaid's message.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const text = readFileSync(0, "utf8");
const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const box = (el) => ({ x: 0, y: 0, width: 8 * (el.textContent || "").length + 1, height: 16 });
dom.window.SVGElement.prototype.getBBox = function getBBox() {
  return box(this);
};
dom.window.SVGElement.prototype.getComputedTextLength = function getComputedTextLength() {
  return 8 * (this.textContent || "").length;
};

const { default: mermaid } = await import("mermaid");
// securityLevel strict (mermaid's default): labels are sanitized, click handlers are refused.
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
try {
  // suppressErrors false: a syntax error throws instead of rendering mermaid's error picture.
  const parsed = await mermaid.parse(text, { suppressErrors: false });
  const { svg } = await mermaid.render("graph", text);
  const doc = new dom.window.DOMParser().parseFromString(svg, "text/html");
  const nodes = doc.querySelectorAll("g.node").length;
  const edges = doc.querySelectorAll("path.flowchart-link").length;
  if (process.env.DUMP_SVG) console.error(svg);
  console.log(JSON.stringify({ diagramType: parsed.diagramType, nodes, edges, svgBytes: svg.length }));
} catch (error) {
  console.error(`mermaid: ${error.message || error}`);
  process.exit(1);
}

"""A stack as a graph: its services as boxes and the links between them (docs/graph.md).

Everything is read from the synth document (`jobs.synth --json`): which resources become boxes
is the list of types in KINDS, and every link comes from what a resource declares (its bindings,
its inputs, an embedded specification or config, its `dependencies`), never from a name written
here; docs/graph.md lists the source of each kind of link. jobs/graph_mermaid.py draws the graph
and marks what a base stack adds, removes or changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from jobs.cost.gateway import config_leaves

CAPTURE = "pulumi-python:dynamic/estuary:Capture"
MATERIALIZATION = "pulumi-python:dynamic/estuary:Materialization"
SCHEMA = "snowflake:index/schema:Schema"
TABLE = "snowflake:index/table:Table"
WAREHOUSE = "snowflake:index/warehouse:Warehouse"
ROLE = "snowflake:index/accountRole:AccountRole"
SERVICE_USER = "snowflake:index/serviceUser:ServiceUser"
SEARCH = "snowflake:index/cortexSearchService:CortexSearchService"
AGENT = "snowflake:index/cortexAgent:CortexAgent"
GATEWAY_CONFIG = "pulumi-python:dynamic/portkey:GatewayConfig"
USAGE_LIMITS = "pulumi-python:dynamic/portkey:UsageLimitsPolicy"
KEY_BINDING = "pulumi-python:dynamic/portkey:ApiKeyConfigBinding"
WORKLOADS = ("kubernetes:argoproj.io/v1alpha1:Rollout", "kubernetes:apps/v1:Deployment")
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

# Resource types drawn as boxes, and what each box says it is. Boxes of the OPTIONAL types are
# drawn only when a link reaches them (a role nothing uses in a link would be noise).
KINDS = {
    CAPTURE: "capture",
    MATERIALIZATION: "materialization",
    SCHEMA: "schema",
    TABLE: "table",
    WAREHOUSE: "warehouse",
    ROLE: "role",
    SERVICE_USER: "service user",
    SEARCH: "Cortex Search",
    AGENT: "Cortex Agent",
    GATEWAY_CONFIG: "Portkey config",
    USAGE_LIMITS: "Portkey usage limit",
    KEY_BINDING: "Portkey API-key binding",
    **{workload: "API " + workload.rsplit(":", 1)[1] for workload in WORKLOADS},
}
OPTIONAL = {SCHEMA, TABLE, ROLE, SERVICE_USER}
# Subgraph titles by the `sophia:<module>:` of a box's top-level component.
AREAS = {
    "estuary": "Estuary Flow",
    "snowflake": "Snowflake",
    "portkey": "Portkey",
    "k8s": "Kubernetes",
    "providers": "LLM providers",
}


@dataclass(frozen=True)
class Node:
    id: str
    area: str
    label: tuple[str, ...]
    resource: tuple[str, str] | None
    """(type, logical name) of the resource drawn; None for an LLM provider (not a resource)."""
    optional: bool = False


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    via: tuple[tuple[str, str], ...] = ()
    """(type, logical name) of the resources whose inputs this link was read from."""
    route: str = ""
    """Tells apart several links between the same two boxes (a gateway's routes)."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across two stacks; a link whose label differs is the same link, changed."""
        return self.source, self.target, self.route


@dataclass
class Graph:
    stack: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


# --- reading the document -----------------------------------------------------------------------


def node_id(resource: Mapping[str, Any]) -> str:
    """A Mermaid-safe id from the logical name: the same box in every stack."""
    return "n_" + re.sub(r"[^A-Za-z0-9]", "_", str(resource["name"]))


def _name(resource: Mapping[str, Any]) -> str:
    return str((resource.get("inputs") or {}).get("name") or resource["name"])


def _embedded(value: Any) -> dict[str, Any]:
    """An input that is a YAML or JSON document in a string (agent spec, gateway config)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return {}
    try:
        parsed = yaml.safe_load(value)  # YAML is a superset of JSON
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _area(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    """The module of the top-level `sophia:` component the resource sits in."""
    area = ""
    current: Mapping[str, Any] | None = resource
    while current is not None:
        package, _, rest = str(current["type"]).partition(":")
        if package == "sophia":
            area = rest.split(":", 1)[0]
        current = by_urn.get(str(current.get("parent") or ""))
    return area or str(resource["type"]).split(":", 1)[0]


def _label(resource: Mapping[str, Any]) -> tuple[str, ...]:
    type_, inputs = resource["type"], resource.get("inputs") or {}
    kind = KINDS[type_]
    if type_ in (CAPTURE, MATERIALIZATION):
        # sophia/prod/github/source-github: the source (or destination) is the segment before
        # the last; the connector image says how it is read.
        source = str(inputs.get("catalogName") or resource["name"]).rstrip("/").split("/")
        image = str(inputs.get("connectorImage") or "?").rsplit("/", 1)[-1]
        first = source[-2] if len(source) > 1 else source[-1]
        return first, f"{kind} {image}:{inputs.get('connectorTag') or '?'}"
    if type_ == SCHEMA:
        return f"{inputs.get('database')}.{inputs.get('name')}", kind
    if type_ == TABLE:
        return f"{inputs.get('schema')}.{inputs.get('name')}", kind
    if type_ == WAREHOUSE:
        clusters = inputs.get("maxClusterCount") or 1
        return _name(resource), f"{kind} {inputs.get('warehouseSize')} x{clusters}"
    if type_ == SEARCH:
        return _name(resource), f"{kind}, lag {inputs.get('targetLag')}"
    if type_ == USAGE_LIMITS:
        limit = inputs.get("credit_limit")
        unit = "$" if (inputs.get("type") or "cost") == "cost" else ""
        reset = inputs.get("periodic_reset") or "total"
        return _name(resource), f"{kind} {unit}{limit} {reset}"
    if type_ == KEY_BINDING:
        key = str(inputs.get("api_key_id") or "?")
        overrides = "overrides on" if inputs.get("allow_config_override") else "overrides off"
        return kind, f"key {key[:8]}..., {overrides}"
    if type_ in WORKLOADS:
        metadata = inputs.get("metadata") or {}
        name = str(metadata.get("name") or resource["name"])
        return name, f"{kind} in {metadata.get('namespace')}"
    return _name(resource), kind


def _walk(
    start: Mapping[str, Any],
    by_urn: Mapping[str, Mapping[str, Any]],
    drawn: set[str],
) -> Iterable[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """Drawn resources `start` depends on, through undrawn ones, with the undrawn path."""
    seen: set[str] = set()
    stack: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = [(start, [])]
    while stack:
        current, path = stack.pop()
        for urn in current.get("dependencies") or []:
            if urn in seen or urn not in by_urn:
                continue
            seen.add(urn)
            dependency = by_urn[urn]
            if urn in drawn:
                yield dependency, path
            else:
                stack.append((dependency, [*path, dependency]))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _ref(resource: Mapping[str, Any]) -> tuple[str, str]:
    return str(resource["type"]), str(resource["name"])


def build_graph(document: Mapping[str, Any]) -> Graph:
    resources = list(document.get("resources") or [])
    by_urn = {str(r["urn"]): r for r in resources}
    drawn = {str(r["urn"]) for r in resources if r["type"] in KINDS}
    graph = Graph(stack=str(document.get("stack") or "?"))
    for resource in sorted((by_urn[u] for u in drawn), key=lambda r: (r["type"], r["name"])):
        taken = graph.nodes.get(node_id(resource))
        if taken is not None:
            raise ValueError(
                f"stack {graph.stack}: {' '.join(taken.resource or ())} and {resource['type']} "
                f"{resource['name']} would both be box {node_id(resource)}; give one of them "
                "another logical name"
            )
        graph.nodes[node_id(resource)] = Node(
            id=node_id(resource),
            area=_area(resource, by_urn),
            label=_label(resource),
            resource=_ref(resource),
            optional=resource["type"] in OPTIONAL,
        )
    of_type = {t: [by_urn[u] for u in sorted(drawn) if by_urn[u]["type"] == t] for t in KINDS}
    by_name = {(r["type"], _name(r)): r for r in (by_urn[u] for u in drawn)}
    edges: list[Edge] = []
    edges += _estuary_edges(of_type, by_urn, drawn)
    edges += _search_edges(of_type, by_urn, drawn, by_name)
    edges += _agent_edges(of_type, by_name)
    edges += _api_edges(of_type, by_urn, drawn)
    gateway_edges, providers = _gateway_edges(of_type, by_urn, drawn)
    edges += gateway_edges
    graph.nodes.update(providers)
    linked = {e.source for e in edges} | {e.target for e in edges}
    graph.nodes = {i: n for i, n in graph.nodes.items() if not n.optional or i in linked}
    graph.edges = sorted(set(edges), key=lambda e: (e.source, e.target, e.label))
    return graph


def _estuary_edges(
    of_type: Mapping[str, list[Mapping[str, Any]]],
    by_urn: Mapping[str, Mapping[str, Any]],
    drawn: set[str],
) -> list[Edge]:
    edges = []
    for materialization in of_type[MATERIALIZATION]:
        inputs = materialization.get("inputs") or {}
        bindings = [b for b in inputs.get("bindings") or [] if isinstance(b, dict)]
        reads = {b.get("source") for b in bindings}
        for capture in of_type[CAPTURE]:
            writes = {
                b.get("target")
                for b in (capture.get("inputs") or {}).get("bindings") or []
                if isinstance(b, dict)
            }
            shared = len(writes & reads)
            if shared:
                edges.append(
                    Edge(
                        node_id(capture),
                        node_id(materialization),
                        _plural(shared, "collection"),
                        (_ref(capture), _ref(materialization)),
                    )
                )
        labels = {
            SCHEMA: f"writes {len(bindings)} tables",
            WAREHOUSE: "loads on",
            ROLE: "as role",
            SERVICE_USER: "as user",
        }
        for dependency, _ in _walk(materialization, by_urn, drawn):
            if dependency["type"] in labels:
                edges.append(
                    Edge(
                        node_id(materialization),
                        node_id(dependency),
                        labels[dependency["type"]],
                        (_ref(materialization),),
                    )
                )
    return edges


def _search_edges(
    of_type: Mapping[str, list[Mapping[str, Any]]],
    by_urn: Mapping[str, Mapping[str, Any]],
    drawn: set[str],
    by_name: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[Edge]:
    edges = []
    for search in of_type[SEARCH]:
        inputs = search.get("inputs") or {}
        warehouse = by_name.get((WAREHOUSE, str(inputs.get("warehouse"))))
        if warehouse is not None:
            edges.append(Edge(node_id(search), node_id(warehouse), "refreshes on", (_ref(search),)))
        for dependency, _ in _walk(search, by_urn, drawn):
            if dependency["type"] == TABLE:
                label = f"indexes {inputs.get('on')}" if inputs.get("on") else "indexes"
                edges.append(Edge(node_id(search), node_id(dependency), label, (_ref(search),)))
    return edges


def _agent_edges(
    of_type: Mapping[str, list[Mapping[str, Any]]],
    by_name: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[Edge]:
    searches = {}
    for search in of_type[SEARCH]:
        inputs = search.get("inputs") or {}
        searches[f"{inputs.get('database')}.{inputs.get('schema')}.{_name(search)}"] = search
    edges = []
    for agent in of_type[AGENT]:
        spec = _embedded((agent.get("inputs") or {}).get("specification"))
        tools: dict[str, list[str]] = {}
        searched: dict[str, list[str]] = {}
        for tool, resource in sorted((spec.get("tool_resources") or {}).items()):
            if not isinstance(resource, dict):
                continue
            warehouse = (resource.get("execution_environment") or {}).get("warehouse")
            if warehouse:
                tools.setdefault(str(warehouse), []).append(tool)
            if resource.get("search_service"):
                searched.setdefault(str(resource["search_service"]), []).append(tool)
        for warehouse_name, names in tools.items():
            warehouse = by_name.get((WAREHOUSE, warehouse_name))
            if warehouse is not None:
                edges.append(
                    Edge(
                        node_id(agent),
                        node_id(warehouse),
                        f"runs {_plural(len(names), 'tool')} on",
                        (_ref(agent),),
                    )
                )
        for service, names in searched.items():
            search = searches.get(service)
            if search is not None:
                label = f"searches: {', '.join(names)}"
                edges.append(Edge(node_id(agent), node_id(search), label, (_ref(agent),)))
    return edges


def _config_keys(path: list[Mapping[str, Any]], name: str) -> list[str]:
    """The ConfigMap keys along `path` whose value names `name`."""
    keys = []
    for resource in path:
        if resource["type"] != CONFIG_MAP:
            continue
        for key, value in sorted(((resource.get("inputs") or {}).get("data") or {}).items()):
            if value == name or (isinstance(value, str) and f'"{name}"' in value):
                keys.append(str(key))
    return keys


def _api_edges(
    of_type: Mapping[str, list[Mapping[str, Any]]],
    by_urn: Mapping[str, Mapping[str, Any]],
    drawn: set[str],
) -> list[Edge]:
    edges = []
    for workload in (w for t in WORKLOADS for w in of_type[t]):
        for dependency, path in _walk(workload, by_urn, drawn):
            if dependency["type"] in WORKLOADS:
                continue
            keys = _config_keys(path, _name(dependency))
            label = ", ".join(keys) if keys else f"uses {KINDS[dependency['type']]}"
            via = (_ref(workload), *(_ref(r) for r in path))
            edges.append(Edge(node_id(workload), node_id(dependency), label, via))
    return edges


def _gateway_edges(
    of_type: Mapping[str, list[Mapping[str, Any]]],
    by_urn: Mapping[str, Mapping[str, Any]],
    drawn: set[str],
) -> tuple[list[Edge], dict[str, Node]]:
    edges, providers = [], {}
    for config in of_type[GATEWAY_CONFIG]:
        document = _embedded((config.get("inputs") or {}).get("config"))
        # Route names as the cost view prints them ("premium #1 (primary)").
        for route, leaf in config_leaves(document, ""):
            provider = str(leaf.get("provider") or "?")
            model = str((leaf.get("override_params") or {}).get("model") or "?")
            provider_id = "p_" + re.sub(r"[^A-Za-z0-9]", "_", provider)
            providers[provider_id] = Node(provider_id, "providers", (provider,), None)
            route = route or "single"
            edges.append(
                Edge(node_id(config), provider_id, f"{route}: {model}", (_ref(config),), route)
            )
        for limit in of_type[USAGE_LIMITS]:
            if limit.get("parent") and limit.get("parent") == config.get("parent"):
                edges.append(Edge(node_id(limit), node_id(config), "caps", (_ref(limit),)))
    # A binding's config_id comes from the config it binds (its dependencies).
    for binding in of_type[KEY_BINDING]:
        for dependency, _ in _walk(binding, by_urn, drawn):
            if dependency["type"] == GATEWAY_CONFIG:
                edges.append(
                    Edge(
                        node_id(binding), node_id(dependency), "binds the key to", (_ref(binding),)
                    )
                )
    return edges, providers

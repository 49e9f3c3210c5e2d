"""The Cortex Agent catalog (`agents.yaml`): validation, model resolution, and specifications.

Pure code, no resources: `components.settings.load()` validates the catalog at program start (so
a bad file stops the program before anything is registered), and the Cortex component turns each
agent into the specification Snowflake accepts with `agent_specification`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from components.settings.agent_models import load_agent_models
from components.yaml_files import YamlFileError, load_yaml_text

# The catalog is versioned beside the Snowflake component that declares the agents.
AGENTS_FILE = Path(__file__).resolve().parents[1] / "snowflake" / "agents.yaml"
MAX_SPECIFICATION_BYTES = 100_000  # Snowflake's limit for FROM SPECIFICATION
_NAME = r"^[a-z][a-z0-9_]*$"
# SCHEMA.OBJECT relative to the stack's database; upper-case so no quoting is needed.
_RELATIVE_OBJECT = r"^[A-Z_][A-Z0-9_$]*\.[A-Z_][A-Z0-9_$]*$"
_ARGUMENT_TYPE = r"^[A-Z][A-Z0-9_]*(\([0-9, ]+\))?$"


class AgentCatalogError(ValueError):
    """The agent file is invalid; the message names the file, the agent and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Budget(_Strict):
    seconds: int = Field(gt=0, le=900)
    tokens: int = Field(gt=0, le=400_000)


class Instructions(_Strict):
    system: str | None = None
    response: str | None = None
    orchestration: str | None = None
    sample_questions: tuple[str, ...] = ()


class Tool(_Strict):
    name: str = Field(pattern=_NAME)
    type: Literal["cortex_search", "cortex_analyst_text_to_sql", "generic"]
    description: str = Field(min_length=1)
    input_schema: dict[str, Any] | None = None
    search_service: str | None = None
    max_results: int | None = Field(None, ge=1, le=100)
    semantic_view: str | None = Field(None, pattern=_RELATIVE_OBJECT)
    procedure: str | None = Field(None, pattern=_RELATIVE_OBJECT)
    arguments: tuple[str, ...] | None = Field(
        None,
        description="The procedure's argument types in order (VARCHAR, NUMBER, ...): its "
        "signature, which GRANT USAGE ON PROCEDURE names.",
    )
    warehouse: str | None = None

    @field_validator("arguments")
    @classmethod
    def _argument_types(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for argument in value or ():
            if not re.match(_ARGUMENT_TYPE, argument):
                raise ValueError(f"argument type {argument!r} must be a Snowflake type: VARCHAR")
        return value

    @model_validator(mode="after")
    def _fields_for_type(self) -> Tool:
        needs = {
            "cortex_search": ("search_service",),
            "cortex_analyst_text_to_sql": ("semantic_view", "warehouse"),
            "generic": ("procedure", "arguments", "warehouse", "input_schema"),
        }[self.type]
        missing = [f for f in needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} tool needs {', '.join(missing)}")
        return self


class Agent(_Strict):
    name: str = Field(pattern=_NAME)
    replaces: str | None = None
    display_name: str
    model: str = Field(min_length=1)
    budget: Budget
    instructions: Instructions
    tools: tuple[Tool, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _no_temperature(cls, data: Any) -> Any:
        if isinstance(data, dict) and "temperature" in data:
            raise ValueError(
                "temperature: Cortex Agents take none: the specification has no such field and "
                "agent:run with an agent object cannot set models, instructions or orchestration "
                "(Snowflake docs, Cortex Agents Run API); remove it"
            )
        return data

    @field_validator("tools")
    @classmethod
    def _unique_tools(cls, tools: tuple[Tool, ...]) -> tuple[Tool, ...]:
        names = [t.name for t in tools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tool names must be unique within an agent: {duplicates}")
        return tools


class Catalog(_Strict):
    version: int = Field(ge=1)
    orchestration_models: tuple[str, ...] = Field(min_length=1)
    plan_model_mapping: dict[str, str] = {}
    agents: tuple[Agent, ...]


@dataclass(frozen=True)
class ResolvedAgent:
    """An agent with its orchestration model decided for this stack."""

    definition: Agent
    model: str
    model_source: str
    """How the model was chosen: 'declared', 'mapped from <plan model>', or 'stack override'."""

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def identifier(self) -> str:
        return self.definition.name.upper()


@dataclass(frozen=True)
class AgentCatalog:
    version: int
    digest: str
    """sha256 of the file: changes whenever anything in it changes."""
    agents: tuple[ResolvedAgent, ...]


def load_agent_catalog(
    search_services: set[str],
    warehouses: set[str],
    model_overrides: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> AgentCatalog:
    """Validate the file against what this stack declares; raise one error listing every problem.

    `search_services` and `warehouses` are the (case-insensitive) names the stack declares, so a
    tool cannot reference something that will not exist in the same environment.
    """
    path = path or AGENTS_FILE
    label = _label(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = load_yaml_text(text, label)  # duplicate keys refused (components/yaml_files.py)
    except (OSError, UnicodeDecodeError, YamlFileError) as error:
        raise AgentCatalogError(f"{label}: cannot be read as YAML: {error}") from error
    try:
        catalog = Catalog.model_validate(raw)
    except ValidationError as error:
        raise AgentCatalogError(_describe(label, raw, error)) from None

    problems: list[str] = []
    known_services = {s.lower() for s in search_services}
    known_warehouses = {w.upper() for w in warehouses}
    names = [a.name for a in catalog.agents]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(
            f"agent {name!r}: name: declared {names.count(name)} times; names must be unique"
        )
    for target in catalog.plan_model_mapping.values():
        if target not in catalog.orchestration_models:
            problems.append(
                f"plan_model_mapping: {target!r} is not an orchestration model; allowed: "
                + ", ".join(catalog.orchestration_models)
            )

    lifecycle = load_agent_models()
    for model in catalog.orchestration_models:
        if model not in lifecycle.models:
            problems.append(
                f"orchestration_models: {model!r} has no row in agent_models.yaml (its lifecycle "
                "and source); add one"
            )
    overrides = dict(model_overrides or {})
    for agent_name in sorted(set(overrides) - set(names)):
        problems.append(
            f"cortex.agentModels names unknown agent {agent_name!r}; agents: {', '.join(names)}"
        )
    resolved = []
    for agent in catalog.agents:
        for index, tool in enumerate(agent.tools):
            where = f"agent {agent.name!r}: tools[{index}] ({tool.name})"
            if (
                tool.search_service is not None
                and tool.search_service.lower() not in known_services
            ):
                problems.append(
                    f"{where}.search_service = {tool.search_service!r}: no such search service "
                    f"in this stack; declared: {', '.join(sorted(known_services))}"
                )
            if tool.warehouse is not None and tool.warehouse.upper() not in known_warehouses:
                problems.append(
                    f"{where}.warehouse = {tool.warehouse!r}: not a declared warehouse; declared: "
                    + ", ".join(sorted(known_warehouses))
                )
        model, source = _resolve_model(agent, catalog, overrides.get(agent.name))
        if model is None:
            problems.append(
                f"agent {agent.name!r}: model = {source!r}: not a Cortex orchestration model and "
                f"not in plan_model_mapping; allowed: {', '.join(catalog.orchestration_models)}; "
                f"mapped: {', '.join(sorted(catalog.plan_model_mapping)) or 'none'}"
            )
            continue
        retired = lifecycle.problem(model)
        if retired is not None:
            problems.append(f"agent {agent.name!r}: model = {model!r} ({source}): {retired}")
            continue
        resolved.append(ResolvedAgent(agent, model, source))
    if problems:
        raise AgentCatalogError(f"{label}:\n" + "\n".join(f"    {p}" for p in problems))
    return AgentCatalog(
        version=catalog.version,
        digest=hashlib.sha256(text.encode()).hexdigest()[:12],
        agents=tuple(resolved),
    )


def _resolve_model(agent: Agent, catalog: Catalog, override: str | None) -> tuple[str | None, str]:
    if override is not None:
        candidate, source = override, "stack override"
    else:
        candidate, source = agent.model, "declared"
    if candidate in catalog.orchestration_models:
        return candidate, source
    if candidate in catalog.plan_model_mapping:
        return catalog.plan_model_mapping[candidate], f"mapped from {candidate}"
    return None, candidate


def agent_specification(
    agent: ResolvedAgent,
    database: str,
    search_services: Mapping[str, str],
    warehouses: Mapping[str, str],
    search_id_columns: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The specification Snowflake accepts (CREATE AGENT ... FROM SPECIFICATION).

    `search_services` maps lower-case service names to fully qualified names; `warehouses` maps
    base names (API_WH) to this stack's names (API_WH_DEV); `search_id_columns` maps lower-case
    service names to the column the agent cites results by (the REST ToolResource `id_column`).
    """
    definition = agent.definition
    instructions = {
        key: value
        for key, value in (
            ("system", definition.instructions.system),
            ("response", definition.instructions.response),
            ("orchestration", definition.instructions.orchestration),
        )
        if value
    }
    if definition.instructions.sample_questions:
        instructions["sample_questions"] = [
            {"question": q} for q in definition.instructions.sample_questions
        ]
    tools = []
    resources: dict[str, Any] = {}
    for tool in definition.tools:
        spec: dict[str, Any] = {
            "type": tool.type,
            "name": tool.name,
            "description": tool.description,
        }
        if tool.input_schema is not None:
            spec["input_schema"] = tool.input_schema
        tools.append({"tool_spec": spec})
        resources[tool.name] = _tool_resource(
            tool, database, search_services, warehouses, search_id_columns or {}
        )
    return {
        "models": {"orchestration": agent.model},
        "instructions": instructions,
        "orchestration": {
            "budget": {"seconds": definition.budget.seconds, "tokens": definition.budget.tokens}
        },
        "tools": tools,
        "tool_resources": resources,
    }


def _tool_resource(
    tool: Tool,
    database: str,
    search_services: Mapping[str, str],
    warehouses: Mapping[str, str],
    search_id_columns: Mapping[str, str],
) -> dict[str, Any]:
    if tool.type == "cortex_search":
        assert tool.search_service is not None
        service = tool.search_service.lower()
        # Keys of the REST ToolResource schema (search_service, id_column); the CREATE AGENT SQL
        # example writes `name` instead. Unverified: settle with DESCRIBE AGENT (docs/snowflake.md).
        resource: dict[str, Any] = {"search_service": search_services[service]}
        if service in search_id_columns:
            resource["id_column"] = search_id_columns[service]
        if tool.max_results is not None:
            resource["max_results"] = tool.max_results
        return resource
    environment = {"type": "warehouse", "warehouse": warehouses[str(tool.warehouse).upper()]}
    if tool.type == "cortex_analyst_text_to_sql":
        return {
            "semantic_view": f"{database}.{tool.semantic_view}",
            "execution_environment": environment,
        }
    return {
        "type": "procedure",
        "identifier": f"{database}.{tool.procedure}",
        "execution_environment": environment,
    }


def specification_yaml(specification: Mapping[str, Any]) -> str:
    """Serialize for the provider (which wraps it in $$ ... $$, so $$ may not appear)."""
    text = yaml.safe_dump(dict(specification), sort_keys=False, width=100)
    if "$$" in text:
        raise AgentCatalogError("an agent specification may not contain '$$'")
    if len(text.encode()) > MAX_SPECIFICATION_BYTES:
        raise AgentCatalogError(
            f"an agent specification is {len(text.encode())} bytes; Snowflake allows "
            f"{MAX_SPECIFICATION_BYTES}"
        )
    return text


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        return str(path)


def _describe(label: str, raw: Any, error: ValidationError) -> str:
    """Name the file, the agent (by name, not index) and the field for each problem."""
    lines = []
    agents = raw.get("agents") if isinstance(raw, dict) else None
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        message = item["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        where = ""
        if len(loc) >= 2 and loc[0] == "agents" and isinstance(loc[1], int):
            name = None
            if (
                isinstance(agents, list)
                and loc[1] < len(agents)
                and isinstance(agents[loc[1]], dict)
            ):
                name = agents[loc[1]].get("name")
            where = f"agent {name!r}: " if name else f"agents[{loc[1]}]: "
            loc = loc[2:]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if item["type"] == "missing":
            lines.append(f"{where}{field}: missing (required)")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{where}{field}: unknown field")
        else:
            lines.append(f"{where}{field} = {item.get('input')!r}: {message}")
    return f"{label}:\n" + "\n".join(f"    {line}" for line in lines)

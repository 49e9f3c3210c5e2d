"""Objects the agents' tools name that this program does not create, and the grants they need.

The procedures and the semantic view are application objects the API release deploys; a GRANT on
an object that does not exist fails, so the stack declares them (stack output
`snowflake.unmanagedObjects`) instead of granting on them (docs/snowflake.md, "Not managed").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.settings.agents import AgentCatalog


@dataclass(frozen=True)
class UnmanagedObject:
    """An object an agent's tool names that this program does not create (the API deploys it)."""

    kind: Literal["PROCEDURE", "SEMANTIC VIEW"]
    name: str
    """Fully qualified, with the signature for a procedure: DB.SCHEMA.SP(VARCHAR)."""
    privilege: str
    """What the API role needs on it: USAGE (procedure) or SELECT (semantic view)."""
    agents: tuple[str, ...]

    def grant_statement(self, role: str) -> str:
        return f"GRANT {self.privilege} ON {self.kind} {self.name} TO ROLE {role}"


def unmanaged_objects(catalog: AgentCatalog, database: str) -> tuple[UnmanagedObject, ...]:
    """Every procedure and semantic view the catalog's tools name, with the agents using each."""
    found: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for agent in catalog.agents:
        for tool in agent.definition.tools:
            if tool.procedure is not None:
                key = (
                    "PROCEDURE",
                    f"{database}.{tool.procedure}({', '.join(tool.arguments or ())})",
                )
                found.setdefault(key, ("USAGE", []))[1].append(agent.name)
            if tool.semantic_view is not None:
                key = ("SEMANTIC VIEW", f"{database}.{tool.semantic_view}")
                found.setdefault(key, ("SELECT", []))[1].append(agent.name)
    return tuple(
        UnmanagedObject(kind, name, privilege, tuple(sorted(set(agents))))  # type: ignore[arg-type]
        for (kind, name), (privilege, agents) in sorted(found.items())
    )

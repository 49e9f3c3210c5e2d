"""Cases for `sophia-infra:migration` (docs/migration.md): every row, the stack rules, secrets."""

from __future__ import annotations

from typing import Any

from bench.bad_inputs.case import Case, P, _at, _cases_values


def _rows(**rows: dict[str, Any]) -> Any:
    """Update rows of the migration block (keeping each row's legacy endpoint)."""

    def mutate(doc: dict[str, Any]) -> None:
        components = doc["config"][f"{P}migration"]["components"]
        for name, values in rows.items():
            components[name].update(values)

    return mutate


def _with_secret(mutate: Any, key: str) -> Any:
    def both(doc: dict[str, Any]) -> None:
        mutate(doc)
        doc["config"][f"{P}{key}"] = {"secure": "v1:bench-placeholder"}

    return both


def migration_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend
    m = "migration"
    c = f"{m}/components"
    add(_cases_values(m, "staging", f"{c}/apiEdge/state", ["done", "PARALLEL", 1, None, ""]))
    add(_cases_values(m, "staging", f"{c}/apiEdge/newShare", [0, 100, True, "10", 10.5, -5]))
    add(_cases_values(m, "staging", f"{c}/mcpServers", [{"state": "parallel"}]))
    add(_cases_values(m, "staging", f"{c}/apiEdge/legacy/port", [0, 70000, "8000"]))
    add(_cases_values(m, "staging", f"{c}/apiEdge/legacy/namespace", ["Legacy_API", ""]))
    add(_cases_values(m, "staging", f"{c}/sessionMgmt/legacy/redisCidr",
                      ["10.20.0.1/28", "10.0.0.0/8", "redis.internal", ""]))  # fmt: skip
    add(_cases_values(m, "staging", f"{c}/vectorSearch/legacy/pineconeIndex", ["Sophia_Prod"]))
    add(_cases_values(m, "staging", f"{c}/llmGateway/legacy/baseUrl",
                      ["http://api.openai.com", "https://user:pw@api.openai.com"]))  # fmt: skip
    add(_cases_values(m, "staging", f"{c}/dataPipeline/legacy/airbyteConnectionId", ["abc"]))
    add(_cases_values(m, "prod", f"{m}/gate/soak", ["forever", "10000h", 5, "91d", "1w"]))
    bad = [
        ("parallel without newShare", "staging", _rows(apiEdge={"state": "parallel"})),
        ("newShare while cutover", "staging", _rows(apiEdge={"state": "cutover", "newShare": 50})),
        ("dataPipeline with newShare", "staging",
         _rows(dataPipeline={"state": "parallel", "newShare": 10})),
        ("dev parallel", "dev", _rows(apiEdge={"state": "parallel", "newShare": 10})),
        ("prod ahead of staging", "prod", _rows(apiEdge={"state": "parallel", "newShare": 10})),
        ("parallel without its credential", "staging",
         _rows(aiAgents={"state": "parallel", "newShare": 10})),
        ("retired keeps its credential", "staging",
         _with_secret(_rows(sessionMgmt={"state": "retired"}), "legacyRedisUrl")),
        ("credential in plain text", "staging",
         lambda doc: (_rows(sessionMgmt={"state": "cutover"})(doc),
                      doc["config"].update({f"{P}legacyRedisUrl": "redis://:pw@10.20.0.5"}))),
        ("a credential-shaped endpoint", "staging",
         _at(f"{c}/llmGateway/legacy/baseUrl", "https://sk-proj-abcdefghijklmnopqrstuvwx.example")),
        ("parallel without legacy", "staging",
         lambda doc: doc["config"][f"{P}migration"]["components"].update(
             apiEdge={"state": "parallel", "newShare": 10})),
    ]  # fmt: skip
    for name, stack, mutate in bad:
        found.append(Case(f"{m} {name}", "bad", stack, mutate))
    fine = [
        ("staging parallel 10", "staging", _rows(apiEdge={"state": "parallel", "newShare": 10})),
        ("dev cutover", "dev", _rows(apiEdge={"state": "cutover"})),
        ("staging aiAgents parallel with its token", "staging",
         _with_secret(_rows(aiAgents={"state": "parallel", "newShare": 10}), "legacyMcpToken")),
    ]  # fmt: skip
    for name, stack, mutate in fine:
        found.append(Case(f"{m} {name}", "fine", stack, mutate))
    return found

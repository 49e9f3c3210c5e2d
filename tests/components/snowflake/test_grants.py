"""Table reads that do not depend on timing (review row 16).

A FUTURE grant covers only tables created after it (SDK grant_privileges_to_account_role.py,
`always_apply`: "grant privileges on all X's ... make sure that every new object ... is granted";
Snowflake GRANT <privileges>, future grants). Every future grant therefore has an ALL grant that
runs after it and after every table this program declares in that schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from components.snowflake import access
from jobs.harness import Synthesis, synthesize
from policies.sophia_policies import snowflake_grants
from tests.conftest import STACKS
from tests.fakes.snowflake_account import Replay

Synth = Callable[[str], Synthesis]
PRIVILEGES = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
TABLE = "snowflake:index/table:Table"


def _on(grant, kind: str) -> dict | None:  # type: ignore[no-untyped-def]
    return grant.inputs.get("onSchemaObject", {}).get(kind)


@pytest.mark.parametrize("stack", STACKS)
def test_every_future_table_grant_has_an_all_grant_after_it_and_the_tables(
    stack: str, synthesized: Synth
) -> None:
    synthesis = synthesized(stack)
    replay = Replay(synthesis)
    grants = synthesis.by_type(PRIVILEGES)
    futures = [g for g in grants if _on(g, "future")]
    alls = {
        (g.inputs["accountRoleName"], _on(g, "all")["inSchema"], tuple(g.inputs["privileges"])): g
        for g in grants
        if _on(g, "all")
    }
    assert futures, "the plan has future grants"
    for future in futures:
        schema = _on(future, "future")["inSchema"]
        key = (future.inputs["accountRoleName"], schema, tuple(future.inputs["privileges"]))
        assert key in alls, f"{future.name} has no ALL grant for existing tables"
        ancestors = replay.ancestors(alls[key].urn)
        assert future.urn in ancestors
        for table in synthesis.by_type(TABLE):
            if f'"{table.inputs["database"]}"."{table.inputs["schema"]}"' == schema:
                assert table.urn in ancestors, f"{alls[key].name} runs before {table.name}"


def test_the_analyst_reads_the_declared_tables_whichever_was_first(synthesized: Synth) -> None:
    grants = [
        g
        for g in synthesized("prod").by_type(PRIVILEGES)
        if g.inputs["accountRoleName"] == "SOPHIA_ANALYST"
    ]
    covered = {_on(g, "all")["inSchema"] for g in grants if _on(g, "all")}
    assert {'"SOPHIA_AI"."PUBLIC"', '"SOPHIA_AI"."CORTEX_VECTORS"'} <= covered


def _grant_rows(synthesis: Synthesis) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [
        (r.urn, r.type, r.inputs)
        for r in synthesis.resources
        if r.type in snowflake_grants.GRANT_TYPES
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_no_grant_is_managed_by_two_resources(stack: str, synthesized: Synth) -> None:
    """Review F5: one owner per (grantee, privilege, object); the pack's rule, on every stack."""
    claims = snowflake_grants.claims(_grant_rows(synthesized(stack)))
    assert claims, "the stack declares grants"
    assert [(a.name, b.name) for a, b in snowflake_grants.overlaps(claims)] == []


def test_the_overlap_the_review_found_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old plan granted SELECT on EMBEDDINGS explicitly beside the ALL grant of its schema."""
    plan = access.access_plan

    def old_plan(schemas: tuple[str, ...], warehouses: tuple[str, ...]) -> tuple[access.Grant, ...]:
        return (
            *plan(schemas, warehouses),
            access.Grant("api", ("SELECT",), "table", "CORTEX_VECTORS.EMBEDDINGS"),
        )

    monkeypatch.setattr(access, "access_plan", old_plan)
    claims = snowflake_grants.claims(_grant_rows(synthesize("dev")))
    assert [(a.name, b.name) for a, b in snowflake_grants.overlaps(claims)] == [
        ("access-api-all-tables-cortex-vectors", "access-api-table-cortex-vectors-embeddings")
    ]


GRANT_NAMES = Path(__file__).with_name("grant_names.prod.json")


def test_no_grant_of_prod_changed_its_name(synthesized: Synth) -> None:
    """A grant held under one logical name and now under another is a rename: without `aliases`
    the engine creates the new one (a no-op GRANT) and deletes the old (a REVOKE of the same row),
    leaving no grant (docs/snowflake.md, "One owner per privilege"). New and removed grants pass;
    after adding `aliases=[old name]` to a renamed grant, regenerate the file:
    `python -m tests.components.snowflake.test_grants` rewrites grant_names.prod.json."""
    known = {tuple(row[:3]): row[3] for row in json.loads(GRANT_NAMES.read_text())}
    renamed = sorted(
        f"{known[key]} -> {name} ({' '.join(key)})"
        for *key_parts, name in _grant_names(synthesized("prod"))
        if (key := tuple(key_parts)) in known and known[key] != name
    )
    assert renamed == []


def _grant_names(synthesis: Synthesis) -> list[tuple[str, str, str, str]]:
    return sorted(
        {
            (c.grantee, c.privilege, "|".join(c.target), c.name)
            for c in snowflake_grants.claims(_grant_rows(synthesis))
        }
    )


if __name__ == "__main__":
    rows = _grant_names(synthesize("prod"))
    GRANT_NAMES.write_text("[\n" + ",\n".join(json.dumps(list(r)) for r in rows) + "\n]\n")

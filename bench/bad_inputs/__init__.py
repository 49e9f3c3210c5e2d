"""python -m bench.bad_inputs: feed the CLIs a few hundred bad inputs, the way a new user would.

Each case writes a scratch project (this checkout's Pulumi.yaml, __main__.py and stack files,
components imported from this checkout), breaks one thing (a stack value, a whole file, the
agent catalog, a policy config, the price book, a CLI flag), runs `jobs.synth` or `jobs.cost`
in-process and sorts the outcome:

- rejected: exit code 1 or 2 with a message on stderr (the expected outcome of every case
  marked `bad`);
- accepted: exit 0. For a `bad` case that is a harmful silent accept; cases marked `fine` are
  inputs that are legitimately accepted (e.g. an unquoted date, which the CLI reads as a string);
- crashed: an exception escaped (a traceback instead of an error message).

Every run also checks that no secret-shaped value of the case appears in the output.
Results: docs/bad-input.md. `--only SUBSTRING` runs the matching cases; `--verbose` prints each.

The package: `case` (the case model and the helpers that build mutations), `planted` (the
secret-shaped values), one module of cases per area (`snowflake`, `estuary`, `portkey`,
`kubernetes`, `identity`, `secret_config`, `schema`, `files`, `agents`, `policy`, `prices`, `cli`,
`restore`),
`runner` (a case in a scratch project, sorted), `report` (the listing, the tables, the counts).
"""

from __future__ import annotations

from bench.bad_inputs.agents import agents_cases
from bench.bad_inputs.case import Case, Outcome
from bench.bad_inputs.cli import cli_cases
from bench.bad_inputs.estuary import estuary_cases
from bench.bad_inputs.files import file_cases
from bench.bad_inputs.identity import identity_cases
from bench.bad_inputs.kubernetes import kubernetes_cases, release_cases
from bench.bad_inputs.migration import migration_cases
from bench.bad_inputs.policy import policy_cases
from bench.bad_inputs.portkey import portkey_cases
from bench.bad_inputs.prices import price_cases
from bench.bad_inputs.restore import restore_cases
from bench.bad_inputs.runner import run_case
from bench.bad_inputs.schema import schema_cases
from bench.bad_inputs.secret_config import secret_cases
from bench.bad_inputs.slo import slo_cases
from bench.bad_inputs.snowflake import cortex_cases, snowflake_cases

__all__ = ["Case", "Outcome", "cases", "run_case"]

# In this order: the listing and the family table follow it.
AREAS = (
    snowflake_cases,
    cortex_cases,
    estuary_cases,
    portkey_cases,
    kubernetes_cases,
    release_cases,
    slo_cases,
    migration_cases,
    identity_cases,
    secret_cases,
    schema_cases,
    file_cases,
    agents_cases,
    policy_cases,
    price_cases,
    cli_cases,
    restore_cases,
)


def cases() -> list[Case]:
    return [case for area in AREAS for case in area()]

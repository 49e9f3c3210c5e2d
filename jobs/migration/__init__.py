"""The migration from the legacy systems, as declared state (docs/migration.md).

    python -m jobs.migration status --stacks dev,staging,prod [--json FILE] [--markdown FILE]
    python -m jobs.migration advance --stack S --row R [--to STATE] [--share N] [--dry-run]
    python -m jobs.migration check --stack S --base-ref origin/main

`status` prints the tracker built from each stack's outputs, update history (the config of every
update), drift and, where a cluster answers, the live route; exit 1 when declared and observed
disagree. `advance` moves one row one step after the gate (jobs/migration/gate.py) and writes the
stack file; a rollback (one step back) is always allowed. `check` runs the checks that need no
stack access on a pull request's change of the stack file against the base ref. Exit codes: 0
passed, 1 refused or disagreeing, 2 could not be checked.

One module per concern:

    rows      a row's value from a stack file, an update's config or the stack output; moves
    gate      each check as a Verdict, and `evaluate` (also used by jobs.promote)
    metrics   staging's error ratio and p95 per side, from Prometheus
    advance   the `advance` command: the gate, then the targeted stack-file edit
    status    the tracker
    cli       the command line
"""

"""Restore a table by Snowflake time travel, as a checked job: `python -m jobs.restore`.

    python -m jobs.restore --stack prod --table PUBLIC.USER_SESSIONS \
        --at 2026-12-01T09:30:00+00:00 [--to NAME] [--dry-run] [--swap --allow-swap URN]
    python -m jobs.restore --stack prod --table PUBLIC.USER_SESSIONS --statement QUERY_ID

Only tables the stack declares (names from the synth, stack suffix included), a point in time
with an explicit offset (sent as TIMESTAMP_TZ) or a query id, and always a plain
`CREATE TABLE <new> CLONE <table> AT|BEFORE (...)`: never OR REPLACE, nothing dropped. `--swap`
then runs `ALTER TABLE <table> SWAP WITH <new>`, which a second identical swap undoes; on a
protected prod table only with `--allow-swap <its URN>`. Checks, in order, each named in the
output (docs/restore.md has every rule's source):

    declared-object  point-in-time  target-name  swap-allowed      (offline, also in a dry run)
    exists  retention  target-free  role  writers-paused           (the account)
    clone  verify-rows  verify-grants  verify-change-tracking  swap

Without SNOWFLAKE_PRIVATE_KEY (or with --dry-run) it prints the checks and the exact SQL. With
it, it logs in as the stack's key-pair deploy user, tags every statement with QUERY_TAG and
writes a JSON and a Markdown report carrying each statement's query id.

Exit codes: 0 done (or dry run), 1 refused by a check (named), 2 a check could not be completed.

One module per concern:

    point     the point in time, its window arithmetic (injectable clock)
    declared  the stack's tables, grants, writers and connection from the synth; name rules
    sql       every statement as a sqlglot AST, rendered and parsed back equal
    session   the connector session (key pair, QUERY_TAG, query ids, scrubbed errors)
    writers   is the Estuary materialization writing the table paused
    offline   the checks that need no account
    live      the checks that need it, the clone, its verification and the swap
    run       restore(): both in order; report: the text, JSON and Markdown; cli: the CLI
"""

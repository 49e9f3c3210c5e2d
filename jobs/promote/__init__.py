"""Promotion: `python -m jobs.promote --from staging --to prod [--min-soak 24h] [--apply]`.

Moves the release of one stack (its `release` stack output) up one stage, dev -> staging ->
prod, only when every gate passes. Any two stacks promote by their stage, the stack file's
`sophia-infra:environment` (a stack named dev, staging or prod without one is its own stage):
`--from qa --to prod` works for a stack qa of stage staging. The gates, in this order:

  stage-order            target's stage is the next after the source's, or the same stage in
                         another stack (dev -> prod is refused, as is moving down)
  source-last-update     the source stack's most recent update succeeded
  source-soak            that update finished at least --min-soak ago (default per target stage)
  source-drift           a refresh preview of the source shows no drift
  migration              every migration row the target's stack file changes passes the
                         migration gate (jobs/migration/gate.py: one step, prod behind staging,
                         one row per prod update, staging's soak, drift and metrics)
  source-release         the source exports `release` with a digest-pinned `apiImage`
  target-policy-preview  a preview of the target, with the new release and the policy pack
                         (`policies/`), finishes without errors or mandatory violations
  destructive-change     (stage prod only) no delete/replace of a protected or data-holding resource
                         unless --allow-destructive names it (URN or resource name)

Then it writes `sophia-infra:release: {apiImage: ...}` into `Pulumi.<to>.yaml` (a targeted edit;
the other release versions go into a marker comment above the key) for review. With --apply it
also runs `up` on the target (the target's canary settings take over from there) and checks
that the target's `release` output now has the promoted apiImage (release-verify; the other
release fields are per-stack versions, reported when they differ).

Exit codes: 0 promoted, 1 refused by a gate (named in the message), 2 the job failed (a stack
could not be reached, decrypted or updated; the gate being checked is named).

One module per concern:

    outcome    GateRefused, PromotionFailed and the PromotionResult (with its stack-file diff)
    durations  --min-soak durations and the timestamps the messages show
    files      the files a promotion reads and writes: Pulumi.<to>.yaml, the policy pack, its config
    gates      each gate, and the apply with its release-verify
    plan       promote(): the gates in order, the stack-file write, the optional apply
    cli        `python -m jobs.promote` and the Markdown summary for the pull request
"""

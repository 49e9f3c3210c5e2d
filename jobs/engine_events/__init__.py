"""Pure parsing and classification of Pulumi engine events, in three modules:

- `fold`: a stream of `EngineEvent`-shaped objects folded into an `EngineOutcome`
  (`summarize`);
- `outcome`: what it holds (resource and property changes, policy violations, errors) and the
  destructive-change classification (`destructive_changes`, `is_named`);
- `values`: property values rendered for a report, secrets redacted and scrubbed.

Nothing here imports Pulumi: the events are only read attribute by attribute.
"""

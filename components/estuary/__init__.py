"""Estuary Flow: control-plane client, dynamic providers, Capture/Materialization resources and
the Pipeline component. Kept import-free on purpose: the dynamic provider host unpickles
`components.estuary.capture` / `materialization` and should not pay for anything else."""

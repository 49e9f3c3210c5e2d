"""`python -m jobs.check`: the check has no CLI of its own; it runs as `jobs.synth --check`.

The single-module jobs/check.py had no `__main__` block, so running it imported the check and
exited 0 without output; this file keeps that (the package would otherwise refuse to run).
"""

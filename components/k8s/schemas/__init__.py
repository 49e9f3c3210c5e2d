"""JSON schemas of the custom resources the API declares, generated from pinned npm packages.

`generate.py` writes them from `node_modules/@kubernetes-models/*` (see its docstring); the JSON
files are committed so `python -m jobs.synth --check` needs no node at run time.
"""

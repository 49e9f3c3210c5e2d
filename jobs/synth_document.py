"""The synth's JSON document: what `jobs.synth --json` writes and the cost view and graph read.

Its own module so that jobs.synth (which offers --cost and --graph) and jobs.cost (which
synthesizes stacks for its own CLI) both import it instead of importing each other.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from jobs.harness import Synthesis


def to_json(synthesis: Synthesis) -> dict[str, Any]:
    # Sorted by URN: resources register from several threads under mocks, so the recorded order
    # changes from run to run, and a document compared across runs (a PR's base and head, a
    # committed copy) must not.
    resources = sorted(synthesis.resources, key=lambda r: r.urn)
    return {
        "stack": synthesis.stack,
        "resources": [r.to_json() for r in resources],
        "outputs": synthesis.outputs,
        "secretOutputs": synthesis.secret_outputs,
        "counts": dict(sorted(Counter(r.type for r in synthesis.resources).items())),
    }

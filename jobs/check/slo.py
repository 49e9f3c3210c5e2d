"""The stack's SLO contradictions as check violations (docs/slo.md).

They come from the synthesized `slo` output (components/settings/slo_checks.py
`contradictions`): a freshness objective the pipeline cannot meet, a canary gate looser than the
page (unless acknowledged in the stack file), a Prometheus retention shorter than the window.
Prod refuses the first two before synthesis; the other stacks synthesize and fail here.
"""

from __future__ import annotations

from jobs.check.report import Violation
from jobs.harness import Synthesis

POLICY = "slo-contradictions"


def slo_violations(synthesis: Synthesis) -> list[Violation]:
    slo = synthesis.outputs.get("slo")
    if not isinstance(slo, dict):
        return []
    return [
        Violation(POLICY, str(item["enforcement"]), str(item["message"]), None)
        for item in slo.get("contradictions") or []
    ]

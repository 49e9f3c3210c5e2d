"""The policy check as text: violations grouped by resource, skips, schemas, PASS or FAIL."""

from __future__ import annotations

from collections import defaultdict

from jobs.check.kubernetes import SCHEMA_RULE
from jobs.check.report import EXIT_OK, CheckReport, Violation
from policies.sophia_policies import PACK_NAME


def render_check(report: CheckReport) -> str:
    mandatory, advisory = len(report.mandatory), len(report.advisory)
    lines = [
        f"Policy check of stack {report.stack}: pack {PACK_NAME}, {len(report.policies)} "
        f"policies over {report.resources} declared resources "
        f"(config policies/config/{report.stack}.json)",
        f"{mandatory} mandatory and {advisory} advisory violation(s)",
    ]
    groups: dict[tuple[str, str], list[Violation]] = defaultdict(list)
    for violation in report.violations:
        groups[(violation.resource_type, violation.resource_name)].append(violation)
    for (type_, name), items in sorted(groups.items(), key=lambda kv: (kv[0][0] == "", kv[0])):
        lines += ["", f"{type_} {name}" if type_ else "(the stack as a whole)"]
        for v in sorted(items, key=lambda v: (v.enforcement != "mandatory", v.policy, v.message)):
            lines.append(f"  [{v.enforcement}] {v.policy}: {v.message}")
    if report.skipped:
        lines += ["", "Not checked here (the rule said why):"]
        for skipped in sorted(report.skipped, key=lambda s: (s.policy, s.resource_name)):
            lines.append(f"  {skipped.policy} on {skipped.resource_name}: {skipped.reason}")
    lines += [
        "",
        f"Kubernetes schemas ({report.kubernetes_version}, kubernetes-validate"
        + "".join(f"; {source}" for source in sorted(report.schema_sources))
        + "): "
        f"{len(report.schema_valid)} object(s) valid, "
        f"{len(report.by_policy(SCHEMA_RULE))} invalid, {len(report.schema_skipped)} skipped",
    ]
    for skip in report.schema_skipped:
        lines.append(f"  skipped {skip.resource_type} {skip.resource_name}: {skip.reason}")
    lines += [
        "",
        "PASS: no mandatory violations"
        if report.exit_code == EXIT_OK
        else f"FAIL: {mandatory} mandatory violation(s)",
    ]
    return "\n".join(lines)

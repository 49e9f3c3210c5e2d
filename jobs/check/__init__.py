"""Offline policy check: every rule of the CrossGuard pack over what a stack declares.

    run_checks(synthesize("prod"), load_policy_config("prod"))  -> CheckReport
    render_check(report)                                        -> text; report.exit_code

The rule objects are the pack's own (`policies.sophia_policies.POLICIES`, the list
`policies/__main__.py` hands to `PolicyPack`), configured from the same
`policies/config/<stack>.json` that `pulumi preview --policy-pack-config` reads. Each declared
resource becomes a `ResourceValidationArgs` and the whole stack a `StackValidationArgs`, as the
engine builds them, with these differences (docs/policies.md):

- props are the declared *inputs* for stack policies too (the engine gives stack policies outputs);
- secret values are the synth's "[secret]" marker, and the stack tag `sophia:secretsView=redacted`
  tells rules so (the engine gives them unwrapped values and no way to tell what was secret);
- values only a provider computes appear as "(computed: ...)" or "<unknown>".

Every Kubernetes object is also validated against the cluster's OpenAPI schema with
kubernetes-validate (the stack's `targetClusterVersion`); an Argo Rollout's pod template is
validated as a core PodTemplate. Custom resources (Rollout, AnalysisTemplate, HTTPRoute,
PodMonitor) are validated against the committed upstream schemas, strictly (jobs/k8s_schemas.py);
the report names each schema's source package and version. A custom kind with no schema is
listed as skipped. `jobs.k8s_clusters` adds the one-controller-per-cluster check across stacks.

One module per concern:

    report      CheckReport and what it holds (violations, skips), the exit codes
    config      policies/config/<stack>.json: strict loading, each policy's level and properties
    runner      run_checks: the pack's rules over a synthesis, as the engine would call them
    kubernetes  Kubernetes objects against their schemas; one Rollouts controller per cluster
    render      the text report

The names below are the ones `jobs.synth --check` (and bench/bad_inputs.py) use.
"""

from jobs.check.config import PolicyConfigError, load_policy_config
from jobs.check.render import render_check
from jobs.check.runner import run_checks

__all__ = ["PolicyConfigError", "load_policy_config", "render_check", "run_checks"]

"""Kubernetes objects against their schemas, and one Argo Rollouts controller per cluster.

Core kinds are validated with kubernetes-validate at the stack's `targetClusterVersion` (a
Rollout's pod template as a core PodTemplate); custom resources against the committed upstream
schemas (jobs/k8s_schemas.py). Every finding is a mandatory violation of the report.
"""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate

from jobs.check.report import CheckReport, SchemaSkip, Violation
from jobs.harness import PROJECT, SECRET_MARK, DeclaredResource, Synthesis
from jobs.k8s_clusters import controller_violations
from jobs.k8s_schemas import validate_custom_resource

SCHEMA_RULE = "kubernetes-schema"
HELM_RELEASE_PREFIX = "kubernetes:helm.sh/"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"


def kubernetes_version(synthesis: Synthesis) -> str:
    """The stack's `kubernetes.targetClusterVersion`, else kubernetes-validate's newest."""
    raw = synthesis.config.get(f"{PROJECT}:kubernetes")
    try:
        version = json.loads(raw).get("targetClusterVersion") if raw else None
    except (ValueError, AttributeError):
        version = None
    return str(version) if version else kubernetes_validate.utils.latest_version()


def _without_secrets(value: Any) -> Any:
    """Drop redacted values: their shape is unknown offline, so they are not schema-checked."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if v != SECRET_MARK}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value if v != SECRET_MARK]
    return value


def validate_kubernetes(synthesis: Synthesis, report: CheckReport) -> None:
    version = kubernetes_version(synthesis)
    report.kubernetes_version = version
    for resource in synthesis.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        if resource.type.startswith(HELM_RELEASE_PREFIX):
            report.schema_skipped.append(
                SchemaSkip(resource.type, resource.name, "a Helm release, not a Kubernetes object")
            )
            continue
        obj = _without_secrets(resource.inputs)
        checks = [(resource.type, obj)]
        if resource.type == ROLLOUT and isinstance(obj.get("spec", {}).get("template"), dict):
            template = {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": obj.get("metadata", {}).get("name", resource.name)},
                "template": obj["spec"]["template"],
            }
            checks.append((f"{resource.type} spec.template (as PodTemplate)", template))
        if _check_custom_resource(resource, obj, report):
            checks = checks[1:]  # the object itself is checked against its upstream schema
        _check_core_schemas(resource, obj, checks, version, report)


def _check_custom_resource(resource: DeclaredResource, obj: Any, report: CheckReport) -> bool:
    """A custom resource against its upstream schema; False when `obj` is not one we know."""
    custom = validate_custom_resource(obj)
    if custom is None:
        return False
    report.schema_sources.add(custom.source)
    for error in custom.errors:
        report.violations.append(
            Violation(
                policy=SCHEMA_RULE,
                enforcement="mandatory",
                message=(
                    f"{resource.type} does not match its schema ({custom.source}) at "
                    f"{error.path}: {error.message}"
                ),
                urn=resource.urn,
                resource_type=resource.type,
                resource_name=resource.name,
            )
        )
    if not custom.errors:
        report.schema_valid.append(f"{resource.type} {resource.name} ({custom.source})")
    return True


def _check_core_schemas(
    resource: DeclaredResource,
    obj: Any,
    checks: list[tuple[str, Any]],
    version: str,
    report: CheckReport,
) -> None:
    """Each candidate against kubernetes-validate's schema for `version`, strictly."""
    for what, candidate in checks:
        try:
            kubernetes_validate.validate(candidate, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            also = "; its spec.template was validated as a PodTemplate" if len(checks) > 1 else ""
            report.schema_skipped.append(
                SchemaSkip(
                    resource.type,
                    resource.name,
                    f"kubernetes-validate has no schema for {obj.get('apiVersion')} "
                    f"{obj.get('kind')} (a custom resource){also}",
                )
            )
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path) or "(top)"
            report.violations.append(
                Violation(
                    policy=SCHEMA_RULE,
                    enforcement="mandatory",
                    message=(
                        f"{what} does not match the Kubernetes {version} schema at "
                        f"{where}: {error.message}"
                    ),
                    urn=resource.urn,
                    resource_type=resource.type,
                    resource_name=resource.name,
                )
            )
        else:
            report.schema_valid.append(f"{what} {resource.name}")


def check_controllers(synthesis: Synthesis, report: CheckReport) -> None:
    """Two stacks on one cluster must not both install the Argo Rollouts controller."""
    for message in controller_violations(synthesis.stack):
        report.violations.append(
            Violation(policy="k8s-one-controller-per-cluster", enforcement="mandatory",
                      message=message, urn=None)
        )  # fmt: skip

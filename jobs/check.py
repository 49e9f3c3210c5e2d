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
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from inspect import isawaitable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from jobs.harness import PROJECT, REPO_ROOT, SECRET_MARK, DeclaredResource, Synthesis
from jobs.k8s_clusters import controller_violations
from jobs.k8s_schemas import validate_custom_resource
from policies.sophia_policies import (
    PACK_NAME,
    POLICIES,
    REDACTED,
    SECRETS_VIEW_REDACTED,
    SECRETS_VIEW_TAG,
)
from policies.sophia_policies.common import with_defaults

POLICY_CONFIG_DIR = REPO_ROOT / "policies" / "config"
PACK_ENFORCEMENT = EnforcementLevel.MANDATORY  # policies/__main__.py
SCHEMA_RULE = "kubernetes-schema"
HELM_RELEASE_PREFIX = "kubernetes:helm.sh/"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
EXIT_OK = 0
EXIT_VIOLATIONS = 1

assert REDACTED == SECRET_MARK, "policies and the synth must agree on the secret marker"


class PolicyConfigError(Exception):
    """The policy config file is missing, not JSON, or does not match a policy's schema."""


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str  # "mandatory" | "advisory"
    message: str
    urn: str | None  # None: the stack as a whole
    resource_type: str = ""
    resource_name: str = ""


@dataclass(frozen=True)
class Skipped:
    """A policy that reported itself not applicable, or could not run on a value (unknown)."""

    policy: str
    resource_name: str
    reason: str


@dataclass(frozen=True)
class SchemaSkip:
    resource_type: str
    resource_name: str
    reason: str


@dataclass
class CheckReport:
    stack: str
    policies: list[str]
    resources: int
    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    kubernetes_version: str = ""
    schema_valid: list[str] = field(default_factory=list)
    schema_skipped: list[SchemaSkip] = field(default_factory=list)
    schema_sources: set[str] = field(default_factory=set)  # custom-resource schemas used

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATIONS if self.mandatory else EXIT_OK

    def by_policy(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == name]


# --- config ---------------------------------------------------------------------------------------


def load_policy_config(stack: str, directory: Path | None = None) -> dict[str, Any]:
    """`policies/config/<stack>.json`: the file `pulumi preview --policy-pack-config` takes.

    Strict JSON: UTF-8, no duplicate keys (Python keeps the last one silently), no NaN/Infinity
    (not JSON; a NaN threshold compares false with everything and so switches a rule off).
    """
    directory = directory if directory is not None else POLICY_CONFIG_DIR
    path = directory / f"{stack}.json"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.json"))) or "none"
        raise PolicyConfigError(f"no policy config {path.name}; known: {known}")
    try:
        data = json.loads(
            path.read_bytes().decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as error:
        raise PolicyConfigError(f"{path.name} is not UTF-8 (byte {error.start})") from None
    except (json.JSONDecodeError, ValueError) as error:
        raise PolicyConfigError(f"{path.name} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path.name} must be a JSON object keyed by policy name")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"duplicate key(s) {', '.join(repeated)}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class _Configured:
    enforcement: EnforcementLevel
    properties: dict[str, Any]


def configure(policies: list[Policy], config: Mapping[str, Any]) -> dict[str, _Configured]:
    """Per policy: the enforcement level and properties the engine would hand it.

    Mirrors the CLI: a value is an enforcement level or an object with `enforcementLevel` plus
    properties; `all` sets every policy's level; properties are validated against the policy's
    config schema (defaults are filled in by the rules themselves).
    """
    names = {p.name for p in policies}
    unknown = sorted(set(config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(
            f"policy config names unknown polic{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(unknown)}; the pack has {', '.join(sorted(names))}"
        )
    all_level = _level(config.get("all"), "all")
    result: dict[str, _Configured] = {}
    for policy in policies:
        raw = config.get(policy.name)
        level = _level(raw, policy.name)
        properties = (
            {k: v for k, v in raw.items() if k != "enforcementLevel"}
            if isinstance(raw, dict)
            else {}
        )
        if properties:
            if policy.config_schema is None:
                raise PolicyConfigError(
                    f"policy {policy.name} takes no configuration; got {sorted(properties)}"
                )
            schema = {
                "type": "object",
                "properties": policy.config_schema.properties,
                "additionalProperties": False,
            }
            if policy.config_schema.required:
                schema["required"] = policy.config_schema.required
            try:
                jsonschema.validate(properties, schema)
            except jsonschema.ValidationError as error:
                where = ".".join(str(p) for p in error.absolute_path) or "(top)"
                raise PolicyConfigError(
                    f"policy {policy.name} config {where}: {error.message}"
                ) from error
        try:
            with_defaults(policy.config_schema, properties)
        except ValueError as error:
            raise PolicyConfigError(f"policy {policy.name} config: {error}") from None
        effective = level or all_level or policy.enforcement_level or PACK_ENFORCEMENT
        result[policy.name] = _Configured(effective, properties)
    return result


def _level(raw: Any, name: str) -> EnforcementLevel | None:
    value = raw.get("enforcementLevel") if isinstance(raw, dict) else raw
    if value is None:
        return None
    try:
        return EnforcementLevel(value)
    except ValueError as error:
        levels = ", ".join(level.value for level in EnforcementLevel)
        raise PolicyConfigError(
            f"policy {name}: enforcementLevel {value!r} is not one of {levels}"
        ) from error


# --- running the rules ----------------------------------------------------------------------------


def run_checks(
    synthesis: Synthesis,
    config: Mapping[str, Any],
    policies: list[Policy] | None = None,
) -> CheckReport:
    """Run every policy of the pack over `synthesis`, then validate the Kubernetes objects."""
    policies = POLICIES if policies is None else policies
    configured = configure(policies, config)
    report = CheckReport(
        stack=synthesis.stack,
        policies=[p.name for p in policies],
        resources=len(synthesis.resources),
    )
    stack_tags = {SECRETS_VIEW_TAG: SECRETS_VIEW_REDACTED}
    providers = {
        r.name: PolicyProviderResource(r.type, _props(r), r.urn, r.name)
        for r in synthesis.resources
        if r.type.startswith("pulumi:providers:")
    }
    by_urn = {r.urn: r for r in synthesis.resources}

    for policy in policies:
        settings = configured[policy.name]
        if settings.enforcement == EnforcementLevel.DISABLED:
            continue
        level = (
            "advisory" if settings.enforcement == EnforcementLevel.ADVISORY else "mandatory"
        )  # REMEDIATE is reported as mandatory, as the engine does
        if isinstance(policy, ResourceValidationPolicy):
            for resource in synthesis.resources:
                args = ResourceValidationArgs(
                    resource.type,
                    _props(resource),
                    resource.urn,
                    resource.name,
                    _options(resource),
                    providers.get(resource.provider),
                    dict(settings.properties),
                    stack_tags,
                )
                _run(policy, args, level, resource.name, report, by_urn, default=resource)
        elif isinstance(policy, StackValidationPolicy):
            args = StackValidationArgs(
                _stack_resources(synthesis, providers), dict(settings.properties), stack_tags
            )
            _run(policy, args, level, "(stack)", report, by_urn, default=None)

    _validate_kubernetes(synthesis, report)
    _check_controllers(synthesis, report)
    return report


def _run(
    policy: Policy,
    args: ResourceValidationArgs | StackValidationArgs,
    level: str,
    subject: str,
    report: CheckReport,
    by_urn: Mapping[str, DeclaredResource],
    default: DeclaredResource | None,
) -> None:
    def report_violation(message: str, urn: str | None = None) -> None:
        target = by_urn.get(urn) if urn else default
        report.violations.append(
            Violation(
                policy=policy.name,
                enforcement=level,
                message=message,
                urn=target.urn if target else None,
                resource_type=target.type if target else "",
                resource_name=target.name if target else "",
            )
        )

    try:
        result = policy.validate(args, report_violation)  # type: ignore[arg-type]
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except _NotApplicableError as error:
        report.skipped.append(Skipped(policy.name, subject, error.reason or "not applicable"))
    except UnknownValueError as error:
        report.skipped.append(Skipped(policy.name, subject, error.message))
    except Exception as error:  # a rule that crashes must not pass silently
        report_violation(f"the rule failed to run: {type(error).__name__}: {error}")


def _props(resource: DeclaredResource) -> Any:
    return unknown_checking_proxy(copy.deepcopy(resource.inputs))


def _options(resource: DeclaredResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(resource.additional_secret_outputs),
        parent=resource.parent or None,
    )


def _stack_resources(
    synthesis: Synthesis, providers: Mapping[str, PolicyProviderResource]
) -> list[PolicyResource]:
    built = {
        r.urn: PolicyResource(
            r.type, _props(r), r.urn, r.name, _options(r), providers.get(r.provider), None, [], {}
        )
        for r in synthesis.resources
    }
    for declared in synthesis.resources:
        resource = built[declared.urn]
        resource.parent = built.get(declared.parent)
        resource.dependencies = [built[d] for d in declared.dependencies if d in built]
    return list(built.values())


# --- Kubernetes schemas ---------------------------------------------------------------------------


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


def _validate_kubernetes(synthesis: Synthesis, report: CheckReport) -> None:
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
        custom = validate_custom_resource(obj)
        if custom is not None:
            checks = checks[1:]  # the object itself is checked against its upstream schema
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
        for what, candidate in checks:
            try:
                kubernetes_validate.validate(candidate, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                also = (
                    "; its spec.template was validated as a PodTemplate" if len(checks) > 1 else ""
                )
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


def _check_controllers(synthesis: Synthesis, report: CheckReport) -> None:
    """Two stacks on one cluster must not both install the Argo Rollouts controller."""
    for message in controller_violations(synthesis.stack):
        report.violations.append(
            Violation(policy="k8s-one-controller-per-cluster", enforcement="mandatory",
                      message=message, urn=None)
        )  # fmt: skip


# --- rendering ------------------------------------------------------------------------------------


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

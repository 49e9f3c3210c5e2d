"""Running the pack's rules offline: each declared resource as the engine would hand it over."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

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

from jobs.check.config import configure
from jobs.check.kubernetes import check_controllers, validate_kubernetes
from jobs.check.report import CheckReport, Skipped, Violation
from jobs.harness import SECRET_MARK, DeclaredResource, Synthesis
from policies.sophia_policies import (
    POLICIES,
    REDACTED,
    SECRETS_VIEW_REDACTED,
    SECRETS_VIEW_TAG,
)

assert REDACTED == SECRET_MARK, "policies and the synth must agree on the secret marker"


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

    validate_kubernetes(synthesis, report)
    check_controllers(synthesis, report)
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
        run_to_completion(policy.validate(args, report_violation))  # type: ignore[arg-type]
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


def run_to_completion(result: Any) -> None:
    """A pulumi_policy validator returns None or a coroutine: run the coroutine on a loop of its
    own (the check runs outside any event loop). The policy tests call validators through this."""
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()

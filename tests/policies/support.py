"""Call the pack's validators directly, the way the engine does (pulumi-policy's test_policy.py)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from jobs.check.runner import run_to_completion
from policies.sophia_policies import POLICIES, SECRETS_VIEW_REDACTED, SECRETS_VIEW_TAG

ENGINE_VIEW: dict[str, str] = {}
OFFLINE_VIEW = {SECRETS_VIEW_TAG: SECRETS_VIEW_REDACTED}


class NotApplicable(Exception):
    pass


def policy(name: str) -> Policy:
    (found,) = [p for p in POLICIES if p.name == name]
    return found


def options(
    *, protect: bool = False, additional_secret_outputs: list[str] | None = None
) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=False,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(additional_secret_outputs or []),
        parent=None,
    )


def check(
    name: str,
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    *,
    opts: PolicyResourceOptions | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> list[str]:
    """The messages resource policy `name` reports for one resource."""
    messages: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        f"urn:pulumi:test::sophia-infra::{resource_type}::thing",
        "thing",
        opts or options(),
        None,
        dict(config or {}),
        dict(stack_tags if stack_tags is not None else ENGINE_VIEW),
    )
    try:
        run_to_completion(
            policy(name).validate(args, lambda message, urn=None: messages.append(message))
        )
    except _NotApplicableError as error:
        raise NotApplicable(error.reason) from error
    return messages


def resource(
    resource_type: str,
    props: Mapping[str, Any],
    name: str = "thing",
    *,
    protect: bool = False,
    additional_secret_outputs: list[str] | None = None,
) -> PolicyResource:
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        f"urn:pulumi:test::sophia-infra::{resource_type}::{name}",
        name,
        options(protect=protect, additional_secret_outputs=additional_secret_outputs),
        None,
        None,
        [],
        {},
    )


def check_stack(
    name: str,
    resources: list[PolicyResource],
    config: Mapping[str, Any] | None = None,
    *,
    stack_tags: Mapping[str, str] | None = None,
) -> list[tuple[str, str | None]]:
    """(message, urn) pairs stack policy `name` reports."""
    found: list[tuple[str, str | None]] = []
    args = StackValidationArgs(
        resources, dict(config or {}), dict(stack_tags if stack_tags is not None else ENGINE_VIEW)
    )
    run_to_completion(
        policy(name).validate(args, lambda message, urn=None: found.append((message, urn)))
    )
    return found

"""Estuary rules: endpoint configs stay secret, prod captures don't auto-add bindings, the
Snowflake materialization authenticates with a key pair, and connector tags are pinned.

What each view can see of `endpointConfig` (see common.py):
- engine: the plaintext object (policies get secrets unwrapped), but not whether it was secret;
  the rule checks the resource's `additional_secret_outputs` (the provider's outputs derived from
  it stay secret) and the materialization's credentials;
- offline check: `REDACTED` when it was declared secret (the synth's `secret_inputs`), so the
  rule checks that, plus `additional_secret_outputs`; the credentials are hidden, so the key-pair
  rule reports itself not applicable there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .common import (
    REDACTED,
    as_bool,
    get_path,
    resource_policy,
    resource_policy_with_args,
    secrets_are_redacted,
    walk,
    words,
)

CAPTURE = "pulumi-python:dynamic/estuary:Capture"
MATERIALIZATION = "pulumi-python:dynamic/estuary:Materialization"


def _task(props: Mapping[str, Any]) -> str:
    return str(props.get("catalogName") or "(unnamed task)")


def endpoint_config_secret(
    args: ResourceValidationArgs, config: Mapping[str, Any]
) -> Iterator[str]:
    props = args.props
    kind = args.resource_type.rsplit(":", 1)[-1].lower()
    declared = set(args.opts.additional_secret_outputs or [])
    missing = [name for name in config["requiredSecretOutputs"] if name not in declared]
    if missing:
        yield (
            f"{kind} {_task(props)} does not list {', '.join(missing)} in "
            "additional_secret_outputs; the provider's copies of the endpoint config would be "
            "stored in plain text"
        )
    value = props.get("endpointConfig")
    if value is None:
        yield f"{kind} {_task(props)} has no endpointConfig"
    elif secrets_are_redacted(args.stack_tags) and value != REDACTED:
        yield (
            f"{kind} {_task(props)} declares endpointConfig as a plain value; wrap it in "
            "pulumi.Output.secret so the credentials in it never reach state unencrypted"
        )


def no_auto_add_bindings(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if config["allowAutoAddBindings"]:
        return
    if as_bool(get_path(props, "autoDiscover", "addNewBindings")) is True:
        yield (
            f"capture {_task(props)} auto-adds discovered bindings; in this stack every captured "
            "stream is reviewed in code first (autoDiscover.addNewBindings: false)"
        )


def materialization_key_pair(
    args: ResourceValidationArgs, config: Mapping[str, Any]
) -> Iterator[str]:
    props = args.props
    image = props.get("connectorImage")
    if not isinstance(image, str) or not any(m in image for m in config["connectors"]):
        return
    endpoint = props.get("endpointConfig")
    if endpoint == REDACTED:
        args.not_applicable(
            "endpointConfig is secret and redacted offline; the engine (pulumi preview "
            "--policy-pack) checks the credentials"
        )
    if not isinstance(endpoint, Mapping):
        yield f"materialization {_task(props)} has no endpointConfig object to check"
        return
    auth = get_path(endpoint, "credentials", "auth_type")
    if auth != "jwt":
        yield (
            f"materialization {_task(props)} authenticates with {auth or 'no auth_type'!s}; use "
            "key-pair auth (credentials.auth_type: jwt with a private_key)"
        )
    key = get_path(endpoint, "credentials", "private_key")
    if auth == "jwt" and (not isinstance(key, str) or not key):
        yield f"materialization {_task(props)} uses jwt auth without credentials.private_key"
    for path, value in walk(endpoint):
        last = path.rsplit(".", 1)[-1]
        if "password" in words(last) and value not in (None, ""):
            yield (
                f"materialization {_task(props)} sets endpointConfig.{path}; the Snowflake "
                "loader user has no password (key-pair only)"
            )


def connector_tag_pinned(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    """Estuary's connector images have moving tags (':dev' is every build of the main
    branch) and published major tags (':v1'); only the latter are pinned releases."""
    if config["allowMovingTags"]:
        return
    tag = str(props.get("connectorTag") or "").lstrip(":")
    if not re.fullmatch(config["pinnedTagPattern"], tag):
        kind = resource_type.rsplit(":", 1)[-1].lower()
        yield (
            f"{kind} {_task(props)} uses connector tag {tag or '(none)'!r}, which is not a "
            f"pinned release tag; allowed here: tags matching {config['pinnedTagPattern']} "
            "(e.g. 'v1')"
        )


POLICIES = [
    resource_policy_with_args(
        name="estuary-endpoint-config-secret",
        description="Capture and materialization endpoint configs are secret end to end.",
        resource_types=[CAPTURE, MATERIALIZATION],
        check=endpoint_config_secret,
        config={
            "requiredSecretOutputs": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["encryptedConfig", "configHash"],
            }
        },
    ),
    resource_policy(
        name="estuary-no-auto-add-bindings",
        description="Captures do not auto-add discovered bindings where the stack forbids it.",
        resource_types=[CAPTURE],
        check=no_auto_add_bindings,
        config={"allowAutoAddBindings": {"type": "boolean", "default": False}},
    ),
    resource_policy(
        name="estuary-connector-tag-pinned",
        description="Captures and materializations use a pinned connector release tag.",
        resource_types=[CAPTURE, MATERIALIZATION],
        check=connector_tag_pinned,
        config={
            "allowMovingTags": {"type": "boolean", "default": False},
            "pinnedTagPattern": {"type": "string", "default": "^v[0-9]+$"},
        },
    ),
    resource_policy_with_args(
        name="estuary-materialization-key-pair",
        description="The Snowflake materialization uses key-pair (jwt) auth.",
        resource_types=[MATERIALIZATION],
        check=materialization_key_pair,
        config={
            "connectors": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["ghcr.io/estuary/materialize-snowflake"],
            }
        },
    ),
]

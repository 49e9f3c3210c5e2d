"""No credential in plain text (stack policy).

A property "looks like a credential" when its key names one (password, passphrase, secret,
token, api key, private key, access key, credentials) and is not a reference to one (`...Ref`,
`...Name`, `...Path`, `...Url`, `...Id`, ...). What each view can check:

- both views: a Kubernetes container env var named like a credential must come from a Secret
  (`valueFrom`), never a literal `value`; a ConfigMap must not hold credential-named keys;
- offline check only (secret values are REDACTED there): every credential-named input of every
  resource, including inside JSON documents carried in strings, must be secret. The engine gives
  policies secrets unwrapped, so in `pulumi preview` this part cannot tell secret from plain and
  is skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from .common import (
    REDACTED,
    embedded_document,
    get_path,
    is_list,
    label,
    secrets_are_redacted,
    stack_policy,
    walk,
    words,
)
from .kubernetes.objects import POD_TYPES, pod_template

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

_SINGLE = {"password", "passwd", "passphrase", "secret", "token", "credential", "credentials"}
_PAIRS = {("api", "key"), ("private", "key"), ("access", "key"), ("client", "secret")}
_JOINED = {"apikey", "privatekey", "accesskey"}
_REFERENCE_SUFFIXES = {
    "ref",
    "refs",
    "name",
    "names",
    "path",
    "file",
    "id",
    "ids",
    "url",
    "uri",
    "type",
    "kind",
    "version",
    "policy",
    "length",
    "ttl",
    "seconds",
    "minutes",
    "days",
    "mode",
    "header",
    "field",
    "count",
    "enabled",
    "required",
    "arn",
}


def looks_like_credential(key: str) -> bool:
    parts = words(key)
    if not parts or parts[-1] in _REFERENCE_SUFFIXES or "ref" in parts or "public" in parts:
        return False
    if any(p in _SINGLE or p in _JOINED for p in parts):
        return True
    return any(pair in _PAIRS for pair in itertools.pairwise(parts))


def _kind(resource: PolicyResource) -> str:
    if resource.resource_type.startswith("pulumi:providers:"):
        return f"{resource.resource_type.rsplit(':', 1)[-1]} provider"
    return resource.resource_type.rsplit(":", 1)[-1]


def _env_literals(resource: PolicyResource) -> Iterator[str]:
    spec = get_path(pod_template(resource.resource_type, resource.props), "spec")
    if not isinstance(spec, Mapping):
        return
    for group in ("containers", "initContainers"):
        containers = spec.get(group)
        for container in containers if is_list(containers) else []:
            env = get_path(container, "env")
            for item in env if is_list(env) else []:
                name = get_path(item, "name")
                value = get_path(item, "value")
                if (
                    isinstance(name, str)
                    and looks_like_credential(name)
                    and value not in (None, "")
                ):
                    yield (
                        f"{_kind(resource)} {label(resource.props, resource.name)} container "
                        f"{get_path(container, 'name')} sets env {name} to a literal value; read "
                        "it from a Secret (valueFrom.secretKeyRef)"
                    )


def _scalar(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (
        isinstance(value, (int, float)) and not isinstance(value, bool)
    )


def _plain_credentials(value: Any, prefix: str = "") -> Iterator[str]:
    """Paths of credential-named scalars that are not REDACTED (JSON-in-string included)."""
    for path, item in walk(value, prefix):
        document = embedded_document(item)
        if document is not None:
            yield from _plain_credentials(document, f"{path}<json>")
            continue
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        if key and looks_like_credential(key) and _scalar(item) and item != REDACTED:
            yield path


def no_plaintext_credentials(
    resources: Sequence[PolicyResource], config: Mapping[str, Any], stack_tags: Mapping[str, str]
) -> Iterator[tuple[str, str | None]]:
    redacted_view = secrets_are_redacted(stack_tags)
    allowed = set(config["allowedPaths"])
    for resource in resources:
        if resource.resource_type in POD_TYPES:
            for message in _env_literals(resource):
                yield message, resource.urn
        if resource.resource_type == CONFIG_MAP:
            for section in ("data", "binaryData"):
                data = resource.props.get(section)
                for key in data if isinstance(data, Mapping) else []:
                    if looks_like_credential(str(key)):
                        yield (
                            f"ConfigMap {label(resource.props, resource.name)} holds {key}; "
                            "credentials belong in a Secret",
                            resource.urn,
                        )
        if not redacted_view:
            continue
        for path in _plain_credentials(resource.props):
            if f"{resource.resource_type}:{path}" in allowed:
                continue
            yield (
                f"{_kind(resource)} {resource.name}: input {path} looks like a credential but is "
                "not secret; pass it as a secret (pulumi config set --secret, "
                "pulumi.Output.secret)",
                resource.urn,
            )


POLICIES = [
    stack_policy(
        name="no-plaintext-credentials",
        description="No credential-named input carries a non-secret value.",
        check=no_plaintext_credentials,
        config={
            "allowedPaths": {
                "type": "array",
                "items": {"type": "string"},
                "description": "'<type token>:<property path>' exceptions, reviewed one by one",
                "default": [],
            }
        },
    ),
]

"""Pod rules: every container of every pod template the stack declares (`POD_TYPES`) has probes,
CPU/memory requests and limits, a non-root, read-only, unprivileged security context and a
pinned image."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..common import as_number, get_path, is_list, label, resource_policy
from .objects import POD_TYPES, pod_template


def _pod_containers(
    resource_type: str, props: Mapping[str, Any], *, init: bool = True
) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(where, container, pod spec) for each container of the resource's pod template, its init
    containers too unless `init` is False; nothing when it carries no pod spec. `where` names the
    resource and the container for a message."""
    spec = get_path(pod_template(resource_type, props), "spec")
    if not isinstance(spec, Mapping):
        return
    resource = f"{resource_type.rsplit(':', 1)[-1]} {label(props)}"
    groups = ("containers", "initContainers") if init else ("containers",)
    for group in groups:
        items = spec.get(group)
        for item in items if is_list(items) else []:
            if isinstance(item, Mapping):
                kind = "init container" if group == "initContainers" else "container"
                yield f"{resource} {kind} {item.get('name', '?')}", item, spec


def container_probes(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    required = list(config["requiredProbes"])
    for where, container, _ in _pod_containers(resource_type, props, init=False):
        missing = [p for p in required if not isinstance(container.get(p), Mapping)]
        if missing:
            yield (
                f"{where} has no {' or '.join(missing)}; Kubernetes cannot tell when it is "
                "ready or stuck"
            )


def container_resources(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    needed = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if config["requireCpuLimit"]:
        needed.append(("limits", "cpu"))
    for where, container, _ in _pod_containers(resource_type, props):
        missing = [
            f"{kind}.{resource}"
            for kind, resource in needed
            if get_path(container, "resources", kind, resource) in (None, "")
        ]
        if missing:
            yield (
                f"{where} sets no resources.{', resources.'.join(missing)}; every container "
                "needs CPU/memory requests and limits"
            )


def _security(spec: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """The effective securityContext field: the container's, else the pod's."""
    value = get_path(container, "securityContext", key)
    return value if value is not None else get_path(spec, "securityContext", key)


def run_as_non_root(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    for where, container, spec in _pod_containers(resource_type, props):
        if _security(spec, container, "runAsNonRoot") is not True:
            yield f"{where} may run as root; set securityContext.runAsNonRoot: true"
        elif as_number(_security(spec, container, "runAsUser")) == 0:
            yield f"{where} runs as UID 0; set securityContext.runAsUser to a non-root UID"


def read_only_root_filesystem(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    for where, container, _ in _pod_containers(resource_type, props):
        if get_path(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield (
                f"{where} has a writable root filesystem; set securityContext."
                "readOnlyRootFilesystem: true (mount an emptyDir where it must write)"
            )


def no_privilege_escalation(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    for where, container, _ in _pod_containers(resource_type, props):
        if get_path(container, "securityContext", "privileged") is True:
            yield f"{where} is privileged; remove securityContext.privileged"
        if get_path(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield (
                f"{where} may escalate privileges; set securityContext.allowPrivilegeEscalation: "
                "false"
            )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_tag(image: str) -> tuple[str | None, bool]:
    """(tag or None, has a sha256 digest) of an image reference."""
    digest = bool(_DIGEST.search(image))
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    return tag, digest


def image_pinned(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    for where, container, _ in _pod_containers(resource_type, props):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            yield f"{where} names no image"
            continue
        tag, digest = image_tag(image)
        if config["requireDigest"] and not digest:
            yield (
                f"{where} runs {image!r}; this stack needs images pinned by digest "
                "('<repository>@sha256:<64 hex>') so what was tested is what runs"
            )
        elif not digest and tag is None:
            yield (
                f"{where} runs {image!r} without a tag (that means 'latest'); pin a version "
                "or digest"
            )
        elif tag == "latest":
            yield f"{where} runs {image!r}; 'latest' moves, pin a version or digest"


POLICIES = [
    resource_policy(
        name="k8s-container-probes",
        description="Every container has readiness and liveness probes.",
        resource_types=POD_TYPES,
        check=container_probes,
        config={
            "requiredProbes": {
                "type": "array",
                "items": {"enum": ["readinessProbe", "livenessProbe", "startupProbe"]},
                "default": ["readinessProbe", "livenessProbe"],
            }
        },
    ),
    resource_policy(
        name="k8s-container-resources",
        description="Every container sets CPU/memory requests and limits.",
        resource_types=POD_TYPES,
        check=container_resources,
        config={"requireCpuLimit": {"type": "boolean", "default": True}},
    ),
    resource_policy(
        name="k8s-run-as-non-root",
        description="Containers run as a non-root user.",
        resource_types=POD_TYPES,
        check=run_as_non_root,
    ),
    resource_policy(
        name="k8s-read-only-root-filesystem",
        description="Containers have a read-only root filesystem.",
        resource_types=POD_TYPES,
        check=read_only_root_filesystem,
    ),
    resource_policy(
        name="k8s-no-privilege-escalation",
        description="Containers are not privileged and cannot escalate privileges.",
        resource_types=POD_TYPES,
        check=no_privilege_escalation,
    ),
    resource_policy(
        name="k8s-image-pinned",
        description="No 'latest' or untagged images; a digest where the stack requires it.",
        resource_types=POD_TYPES,
        check=image_pinned,
        config={"requireDigest": {"type": "boolean", "default": True}},
    ),
]

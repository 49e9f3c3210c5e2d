"""The stack's Kubernetes provider, and the check that its kubeconfig points at the stack's cluster.

Without an explicit provider, pulumi-kubernetes deploys to whatever the kubeconfig's current
context names: its Configure loads the kubeconfig with client-go's default loading rules
(pulumi-kubernetes provider/pkg/provider/provider.go `Configure`,
`NewDefaultClientConfigLoadingRules`), and `pulumi up --stack prod` from a shell pointed at
staging would deploy prod's objects there.
So every Kubernetes object of the program goes through one `kubernetes.Provider` per stack, built
here, with:

- `context`: the stack's `kubernetes.context` (default: its `kubernetes.cluster` name);
- `namespace`: the stack's namespace (the provider's default for objects that set none;
  pulumi-kubernetes SDK provider.py, `namespace`: resource `.metadata.namespace` first, then this,
  then the context's);
- `kubeconfig`: the file(s) this module checked (the SDK would default it to `$KUBECONFIG` anyway,
  provider.py `_utilities.get_env('KUBECONFIG')`), so the check and the provider read the same;
  a path, never the file's content, so no credential enters the state;
- `cluster_identifier`: the stack's cluster name. pulumi-kubernetes replaces the provider, and so
  every object, when it thinks the cluster changed; with `clusterIdentifier` set it replaces
  only when that value changes (provider.go `DiffConfig`). A kubeconfig that moves (a CI
  temp path, a renewed token) is then an update, never a replacement of every object.

Before the provider registers (and `__main__.py` builds it before any other resource), the
kubeconfig is read the way kubectl and client-go read it (`kubectl config --help`: `$KUBECONFIG`
is a list of files, merged, the first file to set a name wins; otherwise `~/.kube/config`) and
the stack's context must exist, point at the stack's cluster (the `server` when `apiServer` is
set, else a cluster entry named like `kubernetes.cluster`) and set no other namespace. Anything
else is refused with one message naming what was found and what the stack expects.

Under Pulumi's mocks (the offline synth, unit tests) there is no cluster to talk to: the provider
is declared as it would be, and the kubeconfig is checked only when a path is passed in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

from components.settings.kubernetes import KubernetesSettings

PROJECT = "sophia-infra"
KUBECONFIG_ENV = "KUBECONFIG"
DEFAULT_KUBECONFIG = Path("~/.kube/config")
PROVIDER_NAME = "kubernetes"


class ClusterMismatchError(ValueError):
    """The kubeconfig does not lead to the stack's cluster and namespace; nothing registered."""


@dataclass(frozen=True)
class ContextTarget:
    """Where one kubeconfig context leads."""

    context: str
    cluster: str  # the kubeconfig's name for the cluster entry
    server: str | None
    namespace: str | None


def expected_context(settings: KubernetesSettings) -> str:
    return settings.context or settings.cluster


def kubeconfig_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The files kubectl would read: `$KUBECONFIG` (a path list), else `~/.kube/config`."""
    environ = os.environ if environ is None else environ
    listed = [p for p in environ.get(KUBECONFIG_ENV, "").split(os.pathsep) if p.strip()]
    if listed:
        return [Path(p).expanduser() for p in listed]
    return [DEFAULT_KUBECONFIG.expanduser()]


def _named(entries: Any, key: str) -> dict[str, Mapping[str, Any]]:
    """`[{name: n, <key>: {...}}, ...]` -> {n: {...}}, the first of each name."""
    found: dict[str, Mapping[str, Any]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            body = entry.get(key)
            found.setdefault(entry["name"], body if isinstance(body, Mapping) else {})
    return found


def read_contexts(paths: Sequence[Path]) -> dict[str, ContextTarget]:
    """Every context of the merged kubeconfig files, first file winning per name.

    Raises ClusterMismatchError when no listed file exists or one cannot be parsed (the message
    names the file and the problem, never its content: a kubeconfig holds credentials)."""
    contexts: dict[str, Mapping[str, Any]] = {}
    clusters: dict[str, Mapping[str, Any]] = {}
    existing = [p for p in paths if p.is_file()]
    if not existing:
        raise ClusterMismatchError(f"no kubeconfig: {_describe(paths)} does not exist")
    for path in existing:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            where = getattr(error, "problem_mark", None)
            line = f" (line {where.line + 1})" if where is not None else ""
            raise ClusterMismatchError(
                f"kubeconfig {path} cannot be read{line}: {type(error).__name__}"
            ) from None
        if not isinstance(document, Mapping):
            raise ClusterMismatchError(f"kubeconfig {path} is not a YAML mapping")
        for name, body in _named(document.get("contexts"), "context").items():
            contexts.setdefault(name, body)
        for name, body in _named(document.get("clusters"), "cluster").items():
            clusters.setdefault(name, body)
    targets = {}
    for name, body in contexts.items():
        cluster = str(body.get("cluster") or "")
        server = clusters.get(cluster, {}).get("server")
        namespace = body.get("namespace")
        targets[name] = ContextTarget(
            context=name,
            cluster=cluster,
            server=str(server) if server else None,
            namespace=str(namespace) if namespace else None,
        )
    return targets


def _describe(paths: Sequence[Path]) -> str:
    shown = os.pathsep.join(str(p) for p in paths)
    return f"KUBECONFIG={shown}" if len(paths) > 1 or os.environ.get(KUBECONFIG_ENV) else shown


def cluster_problem(
    stack: str, settings: KubernetesSettings, contexts: Mapping[str, ContextTarget]
) -> str | None:
    """Why this kubeconfig must not deploy stack `stack`, or None."""
    key = f"{PROJECT}:kubernetes"
    wanted = expected_context(settings)
    target = contexts.get(wanted)
    if target is None:
        known = ", ".join(sorted(contexts)) or "none"
        origin = "kubernetes.context" if settings.context else "kubernetes.cluster (no .context)"
        return (
            f"stack {stack}: the kubeconfig has no context {wanted!r} ({key}: {origin}); its "
            f"contexts: {known}. Point KUBECONFIG at the kubeconfig for cluster "
            f"{settings.cluster!r}, or set {key}.context to the context that reaches it"
        )
    if settings.api_server is not None:
        if target.server != settings.api_server:
            return (
                f"stack {stack}: kubeconfig context {wanted!r} leads to API server "
                f"{target.server or '(none)'} (cluster entry {target.cluster!r}), but the stack "
                f"deploys to {settings.api_server} ({key}.apiServer); refusing to deploy to "
                "another cluster"
            )
    elif target.cluster != settings.cluster:
        return (
            f"stack {stack}: kubeconfig context {wanted!r} leads to cluster {target.cluster!r}, "
            f"but the stack deploys to cluster {settings.cluster!r} ({key}.cluster); refusing to "
            f"deploy to another cluster (name the kubeconfig's cluster entry {settings.cluster!r}, "
            f"or set {key}.apiServer to the cluster's API server URL)"
        )
    if target.namespace is not None and target.namespace != settings.namespace:
        return (
            f"stack {stack}: kubeconfig context {wanted!r} sets namespace {target.namespace!r}, "
            f"but the stack's namespace is {settings.namespace!r} ({key}.namespace); use a "
            "context for this stack's namespace (or one that sets none)"
        )
    return None


def check_cluster(stack: str, settings: KubernetesSettings, paths: Sequence[Path]) -> None:
    """Raise ClusterMismatchError unless `paths` lead the stack's context to its cluster."""
    try:
        contexts = read_contexts(paths)
    except ClusterMismatchError as error:
        raise ClusterMismatchError(
            f"stack {stack}: {error}; set KUBECONFIG to the kubeconfig of cluster "
            f"{settings.cluster!r} (context {expected_context(settings)!r})"
        ) from None
    problem = cluster_problem(stack, settings, contexts)
    if problem is not None:
        raise ClusterMismatchError(problem)


def under_mocks() -> bool:
    """True when the program runs under Pulumi's mocks (no engine, no cluster)."""
    return isinstance(pulumi_settings.get_monitor(), pulumi_mocks.MockMonitor)


def cluster_provider(
    stack: str,
    settings: KubernetesSettings,
    paths: Sequence[Path] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.Provider:
    """The stack's provider; its kubeconfig is checked first (see the module docstring).

    `paths`: the kubeconfig files to use (default: as kubectl finds them). Under mocks the
    check runs only when `paths` is given."""
    if paths is not None or not under_mocks():
        paths = list(paths) if paths is not None else kubeconfig_paths()
        check_cluster(stack, settings, paths)
    # One file: hand the provider that path. Several (a `$KUBECONFIG` list): leave it unset, and
    # the SDK passes `$KUBECONFIG` on, which the provider loads with the same merging rules.
    kubeconfig = str(paths[0]) if paths is not None and len(paths) == 1 else None
    return k8s.Provider(
        PROVIDER_NAME,
        kubeconfig=kubeconfig,
        context=expected_context(settings),
        namespace=settings.namespace,
        cluster_identifier=settings.cluster,
        opts=opts,
    )

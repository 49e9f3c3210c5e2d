"""One Argo Rollouts controller per cluster, checked across every stack file.

The settings loader sees one stack's config only, so it cannot tell that two stacks install the
controller into the same cluster (the second Helm release would fail on the release name and on
the cluster-scoped CRDs and ClusterRoles the first one owns). This reads every
`Pulumi.<stack>.yaml` of the project, groups the stacks by `sophia-infra:kubernetes.cluster` and
reports each cluster where more than one stack says `argoRollouts.install: true`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from components.yaml_files import load_yaml_file
from jobs.harness import PROJECT, REPO_ROOT

KEY = f"{PROJECT}:kubernetes"


def _kubernetes_config(path: Path) -> dict[str, Any]:
    data = load_yaml_file(path) or {}  # strict, as the settings read it (duplicate keys refused)
    value = (data.get("config") or {}).get(KEY)
    return value if isinstance(value, dict) else {}


def controller_installs(root: Path = REPO_ROOT) -> dict[str, list[str]]:
    """cluster -> the stacks that install the controller there (sorted)."""
    installs: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        config = _kubernetes_config(path)
        argo = config.get("argoRollouts") or {}
        if argo.get("install") is True:
            installs[str(config.get("cluster", "(no cluster set)"))].append(stack)
    return dict(installs)


def controller_violations(stack: str, root: Path = REPO_ROOT) -> list[str]:
    """Messages for each cluster where `stack` and another stack both install the controller."""
    messages = []
    for cluster, stacks in sorted(controller_installs(root).items()):
        if stack in stacks and len(stacks) > 1:
            messages.append(
                f"stacks {' and '.join(stacks)} both set {KEY}.argoRollouts.install: true on "
                f"cluster {cluster!r} ({KEY}.cluster); only one stack per cluster may install the "
                "Argo Rollouts controller: set install: false on the others"
            )
    return messages

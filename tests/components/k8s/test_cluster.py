"""`components/k8s/cluster.py`: the stack's Kubernetes provider, and the refusal of a kubeconfig
that leads to another cluster or namespace before anything registers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from components.k8s import cluster
from components.k8s.cluster import (
    ClusterMismatchError,
    check_cluster,
    kubeconfig_paths,
    read_contexts,
)
from components.settings.kubernetes import KubernetesSettings
from jobs.harness import RecordingMonitor, SynthMocks, synthesize
from tests.components.k8s.harness import STACKS, stack_config

SERVER = "https://prod.k8s.sophia.example:6443"


def settings(stack: str = "prod", **changes: Any) -> KubernetesSettings:
    values = copy.deepcopy(stack_config(stack)["sophia-infra:kubernetes"])
    values.update(changes)
    return KubernetesSettings.model_validate(values)


def kubeconfig(
    tmp_path: Path,
    name: str = "config",
    context: str = "sophia-prod",
    cluster_name: str = "sophia-prod",
    server: str = SERVER,
    namespace: str | None = "sophia-prod",
) -> Path:
    ctx: dict[str, Any] = {"cluster": cluster_name, "user": "deployer"}
    if namespace is not None:
        ctx["namespace"] = namespace
    path = tmp_path / name
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {cluster_name}\n  cluster: {{server: '{server}'}}\n"
        f"contexts:\n- name: {context}\n  context: {ctx}\n"
        "users:\n- name: deployer\n  user: {token: not-a-real-token-0000}\n"
        f"current-context: {context}\n"
    )
    return path


def test_paths_follow_kubectl(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert kubeconfig_paths({"KUBECONFIG": f"{a}:{b}"}) == [a, b]
    assert kubeconfig_paths({"KUBECONFIG": ""}) == [Path("~/.kube/config").expanduser()]
    assert kubeconfig_paths({}) == [Path("~/.kube/config").expanduser()]


def test_the_first_file_to_name_a_context_wins(tmp_path: Path) -> None:
    first = kubeconfig(tmp_path, "first", namespace="sophia-prod")
    second = kubeconfig(tmp_path, "second", namespace="elsewhere", server="https://other")
    (target,) = read_contexts([first, second]).values()
    assert (target.cluster, target.server, target.namespace) == (
        "sophia-prod",
        SERVER,
        "sophia-prod",
    )


def test_a_matching_kubeconfig_passes(tmp_path: Path) -> None:
    check_cluster("prod", settings(), [kubeconfig(tmp_path)])
    check_cluster("prod", settings(), [kubeconfig(tmp_path, namespace=None)])
    check_cluster(
        "prod",
        settings(apiServer=SERVER, context="ops@prod"),
        [kubeconfig(tmp_path, context="ops@prod", cluster_name="arn-eks-prod")],
    )


@pytest.mark.parametrize(
    ("changes", "config", "message"),
    [
        (
            {},
            {"context": "sophia-staging"},
            "stack prod: the kubeconfig has no context 'sophia-prod' (sophia-infra:kubernetes: "
            "kubernetes.cluster (no .context)); its contexts: sophia-staging. Point KUBECONFIG at "
            "the kubeconfig for cluster 'sophia-prod', or set sophia-infra:kubernetes.context to "
            "the context that reaches it",
        ),
        (
            {},
            {"cluster_name": "sophia-staging"},
            "stack prod: kubeconfig context 'sophia-prod' leads to cluster 'sophia-staging', but "
            "the stack deploys to cluster 'sophia-prod' (sophia-infra:kubernetes.cluster); "
            "refusing to deploy to another cluster (name the kubeconfig's cluster entry "
            "'sophia-prod', or set sophia-infra:kubernetes.apiServer to the cluster's API server "
            "URL)",
        ),
        (
            {"apiServer": SERVER},
            {"server": "https://staging.k8s.sophia.example:6443"},
            "stack prod: kubeconfig context 'sophia-prod' leads to API server "
            "https://staging.k8s.sophia.example:6443 (cluster entry 'sophia-prod'), but the stack "
            "deploys to https://prod.k8s.sophia.example:6443 (sophia-infra:kubernetes.apiServer); "
            "refusing to deploy to another cluster",
        ),
        (
            {},
            {"namespace": "sophia-staging"},
            "stack prod: kubeconfig context 'sophia-prod' sets namespace 'sophia-staging', but "
            "the stack's namespace is 'sophia-prod' (sophia-infra:kubernetes.namespace); use a "
            "context for this stack's namespace (or one that sets none)",
        ),
    ],
    ids=["no-such-context", "other-cluster", "other-server", "other-namespace"],
)
def test_another_cluster_or_namespace_is_refused(
    tmp_path: Path, changes: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClusterMismatchError) as raised:
        check_cluster("prod", settings(**changes), [kubeconfig(tmp_path, **config)])
    assert str(raised.value) == message


def test_no_kubeconfig_and_an_unreadable_one_are_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(ClusterMismatchError) as raised:
        check_cluster("prod", settings(), [missing])
    assert str(raised.value) == (
        f"stack prod: no kubeconfig: {missing} does not exist; set KUBECONFIG to the kubeconfig "
        "of cluster 'sophia-prod' (context 'sophia-prod')"
    )
    broken = tmp_path / "broken"
    broken.write_text("users:\n- name: x\n  user: {token: s3cr3t-value\n")
    with pytest.raises(ClusterMismatchError) as raised:
        check_cluster("prod", settings(), [broken])
    assert "s3cr3t" not in str(raised.value)
    assert str(raised.value).startswith(f"stack prod: kubeconfig {broken} cannot be read (line ")


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("apiServer", "http://prod.k8s.sophia.example", "^https://"),
        ("context", "my context", "^[A-Za-z0-9]"),
    ],
)
def test_bad_cluster_identity_settings_are_refused(field: str, value: str, allowed: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(**{field: value})
    assert allowed in str(raised.value)


# --- through the program ------------------------------------------------------------------------


def test_a_wrong_cluster_stops_the_program_before_anything_registers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As under the real engine: the kubeconfig is checked (under mocks it is not).
    monkeypatch.setattr(cluster, "under_mocks", lambda: False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path, cluster_name="sophia-staging")))
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(ClusterMismatchError, match="leads to cluster 'sophia-staging'"):
        synthesize("prod", monitor=monitor)
    assert monitor.declared == [], "nothing may register after the kubeconfig was refused"


def test_the_provider_carries_the_checked_kubeconfig_and_the_stack_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "under_mocks", lambda: False)
    path = kubeconfig(tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(path))
    (provider,) = synthesize("prod").by_type("pulumi:providers:kubernetes")
    assert provider.name == "kubernetes"
    assert {k: provider.inputs.get(k) for k in ("kubeconfig", "context", "namespace")} == {
        "kubeconfig": str(path),
        "context": "sophia-prod",
        "namespace": "sophia-prod",
    }
    assert provider.inputs.get("clusterIdentifier") == "sophia-prod"


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_goes_through_the_stack_provider(stack: str) -> None:
    synthesis = synthesize(stack)
    objects = [r for r in synthesis.resources if r.type.startswith("kubernetes:")]
    assert objects
    assert {(r.type, r.name): r.provider for r in objects} == {
        (r.type, r.name): "kubernetes" for r in objects
    }

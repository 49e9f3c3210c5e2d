"""The stack's Kubernetes provider on the real engine (components/k8s/cluster.py).

The program here is `__main__.py`'s first step alone: settings, then `wiring.kubernetes_provider`.
With a kubeconfig that leads to the stack's cluster, the real pulumi-kubernetes plugin accepts
the provider's inputs (context, namespace, kubeconfig, clusterIdentifier) in a preview (the API
server, 127.0.0.1:1, is unreachable; the provider previews on regardless). With one that leads to
another cluster, the preview fails with the program's message and no resource step is planned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

import wiring
from components import settings as stack_settings
from tests.engine.workspace import PROJECT, EngineWorkspace, workspace_options

pytestmark = pytest.mark.needs_engine

STACK = "dev"


def program() -> None:
    settings = stack_settings.load()
    wiring.kubernetes_provider(settings)
    pulumi.export("checked", True)


def kubeconfig(path: Path, cluster: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {cluster}\n  cluster: {{server: 'https://127.0.0.1:1'}}\n"
        "contexts:\n- name: sophia-nonprod\n"
        f"  context: {{cluster: {cluster}, user: u, namespace: sophia-dev}}\n"
        "users:\n- name: u\n  user: {token: not-a-real-token-0000}\n"
    )
    return path


@pytest.fixture(scope="module")
def stack_dir(workspace: EngineWorkspace) -> Iterator[EngineWorkspace]:
    workspace.create_stack(STACK)
    yield workspace


def _stack(workspace: EngineWorkspace, kube: Path, monkeypatch: pytest.MonkeyPatch) -> auto.Stack:
    # The inline program runs in this process (the check reads KUBECONFIG here); the provider
    # plugin runs under the CLI, which gets the workspace's variables.
    monkeypatch.setenv("KUBECONFIG", str(kube))
    env = {**workspace.env(), "KUBECONFIG": str(kube)}
    return auto.select_stack(
        STACK,
        project_name=PROJECT,
        program=program,
        opts=workspace_options(workspace.engine, workspace.root, env),
    )


def _steps(events: list[Any]) -> list[tuple[str, str]]:
    return [
        (e.resource_pre_event.metadata.op, e.resource_pre_event.metadata.type)
        for e in events
        if e.resource_pre_event is not None
    ]


def test_the_real_provider_accepts_the_checked_inputs(
    stack_dir: EngineWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube = kubeconfig(tmp_path / "right", "sophia-nonprod")
    events: list[Any] = []
    _stack(stack_dir, kube, monkeypatch).preview(on_event=events.append, color="never")
    assert ("create", "pulumi:providers:kubernetes") in [
        (str(op).lower().split(".")[-1], type_) for op, type_ in _steps(events)
    ]


def test_another_cluster_fails_the_preview_before_any_step(
    stack_dir: EngineWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube = kubeconfig(tmp_path / "wrong", "sophia-prod")
    events: list[Any] = []
    with pytest.raises(auto.errors.CommandError) as raised:
        _stack(stack_dir, kube, monkeypatch).preview(on_event=events.append, color="never")
    assert (
        "stack dev: kubeconfig context 'sophia-nonprod' leads to cluster 'sophia-prod', but the "
        "stack deploys to cluster 'sophia-nonprod'"
    ) in str(raised.value)
    assert [type_ for _, type_ in _steps(events) if type_ != "pulumi:pulumi:Stack"] == []

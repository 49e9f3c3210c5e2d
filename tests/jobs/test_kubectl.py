"""`jobs/kubectl.py`: kubectl failures as whole lines that name the cause and what to set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jobs import rollout_gate
from jobs.kubectl import KubectlError, kubectl_failure, kubectl_lines, run_kubectl

# Recorded from kubectl v1.32.4 with no kubeconfig (HOME without .kube, KUBECONFIG unset).
NO_CONFIG = (
    'E1208 00:31:57.240302   21685 memcache.go:265] "Unhandled Error" err="couldn\'t get '
    'current server API group list: Get \\"http://localhost:8080/api?timeout=32s\\": dial tcp '
    '127.0.0.1:8080: connect: connection refused"\n'
) * 5 + (
    "The connection to the server localhost:8080 was refused - did you specify the right host "
    "or port?\n"
)
NO_CONTEXT = "Error in configuration: context was not found for specified context: nope\n"


def test_klog_prefixes_and_repeats_are_dropped() -> None:
    assert kubectl_lines(NO_CONFIG) == [
        '"Unhandled Error" err="couldn\'t get current server API group list: Get '
        '\\"http://localhost:8080/api?timeout=32s\\": dial tcp 127.0.0.1:8080: connect: '
        'connection refused"',
        "The connection to the server localhost:8080 was refused - did you specify the right "
        "host or port?",
    ]


def test_no_kubeconfig_names_the_variable_to_set() -> None:
    assert kubectl_failure(["get", "rollouts.argoproj.io", "x"], NO_CONFIG, "sophia-prod", {}) == (
        "kubectl get rollouts.argoproj.io failed: kubectl found no cluster to talk to "
        "(KUBECONFIG is not set); set KUBECONFIG to this stack's kubeconfig (CI writes it from "
        "the environment's KUBECONFIG_DEPLOY or KUBECONFIG_READONLY secret); kubectl said: The "
        "connection to the server localhost:8080 was refused - did you specify the right host or "
        "port?"
    )


@pytest.mark.parametrize(
    ("stderr", "cause"),
    [
        (NO_CONTEXT, "the kubeconfig (KUBECONFIG=/k) has no context 'sophia-prod'"),
        ("error: You must be logged in to the server (Unauthorized)\n", "refused the credentials"),
        (
            "Unable to connect to the server: dial tcp: lookup k8s.invalid: no such host\n",
            "cannot reach the API server of context 'sophia-prod' (KUBECONFIG=/k)",
        ),
    ],
)
def test_each_cause_is_named(stderr: str, cause: str) -> None:
    message = kubectl_failure(["get", "pods"], stderr, "sophia-prod", {"KUBECONFIG": "/k"})
    assert cause in message
    assert message.endswith(stderr.strip())  # the last line whole, never cut


def test_an_unknown_failure_quotes_the_last_line_whole() -> None:
    long_line = "error: " + "x" * 900
    assert kubectl_failure(["get", "pods"], long_line, None, {}) == (
        f"kubectl get pods failed; kubectl said: {long_line}"
    )


def test_kubectl_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KubectlError, match="kubectl is not installed"):
        run_kubectl(["get", "pods"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on PATH")
def test_real_kubectl_without_a_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(KubectlError) as raised:
        run_kubectl(["get", "pods", "-n", "sophia-prod", "-o", "json"])
    message = str(raised.value)
    assert "set KUBECONFIG to this stack's kubeconfig" in message
    assert message.endswith("did you specify the right host or port?")


def test_the_gate_without_a_kubeconfig_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    code = rollout_gate.main(["--stack", "prod", "snapshot", "--out", str(tmp_path / "b.json")])
    assert code == rollout_gate.EXIT_INVALID
    assert capsys.readouterr().err == (
        f"error: stack prod: no kubeconfig: {tmp_path}/.kube/config does not exist; set "
        "KUBECONFIG to the kubeconfig of cluster 'sophia-prod' (context 'sophia-prod')\n"
    )

"""Cases for the Kubernetes and release settings of a stack file."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _cases_values


def kubernetes_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend
    nan = float("nan")

    # Kubernetes
    k = "kubernetes"
    add(_cases_values(k, "dev", f"{k}/namespace", ["Sophia", "a" * 70, "sophia-prod", "", "other"]))
    add(_cases_values(k, "staging", f"{k}/namespace", ["sophia-prod", "sophia-dev"]))
    add(_cases_values(k, "dev", f"{k}/replicas", [0, 100000, True, "1", 1.5]))
    add(_cases_values(k, "dev", f"{k}/uvicornWorkers", [0, 100, True]))
    add(_cases_values(k, "dev", f"{k}/resources/requests/cpu", ["lots", "-1", "", 1]))
    add(_cases_values(k, "dev", f"{k}/resources/limits/memory", ["1GB", "10Mi", ""]))
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/autoscaling",
            [
                {"minReplicas": 3, "maxReplicas": 1, "targetCpuUtilization": 70},
                {"minReplicas": 1, "maxReplicas": 10**9, "targetCpuUtilization": 70},
                {"minReplicas": 1, "maxReplicas": 2, "targetCpuUtilization": 200},
            ],
        )
    )
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/host",
            ["API.DEV.SOPHIA.AI", "api.sophia.ai", "localhost", "api.staging.sophia.ai", ""],
        )
    )
    add(_cases_values(k, "staging", f"{k}/host", ["api.sophia.ai", "api.dev.sophia.ai"]))
    add(_cases_values(k, "dev", f"{k}/router/kind", ["traefik"]))
    add(_cases_values(k, "dev", f"{k}/prometheusAddress", ["prometheus:9090", ""]))
    # The cluster identity the kubeconfig is checked against (components/k8s/cluster.py).
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/apiServer",
            ["http://dev.k8s.example", "dev.k8s.example:6443", "https://", "", 6443],
        )
    )
    add(_cases_values(k, "dev", f"{k}/context", ["my context", "", "-dash-first", 1]))
    add(_cases_values(k, "dev", f"{k}/targetClusterVersion", [1.34, "1.20", "latest"]))
    add(_cases_values(k, "dev", f"{k}/terminationGraceSeconds", [10, 10**9, True]))
    add(_cases_values(k, "dev", f"{k}/preStopSleepSeconds", [0, 1000]))
    add(
        _cases_values(
            k, "dev", f"{k}/imageRepository", ["ghcr.io/other/api:latest", "NOT/AN/IMAGE"]
        )
    )
    add(
        _cases_values(
            k,
            "staging",
            f"{k}/canary",
            [
                {"strategy": "rolling"},
                {"strategy": "canary", "maxErrorRate": 2, "parallelRunHold": "45m"},
                {"strategy": "canary", "maxErrorRate": nan, "parallelRunHold": "45m"},
                {"strategy": "canary", "maxErrorRate": 0.05, "parallelRunHold": "forever"},
                {
                    "strategy": "canary",
                    "maxErrorRate": 0.05,
                    "steps": [{"setWeight": 50}, {"setWeight": 10}, {"pause": {"duration": "1m"}}],
                },
                {
                    "strategy": "canary",
                    "maxErrorRate": 0.05,
                    "parallelRunHold": "45m",
                    "failureLimit": 100,
                },
            ],
        )
    )
    add(
        _cases_values(
            k,
            "dev",
            f"{k}/argoRollouts",
            [{"install": "yes"}, {"install": True, "chartVersion": "latest"}],
        )
    )

    return found


def release_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend

    # Release
    add(
        _cases_values(
            "release",
            "prod",
            "release/apiImage",
            ["ghcr.io/sophia-ai/api:latest", "docker.io/evil/api@sha256:" + "a" * 64, "x", 5],
        )
    )
    return found

"""`components/settings/kubernetes.py`: the proposed stack values parse, bad values are refused
with a message that says what is allowed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from components.settings.kubernetes import (
    CanarySettings,
    KubernetesSettings,
    ReleaseSettings,
    check_canary_for_environment,
    check_image_reference,
)
from tests.components.k8s.harness import STACKS, stack_config

DIGEST = "sha256:6f7e8ae8a09f4d7bf4bbf75e5260ac1e0093fdad3c200250acdeac8fb64afe45"


def kubernetes(stack: str = "prod") -> dict[str, Any]:
    return copy.deepcopy(stack_config(stack)["sophia-infra:kubernetes"])


def canary(**changes: Any) -> dict[str, Any]:
    return {**kubernetes("prod")["canary"], **changes}


@pytest.mark.parametrize("stack", STACKS)
def test_the_proposed_stack_values_parse_and_pass_the_environment_checks(stack: str) -> None:
    config = stack_config(stack)
    settings = KubernetesSettings.model_validate(config["sophia-infra:kubernetes"])
    release = ReleaseSettings.model_validate(config["sophia-infra:release"])
    check_image_reference(release.api_image, stack, settings.image_repository)
    check_canary_for_environment(settings.canary, stack)


def test_snake_case_names_work_in_python() -> None:
    settings = CanarySettings(strategy="canary", parallel_run_hold="30m", max_error_rate=0.05)
    assert [s.set_weight for s in settings.effective_steps()] == [50, None]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"setWeight": 10}, {"pause": {"duration": "5m"}}, {"setWeight": 5}],
            "canary setWeight values must strictly increase; got 10, 5",
        ),
        (
            [{"setWeight": 25}, {"setWeight": 25}, {"pause": {"duration": "5m"}}],
            "canary setWeight values must strictly increase; got 25, 25",
        ),
        (
            [{"setWeight": 0}, {"pause": {"duration": "5m"}}],
            "canary setWeight must be between 1 and 100 (percent of traffic); got 0",
        ),
        (
            [{"setWeight": 10}, {"pause": {"duration": "5m"}}, {"setWeight": 150}],
            "canary setWeight must be between 1 and 100 (percent of traffic); got 150",
        ),
        ([{"setWeight": 10}, {"pause": {}}], "duration"),
        ([{"setWeight": 10}, {"pause": {"duration": "forever"}}], "is not a duration like"),
        ([{"setWeight": 10, "pause": {"duration": "5m"}}], "either {setWeight"),
        ([{"setWeight": 10}, {"setWeight": 20}], "at least one pause"),
    ],
)
def test_bad_canary_steps_are_refused(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        CanarySettings.model_validate(canary(steps=steps))
    assert message in str(error.value)


@pytest.mark.parametrize("rate", [0, -0.01, 1.5, 5])
def test_an_error_threshold_outside_0_to_1_is_refused(rate: float) -> None:
    with pytest.raises(ValidationError) as error:
        CanarySettings.model_validate(canary(maxErrorRate=rate))
    assert "maxErrorRate must be a fraction of requests in (0, 1], e.g. 0.01 for 1%" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"maxErrorRate": None}, "strategy canary needs maxErrorRate"),
        ({"parallelRunHold": "30m"}, "exactly one of steps"),
        ({"steps": []}, "exactly one of steps"),
        ({"strategy": "rolling"}, "strategy rolling takes no steps"),
        ({"strategy": "blue-green"}, "'rolling' or 'canary'"),
    ],
)
def test_an_incoherent_canary_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        CanarySettings.model_validate(canary(**changes))
    assert message in str(error.value)


def test_min_replicas_above_max_is_refused() -> None:
    data = kubernetes()
    data["autoscaling"] = {"minReplicas": 12, "maxReplicas": 6, "targetCpuUtilization": 60}
    with pytest.raises(ValidationError) as error:
        KubernetesSettings.model_validate(data)
    assert "autoscaling.minReplicas (12) must not exceed autoscaling.maxReplicas (6)" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replicas": 40}, "replicas (40) must lie within autoscaling.minReplicas (9)"),
        ({"targetClusterVersion": "1.29"}, "targetClusterVersion must be a Kubernetes minor"),
        ({"targetClusterVersion": "v1.34"}, "targetClusterVersion must be a Kubernetes minor"),
        ({"namespace": "Sophia_Prod"}, "must be a DNS-1123 label"),
        ({"host": "https://api.sophia.ai"}, "fully qualified lower-case DNS name"),
        ({"terminationGraceSeconds": 25}, "greater than or equal to 30"),
        ({"terminationGraceSeconds": 30, "preStopSleepSeconds": 15}, "to drain WebSockets"),
        ({"imageRepository": "ghcr.io/sophia-ai/api:1.0"}, "without tag or digest"),
        (
            {
                "resources": {
                    "requests": {"cpu": "2", "memory": "1Gi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                }
            },
            "resources.limits.cpu (1) must be at least resources.requests.cpu (2)",
        ),
        (
            {
                "resources": {
                    "requests": {"cpu": "1", "memory": "1G"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                }
            },
            "memory quantity",
        ),
        (
            {"router": {"kind": "nginx", "sourceNamespace": "ingress-nginx"}},
            "needs router.ingressClassName",
        ),
        (
            {"router": {"kind": "gatewayApi", "sourceNamespace": "gw"}},
            "needs router.gatewayParentRef",
        ),
        ({"routr": {}}, "Extra inputs are not permitted"),
        ({"monitoringNamespace": None}, "canary.strategy canary needs monitoringNamespace"),
        ({"cluster": "Prod Cluster"}, "must be a DNS-1123 label"),
        ({"podMonitorLabels": {"release": 7}}, "Input should be a valid string"),
    ],
)
def test_bad_kubernetes_settings_are_refused(changes: dict[str, Any], message: str) -> None:
    data = {**kubernetes(), **changes}
    with pytest.raises(ValidationError) as error:
        KubernetesSettings.model_validate(data)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("image", "environment", "message"),
    [
        (
            "ghcr.io/sophia-ai/api:2026.08.1",
            "prod",
            "the API image must be pinned by digest in prod ('<repository>@sha256:<64 hex>'); "
            "got 'ghcr.io/sophia-ai/api:2026.08.1'",
        ),
        ("ghcr.io/sophia-ai/api", "prod", "must be pinned by digest in prod"),
        ("ghcr.io/sophia-ai/api:rc1", "staging", "must be pinned by digest in staging"),
        ("ghcr.io/sophia-ai/api@sha256:abc", "dev", "must be an image reference"),
        ("GHCR.io/Sophia/API@" + DIGEST, "prod", "must be an image reference"),
        ("ghcr.io/sophia-ai/api@" + DIGEST, "qa", "environment must be one of dev, staging, prod"),
    ],
)
def test_an_image_the_stack_must_not_run_is_refused(
    image: str, environment: str, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        check_image_reference(image, environment)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("image", "environment"),
    [
        ("ghcr.io/sophia-ai/api@" + DIGEST, "prod"),
        ("ghcr.io/sophia-ai/api:2026.08.1@" + DIGEST, "prod"),
        ("ghcr.io/sophia-ai/api:pr-412", "dev"),
        ("localhost:5000/sophia-ai/api:dev", "dev"),
    ],
)
def test_good_images_pass(image: str, environment: str) -> None:
    assert check_image_reference(image, environment) == image


def test_the_release_object_checks_image_syntax() -> None:
    assert ReleaseSettings.model_validate({"apiImage": "ghcr.io/sophia-ai/api@" + DIGEST})
    with pytest.raises(ValidationError) as error:
        ReleaseSettings.model_validate({"apiImage": "not an image"})
    assert "must be an image reference like" in str(error.value)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_must_ship_through_a_canary(environment: str) -> None:
    rolling = CanarySettings(strategy="rolling")
    with pytest.raises(ValueError, match=f"{environment} must use strategy canary"):
        check_canary_for_environment(rolling, environment)
    assert check_canary_for_environment(rolling, "dev") is rolling


def test_every_stack_names_its_cluster() -> None:
    data = kubernetes()
    del data["cluster"]
    with pytest.raises(ValidationError, match="cluster\n  Field required"):
        KubernetesSettings.model_validate(data)


def test_the_default_pins_are_versions_that_exist() -> None:
    # docs/kubernetes.md "Versions": where each was checked.
    data = kubernetes()
    data["argoRollouts"] = {"install": True}
    argo = KubernetesSettings.model_validate(data).argo_rollouts
    assert (argo.chart_version, argo.gateway_api_plugin_version) == ("2.41.0", "v0.8.0")

"""The plaintext-credential stack policy, in both views."""

from __future__ import annotations

import pytest

from policies.sophia_policies import REDACTED, secrets
from policies.sophia_policies.kubernetes.objects import DEPLOYMENT
from tests.policies.kubernetes.helpers import DEPLOYMENT as DEPLOYMENT_OBJ
from tests.policies.support import OFFLINE_VIEW, check_stack, resource

COVERED = {"no-plaintext-credentials"}

PROVIDER = "pulumi:providers:snowflake"
SECRET = "kubernetes:core/v1:Secret"


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("privateKey", True),
        ("private_key", True),
        ("PORTKEY_API_KEY", True),
        ("apiKey", True),
        ("auth_token", True),
        ("access_key_secret", True),
        ("password", True),
        ("oauthClientSecret", True),
        ("secretKeyRef", False),
        ("secretName", False),
        ("SNOWFLAKE_PRIVATE_KEY_PATH", False),
        ("rsaPublicKey", False),
        ("max_tokens", False),
        ("oauthTokenRequestUrl", False),
        ("authenticator", False),
    ],
)
def test_credential_names(key: str, credential: bool) -> None:
    assert secrets.looks_like_credential(key) is credential


def test_a_plaintext_private_key_fires_offline() -> None:
    provider = resource(
        PROVIDER, {"role": "SYSADMIN", "privateKey": "-----BEGIN FAKE-----"}, "snowflake-sysadmin"
    )
    assert check_stack("no-plaintext-credentials", [provider], stack_tags=OFFLINE_VIEW) == [
        (
            "snowflake provider snowflake-sysadmin: input privateKey looks like a credential but is not secret; pass it as a secret (pulumi config set --secret, pulumi.Output.secret)",
            provider.urn,
        )
    ]


def test_a_key_inside_a_json_string_fires_offline() -> None:
    gateway = resource(
        "pulumi-python:dynamic/portkey:GatewayConfig",
        {"name": "r", "config": '{"targets": [{"api_key": "pk-fake"}]}'},
        "llm-config",
    )
    assert [
        m for m, _ in check_stack("no-plaintext-credentials", [gateway], stack_tags=OFFLINE_VIEW)
    ] == [
        "GatewayConfig llm-config: input config<json>.targets[0].api_key looks like a credential but is not secret; pass it as a secret (pulumi config set --secret, pulumi.Output.secret)"
    ]


def test_redacted_credentials_pass_offline() -> None:
    provider = resource(PROVIDER, {"role": "SYSADMIN", "privateKey": REDACTED})
    secret = resource(SECRET, {"kind": "Secret", "stringData": REDACTED})
    assert (
        check_stack("no-plaintext-credentials", [provider, secret], stack_tags=OFFLINE_VIEW) == []
    )


def test_the_engine_view_cannot_judge_unwrapped_inputs() -> None:
    provider = resource(PROVIDER, {"role": "SYSADMIN", "privateKey": "unwrapped-by-the-engine"})
    assert check_stack("no-plaintext-credentials", [provider]) == []


def test_an_allowed_path_is_an_exception() -> None:
    provider = resource(PROVIDER, {"privateKey": "-----BEGIN FAKE-----"})
    config = {"allowedPaths": [f"{PROVIDER}:privateKey"]}
    assert (
        check_stack("no-plaintext-credentials", [provider], config, stack_tags=OFFLINE_VIEW) == []
    )


def test_a_literal_credential_env_var_fires_in_both_views() -> None:
    obj = {**DEPLOYMENT_OBJ}
    obj["spec"] = {
        **obj["spec"],
        "template": {
            "spec": {
                "containers": [
                    {"name": "api", "env": [{"name": "PORTKEY_API_KEY", "value": "pk-fake-0000"}]}
                ]
            }
        },
    }
    deployment = resource(DEPLOYMENT, obj, "sophia-api-deployment")
    message = "Deployment sophia-api container api sets env PORTKEY_API_KEY to a literal value; read it from a Secret (valueFrom.secretKeyRef)"
    assert check_stack("no-plaintext-credentials", [deployment]) == [(message, deployment.urn)]
    assert check_stack("no-plaintext-credentials", [deployment], stack_tags=OFFLINE_VIEW) == [
        (message, deployment.urn)
    ]


def test_a_credential_in_a_configmap_fires_in_both_views() -> None:
    config_map = resource(
        "kubernetes:core/v1:ConfigMap",
        {"kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"SNOWFLAKE_PASSWORD": "x"}},
    )
    assert check_stack("no-plaintext-credentials", [config_map]) == [
        ("ConfigMap cfg holds SNOWFLAKE_PASSWORD; credentials belong in a Secret", config_map.urn)
    ]


def test_env_from_a_secret_passes() -> None:
    deployment = resource(DEPLOYMENT, DEPLOYMENT_OBJ)
    assert check_stack("no-plaintext-credentials", [deployment], stack_tags=OFFLINE_VIEW) == []

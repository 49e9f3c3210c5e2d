"""Secrets are secret or refused, and no message ever prints a secret value."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from components.settings import SettingsError
from components.settings.credentials import (
    looks_like_credential,
    project_file_problems,
    stack_file_problems,
)
from jobs.harness import REPO_ROOT, RecordingMonitor, SynthMocks, synthesize
from tests.conftest import STACKS, stack_config

PEM_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkey\n"
    "-----END PRIVATE KEY-----\n"
)
DER_PRIVATE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDmtNpBvQyR2Wm5sFAKEkeyAAAA"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
OPENAI_KEY = "sk-proj-" + "abcdefghijklmnopqrstuvwxyz012345"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb3BoaWEtdGVzdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REFRESH = "eyJpZCI6ImFiY2RlZjAxMjM0NSIsInNlY3JldCI6InMzY3JldC12YWx1ZS14eXoifQ=="
SECRET_KEYS = {
    "snowflakePrivateKey",
    "estuarySourceCredentials",
    "estuaryLoaderPrivateKey",
    "estuaryRefreshToken",
    "portkeyAdminApiKey",
    "apiSnowflakePrivateKey",
    "portkeyApiKey",
    "legacyRedisUrl",
    "legacyPineconeApiKey",
    "legacyMcpToken",
}


def rejected(stack: str, overrides: dict[str, Any], root: Path = REPO_ROOT) -> str:
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(SettingsError) as raised:
        synthesize(stack, overrides=overrides, root=root, monitor=monitor)
    assert monitor.declared == []
    message = str(raised.value)
    for secret in (PEM_PRIVATE.splitlines()[1], DER_PRIVATE, GITHUB_TOKEN, OPENAI_KEY, JWT):
        assert secret not in message
    assert "REPLACE-WITH" not in message and "synth-placeholder" not in message
    return message


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (PEM_PRIVATE, "a PEM private key"),
        (PEM_PRIVATE.replace("PRIVATE", "RSA PRIVATE"), "a PEM private key"),
        (DER_PRIVATE, "a private key (base64 DER)"),
        (GITHUB_TOKEN, "a GitHub token"),
        ("github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnop", "a GitHub token"),
        (OPENAI_KEY, "an API key (sk-...)"),
        ("xoxb-" + "123456789012-abcdefghijklmnop", "a Slack token"),
        ("AKIA" + "ABCDEFGHIJKLMNOP", "an AWS access key"),
        (JWT, "a JWT"),
        (REFRESH, "a refresh token"),
    ],
)
def test_credential_shapes(value: str, what: str) -> None:
    assert looks_like_credential(value) == what


def test_public_keys_and_plain_values_are_not_credentials() -> None:
    public = stack_config("dev")["snowflake"]["serviceUsers"]["api"]["rsaPublicKey"]
    for value in (public, "api.dev.sophia.ai", "sophia/dev/", "ghcr.io/sophia-ai/api", "1 hour"):
        assert looks_like_credential(value) is None


def test_private_key_pasted_into_rsa_public_key_is_refused_and_not_printed() -> None:
    config = stack_config("dev")
    config["snowflake"]["serviceUsers"]["api"]["rsaPublicKey"] = PEM_PRIVATE
    message = rejected("dev", {"snowflake": config["snowflake"]})
    assert (
        "sophia-infra:snowflake.serviceUsers.api.rsaPublicKey: holds what looks like a PEM "
        "private key in a key that is not secret (value not shown); secrets go only in the "
        "secret keys, set with `pulumi config set --secret`, and a leaked one must be rotated"
    ) in message


def test_der_private_key_body_in_rsa_public_key_is_refused() -> None:
    config = stack_config("dev")
    config["snowflake"]["serviceUsers"]["estuary"]["rsaPublicKey"] = DER_PRIVATE
    message = rejected("dev", {"snowflake": config["snowflake"]})
    assert "rsaPublicKey: holds what looks like a private key (base64 DER)" in message


@pytest.mark.parametrize("key", ["snowflakePrivateKey", "portkeyApiKey", "estuaryRefreshToken"])
def test_secret_key_in_plain_text_is_refused(key: str) -> None:
    message = rejected("dev", {key: OPENAI_KEY})
    assert (
        f"sophia-infra:{key}: is a secret but arrived in plain text (value not shown); set it "
        f"with `pulumi config set --secret {key} <value>`"
    ) in message


def test_empty_secret_is_refused(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    path = tmp_path / "Pulumi.dev.yaml"
    text = path.read_text()
    marker = "  sophia-infra:portkeyApiKey:\n    secure: REPLACE-WITH-pulumi-config-set--secret"
    assert marker in text
    path.write_text(text.replace(marker, '  sophia-infra:portkeyApiKey:\n    secure: ""'))
    message = rejected("dev", {}, root=tmp_path)
    assert (
        "sophia-infra:portkeyApiKey: `secure:` is empty in Pulumi.dev.yaml; set it with "
        "`pulumi config set --secret`"
    ) in message


def test_secure_value_in_a_non_secret_key_is_refused_without_the_value() -> None:
    message = rejected("dev", {"portkey": {"secure": "AAAA"}})
    assert (
        "sophia-infra:portkey: is encrypted (`secure:` or --secret) but is not a secret key, so "
        "the program would pass the decrypted value on in plain text (value not shown)"
    ) in message


@pytest.mark.parametrize(
    ("path", "token", "what"),
    [
        (("kubernetes", "host"), GITHUB_TOKEN, "a GitHub token"),
        (("cortex", "embeddingModel"), OPENAI_KEY, "an API key (sk-...)"),
        (("estuary", "sources", "github", "startDate"), JWT, "a JWT"),
    ],
)
def test_credential_in_a_non_secret_key_is_refused_and_hidden(
    path: tuple[str, ...], token: str, what: str
) -> None:
    config = stack_config("dev")
    node = config[path[0]]
    for part in path[1:-1]:
        node = node[part]
    node[path[-1]] = token
    message = rejected("dev", {path[0]: config[path[0]]})
    assert f"sophia-infra:{'.'.join(path)}: holds what looks like {what}" in message


# {"iss": "supabase", "role": "anon"}: the shape of flowctl's DEFAULT_PG_PUBLIC_TOKEN payload.
ANON_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJhbm9uIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_estuary_anon_key_is_public_and_allowed() -> None:
    config = stack_config("dev")
    config["estuary"]["anonKey"] = ANON_JWT
    synthesize("dev", overrides={"estuary": config["estuary"]})


def test_a_jwt_without_the_anon_role_is_not_the_anon_key() -> None:
    config = stack_config("dev")
    config["estuary"]["anonKey"] = JWT
    message = rejected("dev", {"estuary": config["estuary"]})
    assert (
        "sophia-infra:estuary.anonKey: holds a JWT whose role is '(none)', not a public key"
        in message
    )


def test_stack_file_secret_leaves_must_all_be_secure() -> None:
    config = stack_config("dev")
    config["estuarySourceCredentials"]["github"]["personal_access_token"] = GITHUB_TOKEN
    problems = stack_file_problems("dev", config, SECRET_KEYS)
    assert problems == [
        "sophia-infra:estuarySourceCredentials.github.personal_access_token: is a secret but is "
        "in plain text in Pulumi.dev.yaml (value not shown); set it with `pulumi config set "
        "--secret --path 'estuarySourceCredentials.github.personal_access_token' <value>`, which "
        "stores `secure:` ciphertext"
    ]


def test_plaintext_leaf_beside_secure_ones_is_refused_by_the_program(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace(
            "      personal_access_token:\n        secure: REPLACE-WITH-pulumi-config-set--secret"
            "--path\n",
            f"      personal_access_token: {GITHUB_TOKEN}\n",
        )
    )
    message = rejected("dev", {}, root=tmp_path)
    assert (
        "sophia-infra:estuarySourceCredentials.github.personal_access_token: is a secret but is "
        "in plain text in Pulumi.dev.yaml (value not shown)"
    ) in message


def test_committed_files_keep_secrets_secret() -> None:
    for stack in STACKS:
        assert stack_file_problems(stack, stack_config(stack), SECRET_KEYS) == []


def test_plaintext_default_on_a_secret_key_in_pulumi_yaml_is_refused() -> None:
    project = {
        "config": {
            "portkeyApiKey": {"type": "string", "secret": True, "default": "sk-live"},
            **{key: {"secret": True} for key in SECRET_KEYS - {"portkeyApiKey"}},
        }
    }
    assert project_file_problems(project) == [
        "Pulumi.yaml: config.portkeyApiKey is `secret: true` but has a plaintext `default:` "
        "(value not shown); remove it (the Pulumi CLI refuses it: \"must be encrypted as it's "
        'secret") and set the value per stack with `pulumi config set --secret`'
    ]


def test_misspelt_source_credential_field_is_a_config_error() -> None:
    message = rejected(
        "dev",
        {"estuarySourceCredentials": {"github": {"personal_acess_token": {"secure": "x"}}}},
    )
    assert (
        "sophia-infra:estuarySourceCredentials.github.personal_access_token: missing; github "
        "needs personal_access_token" in message
    )
    assert (
        "sophia-infra:estuarySourceCredentials.github.personal_acess_token: unknown field (check "
        "spelling); github takes personal_access_token" in message
    )


def test_credential_fields_match_what_the_pipeline_reads() -> None:
    """SOURCE_CREDENTIAL_FIELDS is what each connector config builder actually reads."""
    from components.estuary.pipeline import SOURCES
    from components.settings import SOURCE_CREDENTIAL_FIELDS
    from components.settings.estuary import EstuarySources, WebhookSettings

    class Recording(dict):
        def __init__(self) -> None:
            super().__init__()
            self.read: list[str] = []

        def __getitem__(self, key: str) -> str:
            self.read.append(key)
            return "x"

    sources = EstuarySources()
    for source, kind in SOURCES.items():
        if isinstance(getattr(sources, source), WebhookSettings):
            # A webhook's token is generated by the stack (RandomPassword), not read from config.
            assert source not in SOURCE_CREDENTIAL_FIELDS, source
            continue
        recording = Recording()
        kind.config(getattr(sources, source), recording)
        assert tuple(recording.read) == SOURCE_CREDENTIAL_FIELDS[source], source

# ruff: noqa: E501 - a table of cases reads better one case per line
"""Cases for secrets in the config: plaintext secret keys, empty or missing secrets,
source credentials, tokens in non-secret keys, a plaintext default in Pulumi.yaml."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _at, _edit
from bench.bad_inputs.planted import (
    ANON_JWT,
    AWS_KEY,
    DER_PRIVATE_BODY,
    GITHUB_PAT,
    GITHUB_TOKEN,
    JWT,
    OPENAI_KEY,
    PEM_PRIVATE,
    REFRESH,
    SERVICE_JWT,
    SLACK_TOKEN,
)


def secret_cases() -> list[Case]:
    found: list[Case] = []

    # Secrets
    for key, value in (("snowflakePrivateKey", PEM_PRIVATE), ("portkeyApiKey", OPENAI_KEY),
                       ("apiSnowflakePrivateKey", DER_PRIVATE_BODY), ("estuaryLoaderPrivateKey", "x"),
                       ("estuaryRefreshToken", REFRESH), ("portkeyAdminApiKey", OPENAI_KEY)):  # fmt: skip
        found.append(Case(f"secret {key} in plain text", "bad", "dev", _at(key, value)))
    for key in ("snowflakePrivateKey", "portkeyApiKey"):
        found.append(Case(f"secret {key} empty secure", "bad", "dev", _at(key, {"secure": ""})))
        found.append(Case(f"secret {key} missing", "bad", "dev", _at(key, None, delete=True)))
    found.append(
        Case(
            "secret github token plaintext in credentials",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github/personal_access_token", GITHUB_TOKEN),
        )
    )
    found.append(
        Case(
            "secret fine-grained PAT plaintext in credentials",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github/personal_access_token", GITHUB_PAT),
        )
    )
    found.append(
        Case(
            "secret credential field misspelt",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github", {"personal_acess_token": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret credential field missing",
            "bad",
            "staging",
            _at("estuarySourceCredentials/gong", {"access_key": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret credentials for a source not a mapping",
            "bad",
            "dev",
            _at("estuarySourceCredentials/github", {"secure": "x"}),
        )
    )
    found.append(
        Case(
            "secret unknown credentials source",
            "bad",
            "dev",
            _at("estuarySourceCredentials/nosuch", {"token": {"secure": "x"}}),
        )
    )
    found.append(
        Case(
            "secret enabled source without credentials",
            "bad",
            "staging",
            _at("estuarySourceCredentials/slack", None, delete=True),
        )
    )
    found.append(
        Case(
            "secret secure value in non-secret key",
            "bad",
            "dev",
            _at("portkey/configName", {"secure": "AAAA"}),
        )
    )
    found.append(
        Case("secret whole non-secret key secure", "bad", "dev", _at("release", {"secure": "AAAA"}))
    )
    for where, token in (("kubernetes/host", GITHUB_TOKEN), ("cortex/embeddingModel", OPENAI_KEY),
                         ("estuary/dataPlane", SLACK_TOKEN), ("portkey/budget/metadataValue", JWT),
                         ("snowflake/deployUser", AWS_KEY), ("estuary/sources/github/startDate", JWT),
                         ("portkey/targets/0/model", OPENAI_KEY),
                         ("kubernetes/prometheusAddress", f"https://{GITHUB_TOKEN}@prom.example")):  # fmt: skip
        found.append(
            Case(f"secret credential-shaped value in {where}", "bad", "dev", _at(where, token))
        )
    found.append(
        Case(
            "secret plaintext default in Pulumi.yaml",
            "bad",
            "dev",
            project=lambda d: _edit(
                d / "Pulumi.yaml",
                "    secret: true\n    description: Portkey API key",
                "    secret: true\n    default: sk-live\n    description: Portkey API key",
            ),
        )
    )
    found.append(
        Case(
            "secret anon key is public (JWT allowed)",
            "fine",
            "dev",
            _at("estuary/anonKey", ANON_JWT),
        )
    )
    found.append(
        Case(
            "secret service_role JWT as the anon key",
            "bad",
            "dev",
            _at("estuary/anonKey", SERVICE_JWT),
        )
    )
    found.append(
        Case("secret JWT without a role as the anon key", "bad", "dev", _at("estuary/anonKey", JWT))
    )
    return found

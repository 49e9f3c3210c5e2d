"""Secrets are secret or refused: which keys are secret, and what a credential looks like.

Three views are checked, each without ever putting a secret value into a message:

- the files (`file_problems`): every `secret: true` key of Pulumi.yaml is `secure:` in the stack
  file, leaf by leaf (a plaintext leaf beside a `secure:` one is still plaintext in git), no
  non-secret key holds a `secure:` value, and Pulumi.yaml gives no plaintext default to a secret
  key (the CLI refuses that too: "Stack '<s>' with configuration key '<k>' must be encrypted as
  it's secret", pulumi sdk/go/common/workspace/config.go `validateStackConfigValue`);
- the engine (`engine_problems`): what the program is handed, where `is_config_secret` says which
  keys arrived encrypted (`pulumi config set --secret` and `secure:` both do that);
- the values: a credential-shaped string (PEM or DER private key, GitHub/Slack/AWS/OpenAI-style
  tokens, a JWT, an Estuary refresh token) in a non-secret key is refused (`looks_like_credential`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

PROJECT = "sophia-infra"

# Keys the program reads as secrets (Pulumi.yaml `secret: true`); object-valued ones hold one
# secret per leaf. components.settings.load checks Pulumi.yaml declares exactly these.
SECRET_KEYS = (
    "snowflakePrivateKey",
    "estuarySourceCredentials",
    "estuaryLoaderPrivateKey",
    "estuaryRefreshToken",
    "portkeyAdminApiKey",
    "apiSnowflakePrivateKey",
    "portkeyApiKey",
    # Legacy credentials, each set only while its migration row needs it (migration.py).
    "legacyRedisUrl",
    "legacyPineconeApiKey",
    "legacyMcpToken",
)
REQUIRED_SECRET_KEYS = (
    "snowflakePrivateKey",
    "estuarySourceCredentials",
    "estuaryLoaderPrivateKey",
    "apiSnowflakePrivateKey",
    "portkeyApiKey",
)
# Public by design, though shaped like a credential: Estuary's Supabase anon key is a JWT that
# flowctl ships in its source (DEFAULT_PG_PUBLIC_TOKEN, estuary/flow crates/flow-client
# src/lib.rs); it identifies the project, not a user. Its payload says `"role": "anon"`; any
# other role (Supabase's `service_role` key bypasses row-level security) is a secret, so the
# path admits only a JWT whose payload role is one of these.
PUBLIC_TOKEN_PATHS: dict[str, frozenset[str]] = {"estuary.anonKey": frozenset({"anon"})}

# Token shapes, each from the issuer's documentation.
_TOKEN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # GitHub: "ghp_, gho_, ghu_, ghs_, ghr_" and fine-grained "github_pat_" prefixes (GitHub docs,
    # "About authentication to GitHub", GitHub's token formats).
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,})")),
    # Slack: xoxb- (bot), xoxp- (user), xoxa-/xoxr-/xoxs- (Slack docs, "Token types").
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    # AWS access key ids start AKIA (long-term) or ASIA (temporary) (AWS IAM docs, identifiers).
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) API keys.
    ("an API key (sk-...)", re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}")),
    # JWT: base64url header and payload, both JSON objects ("eyJ" is base64 of '{"') (RFC 7519).
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("a PEM private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=_-]{40,}$")


def _der_private_key(body: str) -> bool:
    """True if `body` is base64 DER of a private key (PKCS#1, PKCS#8 or encrypted PKCS#8).

    RSAPrivateKey (RFC 8017 A.1.2) and PrivateKeyInfo (RFC 5208) open with INTEGER version;
    EncryptedPrivateKeyInfo (RFC 5208 section 6) is AlgorithmIdentifier then OCTET STRING; a
    SubjectPublicKeyInfo (RFC 5280 4.1) is AlgorithmIdentifier then BIT STRING.
    """
    try:
        der = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False

    def element(offset: int) -> tuple[int, int, int] | None:
        """(tag, content start, content end) of the DER element at offset."""
        if offset + 2 > len(der):
            return None
        tag, length = der[offset], der[offset + 1]
        start = offset + 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or start + count > len(der):
                return None
            length = int.from_bytes(der[start : start + count], "big")
            start += count
        return tag, start, start + length

    outer = element(0)
    if outer is None or outer[0] != 0x30:
        return False
    first = element(outer[1])
    if first is None:
        return False
    if first[0] == 0x02:  # INTEGER version
        return True
    if first[0] == 0x30:
        second = element(first[2])
        return second is not None and second[0] == 0x04  # OCTET STRING: encrypted key
    return False


def _refresh_token(value: str) -> bool:
    """flowctl's refresh token is base64 of a JSON object {"id": ..., "secret": ...}."""
    if not _BASE64.match(value):
        return False
    try:
        decoded = json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and bool({"secret", "refresh_token"} & set(decoded))


def looks_like_credential(value: Any) -> str | None:
    """What credential `value` looks like ('a PEM private key', ...), or None."""
    if not isinstance(value, str) or len(value) < 16:
        return None
    for what, shape in _TOKEN_SHAPES:
        if shape.search(value):
            return what
    body = "".join(value.split())
    if body.startswith("MII") and _der_private_key(body):
        return "a private key (base64 DER)"
    if _refresh_token(body):
        return "a refresh token"
    return None


def jwt_role(value: str) -> str | None:
    """The `role` claim of a JWT's payload (RFC 7519: base64url JSON, second segment), unverified:
    it only tells a public anon key from a privileged one."""
    parts = value.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    role = payload.get("role") if isinstance(payload, dict) else None
    return role if isinstance(role, str) else None


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, leaf) pairs; a `{secure: ...}` mapping counts as one leaf."""
    if isinstance(value, Mapping) and not _is_secure(value):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def credential_problems(key: str, value: Any) -> list[str]:
    """Credential-shaped leaves of the non-secret key `key`; messages name paths, not values."""
    problems = []
    for path, leaf in leaves(value):
        where = f"{key}.{path}" if path else key
        what = looks_like_credential(leaf)
        if where in PUBLIC_TOKEN_PATHS and what == "a JWT":
            role = jwt_role(leaf)
            if role in PUBLIC_TOKEN_PATHS[where]:
                continue
            problems.append(
                f"{PROJECT}:{where}: holds a JWT whose role is {role or '(none)'!r}, not a public "
                f"key (allowed role: {', '.join(sorted(PUBLIC_TOKEN_PATHS[where]))}; value not "
                "shown); a key with another role is a secret: keep it out of the stack file, "
                "and rotate it if it was committed"
            )
            continue
        if what is not None:
            problems.append(
                f"{PROJECT}:{where}: holds what looks like {what} in a key that is not secret "
                "(value not shown); secrets go only in the secret keys, set with "
                "`pulumi config set --secret`, and a leaked one must be rotated"
            )
    return problems


def declared_secret_keys(project_doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    config = project_doc.get("config") if isinstance(project_doc, Mapping) else None
    return {
        key.removeprefix(f"{PROJECT}:"): spec
        for key, spec in (config.items() if isinstance(config, Mapping) else ())
        if isinstance(spec, Mapping) and spec.get("secret") is True
    }


def project_file_problems(project_doc: Mapping[str, Any]) -> list[str]:
    """Pulumi.yaml: secret keys carry no plaintext default, and match what the program reads."""
    problems = []
    declared = declared_secret_keys(project_doc)
    for key, spec in declared.items():
        for attribute in ("default", "value"):
            if attribute in spec:
                problems.append(
                    f"Pulumi.yaml: config.{key} is `secret: true` but has a plaintext "
                    f"`{attribute}:` (value not shown); remove it (the Pulumi CLI refuses it: "
                    '"must be encrypted as it\'s secret") and set the value per stack with '
                    "`pulumi config set --secret`"
                )
    for key in sorted(set(SECRET_KEYS) - set(declared)):
        problems.append(
            f"Pulumi.yaml: config.{key} is read as a secret but not declared `secret: true`"
        )
    return problems


def stack_file_problems(
    stack: str, stack_config: Mapping[str, Any], secret_keys: set[str] | frozenset[str]
) -> list[str]:
    """Pulumi.<stack>.yaml: secret keys `secure:` leaf by leaf, non-secret keys never `secure:`,
    no credential-shaped plaintext anywhere. `stack_config` has short keys."""
    problems = []
    for key, value in stack_config.items():
        if key in secret_keys:
            for path, leaf in leaves(value):
                where = f"{key}.{path}" if path else key
                if not _is_secure(leaf):
                    problems.append(
                        f"{PROJECT}:{where}: is a secret but is in plain text in "
                        f"Pulumi.{stack}.yaml (value not shown); set it with `pulumi config set "
                        f"--secret{' --path' if path else ''} '{where}' <value>`, which stores "
                        "`secure:` ciphertext"
                    )
                elif not isinstance(leaf["secure"], str) or not leaf["secure"].strip():
                    problems.append(
                        f"{PROJECT}:{where}: `secure:` is empty in Pulumi.{stack}.yaml; set it "
                        "with `pulumi config set --secret`"
                    )
            continue
        for path, leaf in leaves(value):
            if _is_secure(leaf):
                where = f"{key}.{path}" if path else key
                problems.append(
                    f"{PROJECT}:{where}: is `secure:` but {key} is not a secret key, so the "
                    "program would hand the decrypted value on as plain text (into the gateway "
                    "config, the ConfigMap, outputs); set it without --secret, or if it is a "
                    "credential, move it to a secret key"
                )
        problems.extend(credential_problems(key, value))
    return problems

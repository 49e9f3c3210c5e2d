"""Checks of what the program cannot validate in a model: secrecy as the engine reports it, the
credential fields of each enabled source (by name only), and the project's files (secrecy leaf by
leaf, and no name shared with a sibling stack). Used by `components.settings.load`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from components.settings import identity
from components.settings.credentials import (
    SECRET_KEYS as ALL_SECRET_KEYS,
)
from components.settings.credentials import (
    declared_secret_keys,
    leaves,
    project_file_problems,
    stack_file_problems,
)
from components.settings.estuary import EstuarySettings
from components.yaml_files import YamlFileError, load_yaml_file

PROJECT = "sophia-infra"
NON_SECRET_KEYS = (
    "environment",
    "snowflake",
    "cortex",
    "estuary",
    "portkey",
    "kubernetes",
    "release",
)

# Credential fields each enabled source needs (components/estuary/pipeline.py reads exactly
# these; tests/components/settings keeps the two in step).
SOURCE_CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "github": ("personal_access_token",),
    "hubspot": ("access_token",),
    "slack": ("api_token",),
    "intercom": ("access_token",),
    "gong": ("access_key", "access_key_secret"),
    "usergems": ("auth_token",),
    "apollo": ("auth_token",),
    "zenrows": ("auth_token",),
    "apify": ("auth_token",),
}


def secrecy_problems(secret: set[str], raw: Callable[[str], str | None]) -> list[str]:
    """What the engine handed over: secret keys encrypted and non-empty, the others plain."""
    problems = []
    # The engine names the encrypted keys (PULUMI_CONFIG_SECRET_KEYS); if it named none at all,
    # it is one that does not say, and the stack file check (`_file_problems`) has the last word.
    engine_reports_secrets = bool(secret)
    for key in ALL_SECRET_KEYS:
        text = raw(key)
        if text is None:
            continue
        if key not in secret and engine_reports_secrets:
            problems.append(
                f"{PROJECT}:{key}: is a secret but arrived in plain text (value not shown); set "
                f"it with `pulumi config set --secret {key} <value>`"
            )
        elif not text.strip() or _empty_leaf(text):
            problems.append(
                f"{PROJECT}:{key}: is empty; set it with `pulumi config set --secret {key} <value>`"
            )
    for key in sorted(secret & set(NON_SECRET_KEYS)):
        problems.append(
            f"{PROJECT}:{key}: is encrypted (`secure:` or --secret) but is not a secret key, so "
            "the program would pass the decrypted value on in plain text (value not shown); set "
            "it without --secret, and keep credentials in the secret keys"
        )
    return problems


def _empty_leaf(text: str) -> bool:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return False
    if not isinstance(value, dict):
        return False
    return any(
        (isinstance(leaf, str) and not leaf.strip()) or leaf is None for _, leaf in leaves(value)
    )


def source_credential_problems(estuary: EstuarySettings, raw_credentials: str | None) -> list[str]:
    """Every enabled source needs its credential fields; only names are inspected, never values."""
    enabled = estuary.sources.enabled()
    if raw_credentials is None or not enabled:
        return []
    try:
        present = json.loads(raw_credentials)
    except json.JSONDecodeError:
        present = None
    if not isinstance(present, dict):
        return [f"{PROJECT}:estuarySourceCredentials: must be an object keyed by source name"]
    problems = []
    for source in enabled:
        fields = SOURCE_CREDENTIAL_FIELDS[source]
        given = present.get(source)
        hint = (
            f"set it with `pulumi config set --secret --path "
            f"'estuarySourceCredentials.{source}.<field>' <value>`"
        )
        if given is None:
            problems.append(
                f"{PROJECT}:estuarySourceCredentials.{source}: missing, but "
                f"estuary.sources.{source} is enabled; needs {', '.join(fields)}; {hint}"
            )
            continue
        if not isinstance(given, dict):
            problems.append(
                f"{PROJECT}:estuarySourceCredentials.{source}: must be an object with "
                f"{', '.join(fields)} (value not shown)"
            )
            continue
        for name in fields:
            if name not in given:
                problems.append(
                    f"{PROJECT}:estuarySourceCredentials.{source}.{name}: missing; "
                    f"{source} needs {', '.join(fields)}; {hint}"
                )
        for name in sorted(set(given) - set(fields)):
            problems.append(
                f"{PROJECT}:estuarySourceCredentials.{source}.{name}: unknown field (check "
                f"spelling); {source} takes {', '.join(fields)}"
            )
    for source in sorted(set(present) - set(SOURCE_CREDENTIAL_FIELDS)):
        problems.append(
            f"{PROJECT}:estuarySourceCredentials.{source}: unknown source; allowed: "
            + ", ".join(SOURCE_CREDENTIAL_FIELDS)
        )
    return problems


def file_problems(project_dir: Path, stack: str, own: identity.StackIdentity) -> list[str]:
    """Pulumi.yaml and the stack files: secrecy leaf by leaf, and no name shared with a sibling."""
    problems: list[str] = []
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.exists():
        return problems  # config comes from elsewhere (an Automation API program, a test)
    try:
        project_doc = load_yaml_file(project_file)
    except YamlFileError as error:
        return [str(error)]
    if not isinstance(project_doc, dict):
        return ["Pulumi.yaml: must be a YAML mapping"]
    problems.extend(project_file_problems(project_doc))
    secret_keys = set(declared_secret_keys(project_doc))
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            doc = load_yaml_file(path)
        except YamlFileError as error:
            if name == stack:
                problems.append(str(error))
            continue
        config = doc.get("config") if isinstance(doc, dict) else None
        if not isinstance(config, dict):
            continue
        short = identity.short_keys(config)
        if name == stack:
            problems.extend(stack_file_problems(stack, short, secret_keys))
            continue
        problems.extend(
            f"{line}; names must be unique per stack (see components/settings/identity.py)"
            for line in identity.collisions(own, identity.identity_of(name, short))
        )
    return problems

"""Checks across every stack file, for `python -m jobs.synth --check`.

- stack identity: each stack's names carry the stack (components/settings/identity.py) and no two
  stacks claim the same Snowflake name, Estuary prefix, Portkey config/limit/provider, namespace
  or host;
- secrets: every `secret: true` key is `secure:` leaf by leaf, no other key is, no credential-shaped
  plaintext (components/settings/credentials.py) - in every stack file, not only the one checked;
- guard rails: a policy switched off (`"all": "disabled"` or one policy's level) is said in the
  report, and in prod it is a mandatory violation unless `--policy-override POLICY=REASON` names
  it and says why.

Each finding is a `jobs.check.report.Violation`, so the report and the exit code treat it like a
rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from components.settings.credentials import (
    declared_secret_keys,
    project_file_problems,
    stack_file_problems,
)
from components.settings.identity import (
    collisions,
    identity_of,
    identity_problems,
    short_keys,
)
from components.yaml_files import YamlFileError, load_yaml_file
from jobs.check.config import configure
from jobs.check.report import CheckReport, Violation
from jobs.harness import Synthesis

IDENTITY_RULE = "stack-identity"
SECRETS_RULE = "stack-secrets"
GUARD_RAIL_RULE = "policy-disabled"


def _mandatory(policy: str, message: str) -> Violation:
    return Violation(policy=policy, enforcement="mandatory", message=message, urn=None)


def stack_identity_violations(project_dir: Path) -> list[Violation]:
    """Identity and secrecy of every Pulumi.<stack>.yaml in `project_dir`, pairwise too."""
    found: list[Violation] = []
    try:
        project_doc = load_yaml_file(project_dir / "Pulumi.yaml")
    except YamlFileError as error:
        return [_mandatory(SECRETS_RULE, str(error))]
    if not isinstance(project_doc, Mapping):
        return [_mandatory(SECRETS_RULE, "Pulumi.yaml: must be a YAML mapping")]
    found += [_mandatory(SECRETS_RULE, p) for p in project_file_problems(project_doc)]
    secret_keys = set(declared_secret_keys(project_doc))
    identities = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            doc = load_yaml_file(path)
        except YamlFileError as error:
            found.append(_mandatory(IDENTITY_RULE, str(error)))
            continue
        config: Any = doc.get("config") if isinstance(doc, Mapping) else None
        if not isinstance(config, Mapping):
            found.append(_mandatory(IDENTITY_RULE, f"{path.name}: has no `config:` mapping"))
            continue
        short = short_keys(config)
        identity = identity_of(stack, short)
        identities.append(identity)
        found += [
            _mandatory(IDENTITY_RULE, f"stack {stack}: {p}") for p in identity_problems(identity)
        ]
        found += [
            _mandatory(SECRETS_RULE, f"stack {stack}: {p}")
            for p in stack_file_problems(stack, short, secret_keys)
        ]
    for a, b in itertools.combinations(identities, 2):
        found += [_mandatory(IDENTITY_RULE, line) for line in collisions(a, b)]
    return found


def guard_rail_violations(
    synthesis: Synthesis,
    config: Mapping[str, Any],
    policy_names: Sequence[str],
    overrides: Mapping[str, str],
    report: CheckReport,
) -> list[Violation]:
    """Say which policies are off; in prod, each one is a violation unless overridden by name."""
    from policies.sophia_policies import POLICIES

    configured = configure(POLICIES, config)
    disabled = [
        name for name in policy_names if configured[name].enforcement == EnforcementLevel.DISABLED
    ]
    unknown = sorted(set(overrides) - set(policy_names) - {"all"})
    found = [
        _mandatory(GUARD_RAIL_RULE, f"--policy-override names unknown policy {name!r}")
        for name in unknown
    ]
    if not disabled:
        return found
    everything = len(disabled) == len(policy_names)
    what = (
        f'every policy is disabled ({len(disabled)} of {len(policy_names)}: "all": "disabled")'
        if everything
        else f"{len(disabled)} of {len(policy_names)} policies disabled: {', '.join(disabled)}"
    )
    prod = synthesis.outputs.get("environment") == "prod"
    where = f"policies/config/{synthesis.stack}.json"
    if everything and not overrides.get("all") and not set(overrides) & set(disabled):
        level = "mandatory" if prod else "advisory"
        rule = " prod may not switch the guard rails off without `--policy-override all=<why>`"
        return [
            *found,
            Violation(
                GUARD_RAIL_RULE,
                level,
                f"{what} in {where};" + (rule if prod else " nothing was checked"),
                None,
            ),
        ]
    for name in disabled:
        reason = overrides.get(name) or overrides.get("all")
        if reason:
            found.append(
                Violation(
                    GUARD_RAIL_RULE,
                    "advisory",
                    f"policy {name} is disabled in policies/config/{synthesis.stack}.json; "
                    f"override: {reason}",
                    None,
                )
            )
        elif prod:
            found.append(
                _mandatory(
                    GUARD_RAIL_RULE,
                    f"policy {name} is disabled in policies/config/{synthesis.stack}.json; prod "
                    f"may not switch a guard rail off without `--policy-override {name}=<why>`",
                )
            )
        else:
            found.append(
                Violation(
                    GUARD_RAIL_RULE,
                    "advisory",
                    f"policy {name} is disabled in policies/config/{synthesis.stack}.json",
                    None,
                )
            )
    found.insert(0, Violation(GUARD_RAIL_RULE, "advisory", f"NOTE: {what}", None))
    return found

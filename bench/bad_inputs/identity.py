"""Cases for a stack's identity: its environment, duplicate keys, new stacks, names
shared with another stack."""

from __future__ import annotations

import shutil

from bench.bad_inputs.case import Case, _at, _cases_values, _stack_text


def identity_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend

    # Environment and identity
    add(_cases_values("environment", "staging", "environment", ["prod"]))
    add(_cases_values("environment", "prod", "environment", ["staging", "dev"]))
    add(_cases_values("environment", "dev", "environment", ["qa", "", 1, "PROD", None]))
    found.append(
        Case(
            "identity duplicate environment key",
            "bad",
            "prod",
            text=lambda t: t.replace(
                "  sophia-infra:environment: prod\n",
                "  sophia-infra:environment: prod\n  sophia-infra:environment: dev\n",
            ),
        )
    )
    found.append(
        Case(
            "identity duplicate nested key",
            "bad",
            "dev",
            text=lambda t: t.replace(
                "        size: XSMALL\n", "        size: XSMALL\n        size: LARGE\n", 1
            ),
        )
    )
    found.append(
        Case(
            "identity new stack qa copying dev",
            "bad",
            "qa",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.qa.yaml"),
        )
    )
    found.append(
        Case(
            "identity new stack qa as environment prod",
            "bad",
            "qa",
            project=lambda d: (d / "Pulumi.qa.yaml").write_text(_stack_text("prod")),
        )
    )
    found.append(
        Case(
            "identity stack name with upper case",
            "bad",
            "Dev2",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.Dev2.yaml"),
        )
    )
    found.append(
        Case(
            "identity new stack qa with its own names",
            "fine",
            "qa",
            project=lambda d: (d / "Pulumi.qa.yaml").write_text(_rename("dev", "qa")),
        )
    )
    found.append(
        Case(
            "identity staging shares prod estuary prefix",
            "bad",
            "staging",
            _at("estuary/tenantPrefix", "sophia/prod/"),
        )
    )
    found.append(
        Case(
            "identity staging uses prod's provider slug",
            "bad",
            "staging",
            _at("portkey/targets/0/provider", "@openai-prod"),
        )
    )
    found.append(
        Case(
            "identity staging uses prod's config name",
            "bad",
            "staging",
            _at("portkey/configName", "sophia-prod-routing"),
        )
    )
    found.append(
        Case(
            "identity --check all stacks after qa collides",
            "bad",
            "dev",
            project=lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.qa.yaml"),
            args=["--check"],
        )
    )
    return found


def _rename(source: str, stack: str) -> str:
    """A stack file copied from `source` with every identity name moved to `stack`."""
    text = _stack_text(source)
    return (
        text.replace(f"sophia/{source}/", f"sophia/{stack}/")
        .replace(f"sophia-{source}", f"sophia-{stack}")
        .replace(f'-{source}"', f'-{stack}"')
        .replace(f"api.{source}.", f"api.{stack}.")
    )

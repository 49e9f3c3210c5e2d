"""Stacks cannot collide: names derive from the stack name, and no two stacks share one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.settings import SettingsError
from components.settings.identity import (
    ROLE_BASE_NAMES,
    SERVICE_USER_BASE_NAMES,
    collisions,
    identity_of,
    identity_problems,
    name_suffix,
)
from components.snowflake.roles import ROLE_BASE_NAMES as ACCESS_ROLES
from jobs.harness import REPO_ROOT, RecordingMonitor, SynthMocks, synthesize
from tests.conftest import STACKS, stack_config

PROJECT_FILES = ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS))


def project(tmp_path: Path, edit: Callable[[Path], None] | None = None) -> Path:
    for name in PROJECT_FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    if edit is not None:
        edit(tmp_path)
    return tmp_path


def rejected(stack: str, root: Path = REPO_ROOT, overrides: dict[str, Any] | None = None) -> str:
    monitor = RecordingMonitor(SynthMocks())
    with pytest.raises(SettingsError) as raised:
        synthesize(stack, overrides=overrides, root=root, monitor=monitor)
    assert monitor.declared == [], "no resource may be registered after a bad value"
    return str(raised.value)


def test_suffix_comes_from_the_stack_name_not_the_environment() -> None:
    assert name_suffix("prod") == ""
    assert name_suffix("qa") == "_QA"
    assert name_suffix("staging") == "_STAGING"


def test_identity_lists_match_the_code() -> None:
    assert set(ROLE_BASE_NAMES) == set(ACCESS_ROLES.values())
    main = (REPO_ROOT / "__main__.py").read_text()
    assert all(f'name=f"{user}{{suffix}}"' in main for user in SERVICE_USER_BASE_NAMES)


def test_committed_stacks_follow_the_rules_and_never_collide() -> None:
    identities = [identity_of(stack, stack_config(stack)) for stack in STACKS]
    for identity in identities:
        assert identity_problems(identity) == []
    for index, a in enumerate(identities):
        for b in identities[index + 1 :]:
            assert list(collisions(a, b)) == []


def test_new_stack_copied_from_dev_is_refused_with_every_shared_name(tmp_path: Path) -> None:
    root = project(tmp_path, lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.qa.yaml"))
    message = rejected("qa", root)
    assert (
        "sophia-infra:estuary.tenantPrefix = 'sophia/dev/': must end in '/qa/' (the stack's own "
        "catalog prefix, e.g. 'sophia/qa/')" in message
    )
    assert (
        "stacks 'qa' and 'dev' both deploy into the Kubernetes namespace 'sophia-dev'; names "
        "must be unique per stack (see components/settings/identity.py)" in message
    )
    assert "stacks 'qa' and 'dev' both route to the Portkey provider(s) @openai-dev" in message
    assert "stacks 'qa' and 'dev' both serve the host 'api.dev.sophia.ai'" in message


def test_new_stack_with_its_own_names_is_accepted(tmp_path: Path) -> None:
    def add_qa(directory: Path) -> None:
        text = (directory / "Pulumi.dev.yaml").read_text()
        for old, new in (
            ("sophia/dev/", "sophia/qa/"),
            ("sophia-dev", "sophia-qa"),
            ('-dev"', '-qa"'),
            ("api.dev.", "api.qa."),
        ):
            text = text.replace(old, new)
        (directory / "Pulumi.qa.yaml").write_text(text)

    synthesis = synthesize("qa", root=project(tmp_path, add_qa))
    assert synthesis.outputs["nameSuffix"] == "_QA"
    assert synthesis.outputs["snowflake"]["database"] == "SOPHIA_AI_QA"


def test_staging_may_not_take_prods_estuary_prefix() -> None:
    config = stack_config("staging")
    config["estuary"]["tenantPrefix"] = "sophia/prod/"
    message = rejected("staging", overrides={"estuary": config["estuary"]})
    assert (
        "stacks 'staging' and 'prod' share the Estuary catalog prefix ('sophia/prod/' / "
        "'sophia/prod/'): one stack's publications would replace the other's tasks" in message
    )


def test_staging_may_not_route_to_prods_provider() -> None:
    config = stack_config("staging")
    config["portkey"]["targets"][0]["provider"] = "@openai-prod"
    # Provider slugs name integrations inside a workspace: they collide only in a shared one.
    config["portkey"]["workspaceId"] = stack_config("prod")["portkey"]["workspaceId"]
    message = rejected("staging", overrides={"portkey": config["portkey"]})
    assert (
        "sophia-infra:portkey.targets provider = '@openai-prod': must end in '-staging'" in message
    )
    assert (
        "stacks 'staging' and 'prod' both route to the Portkey provider(s) @openai-prod" in message
    )


def test_non_prod_stack_may_not_be_environment_prod() -> None:
    message = rejected("staging", overrides={"environment": "prod"})
    assert (
        "sophia-infra:environment = 'prod': only stack prod may be environment prod (it would "
        "apply prod's rules to stack 'staging' and share prod's metadata in Portkey); allowed: "
        "dev, staging" in message
    )


def test_prod_must_be_environment_prod() -> None:
    message = rejected("prod", overrides={"environment": "dev"})
    assert "sophia-infra:environment = 'dev': stack prod must be environment prod" in message


def test_name_suffix_override_may_not_borrow_another_stacks() -> None:
    config = stack_config("dev")
    config["snowflake"]["nameSuffix"] = ""
    message = rejected("dev", overrides={"snowflake": config["snowflake"]})
    assert (
        "sophia-infra:snowflake.nameSuffix = '': the suffix comes from the stack name; stack "
        "'dev' has '_DEV' (remove the key)" in message
    )


def test_prod_warehouse_named_like_devs_collides() -> None:
    config = stack_config("prod")
    config["snowflake"]["warehouses"]["API_WH_DEV"] = {
        "size": "XSMALL",
        "autoSuspendSeconds": 60,
        "creditQuota": 1,
    }
    message = rejected("prod", overrides={"snowflake": config["snowflake"]})
    assert "stacks 'prod' and 'dev' both declare Snowflake API_WH_DEV" in message


def test_name_too_long_after_the_suffix() -> None:
    config = stack_config("dev")
    config["snowflake"]["warehouses"]["W" * 250] = {
        "size": "XSMALL",
        "autoSuspendSeconds": 60,
        "creditQuota": 1,
    }
    message = rejected("dev", overrides={"snowflake": config["snowflake"]})
    assert "characters with the stack suffix; Snowflake allows 255" in message


def test_duplicate_environment_key_is_an_error(tmp_path: Path) -> None:
    def duplicate(directory: Path) -> None:
        path = directory / "Pulumi.prod.yaml"
        path.write_text(
            path.read_text().replace(
                "  sophia-infra:environment: prod\n",
                "  sophia-infra:environment: prod\n  sophia-infra:environment: dev\n",
            )
        )

    from jobs.harness import StackConfigError

    with pytest.raises(StackConfigError) as raised:
        synthesize("prod", root=project(tmp_path, duplicate))
    assert str(raised.value) == (
        "Pulumi.prod.yaml is not valid YAML: line 5, column 3: duplicate key "
        "'sophia-infra:environment' (first on line 4; YAML keeps only one, the Pulumi CLI "
        "refuses the file)"
    )


def test_stack_name_must_make_a_clean_suffix(tmp_path: Path) -> None:
    root = project(tmp_path, lambda d: shutil.copy(d / "Pulumi.dev.yaml", d / "Pulumi.Dev-2.yaml"))
    message = rejected("Dev-2", root)
    assert "stack name 'Dev-2': allowed: a lower-case letter then lower-case letters or" in message

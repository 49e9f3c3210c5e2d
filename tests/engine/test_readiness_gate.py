"""The Snowflake readiness gate on the real engine: `check` refuses preview and up, nothing is made.

The Snowflake provider cannot run here (it logs in even to preview), so the program is the gate
alone with a resource that depends on it, as every Snowflake provider does in `__main__.py`.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from components.snowflake.readiness import ReadinessGate
from tests.engine.toolchain import Engine, offline_env
from tests.engine.workspace import PASSPHRASE, PROJECT, workspace_options

pytestmark = pytest.mark.needs_engine

ITEM = (
    "sophia-infra:snowflake.networkPolicies.api",
    "unset: prod fences every service user's key-pair login by IP",
    "pulumi config set --stack gate --path 'sophia-infra:snowflake.networkPolicies.api[0]' '<egress CIDR>'",
)


def _program() -> None:
    gate = ReadinessGate("snowflake-readiness", [ITEM])
    pulumi.ComponentResource(
        "sophia:test:AfterGate", "after", None, pulumi.ResourceOptions(depends_on=[gate])
    )


def test_the_gate_refuses_preview_and_up_and_nothing_is_created(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "workspace").mkdir()
    (tmp_path / "state").mkdir()
    opts = workspace_options(engine, tmp_path, offline_env(engine, tmp_path / "home", PASSPHRASE))
    stack = auto.create_or_select_stack("gate", project_name=PROJECT, program=_program, opts=opts)
    with pytest.raises(auto.errors.CommandError) as preview:
        stack.preview(color="never")
    assert "not ready for a real `up`: sophia-infra:snowflake.networkPolicies.api" in str(
        preview.value
    )
    with pytest.raises(auto.errors.CommandError):
        stack.up(color="never")
    resources = stack.export_stack().deployment.get("resources") or []
    made = [
        r["type"]
        for r in resources
        if not r["type"].startswith(("pulumi:pulumi:", "pulumi:providers:"))
    ]
    assert made == []  # neither the gate nor what waits for it

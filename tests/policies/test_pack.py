"""The pack as a whole: its entry point, its config files, and the rules' independence."""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
from typing import Any

import pulumi_policy
import pytest
import yaml

import jobs.check.config
import jobs.check.runner
from jobs.harness import REPO_ROOT
from policies.sophia_policies import PACK_NAME, POLICIES
from tests.conftest import STACKS
from tests.policies import test_estuary, test_portkey, test_secrets, test_snowflake
from tests.policies.kubernetes import test_canary, test_containers, test_scaling

POLICIES_DIR = REPO_ROOT / "policies"


def test_main_hands_the_offline_check_s_rule_objects_to_the_pack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:  # the real one starts a gRPC server and never returns
        captured.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    runpy.run_path(str(POLICIES_DIR / "__main__.py"), run_name="__main__")
    assert captured["name"] == PACK_NAME
    assert captured["enforcement_level"] == pulumi_policy.EnforcementLevel.MANDATORY
    assert captured["policies"] is jobs.check.runner.POLICIES
    assert all(
        a is b for a, b in zip(captured["policies"], jobs.check.runner.POLICIES, strict=True)
    )


def test_every_rule_has_violating_and_compliant_tests() -> None:
    covered = set().union(
        test_snowflake.COVERED,
        test_containers.COVERED,
        test_scaling.COVERED,
        test_canary.COVERED,
        test_portkey.COVERED,
        test_estuary.COVERED,
        test_secrets.COVERED,
    )
    assert covered == {p.name for p in POLICIES}


ADVISORY_RULES = {
    "portkey-model-retiring"
}  # warns before a model retires; the failure is mandatory


def test_rule_names_are_unique_and_every_rule_but_the_warnings_is_mandatory() -> None:
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))
    mandatory = {p.enforcement_level for p in POLICIES if p.name not in ADVISORY_RULES}
    assert mandatory == {pulumi_policy.EnforcementLevel.MANDATORY}
    advisory = {p.enforcement_level for p in POLICIES if p.name in ADVISORY_RULES}
    assert advisory == {pulumi_policy.EnforcementLevel.ADVISORY}


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_has_a_policy_config_that_matches_the_schemas(stack: str) -> None:
    config = jobs.check.config.load_policy_config(stack)
    configured = jobs.check.config.configure(POLICIES, config)
    assert set(configured) == {p.name for p in POLICIES}


def test_the_stack_configs_set_the_same_thresholds() -> None:
    keys = {
        stack: {
            (k, tuple(sorted(v))) for k, v in jobs.check.config.load_policy_config(stack).items()
        }
        for stack in STACKS
    }
    assert keys["dev"] == keys["staging"] == keys["prod"]


def test_a_config_typo_is_refused_with_the_policy_and_key() -> None:
    with pytest.raises(jobs.check.config.PolicyConfigError) as error:
        jobs.check.config.configure(
            POLICIES, {"snowflake-warehouse-auto-suspend": {"maxAutoSuspendSecs": 60}}
        )
    assert str(error.value) == (
        "policy snowflake-warehouse-auto-suspend config (top): Additional properties are not allowed ('maxAutoSuspendSecs' was unexpected)"
    )
    with pytest.raises(jobs.check.config.PolicyConfigError, match="unknown policy k8s-probes;"):
        jobs.check.config.configure(POLICIES, {"k8s-probes": {}})
    with pytest.raises(
        jobs.check.config.PolicyConfigError, match="enforcementLevel 'strict' is not one of"
    ):
        jobs.check.config.configure(POLICIES, {"all": "strict"})


def test_pulumi_policy_yaml_and_requirements() -> None:
    doc = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert doc["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    pins = [
        line
        for line in (POLICIES_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert {"pulumi-policy==1.21.0", "pulumi==3.272.0"} <= set(pins)
    assert all("==" in pin for pin in pins)


def test_policies_never_import_components_or_jobs() -> None:
    for path in POLICIES_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("components", "jobs")), f"{path} imports {name}"


def test_the_rules_import_as_the_engine_imports_them() -> None:
    """cwd=policies/, `import sophia_policies`, fresh interpreter: no components, no jobs."""
    script = (
        "import sys, sophia_policies as p; "
        "print(json.dumps([len(p.POLICIES), sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('components', 'jobs', 'policies'))]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import json; {script}"],
        cwd=POLICIES_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == [len(POLICIES), []]


def test_docs_list_every_rule() -> None:
    docs = (REPO_ROOT / "docs" / "policies.md").read_text()
    missing = [p.name for p in POLICIES if f"| `{p.name}` |" not in docs]
    assert missing == []

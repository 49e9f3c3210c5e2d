# ruff: noqa: E501 - a table of cases reads better one case per line
"""Cases for the policy configs (policies/config/*.json), run with `--check`."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from bench.bad_inputs.case import REPO_ROOT, Case


def policy_cases() -> list[Case]:
    found: list[Case] = []

    # Policy config
    def policy(content: str | None, stack: str = "prod") -> Callable[[Path], Any]:
        def patch(directory: Path) -> Any:
            target = directory / "policy-config"
            shutil.copytree(REPO_ROOT / "policies/config", target, dirs_exist_ok=True)
            if content is not None:
                (target / f"{stack}.json").write_text(content)
            return _policy_dir_patch(target)

        return patch

    prod_policy = json.loads((REPO_ROOT / "policies/config/prod.json").read_text())
    for name, content, stack in (
        ("all disabled in prod", json.dumps({**prod_policy, "all": "disabled"}), "prod"),
        ("one policy disabled in prod", json.dumps({**prod_policy, "portkey-fallback": "disabled"}), "prod"),
        ("min above max", json.dumps({**prod_policy, "k8s-canary-first-weight": {"minFirstWeight": 60, "maxFirstWeight": 10}}), "prod"),
        ("unknown policy", json.dumps({"no-such-policy": "mandatory"}), "prod"),
        ("not JSON", "{", "prod"),
        ("a list", "[]", "prod"),
        ("bad level", json.dumps({"all": "loud"}), "prod"),
        ("bad threshold type", json.dumps({"portkey-cost-ceiling": {"maxCostPerRequestUsd": "cheap"}}), "prod"),
        ("NaN threshold", '{"portkey-cost-ceiling": {"maxCostPerRequestUsd": NaN}}', "prod"),
        ("duplicate key", '{"all": "mandatory", "all": "disabled"}', "prod"),
        ("invalid UTF-8", None, "prod"),
    ):  # fmt: skip
        patcher = policy(content, stack)
        if name == "invalid UTF-8":

            def patcher(directory: Path) -> Any:
                target = directory / "policy-config"
                shutil.copytree(REPO_ROOT / "policies/config", target, dirs_exist_ok=True)
                (target / "prod.json").write_bytes(b'{"all": "\xff"}')
                return _policy_dir_patch(target)

        found.append(Case(f"policy config {name}", "bad", stack, patch=patcher, args=["--check"]))
    found.append(
        Case(
            "policy config all disabled in dev (said, not failed)",
            "fine",
            "dev",
            patch=policy(json.dumps({"all": "disabled"}), "dev"),
            args=["--check"],
        )
    )
    return found


def _policy_dir_patch(target: Path) -> contextlib.AbstractContextManager[Any]:
    """Point `load_policy_config` at `target` (its default argument, old or new code alike)."""
    from jobs import check

    defaults = check.load_policy_config.__defaults__ or (None,)
    return mock.patch.object(check.load_policy_config, "__defaults__", (target, *defaults[1:]))

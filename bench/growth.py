"""Generated stacks that grow: N Estuary bindings, N/10 extra schemas, N/50 extra warehouses.

Each size is a copy of the prod stack in a scratch project directory (the program and Pulumi.yaml
are copied, the components are imported from this checkout), with the fixed-stream sources turned
off and the N bindings spread over the four webhook sources as feeds, so N is exact.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from bench.processes import REPO_ROOT

WEBHOOK_SOURCES = ("usergems", "apollo", "zenrows", "apify")
FIXED_SOURCES = ("github", "hubspot", "slack", "intercom", "gong")


def growth_config(bindings: int, objects_from: int | None = None) -> dict[str, Any]:
    """The prod stack's config, grown to `bindings` Estuary bindings.

    Schemas and warehouses grow with `objects_from` (default: `bindings`), so the cost of
    bindings (heavier resources) and of objects (more resources) can be measured apart.
    """
    objects = bindings if objects_from is None else objects_from
    doc = yaml.safe_load((REPO_ROOT / "Pulumi.prod.yaml").read_text())
    config = copy.deepcopy(doc["config"])
    # Only stack prod may be environment prod, and every shared name carries the stack
    # (components/settings/identity.py): staging's rules, prod's shape, the stack's own names.
    config["sophia-infra:environment"] = "staging"
    estuary = config["sophia-infra:estuary"]
    for source in FIXED_SOURCES:
        estuary["sources"].setdefault(source, {})["enabled"] = False
    for index, source in enumerate(WEBHOOK_SOURCES):
        share = bindings // len(WEBHOOK_SOURCES) + (index < bindings % len(WEBHOOK_SOURCES))
        estuary["sources"][source] = {
            "enabled": True,
            "streams": [f"feed_{i:05d}" for i in range(share)] or ["events"],
        }
    snowflake = config["sophia-infra:snowflake"]
    snowflake["database"]["extraSchemas"] = [f"GROWTH_{i:04d}" for i in range(objects // 10)]
    for i in range(objects // 50):
        snowflake["warehouses"][f"GROWTH_{i:03d}_WH"] = {
            "size": "XSMALL",
            "autoSuspendSeconds": 60,
            "creditQuota": 10,
        }
    return {"config": config}


def renamed(config: dict[str, Any], stack: str) -> dict[str, Any]:
    """`config` (prod's) with every account- and tenant-level name moved to `stack`."""
    config = copy.deepcopy(config)
    config["sophia-infra:estuary"]["tenantPrefix"] = f"sophia/{stack}/"
    portkey = config["sophia-infra:portkey"]
    portkey["configName"] = f"sophia-{stack}-routing"
    if "usageLimit" in portkey:
        portkey["usageLimit"]["name"] = f"sophia-{stack}-llm-monthly"
    for target in portkey["targets"]:
        target["provider"] = target["provider"].rsplit("-", 1)[0] + f"-{stack}"
    kubernetes = config["sophia-infra:kubernetes"]
    kubernetes["namespace"] = f"sophia-{stack}"
    kubernetes["host"] = f"api.{stack}.sophia.ai"
    return config


def growth_project(
    bindings: int, directory: Path, objects_from: int | None = None, stack: str | None = None
) -> str:
    """Write a scratch project with one generated stack; returns the stack name."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, directory / name)
    stack = stack or f"grow{bindings}"
    document = growth_config(bindings, objects_from)
    document["config"] = renamed(document["config"], stack)
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return stack

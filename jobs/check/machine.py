"""The policy check for machines: `--check --format sarif` (code scanning) and `--format json`.

SARIF 2.1.0 (OASIS, docs.oasis-open.org/sarif/sarif/v2.1.0; schema sarif-2.1/schema/
sarif-schema-2.1.0.json in oasis-tcs/sarif-spec): one run, the pack as the tool, each policy a
`reportingDescriptor` rule, each violation a `result` with

- `ruleId`, `level` (mandatory -> error, advisory -> warning), the message;
- the resource as a `logicalLocation` (its name, its URN as `fullyQualifiedName`, and its type);
- a `physicalLocation` in the stack file `Pulumi.<stack>.yaml`: the line of the setting the
  resource comes from when one is found (below), else the line of its area's key
  (`sophia-infra:snowflake:` ...), else line 1 (the stack as a whole); GitHub code scanning
  shows a result only at a file and line ("Uploading a SARIF file to GitHub", locations);
- a `relatedLocation` in `policies/config/<stack>.json` at the threshold the message names;
- `partialFingerprints` over policy, resource and message, so code scanning tracks one finding
  across pushes instead of opening a new alert per run.

Finding "the setting the resource comes from" is a heuristic, not a mapping the program keeps:
within the area's block of the stack file, the longest key spelled like an identifier (has an
upper-case letter or `_`, five characters or more) that the message names, e.g. `API_WH` for
"warehouse API_WH auto-suspends ...". When none matches, the area's line stands.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.check.report import CheckReport, Violation
from policies.sophia_policies import PACK_NAME, POLICIES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
PROJECT = "sophia-infra"
LEVELS = {"mandatory": "error", "advisory": "warning"}
# Resource type prefix -> the stack setting it is built from (first match wins).
AREAS: tuple[tuple[str, str], ...] = (
    ("snowflake:index/cortexSearchService", "cortex"),
    ("snowflake:index/cortexAgent", "cortex"),
    ("snowflake:", "snowflake"),
    ("kubernetes:", "kubernetes"),
    ("pulumi-python:dynamic/estuary", "estuary"),
    ("pulumi-python:dynamic/portkey", "portkey"),
)
# `  key:` or `  sophia-infra:area:` (a namespaced key holds a colon; the key ends at the colon
# followed by a space or the line's end).
_KEY_LINE = re.compile(r"^(\s*)([A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*):(?:\s|$)")
_IDENTIFIER_KEY = re.compile(r"^(?=.*[A-Z_])[A-Za-z0-9_]{5,}$")
_JSON_KEY = re.compile(r'"([A-Za-z0-9_]+)"\s*:')


@dataclass(frozen=True)
class Location:
    path: str  # relative to the repository root
    line: int


def _area(resource_type: str) -> str | None:
    return next((area for prefix, area in AREAS if resource_type.startswith(prefix)), None)


class StackFileIndex:
    """Lines of one stack file: where each top-level area starts, and the keys inside it."""

    def __init__(self, stack: str, root: Path) -> None:
        self.path = f"Pulumi.{stack}.yaml"
        try:
            lines = (root / self.path).read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        self.areas: dict[str, int] = {}
        self.keys: dict[str, list[tuple[str, int]]] = {}
        current: str | None = None
        for number, line in enumerate(lines, start=1):
            match = _KEY_LINE.match(line)
            if not match:
                continue
            indent, key = match.groups()
            if key.startswith(f"{PROJECT}:") and len(indent) <= 2:
                current = key.removeprefix(f"{PROJECT}:")
                self.areas[current] = number
                self.keys[current] = []
            elif current is not None and len(indent) > 2:
                self.keys[current].append((key, number))

    def locate(self, violation: Violation) -> Location:
        area = _area(violation.resource_type)
        if area is None or area not in self.areas:
            return Location(self.path, 1)
        named = [
            (len(key), -line, line)
            for key, line in self.keys.get(area, [])
            if _IDENTIFIER_KEY.match(key) and key in violation.message
        ]
        return Location(self.path, max(named)[2] if named else self.areas[area])


def _config_lines(stack: str, root: Path) -> tuple[str, dict[str, int]]:
    path = f"policies/config/{stack}.json"
    found: dict[str, int] = {}
    try:
        lines = (root / path).read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for number, line in enumerate(lines, start=1):
        for match in _JSON_KEY.finditer(line):
            found.setdefault(match.group(1), number)
    return path, found


def _physical(location: Location) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": location.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": location.line},
        }
    }


def _fingerprint(violation: Violation) -> str:
    text = "\n".join(
        (violation.policy, violation.resource_type, violation.resource_name, violation.message)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _rules(names: Iterable[str]) -> list[dict[str, Any]]:
    described = {policy.name: policy.description for policy in POLICIES}
    return [
        {
            "id": name,
            "name": name,
            "shortDescription": {"text": described.get(name) or name},
            "help": {"text": "docs/policies.md lists every rule, its thresholds and its source."},
        }
        for name in names
    ]


def to_sarif(report: CheckReport, root: Path) -> dict[str, Any]:
    """The report as one SARIF 2.1.0 run (valid against the OASIS schema; tested)."""
    index = StackFileIndex(report.stack, root)
    config_path, config_keys = _config_lines(report.stack, root)
    names = list(dict.fromkeys([*report.policies, *(v.policy for v in report.violations)]))
    rule_index = {name: i for i, name in enumerate(names)}
    results = []
    for violation in report.violations:
        location = _physical(index.locate(violation))
        if violation.resource_name:
            location["logicalLocations"] = [
                {
                    "name": violation.resource_name,
                    "fullyQualifiedName": violation.urn or violation.resource_name,
                    "kind": "resource",
                    "properties": {"resourceType": violation.resource_type},
                }
            ]
        result: dict[str, Any] = {
            "ruleId": violation.policy,
            "ruleIndex": rule_index[violation.policy],
            "level": LEVELS.get(violation.enforcement, "note"),
            "message": {"text": violation.message},
            "locations": [location],
            "partialFingerprints": {"sophiaViolation/v1": _fingerprint(violation)},
            "properties": {
                "stack": report.stack,
                "enforcement": violation.enforcement,
                "resourceType": violation.resource_type,
                "resourceName": violation.resource_name,
                "urn": violation.urn,
            },
        }
        thresholds = [k for k in config_keys if k in violation.message]
        if thresholds:
            key = max(thresholds, key=len)
            related = _physical(Location(config_path, config_keys[key]))
            related["id"] = 0
            related["message"] = {"text": f"{key} in the stack's policy config"}
            result["relatedLocations"] = [related]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": f"{PACK_NAME} policy check",
                        "rules": _rules(names),
                    }
                },
                "automationDetails": {"id": f"{PACK_NAME}-check/{report.stack}/"},
                "results": results,
                "properties": {
                    "stack": report.stack,
                    "resources": report.resources,
                    "mandatory": len(report.mandatory),
                    "advisory": len(report.advisory),
                },
            }
        ],
    }


def to_json(report: CheckReport, root: Path) -> dict[str, Any]:
    """The report as plain JSON: every violation with its resource, rule and stack-file line."""
    index = StackFileIndex(report.stack, root)
    return {
        "stack": report.stack,
        "pack": PACK_NAME,
        "policyConfig": f"policies/config/{report.stack}.json",
        "policies": len(report.policies),
        "resources": report.resources,
        "passed": report.exit_code == 0,
        "mandatory": len(report.mandatory),
        "advisory": len(report.advisory),
        "violations": [_violation(v, index.locate(v)) for v in report.violations],
        "skipped": [
            {"policy": s.policy, "resourceName": s.resource_name, "reason": s.reason}
            for s in report.skipped
        ],
        "kubernetesSchemas": {
            "version": report.kubernetes_version,
            "valid": len(report.schema_valid),
            "skipped": [
                {
                    "resourceType": skip.resource_type,
                    "resourceName": skip.resource_name,
                    "reason": skip.reason,
                }
                for skip in report.schema_skipped
            ],
            "sources": sorted(report.schema_sources),
        },
    }


def _violation(violation: Violation, location: Location) -> Mapping[str, Any]:
    return {
        "policy": violation.policy,
        "enforcement": violation.enforcement,
        "message": violation.message,
        "urn": violation.urn,
        "resourceType": violation.resource_type,
        "resourceName": violation.resource_name,
        "file": location.path,
        "line": location.line,
    }

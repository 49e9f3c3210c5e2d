"""`jobs/check/machine.py`: `--check --format sarif|json`.

The SARIF is validated against the official SARIF 2.1.0 JSON schema, vendored beside this test
(sarif-schema-2.1.0.json: oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json at
commit e0583813964ec43cea53b6b531b402866095ed1f, sha256 c3b4bb2d...2682e). No pinned PyPI or npm
package ships that file (sarif-om 1.0.4 and sarif-tools 3.0.5 carry classes, @types/sarif 2.1.7
TypeScript types), so it is the spec repository's own copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from jobs import synth
from jobs.check import load_policy_config, run_checks
from jobs.check.machine import to_json, to_sarif
from jobs.harness import REPO_ROOT, Synthesis, synthesize
from tests.conftest import STACKS, stack_config

SCHEMA_PATH = Path(__file__).with_name("sarif-schema-2.1.0.json")
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def validate_sarif(document: dict[str, Any]) -> None:
    schema_bytes = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(schema_bytes).hexdigest() == SCHEMA_SHA256, "the vendored schema changed"
    schema = json.loads(schema_bytes)
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(document)


def idle_prod() -> Synthesis:
    config = stack_config("prod")
    config["snowflake"]["warehouses"]["API_WH"]["autoSuspendSeconds"] = 7200
    return synthesize("prod", overrides={"snowflake": config["snowflake"]})


def line_of(path: Path, text: str, after: str | None = None) -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def test_a_violation_becomes_a_sarif_result_at_its_stack_setting() -> None:
    report = run_checks(idle_prod(), load_policy_config("prod"))
    document = to_sarif(report, REPO_ROOT)
    validate_sarif(document)
    (run,) = document["runs"]
    (result,) = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert (
        rules[result["ruleIndex"]]["id"] == result["ruleId"] == "snowflake-warehouse-auto-suspend"
    )
    assert result["level"] == "error"
    assert result["message"]["text"].startswith("warehouse API_WH auto-suspends after 7200s")
    (location,) = result["locations"]
    stack_file = REPO_ROOT / "Pulumi.prod.yaml"
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": line_of(stack_file, " API_WH:", after="sophia-infra:snowflake:")},
    }
    (logical,) = location["logicalLocations"]
    assert logical["name"] == "warehouse-api-wh-warehouse"
    assert logical["fullyQualifiedName"].startswith("urn:pulumi:prod::sophia-infra::")
    (related,) = result["relatedLocations"]
    config_file = REPO_ROOT / "policies" / "config" / "prod.json"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "policies/config/prod.json"
    assert related["physicalLocation"]["region"]["startLine"] == line_of(
        config_file, '"maxAutoSuspendSeconds"'
    )
    assert len(result["partialFingerprints"]["sophiaViolation/v1"]) == 64


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_gives_valid_sarif_with_every_rule(
    synthesized: Callable[[str], Synthesis], stack: str
) -> None:
    report = run_checks(synthesized(stack), load_policy_config(stack))
    document = to_sarif(report, REPO_ROOT)
    validate_sarif(document)
    (run,) = document["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == report.policies
    assert run["automationDetails"]["id"] == f"sophia-infra-check/{stack}/"


def test_the_json_names_resource_rule_file_and_line() -> None:
    report = run_checks(idle_prod(), load_policy_config("prod"))
    document = to_json(report, REPO_ROOT)
    assert document["passed"] is False and document["mandatory"] == 1
    (violation,) = document["violations"]
    assert {k: violation[k] for k in ("policy", "resourceName", "file")} == {
        "policy": "snowflake-warehouse-auto-suspend",
        "resourceName": "warehouse-api-wh-warehouse",
        "file": "Pulumi.prod.yaml",
    }
    assert violation["line"] == line_of(
        REPO_ROOT / "Pulumi.prod.yaml", " API_WH:", after="sophia-infra:snowflake:"
    )


def test_the_command_line_prints_sarif_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--stack", "dev", "--check", "--format", "sarif"]) == 0
    validate_sarif(json.loads(capsys.readouterr().out))
    assert synth.main(["--stack", "dev", "--check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--format", "json"], "--format json applies to --check or --cost; add one of them"),
        (["--cost", "--format", "sarif"], "--format sarif applies to --check only"),
    ],
)
def test_format_misuse_is_refused(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        synth.main(["--stack", "dev", *flags])
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_a_finding_about_the_whole_stack_points_at_the_stack_file() -> None:
    from jobs.check.report import CheckReport, Violation

    report = CheckReport(
        stack="prod",
        policies=["stack-identity"],
        resources=0,
        violations=[Violation("stack-identity", "advisory", "two stacks share a name", None)],
    )
    document = to_sarif(report, REPO_ROOT)
    validate_sarif(document)
    (result,) = document["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            }
        }
    ]

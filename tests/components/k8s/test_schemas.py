"""The custom resources against the committed upstream schemas (jobs/k8s_schemas.py).

The schemas are generated from the pinned @kubernetes-models npm packages
(components/k8s/schemas/generate.py). With node and node_modules present (`make node`), the
committed files are compared with a fresh generation, and the packages' own validators are run
over the same objects.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from typing import Any

import pytest

from components.k8s.schemas import generate
from jobs.k8s_schemas import known_kinds, validate_custom_resource
from tests.components.k8s.harness import STACKS, Rendered

CUSTOM_KINDS = {
    "kubernetes:argoproj.io/v1alpha1:Rollout",
    "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
}
NPM_VALIDATE = generate.SCHEMA_DIR / "npm_validate.mjs"
HAVE_NODE_MODULES = (generate.NODE_MODULES / "@kubernetes-models" / "argo-rollouts").exists()
needs_node_modules = pytest.mark.skipif(
    not HAVE_NODE_MODULES, reason="node_modules missing: run `make node`"
)


def custom_objects(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {r.type: r.revealed_inputs for r in rendered.resources if r.type in CUSTOM_KINDS}


# (kind, where to put a misspelt field, the misspelt name)
MISSPELLINGS = [
    ("Rollout", ("spec", "strategy", "canary"), "canaryMetdata"),
    ("Rollout", ("spec",), "progressDeadlineAbrot"),
    ("AnalysisTemplate", ("spec", "metrics", 0), "failureCondtion"),
    ("AnalysisTemplate", ("spec", "metrics", 0, "provider", "prometheus"), "adress"),
    ("HTTPRoute", ("spec", "rules", 0), "timeout"),
    ("HTTPRoute", ("spec", "rules", 0, "backendRefs", 0), "wieght"),
    ("PodMonitor", ("spec",), "podTargetLabel"),
    ("PodMonitor", ("spec", "podMetricsEndpoints", 0), "intervall"),
]


def _at(obj: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def test_every_custom_kind_has_a_schema() -> None:
    assert sorted(known_kinds()) == [
        ("argoproj.io/v1alpha1", "AnalysisTemplate"),
        ("argoproj.io/v1alpha1", "Rollout"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
        ("monitoring.coreos.com/v1", "PodMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("monitoring.coreos.com/v1alpha1", "ScrapeConfig"),
    ]


@pytest.mark.parametrize(("kind", "path", "field"), MISSPELLINGS)
def test_a_misspelt_field_in_each_custom_kind_fails(
    rendered_stacks: dict[str, Rendered], kind: str, path: tuple[Any, ...], field: str
) -> None:
    (obj,) = [o for o in custom_objects(rendered_stacks["prod"]).values() if o["kind"] == kind]
    broken = copy.deepcopy(obj)
    _at(broken, path)[field] = "x"
    result = validate_custom_resource(broken)
    assert result is not None
    where = ".".join(str(p) for p in (*path, field))
    assert [(e.path, e.message.split(" (")[0]) for e in result.errors] == [
        (where, f"unknown field {field!r}")
    ]


@pytest.mark.parametrize(
    ("kind", "path", "value", "message"),
    [
        ("HTTPRoute", ("spec", "rules", 0, "backendRefs", 0, "port"), "eighty", "is not of type"),
        ("Rollout", ("spec", "progressDeadlineAbort"), "yes", "is not of type 'boolean'"),
        (
            "HTTPRoute",
            ("spec", "rules", 0, "matches", 0, "path", "type"),
            "Prefix",
            "is not one of",
        ),
    ],
)
def test_a_wrong_type_or_value_fails(
    rendered_stacks: dict[str, Rendered], kind: str, path: tuple[Any, ...], value: Any, message: str
) -> None:
    (obj,) = [o for o in custom_objects(rendered_stacks["prod"]).values() if o["kind"] == kind]
    broken = copy.deepcopy(obj)
    _at(broken, path[:-1])[path[-1]] = value
    result = validate_custom_resource(broken)
    assert result is not None and any(message in e.message for e in result.errors), result


def test_free_form_fields_stay_free_form(rendered_stacks: dict[str, Rendered]) -> None:
    # trafficRouting.plugins is `{}` upstream (x-kubernetes-preserve-unknown-fields in the CRD):
    # plugin config is the plugin's business; labels are a string map.
    rollout = custom_objects(rendered_stacks["prod"])["kubernetes:argoproj.io/v1alpha1:Rollout"]
    broken = copy.deepcopy(rollout)
    broken["spec"]["strategy"]["canary"]["trafficRouting"]["plugins"]["any/plugin"] = {"a": 1}
    broken["metadata"]["labels"]["anything"] = "goes"
    result = validate_custom_resource(broken)
    assert result is not None and result.errors == []


def test_a_core_kind_is_not_a_custom_one() -> None:
    assert validate_custom_resource({"apiVersion": "v1", "kind": "ConfigMap"}) is None


@needs_node_modules
def test_the_committed_schemas_match_the_pinned_npm_packages() -> None:
    package = json.loads((generate.REPO_ROOT / "package.json").read_text())["devDependencies"]
    for kind in generate.KINDS:
        committed = json.loads((generate.SCHEMA_DIR / kind.file_name).read_text())
        source = committed["x-sophia-source"]
        assert source["package"] == kind.package
        assert source["version"] == package[kind.package]  # pinned exactly
    assert generate.main(["--check"]) == 0


@needs_node_modules
@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_the_npm_packages_own_validators_agree(rendered_stacks: dict[str, Rendered]) -> None:
    """A second, independent judge: the packages' compiled validators (types, required,
    formats) over every custom object of every stack, and over a broken one."""
    objects = [o for stack in STACKS for o in custom_objects(rendered_stacks[stack]).values()]
    route = next(o for o in objects if o["kind"] == "HTTPRoute")
    broken = copy.deepcopy(route)
    broken["spec"]["rules"][0]["backendRefs"][0]["port"] = "eighty"
    done = subprocess.run(
        ["node", str(NPM_VALIDATE)],
        input=json.dumps([*objects, broken]),
        capture_output=True,
        text=True,
        cwd=generate.REPO_ROOT,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)
    assert [r["valid"] for r in results[:-1]] == [True] * len(objects), results
    assert results[-1]["valid"] is False and "port" in results[-1]["message"]
    assert validate_custom_resource(broken).errors  # ours rejects it too

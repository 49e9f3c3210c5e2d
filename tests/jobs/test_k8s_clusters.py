"""One Argo Rollouts controller per cluster, across the committed stack files."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from jobs.harness import REPO_ROOT
from jobs.k8s_clusters import controller_installs, controller_violations

KEY = "sophia-infra:kubernetes"


def _copy_stacks(tmp_path: Path) -> Path:
    for path in REPO_ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(root: Path, stack: str, **changes: object) -> None:
    path = root / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(path.read_text())
    section = data["config"][KEY]
    for key, value in changes.items():
        if key == "install":
            section["argoRollouts"]["install"] = value
        else:
            section[key] = value
    path.write_text(yaml.safe_dump(data))


def test_the_committed_stacks_install_one_controller_per_cluster() -> None:
    assert controller_installs() == {"sophia-nonprod": ["staging"], "sophia-prod": ["prod"]}
    assert all(controller_violations(stack) == [] for stack in ("dev", "staging", "prod"))


def test_two_stacks_installing_on_one_cluster_are_named(tmp_path: Path) -> None:
    root = _copy_stacks(tmp_path)
    _edit(root, "prod", cluster="sophia-nonprod")  # prod moved onto the staging cluster
    expected = [
        f"stacks prod and staging both set {KEY}.argoRollouts.install: true on cluster "
        f"'sophia-nonprod' ({KEY}.cluster); only one stack per cluster may install the Argo "
        "Rollouts controller: set install: false on the others"
    ]
    assert controller_violations("prod", root) == expected
    assert controller_violations("staging", root) == expected
    assert controller_violations("dev", root) == []  # dev installs nothing
    _edit(root, "prod", install=False)
    assert controller_violations("staging", root) == []


def test_a_repeated_key_in_a_stack_file_is_refused_not_resolved_to_the_last(tmp_path: Path) -> None:
    """Read with the strict loader, as the settings read it: PyYAML alone would keep the second
    `kubernetes` block and count the wrong cluster."""
    import pytest

    from components.yaml_files import YamlFileError

    root = _copy_stacks(tmp_path)
    path = root / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + f"  {KEY}:\n    cluster: sophia-prod\n")
    with pytest.raises(YamlFileError, match=f"duplicate key '{KEY}'"):
        controller_installs(root)

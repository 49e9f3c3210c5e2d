"""The release gate (jobs.rollout_gate): the new revision, not the previous one's status.

The Rollout objects follow Argo Rollouts' status fields (pkg/apis/rollouts/v1alpha1/types.go:
`observedGeneration` is a string, `currentPodHash`, `stableRS`, `phase`, `abort`,
`controllerPause`, `pauseConditions`); the fake kubectl answers only the commands the gate is
known to send and fails on anything else.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from components.k8s.api_service import RETAINED_CONFIG_LABEL
from components.k8s.canary import WAIT_FOR_HEALTHY
from jobs import rollout_gate
from jobs.rollout_gate import (
    EXIT_FAIL,
    EXIT_INVALID,
    EXIT_PASS,
    Cluster,
    GateInputError,
    Snapshot,
    prune,
    rollout_verdict,
    snapshot,
    unreferenced_config,
    wait,
)
from tests.components.k8s.harness import stack_settings

_, RELEASE = stack_settings("prod")
NEW_IMAGE = RELEASE.api_image
OLD_IMAGE = "ghcr.io/sophia-ai/api@sha256:" + "0" * 64
BEFORE = Snapshot(generation=7, current_pod_hash="old5f7", replica_set_hashes=("old5f7", "older9"))


def rollout(
    *,
    generation: int = 8,
    observed: str = "8",
    phase: str = "Healthy",
    current: str = "new6c4",
    stable: str = "new6c4",
    image: str = NEW_IMAGE,
    **status: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "sophia-api", "namespace": "sophia-prod", "generation": generation},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "image": image,
                            "envFrom": [{"configMapRef": {"name": "cfg-new"}}],
                        }
                    ]
                }
            }
        },
        "status": {
            "observedGeneration": observed,
            "phase": phase,
            "currentPodHash": current,
            "stableRS": stable,
            **status,
        },
    }


def analysis_run(pod_hash: str, phase: str, successful: int = 3) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"sophia-api-{pod_hash}-2",
            "labels": {"rollouts-pod-template-hash": pod_hash, "rollout-type": "Background"},
        },
        "status": {
            "phase": phase,
            "metricResults": [{"name": "error-ratio", "successful": successful}],
        },
    }


def waitfor_matches(annotation: str, obj: dict[str, Any]) -> bool:
    """pulumi-kubernetes' jsonpath condition for `jsonpath={.a.b}=value` (provider/pkg/jsonpath
    Parsed.Matches: the path's value, printed, equals the literal)."""
    path, value = annotation.removeprefix("jsonpath=").split("=", 1)
    node: Any = obj
    for part in path.strip("{}").strip(".").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node is not None and str(node) == value


# --- the verdict --------------------------------------------------------------------------------


def test_the_previous_revisions_status_cannot_pass_the_gate() -> None:
    # What `pulumi up` sees right after it updated the Rollout: the new spec (generation 8,
    # the new image) with the status the controller wrote for revision 7.
    stale = rollout(observed="7", current="old5f7", stable="old5f7")
    assert waitfor_matches(WAIT_FOR_HEALTHY, stale)  # the engine's waitFor is satisfied ...
    verdict = rollout_verdict(stale, BEFORE, NEW_IMAGE, [analysis_run("old5f7", "Successful")])
    assert verdict.state == "wait"  # ... the gate is not
    assert verdict.reason == "waiting for rollout spec update to be observed"


def test_a_canary_in_progress_keeps_the_gate_waiting() -> None:
    running = rollout(phase="Progressing", current="new6c4", stable="old5f7")
    assert rollout_verdict(running, BEFORE, NEW_IMAGE).state == "wait"
    paused = rollout(
        phase="Paused", stable="old5f7", pauseConditions=[{"reason": "CanaryPauseStep"}]
    )
    assert rollout_verdict(paused, BEFORE, NEW_IMAGE).state == "wait"
    unpausing = rollout(phase="Healthy", controllerPause=True, pauseConditions=[])
    assert rollout_verdict(unpausing, BEFORE, NEW_IMAGE).reason == "waiting for rollout to unpause"


def test_the_new_revision_passes_only_after_its_analysis() -> None:
    done = rollout()
    assert rollout_verdict(done, BEFORE, NEW_IMAGE, [analysis_run("new6c4", "Successful")]) == (
        rollout_gate.Verdict("pass", "revision new6c4 passed its analysis")
    )
    # An analysis of the previous revision does not count for this one.
    verdict = rollout_verdict(done, BEFORE, NEW_IMAGE, [analysis_run("old5f7", "Successful")])
    assert verdict == rollout_gate.Verdict(
        "fail", "no background AnalysisRun judged revision new6c4"
    )
    unmeasured = [analysis_run("new6c4", "Successful", successful=0)]
    assert rollout_verdict(done, BEFORE, NEW_IMAGE, unmeasured).state == "fail"


@pytest.mark.parametrize(
    ("obj", "runs", "reason"),
    [
        (
            rollout(phase="Degraded", message="RolloutAborted: metric error-ratio failed"),
            [],
            "the rollout is Degraded: RolloutAborted: metric error-ratio failed",
        ),
        (
            rollout(phase="Progressing", abort=True, message="aborted"),
            [],
            "the rollout was aborted: aborted",
        ),
        (
            rollout(),
            [analysis_run("new6c4", "Failed")],
            "AnalysisRun sophia-api-new6c4-2 of revision new6c4 is Failed",
        ),
        (
            rollout(image=OLD_IMAGE),
            [],
            f"Rollout sophia-api runs {OLD_IMAGE!r}, not the release {NEW_IMAGE!r}",
        ),
    ],
)
def test_degraded_aborted_failed_or_stale_releases_fail(
    obj: dict[str, Any], runs: list[dict[str, Any]], reason: str
) -> None:
    assert rollout_verdict(obj, BEFORE, NEW_IMAGE, runs) == rollout_gate.Verdict("fail", reason)


def test_no_new_pod_template_or_a_rollback_to_a_kept_revision_needs_no_new_analysis() -> None:
    unchanged = rollout(current="old5f7", stable="old5f7")
    assert rollout_verdict(unchanged, BEFORE, NEW_IMAGE).state == "pass"
    rolled_back = rollout(current="older9", stable="older9")
    assert rollout_verdict(rolled_back, BEFORE, NEW_IMAGE).reason == (
        "Healthy; rolled back to the kept revision older9"
    )


# --- against a fake kubectl --------------------------------------------------------------------


class FakeKubectl:
    """Answers `kubectl get|delete ... -n sophia-prod -o json` like kubectl (List of items)."""

    def __init__(self, rollouts: list[dict[str, Any]], **lists: list[dict[str, Any]]) -> None:
        self.rollouts = rollouts  # successive answers for the Rollout
        self.lists = lists
        self.calls: list[list[str]] = []
        self.deleted: list[tuple[str, str]] = []

    def __call__(self, args: Sequence[str]) -> str:
        args = list(args)
        self.calls.append(args)
        if args[0] == "delete":
            assert args[3:] == ["-n", "sophia-prod", "--ignore-not-found"], args
            self.deleted.append((args[1], args[2]))
            return ""
        assert args[0] == "get" and args[-4:-2] == ["-n", "sophia-prod"], args
        assert args[-2:] in (["-o", "json"], ["-o", "name"]), args
        resource = args[1]
        if resource == "secrets":  # the gate must never read Secret data
            assert args[-2:] == ["-o", "name"], args
        if resource == "rollouts.argoproj.io":
            if not self.rollouts:
                raise GateInputError('Error from server (NotFound): rollouts "sophia-api"')
            answer = self.rollouts[0] if len(self.rollouts) == 1 else self.rollouts.pop(0)
            return json.dumps(answer)
        if resource not in self.lists:
            raise AssertionError(f"the fake kubectl does not know {args}")
        items = self.lists[resource]
        if "-l" in args:
            key, _, value = args[args.index("-l") + 1].partition("=")
            items = [
                i
                for i in items
                if key in i["metadata"].get("labels", {})
                and (not value or i["metadata"]["labels"][key] == value)
            ]
        if args[-1] == "name":  # kubectl -o name: one `<kind>/<name>` per line
            kind = resource.removesuffix("s")
            return "".join(f"{kind}/{i['metadata']['name']}\n" for i in items)
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def test_the_gate_waits_through_the_stale_status_and_the_canary() -> None:
    fake = FakeKubectl(
        [
            rollout(observed="7", current="old5f7", stable="old5f7"),
            rollout(phase="Progressing", stable="old5f7"),
            rollout(
                phase="Paused", stable="old5f7", pauseConditions=[{"reason": "CanaryPauseStep"}]
            ),
            rollout(),
        ],
        analysisruns=[analysis_run("new6c4", "Successful")],
    )
    sleeps: list[float] = []
    verdict = wait(
        Cluster("sophia-prod", fake), "sophia-api", BEFORE, NEW_IMAGE, 600, sleeps.append
    )
    assert verdict.state == "pass"
    assert len(sleeps) == 3


def test_the_gate_times_out() -> None:
    fake = FakeKubectl([rollout(phase="Progressing", stable="old5f7")], analysisruns=[])
    ticks = iter(range(0, 10_000, 100))
    verdict = wait(
        Cluster("sophia-prod", fake), "sophia-api", BEFORE, NEW_IMAGE, 300, lambda _: None,
        lambda: next(ticks),
    )  # fmt: skip
    assert verdict.state == "fail" and verdict.reason.startswith("timed out after 300s")


def test_the_snapshot_records_the_running_revision_and_the_kept_ones() -> None:
    owner = [{"kind": "Rollout", "name": "sophia-api"}]
    replica_sets = [
        {"metadata": {"labels": {"rollouts-pod-template-hash": h}, "ownerReferences": owner}}
        for h in ("old5f7", "older9")
    ]
    fake = FakeKubectl([rollout(generation=7, current="old5f7")], replicasets=replica_sets)
    assert snapshot(Cluster("sophia-prod", fake), "sophia-api") == BEFORE
    first = FakeKubectl([], replicasets=[])
    assert snapshot(Cluster("sophia-prod", first), "sophia-api") == Snapshot(None, None, ())


def _config(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "labels": {RETAINED_CONFIG_LABEL: "true"}}}


def _replica_set(config: str, secret: str) -> dict[str, Any]:
    pod = {
        "containers": [{"name": "api", "envFrom": [{"configMapRef": {"name": config}}]}],
        "volumes": [{"name": "credentials", "secret": {"secretName": secret}}],
    }
    return {"metadata": {"labels": {}}, "spec": {"template": {"spec": pod}}}


def test_prune_keeps_every_config_a_replica_set_still_references() -> None:
    fake = FakeKubectl(
        [rollout()],
        configmaps=[_config("ConfigMap", n) for n in ("cfg-new", "cfg-old", "cfg-gone")],
        secrets=[_config("Secret", n) for n in ("sec-old", "sec-gone")],
        # the stable revision kept for rollback still needs cfg-old / sec-old
        replicasets=[_replica_set("cfg-old", "sec-old")],
    )
    assert prune(Cluster("sophia-prod", fake), "sophia-api") == [
        ("ConfigMap", "cfg-gone"),
        ("Secret", "sec-gone"),
    ]
    assert fake.deleted == [("configmap", "cfg-gone"), ("secret", "sec-gone")]


def test_unreferenced_config_reads_every_kind_of_reference() -> None:
    spec = {
        "containers": [
            {
                "env": [
                    {"valueFrom": {"secretKeyRef": {"name": "s1", "key": "k"}}},
                    {"valueFrom": {"configMapKeyRef": {"name": "c1", "key": "k"}}},
                ],
                "envFrom": [{"secretRef": {"name": "s2"}}],
            }
        ],
        "volumes": [
            {"configMap": {"name": "c2"}},
            {"projected": {"sources": [{"secret": {"name": "s3"}}, {"configMap": {"name": "c3"}}]}},
        ],
    }
    names = ["s1", "s2", "s3", "c1", "c2", "c3"]
    retained = [_config("Secret" if n[0] == "s" else "ConfigMap", n) for n in [*names, "c4"]]
    assert unreferenced_config(retained, [spec]) == [("ConfigMap", "c4")]


# --- command line ------------------------------------------------------------------------------


def test_the_command_line_snapshots_then_gates(tmp_path: Path) -> None:
    before = tmp_path / "before.json"
    taker = FakeKubectl([rollout(generation=7, current="old5f7", image=OLD_IMAGE)], replicasets=[])
    assert (
        rollout_gate.main(["--stack", "prod", "snapshot", "--out", str(before)], taker) == EXIT_PASS
    )
    assert Snapshot.from_json(before.read_text()).current_pod_hash == "old5f7"
    degraded = FakeKubectl([rollout(phase="Degraded", message="x")], analysisruns=[])
    args = ["--stack", "prod", "wait", "--before", str(before)]
    assert rollout_gate.main(args, degraded) == EXIT_FAIL
    healthy = FakeKubectl([rollout()], analysisruns=[analysis_run("new6c4", "Successful")])
    assert rollout_gate.main(args, healthy) == EXIT_PASS


def test_a_bad_snapshot_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "before.json"
    bad.write_text("{}")
    args = ["--stack", "prod", "wait", "--before", str(bad)]
    assert rollout_gate.main(args, FakeKubectl([rollout()])) == EXIT_INVALID
    assert rollout_gate.main(["--stack", "nope", "wait", "--before", str(bad)]) == EXIT_INVALID


def test_the_dev_deployment_is_left_to_the_engine(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    assert (
        rollout_gate.main(["--stack", "dev", "snapshot", "--out", str(out)], FakeKubectl([])) == 0
    )
    assert not out.exists()


def test_rollout_fixture_is_a_valid_rollout() -> None:
    # The fixture's spec part is a real Rollout shape (schema + strict walk), status aside.
    from jobs.k8s_schemas import validate_custom_resource

    obj = copy.deepcopy(rollout())
    del obj["status"]
    obj["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    result = validate_custom_resource(obj)
    assert result is not None and result.errors == []


def test_the_release_workflow_gates_the_update_on_the_new_revision() -> None:
    import yaml

    workflow = yaml.safe_load(
        (rollout_gate.REPO_ROOT / ".github/workflows/release.yml").read_text()
    )
    runs = [step.get("run", "") for step in workflow["jobs"]["apply"]["steps"]]
    snapshot_at = next(
        i for i, r in enumerate(runs) if "jobs.rollout_gate" in r and "snapshot" in r
    )
    apply_at = next(i for i, r in enumerate(runs) if "--apply" in r)
    wait_at = next(i for i, r in enumerate(runs) if "jobs.rollout_gate" in r and " wait " in r)
    assert snapshot_at < apply_at < wait_at == len(runs) - 1
    assert "--prune" in runs[wait_at]


def test_a_broken_stack_file_is_named_with_its_line_and_never_quoted(tmp_path: Path) -> None:
    """The gate reads the stack file with the project's strict loader: the error names file and
    line; PyYAML's own text would quote the offending line (here a pasted token)."""
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  token: ghp_pasted: oops\n")
    with pytest.raises(GateInputError) as raised:
        rollout_gate.stack_settings("prod", tmp_path)
    assert str(raised.value) == (
        "Pulumi.prod.yaml: cannot read the kubernetes/release settings: Pulumi.prod.yaml is not "
        "valid YAML: line 2, column 20: mapping values are not allowed in this context"
    )
    assert "ghp_pasted" not in str(raised.value)

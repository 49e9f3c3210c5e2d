"""The release gate: after `pulumi up`, wait until the *new* revision of the API Rollout is
Healthy, and fail if it is Degraded or aborted.

    python -m jobs.rollout_gate --stack prod snapshot --out before.json    # before `pulumi up`
    python -m jobs.rollout_gate --stack prod wait --before before.json --prune

Why not in the engine: pulumi-kubernetes' `pulumi.com/waitFor` (4.34: `jsonpath=` and
`condition=` expressions, a JSON array of them must all hold) compares a path with a literal
only ("compares against another JSONPath, which is not supported", provider/pkg/jsonpath), and
its observer starts from the object the update returned, which still carries the previous
revision's status (provider/pkg/await/condition/observer.go). `status.phase=Healthy` therefore
holds before the controller has even seen the new spec, and the new revision's identity
(`metadata.generation`, the pod-template hash) is computed by the API server and the controller,
so no literal in the program can name it. docs/kubernetes.md "The gate" has the details.

The verdict mirrors Argo Rollouts' own client rule (utils/rollout/rolloututil.go,
GetRolloutPhase / CalculateRolloutPhase in argoproj/argo-rollouts) and adds what a release needs:
the Rollout runs the image this stack declares, and a new pod template was judged by its
background analysis (AnalysisRuns labelled `rollouts-pod-template-hash` and
`rollout-type: Background`, utils/analysis BackgroundLabels).

`--prune` then deletes the retained ConfigMaps/Secrets (label sophia.ai/retained-config) that no
ReplicaSet of the namespace and not the Rollout itself references any more.

Exit codes: 0 the new revision is Healthy; 1 it failed (Degraded, aborted, no or failed
analysis, wrong image, timeout); 2 bad input (stack file, snapshot, kubectl unavailable).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from components.k8s.api_service import RETAINED_CONFIG_LABEL
from components.k8s.canary import rollout_timeout_minutes
from components.k8s.cluster import (
    ClusterMismatchError,
    check_cluster,
    expected_context,
    kubeconfig_paths,
)
from components.k8s.names import dns_label
from components.k8s.pod import CONTAINER_NAME
from components.settings.kubernetes import KubernetesSettings, ReleaseSettings
from components.yaml_files import load_yaml_file
from jobs.harness import PROJECT, REPO_ROOT
from jobs.kubectl import KubectlError, run_kubectl

EXIT_PASS, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
POD_HASH_LABEL = "rollouts-pod-template-hash"  # v1alpha1.DefaultRolloutUniqueLabelKey
ROLLOUT_TYPE_LABEL = "rollout-type"  # v1alpha1.RolloutTypeLabel
BACKGROUND = "Background"  # v1alpha1.RolloutTypeBackgroundRunLabel
FAILED_ANALYSIS_PHASES = ("Failed", "Error", "Inconclusive")
DEFAULT_WORKLOAD = "sophia-api"  # the ApiService name in __main__.py
POLL_SECONDS = 10


class GateInputError(Exception):
    """The stack file, the snapshot or kubectl is unusable."""


@dataclass(frozen=True)
class Verdict:
    state: Literal["wait", "pass", "fail"]
    reason: str


@dataclass(frozen=True)
class Snapshot:
    """What the cluster ran before `pulumi up`: the revision the gate must not accept."""

    generation: int | None
    current_pod_hash: str | None
    replica_set_hashes: tuple[str, ...]  # every kept revision (a rollback target)

    def to_json(self) -> str:
        return json.dumps(
            {
                "generation": self.generation,
                "currentPodHash": self.current_pod_hash,
                "replicaSetHashes": list(self.replica_set_hashes),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        try:
            data = json.loads(text)
            return cls(data["generation"], data["currentPodHash"], tuple(data["replicaSetHashes"]))
        except (ValueError, KeyError, TypeError) as error:
            raise GateInputError(f"the snapshot is not one `snapshot` wrote: {error}") from error


# --- the verdict (pure) ---------------------------------------------------------------------------


def generation_observed(rollout: Mapping[str, Any]) -> bool:
    """rolloututil.isGenerationObserved: status.observedGeneration is a *string*."""
    observed = str((rollout.get("status") or {}).get("observedGeneration", ""))
    generation = int((rollout.get("metadata") or {}).get("generation", 0))
    try:
        value = int(observed)
    except ValueError:
        return True  # a v0.9-style hash: Argo treats it as observed
    return value >= generation  # `> generation` is Argo's v0.9 corner case, also true


def _image(rollout: Mapping[str, Any]) -> str | None:
    containers = (((rollout.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    for container in containers:
        if container.get("name") == CONTAINER_NAME:
            return container.get("image")
    return None


def _background_runs(runs: Iterable[Mapping[str, Any]], pod_hash: str) -> list[Mapping[str, Any]]:
    return [
        run
        for run in runs
        if ((run.get("metadata") or {}).get("labels") or {}).get(POD_HASH_LABEL) == pod_hash
        and ((run.get("metadata") or {}).get("labels") or {}).get(ROLLOUT_TYPE_LABEL) == BACKGROUND
    ]


def _analysis_verdict(runs: list[Mapping[str, Any]], pod_hash: str) -> Verdict:
    if not runs:
        return Verdict("fail", f"no background AnalysisRun judged revision {pod_hash}")
    for run in runs:
        phase = (run.get("status") or {}).get("phase")
        name = (run.get("metadata") or {}).get("name")
        if phase in FAILED_ANALYSIS_PHASES:
            return Verdict("fail", f"AnalysisRun {name} of revision {pod_hash} is {phase}")
    measured = [
        run
        for run in runs
        if any(
            int(result.get("successful", 0)) > 0
            for result in (run.get("status") or {}).get("metricResults") or []
        )
    ]
    # GUESS: a background run the controller terminates when the rollout completes reports
    # Successful (or is still Running while it terminates); what matters here is that it took at
    # least one successful measurement and none failed.
    if not measured:
        return Verdict(
            "fail", f"the analysis of revision {pod_hash} took no successful measurement"
        )
    return Verdict("pass", f"revision {pod_hash} passed its analysis")


def rollout_verdict(
    rollout: Mapping[str, Any],
    before: Snapshot,
    expected_image: str,
    analysis_runs: Iterable[Mapping[str, Any]] = (),
) -> Verdict:
    metadata, status = rollout.get("metadata") or {}, rollout.get("status") or {}
    image = _image(rollout)
    if image != expected_image:
        return Verdict(
            "fail",
            f"Rollout {metadata.get('name')} runs {image!r}, not the release {expected_image!r}",
        )
    if not generation_observed(rollout):
        return Verdict("wait", "waiting for rollout spec update to be observed")
    if status.get("controllerPause") and not status.get("pauseConditions"):
        return Verdict("wait", "waiting for rollout to unpause")
    if status.get("abort"):
        return Verdict("fail", f"the rollout was aborted: {status.get('message', '')}".strip())
    phase = status.get("phase")
    if phase == "Degraded":
        return Verdict("fail", f"the rollout is Degraded: {status.get('message', '')}".strip())
    if phase != "Healthy":
        return Verdict("wait", f"phase {phase or '(none)'}: {status.get('message', '')}".strip())
    current = status.get("currentPodHash")
    if not current or status.get("stableRS") != current:
        return Verdict("wait", "waiting for the new revision to become stable")
    if current == before.current_pod_hash:
        return Verdict("pass", f"Healthy; the pod template (revision {current}) did not change")
    if current in before.replica_set_hashes:
        # rollbackWindow: a revert to a kept revision skips the steps and the analysis.
        return Verdict("pass", f"Healthy; rolled back to the kept revision {current}")
    return _analysis_verdict(_background_runs(analysis_runs, current), current)


# --- retention (pure) -----------------------------------------------------------------------------


def referenced_config(pod_specs: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret the pod specs reference."""
    found: set[tuple[str, str]] = set()
    for spec in pod_specs:
        containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        for container in containers:
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    found.add(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    found.add(("Secret", source["secretRef"]["name"]))
            for env in container.get("env") or []:
                value_from = env.get("valueFrom") or {}
                if "configMapKeyRef" in value_from:
                    found.add(("ConfigMap", value_from["configMapKeyRef"]["name"]))
                if "secretKeyRef" in value_from:
                    found.add(("Secret", value_from["secretKeyRef"]["name"]))
        for volume in spec.get("volumes") or []:
            if "configMap" in volume:
                found.add(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume:
                found.add(("Secret", volume["secret"]["secretName"]))
            for source in (volume.get("projected") or {}).get("sources") or []:
                if "configMap" in source:
                    found.add(("ConfigMap", source["configMap"]["name"]))
                if "secret" in source:
                    found.add(("Secret", source["secret"]["name"]))
    return found


def unreferenced_config(
    retained: Iterable[Mapping[str, Any]], pod_specs: Iterable[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """Retained ConfigMaps/Secrets no pod spec needs: safe to delete."""
    needed = referenced_config(pod_specs)
    candidates = {(obj["kind"], obj["metadata"]["name"]) for obj in retained}
    return sorted(candidates - needed)


# --- the cluster ----------------------------------------------------------------------------------

Runner = Callable[[Sequence[str]], str]


def kubectl(args: Sequence[str], context: str | None = None) -> str:
    """Real kubectl (jobs/kubectl.py): its failures are whole lines naming what to set."""
    try:
        return run_kubectl(args, context)
    except KubectlError as error:
        raise GateInputError(str(error)) from None


@dataclass
class Cluster:
    namespace: str
    run: Runner = kubectl

    def _get(self, *args: str) -> Any:
        return json.loads(self.run(["get", *args, "-n", self.namespace, "-o", "json"]))

    def rollout(self, name: str) -> dict[str, Any]:
        return self._get("rollouts.argoproj.io", name)

    def items(self, resource: str, selector: str | None = None) -> list[dict[str, Any]]:
        args = [resource] + (["-l", selector] if selector else [])
        return self._get(*args).get("items") or []

    def names(self, resource: str, selector: str) -> list[str]:
        """Names only (`-o name`): a Secret's data never reaches this process."""
        out = self.run(["get", resource, "-l", selector, "-n", self.namespace, "-o", "name"])
        return [line.split("/", 1)[-1] for line in out.splitlines() if line.strip()]

    def delete(self, kind: str, name: str) -> None:
        self.run(["delete", kind.lower(), name, "-n", self.namespace, "--ignore-not-found"])


def snapshot(cluster: Cluster, name: str) -> Snapshot:
    try:
        rollout = cluster.rollout(name)
    except GateInputError as error:
        if "NotFound" not in str(error):
            raise
        return Snapshot(None, None, ())  # the first release creates the Rollout
    hashes = [
        (rs.get("metadata") or {}).get("labels", {}).get(POD_HASH_LABEL)
        for rs in cluster.items("replicasets", f"{POD_HASH_LABEL}")
        if any(ref.get("name") == name for ref in rs["metadata"].get("ownerReferences") or [])
    ]
    return Snapshot(
        int(rollout["metadata"].get("generation", 0)),
        (rollout.get("status") or {}).get("currentPodHash"),
        tuple(sorted(h for h in hashes if h)),
    )


def wait(
    cluster: Cluster,
    name: str,
    before: Snapshot,
    expected_image: str,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Verdict:
    deadline = clock() + timeout_seconds
    while True:
        rollout = cluster.rollout(name)
        current = (rollout.get("status") or {}).get("currentPodHash")
        runs = cluster.items("analysisruns", f"{POD_HASH_LABEL}={current}") if current else []
        verdict = rollout_verdict(rollout, before, expected_image, runs)
        print(f"rollout {cluster.namespace}/{name}: {verdict.state}: {verdict.reason}", flush=True)
        if verdict.state != "wait":
            return verdict
        if clock() >= deadline:
            return Verdict("fail", f"timed out after {timeout_seconds:.0f}s: {verdict.reason}")
        sleep(POLL_SECONDS)


def prune(cluster: Cluster, name: str) -> list[tuple[str, str]]:
    selector = f"{RETAINED_CONFIG_LABEL}=true"
    retained = [
        {"kind": kind, "metadata": {"name": object_name}}
        for kind, resource in (("ConfigMap", "configmaps"), ("Secret", "secrets"))
        for object_name in cluster.names(resource, selector)
    ]
    pod_specs = [rs["spec"]["template"]["spec"] for rs in cluster.items("replicasets")]
    pod_specs.append(cluster.rollout(name)["spec"]["template"]["spec"])
    doomed = unreferenced_config(retained, pod_specs)
    for kind, object_name in doomed:
        cluster.delete(kind, object_name)
        print(f"pruned {kind} {cluster.namespace}/{object_name}: no ReplicaSet references it")
    return doomed


# --- command line ---------------------------------------------------------------------------------


def stack_settings(stack: str, root: Path = REPO_ROOT) -> tuple[KubernetesSettings, str]:
    path = root / f"Pulumi.{stack}.yaml"
    try:
        config = load_yaml_file(path)["config"]  # its errors name the line, never quote it
        settings = KubernetesSettings.model_validate(config[f"{PROJECT}:kubernetes"])
        release = ReleaseSettings.model_validate(config[f"{PROJECT}:release"])
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise GateInputError(
            f"{path.name}: cannot read the kubernetes/release settings: {error}"
        ) from error
    return settings, release.api_image


def main(argv: Sequence[str] | None = None, run: Runner = kubectl) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.rollout_gate", description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--name", default=DEFAULT_WORKLOAD, help="the ApiService name")
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("snapshot", help="record the revision running before `up`")
    take.add_argument("--out", type=Path, required=True)
    gate = commands.add_parser("wait", help="wait for the new revision after `up`")
    gate.add_argument("--before", type=Path, required=True)
    gate.add_argument("--timeout-minutes", type=int, help="default: the Rollout's own timeout")
    gate.add_argument("--prune", action="store_true", help="then delete unreferenced config")
    args = parser.parse_args(argv)
    try:
        settings, image = stack_settings(args.stack)
        if settings.canary.strategy != "canary":
            print(f"stack {args.stack} runs a Deployment; pulumi-kubernetes' own await gates it")
            return EXIT_PASS
        if run is kubectl:
            # The same check as the program's provider (components/k8s/cluster.py): the gate
            # must watch the cluster and namespace the stack deploys to, through its context.
            check_cluster(args.stack, settings, kubeconfig_paths())
            run = functools.partial(kubectl, context=expected_context(settings))
        cluster = Cluster(settings.namespace, run)
        name = dns_label(args.name)
        if args.command == "snapshot":
            args.out.write_text(snapshot(cluster, name).to_json())
            return EXIT_PASS
        before = Snapshot.from_json(args.before.read_text())
        minutes = args.timeout_minutes or rollout_timeout_minutes(settings.canary)
        verdict = wait(cluster, name, before, image, minutes * 60)
        if verdict.state != "pass":
            print(f"error: stack {args.stack}: {verdict.reason}", file=sys.stderr)
            return EXIT_FAIL
        if args.prune:
            prune(cluster, name)
        return EXIT_PASS
    except ClusterMismatchError as error:  # it names the stack already
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except (GateInputError, OSError) as error:
        print(f"error: stack {args.stack}: {error}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())

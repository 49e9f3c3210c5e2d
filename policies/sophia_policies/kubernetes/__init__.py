"""Kubernetes rules over standard object shapes (apiVersion/kind/metadata/spec).

Pod-level rules look at every pod template the stack declares: Deployments, StatefulSets,
DaemonSets, ReplicaSets, Jobs, CronJobs, bare Pods, PodTemplates and Argo Rollouts
(`spec.template`). Pods a Helm chart renders inside the cluster are not visible to these rules.

One module per concern:

    objects     resource types, a workload's pod template, namespace and selector helpers
    containers  the pod rules: probes, resources, security context, pinned images
    scaling     autoscaling and disruption budgets (a stack rule)
    canary      Argo Rollouts canaries: first weight, analysis threshold, metric source

`POLICIES` lists the rules in the order the single-module kubernetes.py gave them.
"""

from __future__ import annotations

from . import canary, containers, scaling

POLICIES = [*containers.POLICIES, *scaling.POLICIES, *canary.POLICIES]

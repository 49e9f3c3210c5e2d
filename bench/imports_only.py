"""Import what `python -m jobs.synth` imports, and declare nothing (the bench's middle point)."""

# ruff: noqa: E402, F401 (the collector is paused before the imports, as jobs/synth.py does)

import gc

# Like the synth (jobs/synth.py): the cyclic collector paused while importing.
gc.disable()

import pulumi_kubernetes as k8s

import jobs.synth
from components import release, settings
from components.estuary import pipeline
from components.k8s import api_service
from components.portkey import gateway
from components.snowflake import access, cortex, database, warehouse

# The API groups the API service uses. pulumi_kubernetes loads a group lazily, when one of its
# classes is first touched, so touch one class in each.
USED = (
    k8s.core.v1.Namespace,
    k8s.apps.v1.Deployment,
    k8s.autoscaling.v2.HorizontalPodAutoscaler,
    k8s.policy.v1.PodDisruptionBudget,
    k8s.networking.v1.NetworkPolicy,
    k8s.apiextensions.CustomResource,
    k8s.helm.v3.Release,
)

# Like the synth (jobs.harness.exit_without_final_collection): no final collection at shutdown.
gc.freeze()

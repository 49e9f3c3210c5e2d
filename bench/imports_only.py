"""Import what `python -m jobs.synth` imports, and declare nothing (the bench's middle point)."""

import pulumi_kubernetes as k8s

import jobs.synth  # noqa: F401
from components import release, settings  # noqa: F401
from components.estuary import pipeline  # noqa: F401
from components.k8s import api_service  # noqa: F401
from components.portkey import gateway  # noqa: F401
from components.snowflake import access, cortex, database, warehouse  # noqa: F401

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

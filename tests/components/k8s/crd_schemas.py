"""Small JSON schemas of our own for the custom resources kubernetes-validate does not know.

They cover the fields we set, with `additionalProperties: false` where a misspelt field would be
silently ignored by the controller (Argo Rollouts and Gateway API drop unknown fields). The
Rollout's pod template is validated separately against the real PodTemplate schema.
"""

from __future__ import annotations

from typing import Any

_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"}
_LABELS = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}
_DURATION = {"type": "string", "pattern": r"^[1-9][0-9]*(s|m|h)$"}
# Gateway API's Duration (GEP-2257).
_GATEWAY_DURATION = {"type": "string", "pattern": r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"}

_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {
        "name": _NAME,
        "namespace": _NAME,
        "labels": _LABELS,
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": spec,
        },
        "additionalProperties": False,
    }


_STEP = {
    "oneOf": [
        {
            "type": "object",
            "required": ["setWeight"],
            "properties": {"setWeight": {"type": "integer", "minimum": 1, "maximum": 100}},
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["pause"],
            "properties": {
                "pause": {
                    "type": "object",
                    "required": ["duration"],
                    "properties": {"duration": _DURATION},
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
        },
    ]
}

_TRAFFIC_ROUTING = {
    "oneOf": [
        {
            "type": "object",
            "required": ["plugins"],
            "properties": {
                "plugins": {
                    "type": "object",
                    "required": ["argoproj-labs/gatewayAPI"],
                    "properties": {
                        "argoproj-labs/gatewayAPI": {
                            "type": "object",
                            "required": ["httpRoute"],
                            "properties": {"httpRoute": _NAME, "namespace": _NAME},
                            "additionalProperties": False,
                        }
                    },
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["nginx"],
            "properties": {
                "nginx": {
                    "type": "object",
                    "required": ["stableIngress"],
                    "properties": {"stableIngress": _NAME},
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
        },
    ]
}

ROLLOUT = _resource(
    "argoproj.io/v1alpha1",
    "Rollout",
    {
        "type": "object",
        "required": ["selector", "template", "strategy"],
        "properties": {
            "replicas": {"type": "integer", "minimum": 1},
            "revisionHistoryLimit": {"type": "integer", "minimum": 1},
            "minReadySeconds": {"type": "integer", "minimum": 0},
            "progressDeadlineSeconds": {"type": "integer", "minimum": 1},
            "progressDeadlineAbort": {"type": "boolean"},
            "rollbackWindow": {
                "type": "object",
                "properties": {"revisions": {"type": "integer", "minimum": 1}},
                "additionalProperties": False,
            },
            "selector": {
                "type": "object",
                "required": ["matchLabels"],
                "properties": {"matchLabels": _LABELS},
                "additionalProperties": False,
            },
            "template": {"type": "object"},  # checked as a v1 PodTemplate
            "strategy": {
                "type": "object",
                "required": ["canary"],
                "properties": {
                    "canary": {
                        "type": "object",
                        "required": ["stableService", "canaryService", "trafficRouting", "steps"],
                        "properties": {
                            "stableService": _NAME,
                            "canaryService": _NAME,
                            "canaryMetadata": {
                                "type": "object",
                                "properties": {"labels": _LABELS},
                                "additionalProperties": False,
                            },
                            "stableMetadata": {
                                "type": "object",
                                "properties": {"labels": _LABELS},
                                "additionalProperties": False,
                            },
                            "trafficRouting": _TRAFFIC_ROUTING,
                            "maxSurge": {"type": ["string", "integer"]},
                            "maxUnavailable": {"type": ["string", "integer"]},
                            "abortScaleDownDelaySeconds": {"type": "integer", "minimum": 0},
                            "analysis": {
                                "type": "object",
                                "required": ["templates"],
                                "properties": {
                                    "templates": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {
                                            "type": "object",
                                            "required": ["templateName"],
                                            "properties": {"templateName": _NAME},
                                            "additionalProperties": False,
                                        },
                                    },
                                    "startingStep": {"type": "integer", "minimum": 0},
                                },
                                "additionalProperties": False,
                            },
                            "steps": {"type": "array", "minItems": 1, "items": _STEP},
                        },
                        "additionalProperties": False,
                    }
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
)

ANALYSIS_TEMPLATE = _resource(
    "argoproj.io/v1alpha1",
    "AnalysisTemplate",
    {
        "type": "object",
        "required": ["metrics"],
        "properties": {
            "metrics": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "interval", "failureCondition", "provider"],
                    "properties": {
                        "name": _NAME,
                        "interval": _DURATION,
                        "failureLimit": {"type": "integer", "minimum": 0},
                        "failureCondition": {"type": "string", "pattern": r"^result\[0\] >= "},
                        "provider": {
                            "type": "object",
                            "required": ["prometheus"],
                            "properties": {
                                "prometheus": {
                                    "type": "object",
                                    "required": ["address", "query"],
                                    "properties": {
                                        "address": {"type": "string", "pattern": "^https?://"},
                                        "query": {"type": "string", "minLength": 1},
                                    },
                                    "additionalProperties": False,
                                }
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    },
)

HTTP_ROUTE = _resource(
    "gateway.networking.k8s.io/v1",
    "HTTPRoute",
    {
        "type": "object",
        "required": ["parentRefs", "hostnames", "rules"],
        "properties": {
            "parentRefs": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "group": {"const": "gateway.networking.k8s.io"},
                        "kind": {"const": "Gateway"},
                        "name": _NAME,
                        "namespace": _NAME,
                        "sectionName": _NAME,
                    },
                    "additionalProperties": False,
                },
            },
            "hostnames": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "rules": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["backendRefs"],
                    "properties": {
                        "matches": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "path": {
                                        "type": "object",
                                        "required": ["type", "value"],
                                        "properties": {
                                            "type": {"enum": ["PathPrefix", "Exact"]},
                                            "value": {"type": "string", "pattern": "^/"},
                                        },
                                        "additionalProperties": False,
                                    }
                                },
                                "additionalProperties": False,
                            },
                        },
                        "backendRefs": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["name", "port"],
                                "properties": {
                                    "group": {"const": ""},
                                    "kind": {"const": "Service"},
                                    "name": _NAME,
                                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                    "weight": {"type": "integer", "minimum": 0, "maximum": 1000000},
                                },
                                "additionalProperties": False,
                            },
                        },
                        "timeouts": {
                            "type": "object",
                            "properties": {
                                "request": _GATEWAY_DURATION,
                                "backendRequest": _GATEWAY_DURATION,
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
)

BY_TYPE = {
    "kubernetes:argoproj.io/v1alpha1:Rollout": ROLLOUT,
    "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate": ANALYSIS_TEMPLATE,
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": HTTP_ROUTE,
}

"""Kubernetes metadata names and labels.

Every `metadata.name` we set goes through `dns_label`: lower-case DNS-1123 label, at most 63
characters (the limit for Services and label values; other kinds allow more, but one rule for all
keeps names predictable). Long names keep a readable prefix and end in a hash of the full name, so
two long names that share a prefix stay distinct.
"""

from __future__ import annotations

import hashlib
import re

MAX_LABEL_LENGTH = 63
_HASH_LENGTH = 8
_INVALID = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")
_VALID = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

APP_NAME = "sophia-api"


def dns_label(*parts: str) -> str:
    """Join `parts` with '-' into a valid DNS-1123 label of at most 63 characters."""
    joined = "-".join(part for part in parts if part)
    cleaned = _DASHES.sub("-", _INVALID.sub("-", joined.lower())).strip("-")
    if not cleaned:
        raise ValueError(f"cannot build a Kubernetes name from {parts!r}: no letters or digits")
    if len(cleaned) > MAX_LABEL_LENGTH:
        digest = hashlib.sha256(cleaned.encode()).hexdigest()[:_HASH_LENGTH]
        prefix = cleaned[: MAX_LABEL_LENGTH - _HASH_LENGTH - 1].rstrip("-")
        cleaned = f"{prefix}-{digest}"
    assert _VALID.match(cleaned), cleaned
    return cleaned


def selector_labels(instance: str) -> dict[str, str]:
    """Labels that select this service's pods (stable across versions: never the image)."""
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/instance": dns_label(instance),
    }


def common_labels(instance: str, environment: str) -> dict[str, str]:
    return {
        **selector_labels(instance),
        "app.kubernetes.io/part-of": "sophia",
        "app.kubernetes.io/managed-by": "pulumi",
        "sophia.ai/environment": environment,
    }

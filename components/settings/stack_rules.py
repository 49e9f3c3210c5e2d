"""Rules across areas (and across the environment), run on whatever could be read.

They run even when an area failed its own validation, reading the raw stack value where no
validated model exists, so one run reports every problem (a prod stack with a bad warehouse size
AND three days of retention hears about both). Each rule returns message lines in the loader's
format: `<key> = <value>: <what is allowed>`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from components.settings._base import raw_value
from components.settings.kubernetes import check_canary_for_environment, check_image_reference

PROJECT = "sophia-infra"
PROD_MIN_RETENTION_DAYS = 7
# Estuary publishes each connector as `:dev` (every build of the main branch) and major release
# tags `:v1`, `:v2`, ... (ghcr.io/estuary/<connector> tags; docs/estuary.md); only the latter
# are releases. The same pattern is the policy pack's default (estuary-connector-tag-pinned).
PINNED_CONNECTOR_TAG = re.compile(r"^:?v[0-9]+$")
PINNED_TAG_ENVIRONMENTS = ("staging", "prod")
MAX_RETENTION_DAYS = 90
# Control-plane URLs that carry a token: (area, key) pairs.
CONTROL_PLANE_URLS = (
    ("estuary", "apiUrl"),
    ("estuary", "agentUrl"),
    ("estuary", "encryptionUrl"),
    ("portkey", "adminBaseUrl"),
)


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def prod_rules(environment: str | None, raw: Mapping[str, Any]) -> list[str]:
    if environment != "prod":
        return []
    problems = []
    retention = _number(raw_value(raw.get("snowflake"), "database", "dataRetentionDays"))
    if retention is not None and retention < PROD_MIN_RETENTION_DAYS:
        problems.append(
            f"{PROJECT}:snowflake.database.dataRetentionDays = {retention:g}: prod needs at least "
            f"{PROD_MIN_RETENTION_DAYS} days of time travel so CLONE ... AT (TIMESTAMP => ...) "
            f"rollbacks work; allowed: {PROD_MIN_RETENTION_DAYS}..{MAX_RETENTION_DAYS}"
        )
    if raw_value(raw.get("estuary"), "addNewBindings") is True:
        problems.append(
            f"{PROJECT}:estuary.addNewBindings = true: prod must not let Estuary add bindings "
            "in the background (schema changes go through review); allowed: false"
        )
    return problems


def release_rules(environment: str | None, parts: Mapping[str, Any]) -> list[str]:
    """Image pinning and canary strategy per environment (needs the validated models)."""
    problems = []
    release, kubernetes = parts.get("release"), parts.get("kubernetes")
    if environment is None:
        return problems
    if release is not None:
        try:
            check_image_reference(
                release.api_image,
                environment,
                kubernetes.image_repository if kubernetes is not None else None,
            )
        except ValueError as error:
            problems.append(f"{PROJECT}:release.apiImage = {release.api_image!r}: {error}")
    if kubernetes is not None:
        try:
            check_canary_for_environment(kubernetes.canary, environment)
        except ValueError as error:
            problems.append(
                f"{PROJECT}:kubernetes.canary.strategy = {kubernetes.canary.strategy!r}: {error}"
            )
    return problems


def connector_tag_rules(environment: str | None, parts: Mapping[str, Any]) -> list[str]:
    """Staging and prod run released connector images: a moving tag (`dev`, `latest`) would
    change what runs with no change to the stack, and staging would not test what prod runs."""
    estuary = parts.get("estuary")
    if environment not in PINNED_TAG_ENVIRONMENTS or estuary is None:
        return []
    tags = [("estuary.materializationTag", estuary.materialization_tag)]
    tags += [
        (f"estuary.sources.{name}.connectorTag", getattr(estuary.sources, name).connector_tag)
        for name in estuary.sources.enabled()
    ]
    return [
        f"{PROJECT}:{key} = {tag!r}: {environment} runs released connector images; allowed: a "
        "release tag such as 'v1' (':dev' is every build of the connector's main branch)"
        for key, tag in tags
        if tag is not None and not PINNED_CONNECTOR_TAG.match(tag)
    ]


def reference_rules(parts: Mapping[str, Any]) -> list[str]:
    cortex, snowflake = parts.get("cortex"), parts.get("snowflake")
    if cortex is None or snowflake is None:
        return []
    return [
        f"{PROJECT}:cortex.additionalSearchServices[{index}].warehouse = {service.warehouse!r}: "
        "not a declared warehouse; declared: " + ", ".join(snowflake.warehouses)
        for index, service in enumerate(cortex.additional_search_services)
        if service.warehouse not in snowflake.warehouses
    ]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_rules(raw: Mapping[str, Any]) -> list[str]:
    """Control-plane URLs carry tokens: https only; plain http only to a loopback test server."""
    problems = []
    for area, key in CONTROL_PLANE_URLS:
        value = raw_value(raw.get(area), key)
        if not isinstance(value, str):
            continue
        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
        except ValueError:
            parts, host = None, ""
        if parts is None or parts.username or parts.password:
            problems.append(
                f"{PROJECT}:{area}.{key}: not a plain https URL (credentials in URLs are not "
                "allowed; value not shown)"
            )
        elif (parts.scheme == "https" and host) or (parts.scheme == "http" and _loopback(host)):
            continue
        else:
            problems.append(
                f"{PROJECT}:{area}.{key} = {value!r}: must be https://<host>[/path] (the "
                "token would travel in clear); http:// only to a loopback test server "
                "(localhost, 127.0.0.1, ::1)"
            )
    return problems

"""Input checks of the Estuary dynamic providers (Pulumi `check`): every problem at once,
each naming the property and what is allowed, never echoing the endpoint config."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from components.estuary.specs import duration_seconds, has_unknown

Fail = Callable[[str, str], None]

# Catalog names: tokens of letters, digits, '-', '_', '.', joined by '/'.
_NAME_TOKEN = r"[\w.\-]+"
CATALOG_NAME = re.compile(rf"^{_NAME_TOKEN}(?:/{_NAME_TOKEN})+$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._\-/][a-z0-9]+)*(?:\.[a-z0-9]+)*$")
IMAGE_TAG = re.compile(r"^:?[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
# Resource fields the connectors require (their published resource schemas; see
# tests/fakes/estuary_connectors.py for the sources). Others: a non-empty object.
REQUIRED_RESOURCE_FIELDS = {
    "ghcr.io/estuary/materialize-snowflake": ("table",),
    "ghcr.io/estuary/source-github": ("stream", "syncMode"),
    "ghcr.io/estuary/source-slack": ("stream", "syncMode"),
    "ghcr.io/estuary/source-gong": ("name",),
    "ghcr.io/estuary/source-hubspot-native": ("name",),
    "ghcr.io/estuary/source-intercom-native": ("name",),
    "ghcr.io/estuary/source-http-ingest": ("path",),
}


def check_task(news: Mapping[str, Any], binding_ref: str, fail: Fail) -> None:
    name = news.get("catalogName")
    if not has_unknown(name) and not (isinstance(name, str) and CATALOG_NAME.match(name)):
        fail(
            "catalogName",
            f"{name!r} is not an Estuary catalog name: tokens of letters, digits, '-', '_' "
            "or '.' joined by '/', with a tenant prefix (e.g. 'acme/dev/github'), no spaces, "
            "no leading, trailing or doubled '/'",
        )
    image = news.get("connectorImage")
    if not has_unknown(image) and not (isinstance(image, str) and IMAGE_NAME.match(image)):
        fail(
            "connectorImage",
            f"{image!r} is not an image name without tag (e.g. "
            "'ghcr.io/estuary/source-github'); put the tag in connectorTag",
        )
    tag = news.get("connectorTag")
    if not has_unknown(tag) and not (isinstance(tag, str) and IMAGE_TAG.match(tag)):
        fail("connectorTag", f"{tag!r} is not an image tag such as 'v1' or ':v1'")
    config = news.get("endpointConfig")
    if not has_unknown(config) and not isinstance(config, Mapping):
        # Never echo the value: it is the secret config.
        fail("endpointConfig", "must be an object (the connector's endpoint config)")
    if not has_unknown(news.get("shardsDisabled")) and not isinstance(
        news.get("shardsDisabled", False), bool
    ):
        fail("shardsDisabled", "must be true or false")
    _check_bindings(news, image if isinstance(image, str) else "", binding_ref, fail)


def _check_bindings(news: Mapping[str, Any], image: str, ref: str, fail: Fail) -> None:
    bindings = news.get("bindings")
    if has_unknown(bindings):
        return
    if not isinstance(bindings, list):
        fail("bindings", "must be a list of bindings")
        return
    required = REQUIRED_RESOURCE_FIELDS.get(image, ())
    seen: dict[str, int] = {}
    for i, binding in enumerate(bindings):
        where = f"bindings[{i}]"
        if not isinstance(binding, Mapping):
            fail(where, "must be an object with 'resource' and '" + ref + "'")
            continue
        target = binding.get(ref)
        if not (isinstance(target, str) and CATALOG_NAME.match(target)):
            fail(f"{where}.{ref}", f"{target!r} is not a collection name like 'acme/dev/x'")
        elif target in seen:
            fail(
                f"{where}.{ref}",
                f"{target!r} is also used by bindings[{seen[target]}]; each {ref} may appear once",
            )
        else:
            seen[target] = i
        resource = binding.get("resource")
        if not isinstance(resource, Mapping) or not resource:
            fail(f"{where}.resource", "must be a non-empty object (the connector resource)")
            continue
        for key in required:
            if resource.get(key) in (None, ""):
                fail(f"{where}.resource.{key}", f"is required by {image}")


def check_capture(news: Mapping[str, Any], fail: Fail) -> None:
    interval = news.get("interval")
    if interval is not None and not has_unknown(interval):
        try:
            duration_seconds(str(interval))
        except ValueError:
            fail("interval", f"{interval!r} is not a duration such as '30s', '5m' or '1h'")
    auto = news.get("autoDiscover")
    allowed = {"addNewBindings", "evolveIncompatibleCollections"}
    if (
        auto is not None
        and not has_unknown(auto)
        and (not isinstance(auto, Mapping) or not set(auto) <= allowed)
    ):
        fail(
            "autoDiscover",
            "must be an object with only addNewBindings and "
            "evolveIncompatibleCollections (booleans)",
        )
    collections = news.get("collections") or {}
    if has_unknown(collections):
        return
    if not isinstance(collections, Mapping):
        fail("collections", "must be an object keyed by collection name")
        return
    for cname, cspec in collections.items():
        where = f"collections[{cname}]"
        if not CATALOG_NAME.match(str(cname)):
            fail(where, "the key is not a collection name like 'acme/dev/x'")
        if not isinstance(cspec, Mapping):
            fail(where, "must be a collection spec object")
            continue
        key = cspec.get("key")
        if not (
            isinstance(key, list)
            and key
            and all(isinstance(p, str) and p.startswith("/") for p in key)
        ):
            fail(f"{where}.key", "must be a non-empty list of JSON pointers like '/id'")
        if ("schema" in cspec) == ("writeSchema" in cspec) or (
            ("writeSchema" in cspec) != ("readSchema" in cspec)
        ):
            fail(where, "needs 'schema', or both 'writeSchema' and 'readSchema'")

"""One Estuary publication (draft, stage, publish, poll, draft errors) and config encryption,
for the providers in `base.py`. Conflicts and deletions of missing specs are recognised the way
Estuary reports them (see `errors.py`); the ciphertext is returned as opaque text (`specs.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from components.estuary import specs
from components.estuary.specs import bare_tag

if TYPE_CHECKING:  # pragma: no cover
    from components.estuary.client import EstuaryClient, Tuning

log = logging.getLogger(__name__)


def publish(
    client: EstuaryClient,
    tuning: Tuning | None,
    action: str,
    props: Mapping[str, Any],
    rows: list[dict[str, Any]],
) -> str:
    from components.estuary.client import RETRYABLE, PublicationTimeout, new_operation_marker

    name = props["catalogName"]
    data_plane = props.get("dataPlane") or _default_data_plane()
    detail = new_operation_marker(action, name)
    draft_id = client.create_draft(detail)
    try:
        client.stage(draft_id, rows)
        status: dict[str, Any] = {}
        pub_id = ""
        for _ in range(max(1, client_attempts(tuning))):
            pub_id = client.publish(draft_id, detail, data_plane)
            status = client.wait_for_publication(pub_id)
            # Retryable: the draft is still there, publish it again.
            if status.get("type") not in RETRYABLE:
                break
    except PublicationTimeout:
        # The publication may still succeed (and then Estuary deletes the draft itself).
        raise
    except BaseException:
        _delete_draft_quietly(client, draft_id)
        raise
    if status.get("type") == "success":
        log.info("published %s %s as %s", action, name, pub_id)
        return pub_id
    errors: list[dict[str, Any]] = []
    try:
        errors = client.draft_errors(draft_id)
    finally:
        _delete_draft_quietly(client, draft_id)
    raise failure(name, pub_id, status, errors)


def encrypt(client: EstuaryClient, props: Mapping[str, Any]) -> str:
    """Encrypt the config with the connector's schema; returns the opaque sops text."""
    from components.estuary.client import EstuaryError

    image, tag = str(props["connectorImage"]), bare_tag(props["connectorTag"])
    row = client.connector_tag(image, tag)
    schema = (row or {}).get("endpoint_spec_schema")
    if not schema:
        # flow#2709: an unknown connector would let a plaintext config be published.
        raise EstuaryError(
            f"{image}:{tag} is not in Estuary's connector_tags, so its config cannot be "
            "encrypted; refusing to publish a plaintext endpoint config. Check the image "
            "name and tag."
        )
    encrypted = client.encrypt_config(props["endpointConfig"], schema)
    if not isinstance(encrypted, Mapping) or not isinstance(encrypted.get("sops"), Mapping):
        raise EstuaryError(f"config encryption for {image}:{tag} returned no sops document")
    text = specs.dump_ciphertext(encrypted)
    # A credential under a field the connector's schema does not mark secret would be
    # published in plaintext (e.g. a misspelt field name). Refuse, naming the fields.
    clear = [path for path, value in specs.secret_leaves(props["endpointConfig"]) if value in text]
    if clear:
        raise EstuaryError(
            f"{props['catalogName']}: the schema of {image}:{tag} does not mark "
            f"{', '.join(clear)} as secret, so Estuary would store them in plain text; "
            "refusing to publish. Check these field names against the connector's spec."
        )
    return text


def failure(
    name: str, pub_id: str, status: Mapping[str, Any], errors: list[dict[str, Any]]
) -> Exception:
    """The exception for a failed publication, recognising conflicts as Estuary reports them."""
    from components.estuary.errors import (
        ConflictError,
        PubIdMismatch,
        PublicationFailed,
        deletions_of_missing,
        pub_id_mismatches,
    )

    kind = str(status.get("type"))
    mismatches = pub_id_mismatches(errors)
    if kind == "expectPubIdMismatch":  # an older status type; kept in models::JobStatus
        mismatches += [
            PubIdMismatch(str(f.get("catalog_name")), str(f.get("expected")), str(f.get("actual")))
            for f in status.get("failures") or []
        ]
    if mismatches:
        mine = next((m for m in mismatches if m.catalog_name == name), mismatches[0])
        return ConflictError(
            mismatches=mismatches,
            catalog_name=name,
            publication_id=pub_id,
            status_type=kind,
            draft_errors=errors,
            job_status=status,
            note=(
                f"{mine.catalog_name} was changed outside this Pulumi stack: this stack last "
                f"saw publication {mine.expected}, but Estuary's live spec is at publication "
                f"{mine.actual}. Nothing was overwritten. Run `pulumi refresh` to see the "
                "change, then `pulumi up` to publish the declaration over it"
            ),
        )
    failure = PublicationFailed(
        catalog_name=name,
        publication_id=pub_id,
        status_type=kind,
        draft_errors=errors,
        job_status=status,
    )
    failure.missing_deletions = deletions_of_missing(errors)  # type: ignore[attr-defined]
    return failure


def client_attempts(tuning: Tuning | None) -> int:
    return tuning.create_attempts if tuning else 3


def _default_data_plane() -> str:
    from components.estuary.client import DEFAULT_DATA_PLANE

    return DEFAULT_DATA_PLANE


def _delete_draft_quietly(client: EstuaryClient, draft_id: str) -> None:
    try:
        client.delete_draft(draft_id)
    except Exception as exc:  # the original error matters more; say what to clean up
        log.warning(
            "could not delete Estuary draft %s (%s); delete it by hand",
            draft_id,
            type(exc).__name__,
        )

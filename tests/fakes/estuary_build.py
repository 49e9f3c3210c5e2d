"""The stand-in's publication: build (draft errors), commit, re-serialize, in the order the
agent runs them. Each rule names its source in estuary/flow.

Job statuses: `models::JobStatus` is `#[serde(tag = "type", rename_all = "camelCase")]`
(crates/models/src/publications.rs): success, buildFailed (draft errors), buildIdLockFailure
{failures: [{catalog_name, expected, actual}]} (a commit-time race; retryable), emptyDraft,
publishFailed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import TYPE_CHECKING, Any

from tests.fakes.estuary_connectors import CONNECTORS, validate_task
from tests.fakes.estuary_models import (
    RESERIALIZE,
    ZERO_ID,
    ModelError,
    collection_errors,
    display_id,
    name_collisions,
)
from tests.fakes.estuary_sops import SopsError

if TYPE_CHECKING:  # pragma: no cover
    from tests.fakes.estuary_state import ControlPlaneState

Error = dict[str, str]


def _scope(spec_type: str | None, name: str) -> str:
    return f"flow://{spec_type or 'deletion'}/{name}"


def _draft_errors(state: ControlPlaneState, rows: list[dict[str, Any]]) -> list[Error]:
    errors: list[Error] = []
    for row in rows:
        name = row["catalog_name"]
        live = state.live_row(name)
        spec_type = row["spec_type"] or (live or {}).get("spec_type")
        if row["spec"] is None and live is None:
            # agent drafts.rs `fetch_draft_specs` (search id 26647036921): spec_type is
            # coalesce(draft, live); a deletion of nothing has none.
            errors.append(
                {
                    "scope": _scope(None, name),
                    "detail": f'draft contains a deletion of "{name}", but no such live '
                    "spec exists",
                }
            )
            continue
        expect = row.get("expect_pub_id")
        actual = (live or {}).get("last_pub_id") or ZERO_ID
        if expect is not None and expect != actual:
            # crates/validation `walk_transition` -> Error::ExpectPubIdNotMatched; a build
            # error, "before we even try to commit" (agent integration test
            # `test_publication_optimistic_locking_failures`, search id 26213044902).
            errors.append(
                {
                    "scope": _scope(spec_type, name),
                    "detail": f"expected publication ID {display_id(expect)} was not matched "
                    f"(it's actually {display_id(actual)}): your changes have already been "
                    "published or another publication has modified this spec; please try "
                    "again with a fresh copy of the spec.",
                }
            )
    return errors


def _validation_errors(state: ControlPlaneState, rows: list[dict[str, Any]]) -> list[Error]:
    errors: list[Error] = []
    drafted = {r["catalog_name"]: r for r in rows}
    live_names = set(state.live_names())
    exists = (live_names | {n for n, r in drafted.items() if r["spec"] is not None}) - {
        n for n, r in drafted.items() if r["spec"] is None
    }
    for a, b in name_collisions(sorted(exists)):
        errors.append({"scope": _scope(None, b), "detail": f"{a} is a prohibited prefix of {b}"})
    for row in rows:
        spec, name, spec_type = row["spec"], row["catalog_name"], row["spec_type"]
        if spec is None:
            continue
        scope = _scope(spec_type, name)
        try:
            RESERIALIZE[spec_type](spec)
        except (KeyError, ModelError) as exc:
            errors.append({"scope": scope, "detail": f"failed to parse {spec_type}: {exc}"})
            continue
        if spec_type == "collection":
            errors += [{"scope": scope, "detail": d} for d in collection_errors(name, spec)]
            continue
        ref = "target" if spec_type == "capture" else "source"
        for b in spec.get("bindings") or []:
            if b.get(ref) not in exists:
                errors.append({"scope": scope, "detail": f"collection {b.get(ref)} not found"})
        errors += [{"scope": scope, "detail": d} for d in _connector_errors(state, spec)]
    return errors


def _connector_errors(state: ControlPlaneState, spec: dict[str, Any]) -> list[str]:
    image = str(((spec.get("endpoint") or {}).get("connector") or {}).get("image") or "")
    name, _, tag = image.rpartition(":")
    connector = CONNECTORS.get(name)
    if connector is None or f":{tag}" not in connector.tags:
        # GUESS (wording): an image:tag that is not in connector_tags cannot be validated.
        return [f"connector image {image!r} is not in connector_tags"]
    try:
        config = state.sops.decrypt(spec["endpoint"]["connector"].get("config"))
    except SopsError as exc:
        return [str(exc)]  # estuary/ui#140: the MAC error surfaces at Validate
    # The runtime hands the decrypted config and the resources to the connector's Validate.
    return [f"connector Validate: {e}" for e in validate_task(connector, config, spec["bindings"])]


def run_publication(state: ControlPlaneState, draft_id: str, pub_id: str) -> dict[str, Any]:
    rows = [copy.deepcopy(s) for (d, _), s in sorted(state.draft_specs.items()) if d == draft_id]
    if not rows:
        return {"type": "emptyDraft"}
    errors = _draft_errors(state, rows) or _validation_errors(state, rows)
    if not errors and state.forced_results:
        kind, forced = state.forced_results.pop(0)
        if kind == "buildIdLockFailure":
            # Another publication committed between our build and our commit (agent
            # `test_publication_optimistic_locking_failures`): {catalog_name, expected,
            # actual} are build ids; the draft stays and publishing again is safe.
            return {
                "type": kind,
                "failures": [
                    {"catalog_name": r["catalog_name"], "expected": ZERO_ID, "actual": pub_id}
                    for r in rows
                ],
            }
        errors = forced
        if kind != "buildFailed":
            _record(state, draft_id, errors)
            return {"type": kind}
    if errors:
        _record(state, draft_id, errors)
        return {"type": "buildFailed"}
    for row in rows:
        state.commit(row["catalog_name"], row["spec"], row["spec_type"], pub_id)
    # A successful publication deletes its draft.
    state.drafts.pop(draft_id, None)
    for key in [k for k in state.draft_specs if k[0] == draft_id]:
        del state.draft_specs[key]
    return {"type": "success"}


def _record(state: ControlPlaneState, draft_id: str, errors: list[Error]) -> None:
    for err in errors:
        state.draft_errors.append({"draft_id": draft_id, **err})


def md5_of(spec: Any) -> str | None:
    # live_specs_ext: md5 = md5(trim(spec::text)).
    return hashlib.md5(json.dumps(spec).strip().encode()).hexdigest() if spec else None

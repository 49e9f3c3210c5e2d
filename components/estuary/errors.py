"""Errors the Estuary client and providers raise, and the rules that keep secrets out of them.

Two rules:
- An API answer is reduced to what cannot hold a secret before it becomes an exception:
  config-encryption's `FailedValidation` carries the *plaintext* config as
  `details.document` (estuary/config-encryption src/encrypt/mod.rs `validate`), and its
  `basic_output` error texts can quote values; only the error name and the failing
  locations (JSON pointers) are kept. PostgREST `details` such as "Failing row contains
  (...)" echo row values and are dropped.
- `redact` masks any given plaintext value that still reaches a text (defence in depth for
  connector messages inside draft errors).

Conflicts are recognised the way Estuary reports them: a stale or must-not-exist
`expect_pub_id` is a *build error* ("expected publication ID X was not matched (it's actually
Y)": flow crates/validation `Error::ExpectPubIdNotMatched`), so the publication ends in
`buildFailed`; deleting a spec that is not live is the build error "draft contains a deletion
of \"X\", but no such live spec exists" (agent drafts.rs `fetch_draft_specs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_MAX_TEXT = 300


class EstuaryError(Exception):
    """Base class for everything this package raises on purpose."""


class CredentialsError(EstuaryError):
    """No usable Estuary credential was configured (the text never includes a token)."""


class PublicationTimeout(EstuaryError):
    """The publication was still queued when our polling budget ran out."""


class EstuaryApiError(EstuaryError):
    """One failed HTTP call: status, code, message, details and hint, already scrubbed.

    The text names the method and path (catalog names are not secret) but never a body or a
    header. `status` is None when no HTTP answer arrived (connection dropped, timeout).
    """

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int | None,
        code: str | None = None,
        message: str | None = None,
        details: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        sent: bool = True,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.retry_after = retry_after
        self.sent = sent
        parts = [f"Estuary {method} {path} failed: status={status if status else 'no response'}"]
        for label, value in (("code", code), ("message", message), ("details", details)):
            if value:
                parts.append(f"{label}={value}")
        if hint:
            parts.append(f"hint={hint}")
        if retry_after is not None:
            parts.append(
                f"the API asked to wait {retry_after:.0f} s before trying again (Retry-After)"
            )
        super().__init__("; ".join(parts))

    @property
    def ambiguous(self) -> bool:
        """True when the server may have acted on the request even though we saw a failure:
        no answer after the request was sent, or a 5xx. A 429 was refused, a 4xx rejected."""
        return (self.status is None and self.sent) or (self.status or 0) >= 500

    @property
    def retryable(self) -> bool:
        """Worth trying again after settling: ambiguous, or refused for now (429)."""
        return self.ambiguous or self.status == 429 or (self.status is None)


class EstuaryAnswerError(EstuaryApiError):
    """A 2xx whose body is unusable: empty, truncated, HTML, `null`, or missing fields. The
    request may have been acted on (a create whose answer is garbled), so it is ambiguous."""

    def __init__(self, *, method: str, path: str, status: int, problem: str) -> None:
        self.problem = problem
        super().__init__(
            method=method,
            path=path,
            status=status,
            code="unusable answer",
            message=problem,
        )

    @property
    def ambiguous(self) -> bool:
        return True


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None  # structured values are never copied into text
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def scrub_answer(path: str, body: Any) -> dict[str, str | None]:
    """The parts of an error answer that may appear in an exception: code, message,
    details, hint. Never a document, never a config value."""
    if not isinstance(body, Mapping):
        return {"code": None, "message": None, "details": None, "hint": None}
    if path.endswith("encrypt-config"):
        error = _short(body.get("error")) or "error"
        details = body.get("details") if isinstance(body.get("details"), Mapping) else {}
        basic = details.get("basic_output") if isinstance(details, Mapping) else None
        errors = basic.get("errors") if isinstance(basic, Mapping) else None
        where = sorted(
            {
                f"{e.get('instanceLocation') or '/'} ({e.get('keywordLocation') or '?'})"
                for e in errors or []
                if isinstance(e, Mapping)
            }
        )
        message = error
        if where:
            message += ": the endpoint config does not match the connector's schema at " + (
                ", ".join(where[:10])
            )
        return {"code": error, "message": message, "details": None, "hint": None}
    details = _short(body.get("details"))
    if details and "Failing row contains" in details:
        details = None  # PostgreSQL echoes the row, which holds the (encrypted) spec
    return {
        "code": _short(body.get("code")),
        "message": _short(body.get("message")) or _short(body.get("error")),
        "details": details,
        "hint": _short(body.get("hint")),
    }


def plaintext_values(config: Any, min_length: int = 6) -> set[str]:
    """String leaves of a plaintext config long enough to be a credential."""
    out: set[str] = set()
    if isinstance(config, Mapping):
        for value in config.values():
            out |= plaintext_values(value, min_length)
    elif isinstance(config, list | tuple):
        for value in config:
            out |= plaintext_values(value, min_length)
    elif isinstance(config, str) and len(config) >= min_length:
        out.add(config)
    return out


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return text


class PublicationFailed(EstuaryError):
    """A publication ended in a failure state; carries the job status and the draft errors."""

    def __init__(
        self,
        *,
        catalog_name: str,
        publication_id: str,
        status_type: str,
        draft_errors: list[Mapping[str, Any]],
        job_status: Mapping[str, Any] | None = None,
        note: str = "",
    ) -> None:
        self.catalog_name = catalog_name
        self.publication_id = publication_id
        self.status_type = status_type
        self.draft_errors = [
            {"scope": str(e.get("scope", "?")), "detail": str(e.get("detail", ""))}
            for e in draft_errors
        ]
        self.job_status = dict(job_status or {})
        # Deletions Estuary refused because the spec is not live: for a delete, the goal.
        self.missing_deletions = deletions_of_missing(self.draft_errors)
        lines = [
            f"Estuary publication {publication_id} for {catalog_name} ended in {status_type}"
            + (f": {note}" if note else "")
        ]
        for failure in self.job_status.get("failures") or []:
            lines.append(
                f"  - {failure.get('catalog_name')}: expected build "
                f"{failure.get('expected')}, live is {failure.get('actual')}"
            )
        for err in self.draft_errors:
            lines.append(f"  - [{err['scope']}] {_short(err['detail'])}")
        super().__init__("\n".join(lines))


class ConflictError(PublicationFailed):
    """Someone else published the spec since we last saw it (expect_pub_id did not match)."""

    def __init__(self, *, mismatches: list[PubIdMismatch], **kwargs: Any) -> None:
        self.mismatches = mismatches
        super().__init__(**kwargs)


@dataclass(frozen=True)
class PubIdMismatch:
    catalog_name: str
    expected: str  # colon-hex, as PostgREST shows flowids
    actual: str


_MISMATCH = re.compile(
    r"expected publication ID ([0-9a-fA-F:]{16,23}) was not matched "
    r"\(it's actually ([0-9a-fA-F:]{16,23})\)"
)
_DELETION = re.compile(r'draft contains a deletion of "?(.+?)"?, but no such live spec exists')


def colon_id(value: str) -> str:
    digits = value.replace(":", "").lower()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _scope_name(scope: str) -> str:
    # flow://<type>/<catalog name>: the name is everything after the type.
    rest = scope.split("://", 1)[-1]
    return rest.split("/", 1)[1] if "/" in rest else rest


def pub_id_mismatches(draft_errors: Iterable[Mapping[str, Any]]) -> list[PubIdMismatch]:
    out = []
    for err in draft_errors:
        match = _MISMATCH.search(str(err.get("detail", "")))
        if match:
            out.append(
                PubIdMismatch(
                    _scope_name(str(err.get("scope", ""))),
                    colon_id(match.group(1)),
                    colon_id(match.group(2)),
                )
            )
    return out


def deletions_of_missing(draft_errors: Iterable[Mapping[str, Any]]) -> set[str]:
    names = set()
    for err in draft_errors:
        match = _DELETION.search(str(err.get("detail", "")))
        if match:
            names.add(match.group(1))
    return names


def publication_failure(
    name: str, pub_id: str, status: Mapping[str, Any], errors: list[dict[str, Any]]
) -> PublicationFailed:
    """The exception for a failed publication, recognising conflicts as Estuary reports them."""
    kind = str(status.get("type"))
    mismatches = pub_id_mismatches(errors)
    if kind == "expectPubIdMismatch":  # an older status type; kept in models::JobStatus
        mismatches += [
            PubIdMismatch(str(f.get("catalog_name")), str(f.get("expected")), str(f.get("actual")))
            for f in status.get("failures") or []
        ]
    if not mismatches:
        return PublicationFailed(
            catalog_name=name,
            publication_id=pub_id,
            status_type=kind,
            draft_errors=errors,
            job_status=status,
        )
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

"""The Estuary control plane's answers as strict pydantic models: what `EstuaryClient` believes.

Pure (no I/O). Each model lists the columns the client selects; a missing or `null` required
field, or a value of the wrong JSON type, is an error naming the field (components/estuary/
transport.py turns it into `EstuaryAnswerError`). Extra columns are ignored: PostgREST may add
columns to a view. Sources, estuary/flow:
- supabase/migrations/09_publications.sql: `live_specs.last_pub_id` and `last_build_id` are
  `flowid not null`; the check "spec and spec_type must be consistent" is
  `(spec is null) = (spec_type is null)`; `spec` is NULL "if this specification is deleted".
- crates/models/src/publications.rs `JobStatus` (`type` tagged); publications.job_status
  defaults to `{"type": "queued"}` (internal._model_async), so it is never null.
- crates/flow-client/src/user_auth.rs: `generate_access_token` answers `{access_token,
  refresh_token}`, `refresh_token` set only for a single-use token.
- estuary/config-encryption src/encrypt/mod.rs: the encrypted document has a top-level `sops`
  object.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

NonEmpty = Annotated[str, Field(min_length=1)]


class Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class RefreshToken(Answer):
    id: NonEmpty
    secret: NonEmpty


class TokenAnswer(Answer):
    access_token: NonEmpty
    refresh_token: RefreshToken | None = None


class ConnectorRef(Answer):
    image_name: NonEmpty


class ConnectorTagRow(Answer):
    id: NonEmpty
    image_tag: NonEmpty
    endpoint_spec_schema: dict[str, Any] | None
    connectors: ConnectorRef


class IdRow(Answer):
    id: NonEmpty


class DetailRow(Answer):
    id: NonEmpty
    detail: str | None


class JobStatus(BaseModel):
    # Other variant fields (failures, incompatible_collections, ...) are kept as given.
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
    type: NonEmpty
    failures: list[dict[str, Any]] | None = None


class PublicationStatusRow(Answer):
    id: NonEmpty
    job_status: JobStatus


class DraftErrorRow(Answer):
    scope: str
    detail: str


SpecType = Literal["capture", "collection", "materialization", "test"]


class LiveSpecRow(Answer):
    catalog_name: NonEmpty
    spec_type: SpecType | None
    spec: dict[str, Any] | None
    last_pub_id: NonEmpty
    last_build_id: NonEmpty
    md5: str | None
    connector_image_tag: str | None

    @model_validator(mode="after")
    def _consistent(self) -> LiveSpecRow:
        if (self.spec is None) != (self.spec_type is None):
            raise ValueError(
                "spec and spec_type must both be null (a deleted spec) or both set "
                "(live_specs check 'spec and spec_type must be consistent')"
            )
        return self

    @property
    def deleted(self) -> bool:
        return self.spec is None


def _sops_document(value: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value.get("sops"), dict):
        raise ValueError("no top-level 'sops' object: the config was not encrypted")
    return value


# The encrypted config is kept as the exact document (sops' MAC covers key order): a dict
# validated for its envelope, returned as parsed (Python keeps key order).
SopsDocument = Annotated[dict[str, Any], AfterValidator(_sops_document)]

OneOrMore = Field(min_length=1)
CreatedRows = Annotated[list[IdRow], OneOrMore]  # POST ... Prefer: return=representation

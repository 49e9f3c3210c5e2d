"""`sophia-infra:migration`: the migration from the legacy systems, as declared state.

One row per tracker component (docs/migration.md). Each row is in one state:

    not-started -> parallel -> cutover -> retired

- `not-started`: the legacy system serves everything; the new side gets no traffic.
- `parallel`: both sides run; `newShare` percent of sessions (of requests, for the API edge)
  go to the new side. The legacy endpoint, its credential and its egress rule are declared.
- `cutover`: the new side serves everything; the legacy side is still declared (route at
  weight 0, credential, egress), so a rollback is a config revert.
- `retired`: the legacy reference is gone: no route backend, no Secret, no egress rule, no flag.

Rules about one stack (a share only while parallel, the legacy endpoint a row needs, dev never
parallel) are checked here; the rule across stacks (prod never ahead of staging) is
`order_problems`, run by `components.settings.load` against the staging stack files; the rules
about a *change* (no jump over a state, one row per prod update, the soak) need the previous
state, so they live in `jobs.migration` (the `advance` command and the promotion gate).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings._base import CamelModel, KeyedValueError
from components.settings.kubernetes import DnsLabel

PROJECT = "sophia-infra"
KEY = f"{PROJECT}:migration"
State = Literal["not-started", "parallel", "cutover", "retired"]
STATES: tuple[str, ...] = ("not-started", "parallel", "cutover", "retired")
# Tracker rows in the plan's order (data first, the API edge last).
ROWS: tuple[str, ...] = (
    "dataPipeline",
    "sessionMgmt",
    "vectorSearch",
    "aiAgents",
    "llmGateway",
    "apiEdge",
)
# What the tracker prints per row: (component, current legacy system, target).
ROW_TITLES: dict[str, tuple[str, str, str]] = {
    "dataPipeline": ("Data pipeline", "Airbyte", "Estuary Flow"),
    "sessionMgmt": ("Session management", "Redis", "Snowflake session tables"),
    "vectorSearch": ("Vector search", "Pinecone", "Cortex Search"),
    "aiAgents": ("AI agents", "MCP servers", "Cortex Agents"),
    "llmGateway": ("LLM gateway", "direct LLM calls", "Portkey"),
    "apiEdge": ("API edge", "old FastAPI", "new API"),
}
# The plan's `--phase` names (docs/migration.md). business-logic names no tracker row.
PHASES: dict[str, tuple[str, ...]] = {
    "data-pipeline": ("dataPipeline", "sessionMgmt"),
    "ai-agents": ("aiAgents", "vectorSearch"),
    "api-modernization": ("apiEdge", "llmGateway"),
    "business-logic": (),
}
# Rows the API splits per session with a flag (components/k8s/migration.py flag file).
FLAG_ROWS: tuple[str, ...] = ("sessionMgmt", "vectorSearch", "aiAgents", "llmGateway")
# Rows whose legacy side needs a credential in the API, and the secret key holding it.
CREDENTIAL_KEYS: dict[str, str] = {
    "sessionMgmt": "legacyRedisUrl",
    "vectorSearch": "legacyPineconeApiKey",
    "aiAgents": "legacyMcpToken",
}
# States in which the legacy side is still declared (endpoint, credential, egress).
LEGACY_DECLARED: tuple[str, ...] = ("parallel", "cutover")
# The plan: dev has `parallel_run: false`.
NO_PARALLEL_ENVIRONMENTS: tuple[str, ...] = ("dev",)
MAX_SOAK_SECONDS = 90 * 86400  # ours: a soak of more than 90 days is a typo

_AIRBYTE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Pinecone index names: lower-case alphanumerics and '-', at most 45 characters (Pinecone docs,
# "Create an index": "must consist of lowercase alphanumeric characters or '-'", max 45).
_PINECONE_INDEX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$")
_HTTPS_URL = re.compile(r"^https://[a-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?$")


def state_index(state: str) -> int:
    return STATES.index(state)


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            "must be a network in CIDR notation with no host bits set, such as '10.20.0.0/28'"
        ) from None
    if network.prefixlen < 16 and network.version == 4:
        raise ValueError("must be /16 or narrower: egress to the legacy Redis, not a whole range")
    return value


def _check_airbyte_id(value: str) -> str:
    if not _AIRBYTE_ID.match(value):
        raise ValueError("must be an Airbyte connection id (a lower-case UUID)")
    return value


def _check_pinecone_index(value: str) -> str:
    if not _PINECONE_INDEX.match(value):
        raise ValueError(
            "must be a Pinecone index name: lower-case letters, digits and '-', at most 45 "
            "characters"
        )
    return value


def _check_https(value: str) -> str:
    if not _HTTPS_URL.match(value):
        raise ValueError(
            "must be an https:// URL without credentials, such as 'https://api.openai.com/v1'"
        )
    return value


_SOAK = re.compile(r"^([1-9][0-9]*)(s|m|h|d)$")
_SOAK_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def soak_seconds(value: str) -> int:
    match = _SOAK.match(value)
    if not match:
        raise ValueError("must be a duration like '30m', '24h' or '7d'")
    return int(match.group(1)) * _SOAK_UNITS[match.group(2)]


def _check_soak(value: str) -> str:
    if soak_seconds(value) > MAX_SOAK_SECONDS:
        raise ValueError("must be at most 90d")
    return value


Port = Annotated[int, Field(ge=1, le=65535)]
Cidr = Annotated[str, AfterValidator(_check_cidr)]


class LegacyService(CamelModel):
    """A legacy Service in the cluster (the old FastAPI, the MCP gateway)."""

    service: DnsLabel = Field(description="The legacy Service's name.")
    namespace: DnsLabel = Field(description="Its namespace (a ReferenceGrant is declared there).")
    port: Port = Field(description="The Service port.")
    target_port: Port | None = Field(
        None, description="The pods' port behind it, for the egress rule (default: port)."
    )


class LegacyRedis(CamelModel):
    redis_cidr: Cidr = Field(description="The legacy Redis network, e.g. 10.20.0.0/28.")
    port: Port = Field(6379, description="The Redis port.")


class LegacyPinecone(CamelModel):
    pinecone_index: Annotated[str, AfterValidator(_check_pinecone_index)] = Field(
        description="The legacy Pinecone index the API reads while parallel."
    )


class LegacyLlm(CamelModel):
    base_url: Annotated[str, AfterValidator(_check_https)] = Field(
        description="The provider endpoint the API called directly before Portkey."
    )


class LegacyAirbyte(CamelModel):
    airbyte_connection_id: Annotated[str, AfterValidator(_check_airbyte_id)] = Field(
        description="The Airbyte connection that runs beside Estuary (referenced, never managed)."
    )


LEGACY_MODELS: dict[str, type[CamelModel]] = {
    "dataPipeline": LegacyAirbyte,
    "sessionMgmt": LegacyRedis,
    "vectorSearch": LegacyPinecone,
    "aiAgents": LegacyService,
    "llmGateway": LegacyLlm,
    "apiEdge": LegacyService,
}


class _Row(CamelModel):
    state: State = Field("not-started", description="not-started | parallel | cutover | retired")
    new_share: int | None = Field(
        None,
        ge=1,
        le=99,
        description="Percent of sessions (requests, for apiEdge) on the new side while parallel.",
    )

    @model_validator(mode="after")
    def _share_only_while_parallel(self) -> _Row:
        if self.state == "parallel" and self.new_share is None and self._takes_share():
            raise ValueError(
                "state 'parallel' needs newShare: the percent of traffic on the new side, 1..99"
            )
        if self.new_share is not None and (self.state != "parallel" or not self._takes_share()):
            raise ValueError(
                f"newShare is set but the state is {self.state!r}; a share applies only while "
                "parallel (cutover is 100% new, not-started 0%)"
                if self._takes_share()
                else "newShare does not apply to dataPipeline: both pipelines run in full while "
                "parallel; remove newShare"
            )
        legacy = getattr(self, "legacy", None)
        if self.state in LEGACY_DECLARED and legacy is None:
            raise ValueError(
                f"state {self.state!r} needs `legacy`: the endpoint the new side runs beside"
            )
        return self

    def _takes_share(self) -> bool:
        return True

    def share(self) -> int:
        """Percent on the new side: 0 before, the share while parallel, 100 from cutover."""
        if self.state == "not-started":
            return 0
        if self.state == "parallel":
            return self.new_share if self.new_share is not None else 100
        return 100


class AirbyteRow(_Row):
    legacy: LegacyAirbyte | None = None

    def _takes_share(self) -> bool:
        return False


class RedisRow(_Row):
    legacy: LegacyRedis | None = None


class PineconeRow(_Row):
    legacy: LegacyPinecone | None = None


class ServiceRow(_Row):
    legacy: LegacyService | None = None


class LlmRow(_Row):
    legacy: LegacyLlm | None = None


class MigrationRows(CamelModel):
    data_pipeline: AirbyteRow = AirbyteRow()
    session_mgmt: RedisRow = RedisRow()
    vector_search: PineconeRow = PineconeRow()
    ai_agents: ServiceRow = ServiceRow()
    llm_gateway: LlmRow = LlmRow()
    api_edge: ServiceRow = ServiceRow()


class MigrationGate(CamelModel):
    soak: Annotated[str, AfterValidator(_check_soak)] = Field(
        "7d",
        description="How long staging must hold a state (since a successful update) before prod "
        "may take it: a duration such as '24h' or '7d'.",
    )


class MigrationSettings(CamelModel):
    """`sophia-infra:migration`: every tracker row's state, share and legacy endpoint."""

    components: MigrationRows = MigrationRows()
    gate: MigrationGate = MigrationGate()

    def row(self, name: str) -> _Row:
        return getattr(self.components, _snake(name))

    def rows(self) -> dict[str, _Row]:
        return {name: self.row(name) for name in ROWS}

    def needs_credential(self, row: str) -> bool:
        return row in CREDENTIAL_KEYS and self.row(row).state in LEGACY_DECLARED

    def soak_seconds(self) -> int:
        return soak_seconds(self.gate.soak)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def check_migration_for_environment(settings: MigrationSettings, environment: str) -> None:
    """dev never runs parallel (the plan's `parallel_run: false`)."""
    if environment not in NO_PARALLEL_ENVIRONMENTS:
        return
    for name, row in settings.rows().items():
        if row.state == "parallel":
            raise KeyedValueError(
                ("migration", "components", name, "state"),
                "parallel",
                f"{environment} does not run the legacy and new sides in parallel (the plan's "
                f"parallel_run: false); allowed in {environment}: not-started, cutover, retired",
            )


def check_migration_router(settings: MigrationSettings, router_kind: str) -> None:
    """The legacy API edge is a weighted HTTPRoute backend: Gateway API only (an nginx Ingress
    has no weighted backends of its own; its canary annotations belong to the Rollout)."""
    row = settings.row("apiEdge")
    if row.state in LEGACY_DECLARED and router_kind != "gatewayApi":
        raise KeyedValueError(
            ("migration", "components", "apiEdge", "state"),
            row.state,
            f"the legacy API edge is a weighted HTTPRoute backend, which needs "
            f"kubernetes.router.kind gatewayApi (this stack routes with {router_kind}); allowed "
            "with this router: not-started, retired",
        )


# --- rules across stacks and secrets (plain data, so a broken sibling cannot stop a stack) --------


def raw_rows(raw: Any) -> dict[str, tuple[str, int]]:
    """(state, share) per row from a raw `migration` value; rows it cannot read are skipped."""
    rows: dict[str, tuple[str, int]] = {}
    components = raw.get("components") if isinstance(raw, Mapping) else None
    if not isinstance(components, Mapping):
        components = {}
    for name in ROWS:
        row = components.get(name)
        row = row if isinstance(row, Mapping) else {}
        state = row.get("state", "not-started")
        if state not in STATES:
            continue
        share = row.get("newShare")
        if state == "parallel":
            value = share if isinstance(share, int) and not isinstance(share, bool) else 100
        else:
            value = 0 if state == "not-started" else 100
        rows[name] = (state, value)
    return rows


def describe(state: str, share: int) -> str:
    return f"parallel at {share}%" if state == "parallel" else state


def ahead(mine: tuple[str, int], theirs: tuple[str, int]) -> bool:
    """Is `mine` further along than `theirs` (in state order, then in share)?"""
    if state_index(mine[0]) != state_index(theirs[0]):
        return state_index(mine[0]) > state_index(theirs[0])
    return mine[1] > theirs[1]


def order_problems(
    stack: str, raw: Any, staging: Mapping[str, Any], environment: str | None
) -> list[str]:
    """prod is never ahead of staging, row by row (state, then share). `staging` maps each
    staging-environment stack's name to its raw `migration` value."""
    if environment != "prod" or not staging:
        return []
    problems = []
    mine = raw_rows(raw)
    for other, other_raw in sorted(staging.items()):
        theirs = raw_rows(other_raw)
        for name in ROWS:
            if name in mine and name in theirs and ahead(mine[name], theirs[name]):
                state, share = mine[name]
                problems.append(
                    f"{KEY}.components.{name}.state = {state!r}: stack {stack} (prod) would be "
                    f"{describe(state, share)} while stack {other} (staging) is "
                    f"{describe(*theirs[name])}; prod is never ahead of staging, allowed here: "
                    f"at most {describe(*theirs[name])} (advance staging first with "
                    f"`python -m jobs.migration advance --stack {other} --row {name}`)"
                )
    return problems


def credential_problems(
    settings: MigrationSettings, present: Mapping[str, bool], stack: str
) -> list[str]:
    """A legacy credential is set exactly while its row needs it (parallel, cutover); a retired
    row's credential must be removed. Never reads a value, only whether the key is set."""
    problems = []
    for row, key in CREDENTIAL_KEYS.items():
        state = settings.row(row).state
        if settings.needs_credential(row) and not present.get(key):
            problems.append(
                f"{PROJECT}:{key}: missing, but migration.components.{row} is {state!r}, which "
                f"declares the legacy credential; set it with `pulumi config set --secret {key} "
                f"<value> --stack {stack}`"
            )
        elif state == "retired" and present.get(key):
            problems.append(
                f"{PROJECT}:{key}: still set, but migration.components.{row} is 'retired' "
                f"(value not shown); remove it with `pulumi config rm {key} --stack {stack}` "
                "and rotate it at the legacy system"
            )
    return problems

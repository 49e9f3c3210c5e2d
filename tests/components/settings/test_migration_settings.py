"""`sophia-infra:migration`: every bad row is refused before any resource, naming row and stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.settings.migration import PHASES, ROWS, MigrationSettings, order_problems
from tests.components.settings.test_settings import _reject as reject
from tests.conftest import STACKS, stack_config


def _reject(stack: str, mutate: Callable[[dict[str, Any]], None], **secrets: Any) -> str:
    """tests/components/settings/test_settings.py's check, on the migration rows (and secrets)."""

    def change(config: dict[str, Any]) -> None:
        mutate(config["migration"]["components"])
        config.update(secrets)

    return reject(stack, change)


def _set(row: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(components: dict[str, Any]) -> None:
        components[row].update(values)

    return mutate


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_declare_every_row(stack: str) -> None:
    migration = MigrationSettings.model_validate(stack_config(stack)["migration"], strict=True)
    assert list(migration.rows()) == list(ROWS)


def test_every_row_is_in_a_phase_but_business_logic() -> None:
    assert sorted(r for rows in PHASES.values() for r in rows) == sorted(ROWS)
    assert PHASES["business-logic"] == ()


def test_parallel_needs_a_share() -> None:
    message = _reject("staging", _set("apiEdge", state="parallel"))
    assert (
        "sophia-infra:migration.components.apiEdge = {...}: state 'parallel' needs newShare: "
        "the percent of traffic on the new side, 1..99"
    ) in message


def test_share_only_while_parallel() -> None:
    message = _reject("staging", _set("apiEdge", state="cutover", newShare=50))
    assert (
        "sophia-infra:migration.components.apiEdge = {...}: newShare is set but the state is "
        "'cutover'; a share applies only while parallel (cutover is 100% new, not-started 0%)"
    ) in message


@pytest.mark.parametrize("share", [0, 100, 150])
def test_share_bounds(share: int) -> None:
    message = _reject("staging", _set("apiEdge", state="parallel", newShare=share))
    assert f"sophia-infra:migration.components.apiEdge.newShare = {share}: must be" in message


def test_data_pipeline_takes_no_share() -> None:
    message = _reject("staging", _set("dataPipeline", state="parallel", newShare=10))
    assert "newShare does not apply to dataPipeline" in message


def test_unknown_state_lists_the_allowed_ones() -> None:
    message = _reject("staging", _set("aiAgents", state="done"))
    assert (
        "sophia-infra:migration.components.aiAgents.state = 'done': must be 'not-started', "
        "'parallel', 'cutover' or 'retired'"
    ) in message


def test_dev_never_runs_parallel() -> None:
    message = _reject("dev", _set("apiEdge", state="parallel", newShare=10))
    assert (
        "sophia-infra:migration.components.apiEdge.state = 'parallel': dev does not run the "
        "legacy and new sides in parallel (the plan's parallel_run: false); allowed in dev: "
        "not-started, cutover, retired"
    ) in message


def test_prod_is_never_ahead_of_staging() -> None:
    message = _reject("prod", _set("apiEdge", state="parallel", newShare=10))
    assert (
        "sophia-infra:migration.components.apiEdge.state = 'parallel': stack prod (prod) would "
        "be parallel at 10% while stack staging (staging) is not-started; prod is never ahead of "
        "staging, allowed here: at most not-started (advance staging first with "
        "`python -m jobs.migration advance --stack staging --row apiEdge`)"
    ) in message


def test_prod_share_is_never_above_staging_share() -> None:
    staging = {"components": {"apiEdge": {"state": "parallel", "newShare": 10}}}
    prod = {"components": {"apiEdge": {"state": "parallel", "newShare": 25}}}
    (problem,) = order_problems("prod", prod, {"staging": staging}, "prod")
    assert "would be parallel at 25% while stack staging (staging) is parallel at 10%" in problem
    assert order_problems("prod", staging, {"staging": prod}, "prod") == []
    assert order_problems("staging", prod, {"staging": staging}, "staging") == []


def test_a_row_that_needs_its_credential_says_how_to_set_it() -> None:
    message = _reject("staging", _set("aiAgents", state="parallel", newShare=10))
    assert (
        "sophia-infra:legacyMcpToken: missing, but migration.components.aiAgents is 'parallel', "
        "which declares the legacy credential; set it with `pulumi config set --secret "
        "legacyMcpToken <value> --stack staging`"
    ) in message


def test_a_retired_rows_credential_must_go() -> None:
    message = _reject(
        "staging", _set("sessionMgmt", state="retired"), legacyRedisUrl={"secure": "redis-x"}
    )
    assert (
        "sophia-infra:legacyRedisUrl: still set, but migration.components.sessionMgmt is "
        "'retired' (value not shown); remove it with `pulumi config rm legacyRedisUrl --stack "
        "staging` and rotate it at the legacy system"
    ) in message
    assert "redis-x" not in message


@pytest.mark.parametrize(
    ("row", "legacy", "expected"),
    [
        (
            "sessionMgmt",
            {"redisCidr": "10.20.0.1/28"},
            "redisCidr = '10.20.0.1/28': must be a network in CIDR notation with no host bits set",
        ),
        ("sessionMgmt", {"redisCidr": "10.0.0.0/8"}, "must be /16 or narrower"),
        ("aiAgents", {"service": "MCP", "namespace": "legacy-mcp", "port": 8080}, "DNS-1123"),
        ("aiAgents", {"service": "mcp", "namespace": "legacy-mcp", "port": 0}, "port = 0"),
        ("vectorSearch", {"pineconeIndex": "Sophia_Prod"}, "must be a Pinecone index name"),
        ("llmGateway", {"baseUrl": "http://api.openai.com"}, "must be an https:// URL"),
        ("dataPipeline", {"airbyteConnectionId": "abc"}, "must be an Airbyte connection id"),
    ],
)
def test_legacy_endpoints_are_validated(row: str, legacy: dict[str, Any], expected: str) -> None:
    message = _reject("staging", _set(row, legacy=legacy))
    assert f"sophia-infra:migration.components.{row}.legacy." in message
    assert expected in message


def test_parallel_needs_the_legacy_endpoint() -> None:
    def mutate(components: dict[str, Any]) -> None:
        components["apiEdge"] = {"state": "parallel", "newShare": 10}

    message = _reject("staging", mutate)
    assert "state 'parallel' needs `legacy`: the endpoint the new side runs beside" in message


def test_unknown_row_is_refused() -> None:
    message = _reject("staging", lambda c: c.update(mcpServers={"state": "parallel"}))
    assert "sophia-infra:migration.components.mcpServers: unknown key" in message


def test_the_legacy_api_edge_needs_the_gateway_api_router() -> None:
    def mutate(components: dict[str, Any]) -> None:
        components["apiEdge"].update(state="parallel", newShare=10)

    def change(config: dict[str, Any]) -> None:
        mutate(config["migration"]["components"])
        config["kubernetes"]["router"] = {
            "kind": "nginx",
            "ingressClassName": "nginx",
            "sourceNamespace": "ingress-nginx",
            "pathPrefix": "/api",
            "websocketTimeoutSeconds": 3600,
        }

    message = reject("staging", change)
    assert (
        "sophia-infra:migration.components.apiEdge.state = 'parallel': the legacy API edge is a "
        "weighted HTTPRoute backend, which needs kubernetes.router.kind gatewayApi (this stack "
        "routes with nginx); allowed with this router: not-started, retired"
    ) in message

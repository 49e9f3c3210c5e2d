"""The built routing config, driven through the REAL open-source Portkey gateway.

The gateway (npm @portkey-ai/gateway, pinned in package.json; run `npm ci` first) runs on a free
loopback port; fake OpenAI/Anthropic/Mistral upstreams run in-process. Every request carries the
config that `build_config` produces for a stack's policy (tests/components/portkey/
Pulumi.<stack>.yaml), with the saved-provider slugs swapped for inline provider + custom_host
(the OSS gateway cannot resolve slugs). The upstreams' request logs prove where traffic went.

The failover cases are the codes real providers send: 404 (a retired or unknown model), 408 (the
gateway's own answer when request_timeout fires), 529 (Anthropic overloaded_error); a 400 must
still not fail over. Fallback on an explicit on_status_codes list is a literal match in the gateway
(Portkey-AI/gateway src/handlers/handlerUtils.ts tryTargetsRecursively, FALLBACK branch).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from components.settings.portkey import PortkeySettings
from components.settings.portkey_routing import (
    CLIENT_OUTPUT_ALIASES,
    build_config,
    with_inline_providers,
)
from tests.components.portkey.fake_llm import FakeUpstream, UpstreamCall
from tests.conftest import committed_stack_configs

pytestmark = pytest.mark.needs_node

REPO = Path(__file__).resolve().parents[3]
GATEWAY_ENTRY = REPO / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
LOOPBACK_PRELOAD = Path(__file__).with_name("loopback.mjs")
POLICIES = committed_stack_configs()
FAKE_KEY = "sk-fake-upstream-key"
STARTUP_TIMEOUT_S = 20.0


def _policy(stack: str) -> PortkeySettings:
    return PortkeySettings.model_validate(POLICIES[stack]["sophia-infra:portkey"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; the gateway e2e test needs Node.js >= 18")
    if not GATEWAY_ENTRY.exists():
        pytest.skip(f"{GATEWAY_ENTRY.relative_to(REPO)} missing; run `npm ci` in {REPO}")
    port = _free_port()
    process = subprocess.Popen(
        [
            node,
            "--import",
            str(LOOPBACK_PRELOAD),
            str(GATEWAY_ENTRY),
            f"--port={port}",
            "--headless",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "NODE_ENV": "production"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gateway did not listen on {url} within 20 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def upstreams() -> Iterator[dict[str, FakeUpstream]]:
    started = {kind: FakeUpstream(kind).start() for kind in ("openai", "anthropic", "mistral")}
    yield started
    for upstream in started.values():
        upstream.stop()


def _inline(stack: str, upstreams: dict[str, FakeUpstream]) -> dict[str, Any]:
    """The stack's built config with `@<vendor>-<stack>` slugs pointed at the fakes."""
    config = build_config(_policy(stack))
    vendors = {"openai": "openai", "anthropic": "anthropic", "mistral": "mistral-ai"}
    providers = {
        f"@{kind}-{stack}": {
            "provider": provider_id,
            "api_key": FAKE_KEY,
            "custom_host": upstreams[kind].base_url,
        }
        for kind, provider_id in vendors.items()
    }
    return with_inline_providers(config, providers)


def _chat(
    gateway: str,
    config: dict[str, Any],
    metadata: dict[str, str] | None = None,
    **params: Any,
):
    headers = {"content-type": "application/json", "x-portkey-config": json.dumps(config)}
    if metadata is not None:
        headers["x-portkey-metadata"] = json.dumps(metadata)
    return requests.post(
        f"{gateway}/v1/chat/completions",
        headers=headers,
        json={"messages": [{"role": "user", "content": "hello"}], **params},
        timeout=30,
    )


def _caps(stack: str) -> dict[str, dict[str, int]]:
    """model -> the output caps the built config overrides for it."""
    config = build_config(_policy(stack))
    found: dict[str, dict[str, int]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            params = node.get("override_params")
            if params:
                found[params["model"]] = {k: v for k, v in params.items() if k != "model"}
            for child in node.get("targets", []):
                walk(child)

    walk(config)
    return found


PRIMARY, CLAUDE, MISTRAL, BUDGET = (
    "gpt-5.4-2026-03-05",
    "claude-sonnet-4-6",
    "mistral-large-2512",
    "gpt-5.4-mini-2026-03-17",
)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_healthy_primary_gets_every_default_request_with_derived_cap(
    gateway: str, upstreams: dict[str, FakeUpstream], stack: str
) -> None:
    response = _chat(gateway, _inline(stack, upstreams))

    assert response.status_code == 200, response.text
    [call] = upstreams["openai"].calls
    cap = _caps(stack)[PRIMARY]["max_completion_tokens"]
    # GPT-5 takes max_completion_tokens and rejects max_tokens: only the former is sent.
    assert (call.model, call.max_completion_tokens, call.max_tokens) == (PRIMARY, cap, None)
    assert call.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_prod_falls_back_in_order_without_retrying_codes_outside_retry_list(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    # 500 is a fallback code but not a retry code in prod: each failing target is tried once.
    upstreams["openai"].fail[PRIMARY] = 500
    upstreams["anthropic"].fail[CLAUDE] = 500

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == f"mistral:{MISTRAL}"
    assert upstreams["openai"].models_called() == [PRIMARY]
    assert [(c.path, c.max_tokens) for c in upstreams["anthropic"].calls] == [
        ("/v1/messages", _caps("prod")[CLAUDE]["max_tokens"])
    ]
    [mistral] = upstreams["mistral"].calls
    assert (mistral.model, mistral.max_tokens) == (MISTRAL, 4096)


def test_prod_500_then_404_mid_chain_reaches_the_third_target(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    # A retired or unknown model answers 404 (Anthropic not_found_error): the chain must go on.
    upstreams["openai"].fail[PRIMARY] = 500
    upstreams["anthropic"].fail[CLAUDE] = 404

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["anthropic"].models_called() == [CLAUDE]  # 404 is not retried
    assert upstreams["mistral"].models_called() == [MISTRAL]


def test_prod_hung_primary_times_out_with_408_and_reaches_the_second_target(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    config = _inline("prod", upstreams)
    config["request_timeout"] = 1000  # ms; the stack's 30 s would make a slow test
    upstreams["openai"].delay[PRIMARY] = 3.0

    response = _chat(gateway, config)

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == [PRIMARY]  # 408 is not a retry code
    assert upstreams["anthropic"].models_called() == [CLAUDE]
    assert upstreams["mistral"].calls == []


def test_prod_anthropic_overload_529_reaches_the_next_target(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail[PRIMARY] = 500
    upstreams["anthropic"].fail[CLAUDE] = 529  # retry code too: 1 try + 2 retries

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["anthropic"].models_called() == [CLAUDE] * 3
    assert upstreams["mistral"].models_called() == [MISTRAL]


def test_prod_retries_a_retry_code_the_configured_times_then_falls_back(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail[PRIMARY] = 503  # retry code in prod (attempts: 2)

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == [PRIMARY] * 3  # 1 try + 2 retries
    assert upstreams["anthropic"].models_called() == [CLAUDE]
    assert upstreams["mistral"].calls == []


def test_prod_does_not_fall_back_on_a_client_error(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail[PRIMARY] = 400  # neither a retry nor a fallback code

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 400
    assert upstreams["openai"].models_called() == [PRIMARY]
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def _output_limits(call: UpstreamCall) -> dict[str, Any]:
    """Every output-token field the upstream received (present keys only)."""
    return {
        k: call.body[k] for k in (*CLIENT_OUTPUT_ALIASES, "max_tokens_to_sample") if k in call.body
    }


@pytest.mark.parametrize("alias", CLIENT_OUTPUT_ALIASES)
def test_a_client_sent_output_limit_cannot_lift_the_cap_on_any_target(
    gateway: str, upstreams: dict[str, FakeUpstream], alias: str
) -> None:
    # Each target in turn: openai fails over to anthropic, then to mistral.
    upstreams["openai"].fail[PRIMARY] = 500
    upstreams["anthropic"].fail[CLAUDE] = 500

    response = _chat(gateway, _inline("prod", upstreams), **{alias: 100_000})

    assert response.status_code == 200, response.text
    caps = _caps("prod")
    [openai] = upstreams["openai"].calls
    [claude] = upstreams["anthropic"].calls
    [mistral] = upstreams["mistral"].calls
    # GPT-5 takes max_completion_tokens; the client's max_tokens is cleared (null), never sent.
    assert _output_limits(openai) in (
        {"max_completion_tokens": caps[PRIMARY]["max_completion_tokens"]},
        {"max_completion_tokens": caps[PRIMARY]["max_completion_tokens"], "max_tokens": None},
    )
    assert _output_limits(claude) == {"max_tokens": caps[CLAUDE]["max_tokens"]}
    assert _output_limits(mistral) == {"max_tokens": caps[MISTRAL]["max_tokens"]}


def test_every_alias_at_once_cannot_lift_the_cap_on_openai(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    limits = dict.fromkeys(CLIENT_OUTPUT_ALIASES, 100_000)
    response = _chat(gateway, _inline("prod", upstreams), **limits)

    assert response.status_code == 200, response.text
    [call] = upstreams["openai"].calls
    assert call.max_tokens is None and 100_000 not in _output_limits(call).values()
    assert call.max_completion_tokens == _caps("prod")[PRIMARY]["max_completion_tokens"]


def test_the_responses_route_cannot_lift_the_cap(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    # /v1/responses takes max_output_tokens (gateway openai createModelResponse config).
    config = _inline("prod", upstreams)
    requests.post(
        f"{gateway}/v1/responses",
        headers={"content-type": "application/json", "x-portkey-config": json.dumps(config)},
        json={"input": "hello", "max_output_tokens": 100_000},
        timeout=30,
    )
    [call] = upstreams["openai"].calls
    assert call.path == "/v1/responses"
    assert call.body.get("max_output_tokens") == _caps("prod")[PRIMARY]["max_output_tokens"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_budget_tagged_request_reaches_only_the_budget_model(
    gateway: str, upstreams: dict[str, FakeUpstream], stack: str
) -> None:
    response = _chat(gateway, _inline(stack, upstreams), metadata={"tier": "budget"})

    assert response.status_code == 200, response.text
    [call] = upstreams["openai"].calls
    cap = _caps(stack)[BUDGET]["max_completion_tokens"]
    assert (call.model, call.max_completion_tokens) == (BUDGET, cap)
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_other_metadata_values_take_the_premium_chain(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    response = _chat(gateway, _inline("prod", upstreams), metadata={"tier": "premium"})

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == [PRIMARY]


def test_dev_has_no_fallback_and_retries_once(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail[BUDGET] = 503

    response = _chat(gateway, _inline("dev", upstreams))

    assert response.status_code == 503
    assert upstreams["openai"].models_called() == [BUDGET] * 2  # 1 try + 1 retry
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_staging_429_is_retried_once_then_falls_back(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail[PRIMARY] = 429

    response = _chat(gateway, _inline("staging", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == [PRIMARY] * 2
    assert upstreams["anthropic"].models_called() == [CLAUDE]

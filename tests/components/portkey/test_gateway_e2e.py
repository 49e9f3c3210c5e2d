"""The built routing config, driven through the REAL open-source Portkey gateway.

The gateway (npm @portkey-ai/gateway, pinned in package.json; run `npm ci` first) runs on a free
loopback port; fake OpenAI/Anthropic/Mistral upstreams run in-process. Every request carries the
config that `build_config` produces for a stack's policy (tests/components/portkey/
Pulumi.<stack>.yaml), with the saved-provider slugs swapped for inline provider + custom_host
(the OSS gateway cannot resolve slugs). The upstreams' request logs prove where traffic went.
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

from components.portkey.routing import build_config, with_inline_providers
from components.settings.portkey import PortkeySettings
from tests.components.portkey.fake_llm import FakeUpstream
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


def _chat(gateway: str, config: dict[str, Any], metadata: dict[str, str] | None = None):
    headers = {"content-type": "application/json", "x-portkey-config": json.dumps(config)}
    if metadata is not None:
        headers["x-portkey-metadata"] = json.dumps(metadata)
    return requests.post(
        f"{gateway}/v1/chat/completions",
        headers=headers,
        json={"messages": [{"role": "user", "content": "hello"}]},
        timeout=30,
    )


def _max_tokens(stack: str) -> dict[str, int]:
    config = build_config(_policy(stack))
    found: dict[str, int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            params = node.get("override_params")
            if params:
                found[params["model"]] = params["max_tokens"]
            for child in node.get("targets", []):
                walk(child)

    walk(config)
    return found


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_healthy_primary_gets_every_default_request_with_derived_max_tokens(
    gateway: str, upstreams: dict[str, FakeUpstream], stack: str
) -> None:
    response = _chat(gateway, _inline(stack, upstreams))

    assert response.status_code == 200, response.text
    [call] = upstreams["openai"].calls
    assert (call.model, call.max_tokens) == ("gpt-4-turbo", _max_tokens(stack)["gpt-4-turbo"])
    assert call.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_prod_falls_back_in_order_without_retrying_codes_outside_retry_list(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    # 500 is a fallback code but not a retry code in prod: each failing target is tried once.
    upstreams["openai"].fail["gpt-4-turbo"] = 500
    upstreams["anthropic"].fail["claude-3-sonnet-20240229"] = 500

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "mistral:mistral-large-latest"
    assert upstreams["openai"].models_called() == ["gpt-4-turbo"]
    assert upstreams["anthropic"].models_called() == ["claude-3-sonnet-20240229"]
    assert [(c.path, c.max_tokens) for c in upstreams["anthropic"].calls] == [
        ("/v1/messages", _max_tokens("prod")["claude-3-sonnet-20240229"])
    ]
    [mistral] = upstreams["mistral"].calls
    assert (mistral.model, mistral.max_tokens) == ("mistral-large-latest", 4096)


def test_prod_retries_a_retry_code_the_configured_times_then_falls_back(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail["gpt-4-turbo"] = 503  # retry code in prod (attempts: 2)

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == ["gpt-4-turbo"] * 3  # 1 try + 2 retries
    assert upstreams["anthropic"].models_called() == ["claude-3-sonnet-20240229"]
    assert upstreams["mistral"].calls == []


def test_prod_does_not_fall_back_on_a_client_error(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail["gpt-4-turbo"] = 400  # neither a retry nor a fallback code

    response = _chat(gateway, _inline("prod", upstreams))

    assert response.status_code == 400
    assert upstreams["openai"].models_called() == ["gpt-4-turbo"]
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_budget_tagged_request_reaches_only_the_budget_model(
    gateway: str, upstreams: dict[str, FakeUpstream], stack: str
) -> None:
    response = _chat(gateway, _inline(stack, upstreams), metadata={"tier": "budget"})

    assert response.status_code == 200, response.text
    [call] = upstreams["openai"].calls
    assert (call.model, call.max_tokens) == ("gpt-3.5-turbo", _max_tokens(stack)["gpt-3.5-turbo"])
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_other_metadata_values_take_the_premium_chain(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    response = _chat(gateway, _inline("prod", upstreams), metadata={"tier": "premium"})

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == ["gpt-4-turbo"]


def test_dev_has_no_fallback_and_retries_once(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail["gpt-3.5-turbo"] = 503

    response = _chat(gateway, _inline("dev", upstreams))

    assert response.status_code == 503
    assert upstreams["openai"].models_called() == ["gpt-3.5-turbo"] * 2  # 1 try + 1 retry
    assert upstreams["anthropic"].calls == [] and upstreams["mistral"].calls == []


def test_staging_429_is_retried_once_then_falls_back(
    gateway: str, upstreams: dict[str, FakeUpstream]
) -> None:
    upstreams["openai"].fail["gpt-4-turbo"] = 429

    response = _chat(gateway, _inline("staging", upstreams))

    assert response.status_code == 200, response.text
    assert upstreams["openai"].models_called() == ["gpt-4-turbo"] * 2
    assert upstreams["anthropic"].models_called() == ["claude-3-sonnet-20240229"]

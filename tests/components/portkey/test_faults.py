"""Every Portkey provider operation under every fault class, one HTTP call at a time.

The admin-API stand-in (tests/fakes/portkey_admin.py) sits behind the fault proxy
(tests/faults/proxy.py). For each operation (config / usage-limit / API-key binding: create,
update, delete, read), each fault class and each HTTP call the operation makes, the
fault hits that call; then the outcome is judged against the stand-in's final state:

- ok:    the operation succeeded and the stand-in holds exactly what it reported;
- error: it failed with a clear error (a provider/API error type, never KeyError, TypeError,
         AttributeError or a JSON decode error; the admin key never in the text), and the
         stand-in holds no wrong state (no duplicate, nothing half-bound);
and after an error one clean re-run, as the next `up` would (the same operation again), must
end in exactly the intended state. No case may send anything to the other
origin of a redirect, and none may wait longer than the cap (the hour-long Retry-After).
`PORTKEY_FAULT_SUMMARY=path` writes the tally (cases, outcomes, seconds) as JSON.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.portkey.api_key_binding import ApiKeyConfigBindingProvider
from components.portkey.errors import PortkeyError
from components.portkey.gateway_config import GatewayConfigProvider
from components.portkey.usage_limits import UsageLimitsPolicyProvider
from tests.fakes.portkey_admin import FakePortkeyAdmin
from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy

CONFIG = {"strategy": {"mode": "fallback"}, "targets": [{"provider": "@openai-prod"}]}
CONFIG_2 = {"retry": {"attempts": 2}, "targets": [{"provider": "@anthropic-prod"}]}
NAME = "sophia-prod-routing"
WORKSPACE = "ws-prod"
TIMEOUT_S = 0.4  # the client's; the slow fault answers after SLOW_S
SLOW_S = 1.0
MAX_WAIT_S = 5.0  # the provider's Retry-After cap in these tests
HANG_BOUND_S = 30.0  # not a performance figure: an operation that waits for 3600 s is a hang
AB05 = {"errorCode": "AB05", "message": "Invalid API key"}
IMPORTANT = ("id", "slug", "name", "status", "config", "conditions", "credit_limit", "data")
IMPORTANT += ("defaults", "type", "group_by")

FAULTS = {
    "5xx": faults.status(503),
    "5xx+retry-after(landed)": faults.status(503, retry_after=1, forward=True),
    "429-short": faults.status(429, retry_after=1),
    "429-hour": faults.status(429, retry_after=3600),
    "reset-before": faults.reset(),
    "reset-after-write": faults.reset(after_write=True),
    "slow-after-write": faults.slow(SLOW_S),
    "truncated": faults.truncated(),
    "html": faults.html(502),
    "200-missing": faults.edit_json(drop=IMPORTANT, name="missing"),
    "200-null": faults.edit_json(null=IMPORTANT, name="null"),
    "200-extra": faults.edit_json(extra={"unexpected": {"x": 1}, "object": "surprise"}),
    "401": faults.status(401, body=AB05),
    "307-other-origin": faults.redirect(307),
}
ALLOWED_ERRORS = (PortkeyError, RuntimeError, ConnectionError)
TALLY: Counter[str] = Counter()
STARTED = time.monotonic()


@dataclass
class World:
    fake: FakePortkeyAdmin
    proxy: FaultProxy
    env: pytest.MonkeyPatch
    ctx: dict[str, Any] = field(default_factory=dict)

    def direct(self) -> None:
        self.env.setenv("PORTKEY_BASE_URL", self.fake.base_url)

    def proxied(self) -> None:
        self.env.setenv("PORTKEY_BASE_URL", self.proxy.base_url)


def _tuning() -> dict[str, Any]:
    return {"max_retries": 3, "backoff_factor": 0, "timeout_s": TIMEOUT_S, "max_wait_s": MAX_WAIT_S}


# -- the operations -------------------------------------------------------------------------------


def _config_props(config: dict[str, Any] = CONFIG) -> dict[str, Any]:
    return {"name": NAME, "config": json.dumps(config), "workspace_id": None}


def _policy_props(limit: float = 9300.0) -> dict[str, Any]:
    return {
        "name": "sophia-prod-llm-monthly",
        "conditions": [{"key": "workspace_id", "value": WORKSPACE}],
        "group_by": [{"key": "api_key"}],
        "type": "cost",
        "credit_limit": limit,
        "alert_threshold": limit * 0.8,
        "periodic_reset": "monthly",
        "workspace_id": WORKSPACE,
        "acknowledge_usage_reset": False,
    }


def _binding_props(world: World, config_key: str = "ours") -> dict[str, Any]:
    config = world.ctx[config_key]
    return {
        "api_key_id": world.ctx["key_id"],
        "config_id": config["id"],
        "config_slug": config["slug"],
        "allow_config_override": False,
    }


def _live_configs(fake: FakePortkeyAdmin) -> list[dict[str, Any]]:
    return [c for c in fake.configs.values() if c["name"] == NAME]


def _live_policies(fake: FakePortkeyAdmin) -> list[dict[str, Any]]:
    return [p for p in fake.policies.values() if p["status"] == "active"]


@dataclass(frozen=True)
class Operation:
    setup: Callable[[World], None]
    run: Callable[[World], Any]
    check: Callable[[World, Any], None]  # the stand-in holds exactly what `result` says
    wrong: Callable[[World], str | None]  # wrong state an error must not leave behind
    rerun: Callable[[World, Any], Any]  # what the next `up` does after an error (result None)


def _on_created(provider: type, method: str) -> Callable[..., Any]:
    """`provider.<method>(id, outs)` of what the setup created (delete, read)."""

    def call(world: World, *_: Any) -> Any:
        created = world.ctx["created"]
        return getattr(provider(**_tuning()), method)(created.id, created.outs)

    return call


def _config_create_setup(world: World) -> None:
    world.ctx["props"] = _config_props()


def _config_created(world: World, result: Any) -> None:
    [live] = _live_configs(world.fake)
    assert result.id == live["slug"] and live["config"] == CONFIG
    assert result.outs["slug"] == live["slug"] and result.outs["config_id"] == live["id"]


def _config_existing(world: World) -> None:
    world.direct()
    created = GatewayConfigProvider(**_tuning()).create(_config_props())
    world.ctx["created"] = created
    world.proxied()


def _config_updated(world: World, result: Any) -> None:
    [live] = _live_configs(world.fake)
    assert live["slug"] == world.ctx["created"].id and live["config"] == CONFIG_2
    assert result.outs["version_id"] == live["version_id"]


def _config_gone(world: World, result: Any) -> None:
    assert _live_configs(world.fake) == []


def _config_read(world: World, result: Any) -> None:
    [live] = _live_configs(world.fake)
    assert result.id == live["slug"] and json.loads(result.outs["config"]) == live["config"]


def _duplicates(items: list[Any], what: str) -> str | None:
    return f"{len(items)} {what}" if len(items) > 1 else None


CONFIG_OPS = {
    "config.create": Operation(
        _config_create_setup,
        lambda w: GatewayConfigProvider(**_tuning()).create(w.ctx["props"]),
        _config_created,
        lambda w: _duplicates(_live_configs(w.fake), "configs"),
        lambda w, _: GatewayConfigProvider(**_tuning()).create(w.ctx["props"]),
    ),
    "config.update": Operation(
        _config_existing,
        lambda w: GatewayConfigProvider(**_tuning()).update(
            w.ctx["created"].id, w.ctx["created"].outs, _config_props(CONFIG_2)
        ),
        _config_updated,
        lambda w: _duplicates(_live_configs(w.fake), "configs"),
        lambda w, _: GatewayConfigProvider(**_tuning()).update(
            w.ctx["created"].id, w.ctx["created"].outs, _config_props(CONFIG_2)
        ),
    ),
    "config.delete": Operation(
        _config_existing,
        _on_created(GatewayConfigProvider, "delete"),
        _config_gone,
        lambda w: None,
        _on_created(GatewayConfigProvider, "delete"),
    ),
    "config.read": Operation(
        _config_existing,
        _on_created(GatewayConfigProvider, "read"),
        _config_read,
        lambda w: None,
        _on_created(GatewayConfigProvider, "read"),
    ),
}


def _policy_create_setup(world: World) -> None:
    world.ctx["props"] = _policy_props()


def _policy_created(world: World, result: Any) -> None:
    [live] = _live_policies(world.fake)
    assert result.id == live["id"] and float(live["credit_limit"]) == 9300.0


def _policy_existing(world: World) -> None:
    world.direct()
    world.ctx["created"] = UsageLimitsPolicyProvider(**_tuning()).create(_policy_props())
    world.proxied()


def _policy_updated(world: World, result: Any) -> None:
    [live] = _live_policies(world.fake)
    assert live["id"] == world.ctx["created"].id and float(live["credit_limit"]) == 9000.0
    assert result.outs["credit_limit"] == 9000.0


def _policy_gone(world: World, result: Any) -> None:
    assert _live_policies(world.fake) == []


def _policy_read(world: World, result: Any) -> None:
    [live] = _live_policies(world.fake)
    assert result.id == live["id"]
    for key in ("credit_limit", "alert_threshold"):
        assert float(result.outs[key]) == float(live[key])
    assert str(result.outs["periodic_reset"]).lower() == live["periodic_reset"].lower()


def _policy_update(world: World) -> Any:
    created = world.ctx["created"]
    return UsageLimitsPolicyProvider(**_tuning()).update(
        created.id, created.outs, _policy_props(9000.0)
    )


POLICY_OPS = {
    "usage-limit.create": Operation(
        _policy_create_setup,
        lambda w: UsageLimitsPolicyProvider(**_tuning()).create(w.ctx["props"]),
        _policy_created,
        lambda w: _duplicates(_live_policies(w.fake), "policies"),
        lambda w, _: UsageLimitsPolicyProvider(**_tuning()).create(w.ctx["props"]),
    ),
    "usage-limit.update": Operation(
        _policy_existing,
        _policy_update,
        _policy_updated,
        lambda w: _duplicates(_live_policies(w.fake), "policies"),
        lambda w, _: _policy_update(w),
    ),
    "usage-limit.delete": Operation(
        _policy_existing,
        _on_created(UsageLimitsPolicyProvider, "delete"),
        _policy_gone,
        lambda w: None,
        _on_created(UsageLimitsPolicyProvider, "delete"),
    ),
    "usage-limit.read": Operation(
        _policy_existing,
        _on_created(UsageLimitsPolicyProvider, "read"),
        _policy_read,
        lambda w: None,
        _on_created(UsageLimitsPolicyProvider, "read"),
    ),
}


def _key_defaults(world: World) -> dict[str, Any]:
    return world.fake.api_keys[world.ctx["key_id"]]["defaults"]


def _binding_world(world: World) -> None:
    # The key starts with its own default config (what a release must give back).
    world.ctx["orig"] = world.fake.seed_config("someone-default", {"cache": {"mode": "simple"}})
    world.ctx["ours"] = world.fake.seed_config("sophia-ours", CONFIG)
    world.ctx["ours2"] = world.fake.seed_config("sophia-ours-2", CONFIG_2)
    world.ctx["key_id"] = world.fake.seed_api_key(
        defaults={"config_id": world.ctx["orig"]["id"], "allow_config_override": True}
    )


def _binding_bound(world: World) -> None:
    _binding_world(world)
    world.direct()
    world.ctx["created"] = ApiKeyConfigBindingProvider(**_tuning()).create(_binding_props(world))
    world.proxied()


def _binding_created(world: World, result: Any) -> None:
    defaults = _key_defaults(world)
    assert defaults["config_id"] == world.ctx["ours"]["id"]
    assert defaults["allow_config_override"] is False
    # What the key had before is recorded, so delete can give it back.
    assert result.outs["previous_config_id"] == world.ctx["orig"]["id"]
    assert result.outs["previous_allow_config_override"] is True


def _binding_half(world: World) -> str | None:
    defaults = _key_defaults(world)
    if defaults.get("config_id") == world.ctx["ours"]["id"]:
        return "the key is left bound to our config after a failed create"
    return None


def _binding_updated(world: World, result: Any) -> None:
    assert _key_defaults(world)["config_id"] == world.ctx["ours2"]["id"]
    assert result.outs["previous_config_id"] == world.ctx["orig"]["id"]


def _binding_released(world: World, result: Any) -> None:
    defaults = _key_defaults(world)
    assert defaults.get("config_id") == world.ctx["orig"]["id"]
    assert defaults.get("allow_config_override") is True


def _binding_read(world: World, result: Any) -> None:
    assert result.id == world.ctx["key_id"]
    assert result.outs["config_id"] == _key_defaults(world)["config_id"]
    assert result.outs["allow_config_override"] is False


def _binding_update(world: World) -> Any:
    created = world.ctx["created"]
    return ApiKeyConfigBindingProvider(**_tuning()).update(
        created.id, created.outs, _binding_props(world, "ours2")
    )


def _binding_delete(world: World) -> Any:
    created = world.ctx["created"]
    return ApiKeyConfigBindingProvider(**_tuning()).delete(created.id, created.outs)


def _binding_still_bound_after_delete(world: World) -> str | None:
    return None  # an error may leave it bound; the clean re-run must release it


BINDING_OPS = {
    "binding.create": Operation(
        _binding_world,
        lambda w: ApiKeyConfigBindingProvider(**_tuning()).create(_binding_props(w)),
        _binding_created,
        _binding_half,
        lambda w, _: ApiKeyConfigBindingProvider(**_tuning()).create(_binding_props(w)),
    ),
    "binding.update": Operation(
        _binding_bound,
        _binding_update,
        _binding_updated,
        lambda w: None,
        lambda w, _: _binding_update(w),
    ),
    "binding.delete": Operation(
        _binding_bound,
        _binding_delete,
        _binding_released,
        _binding_still_bound_after_delete,
        lambda w, _: _binding_delete(w),
    ),
    "binding.read": Operation(
        _binding_bound,
        _on_created(ApiKeyConfigBindingProvider, "read"),
        _binding_read,
        lambda w: None,
        _on_created(ApiKeyConfigBindingProvider, "read"),
    ),
}

OPERATIONS = {**CONFIG_OPS, **POLICY_OPS, **BINDING_OPS}
# How many HTTP calls each operation makes when nothing goes wrong (the round trips in
# docs/portkey.md); the fault hits each of them in turn. A fault that never fires fails the case.
CALLS = {
    "config.create": 3,  # GET /configs, POST /configs, GET /configs/{slug}
    "config.update": 2,  # PUT, GET
    "config.delete": 1,
    "config.read": 1,
    "usage-limit.create": 3,  # GET list, POST, GET
    "usage-limit.update": 2,  # PUT, GET
    "usage-limit.delete": 1,
    "usage-limit.read": 1,
    "binding.create": 3,  # GET key, PUT, GET key
    "binding.update": 3,  # GET key, PUT, GET key
    "binding.delete": 3,  # GET key, PUT, GET key
    "binding.read": 1,
}
CASES = [
    pytest.param(op, fault, call, id=f"{op}-{fault}-{call}")
    for op in OPERATIONS
    for fault in FAULTS
    for call in range(CALLS[op])
]


# -- the harness ----------------------------------------------------------------------------------


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    fake = FakePortkeyAdmin().start()
    proxy = FaultProxy(fake.base_url)
    monkeypatch.setenv("PORTKEY_ADMIN_API_KEY", fake.api_key)
    made = World(fake, proxy, monkeypatch)
    made.proxied()
    try:
        yield made
    finally:
        proxy.stop()
        fake.stop()


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Iterator[None]:
    yield
    path = os.environ.get("PORTKEY_FAULT_SUMMARY")
    if path:
        figures = dict(TALLY) | {"seconds": round(time.monotonic() - STARTED, 1)}
        with open(path, "w") as out:
            json.dump(figures, out, indent=2, sort_keys=True)


def _judge_error(world: World, error: BaseException, op: Operation) -> None:
    text = f"{error}{error!r}"
    assert isinstance(error, ALLOWED_ERRORS), f"not a clear error: {type(error).__name__}: {error}"
    assert not isinstance(error, KeyError | TypeError | AttributeError | json.JSONDecodeError)
    assert world.fake.api_key not in text
    assert str(error).strip(), "an empty error message"
    wrong = op.wrong(world)
    assert wrong is None, f"{wrong} after: {error}"


@pytest.mark.parametrize(("op_name", "fault_name", "call"), CASES)
def test_operation_under_fault(world: World, op_name: str, fault_name: str, call: int) -> None:
    op = OPERATIONS[op_name]
    op.setup(world)
    world.fake.reset_log()
    world.proxy.inject(FAULTS[fault_name], skip=call)
    started = time.monotonic()
    try:
        result, error = op.run(world), None
    except Exception as raised:  # judged below: only clear errors pass
        result, error = None, raised
    elapsed = time.monotonic() - started
    assert world.proxy.pending() == [], f"{op_name} made fewer than {call + 1} calls"
    TALLY["cases"] += 1
    assert elapsed < HANG_BOUND_S, f"{op_name} took {elapsed:.0f}s under {fault_name}"
    assert world.proxy.sink.requests == [], "a request reached the other origin"

    if error is None:
        op.check(world, result)
        TALLY["ok"] += 1
    else:
        _judge_error(world, error, op)
        TALLY["clear error"] += 1

    # One clean re-run, as the next `up` would: after an error the engine runs the same operation
    # again (nothing was recorded); after a success it has nothing to do (checked above).
    if error is not None:
        world.proxy.clear()
        op.check(world, op.rerun(world, result))
        assert world.proxy.sink.requests == []

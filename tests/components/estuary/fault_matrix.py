"""The Estuary fault matrix: every fault class of issue 23 on every HTTP call of every provider
operation, through the fault proxy (tests/faults/proxy.py) in front of the Estuary stand-in.

One case = one operation (capture or materialization create, update, delete, read), one call
kind it makes (method + path), one fault fired on that call's first occurrence. The outcome is
judged against the stand-in's final state after one clean re-run, as the next `pulumi up` would
do it (a failed create or update is repeated; a failed delete is repeated; a failed read is
repeated), and the re-run's own final state must be exactly the declaration: a `read` of it
followed by `diff` against the declaration shows no change.

Outcomes, worst first (`not-fired`: the matrix names a call the operation never made): `leak` (anything reached the other origin, or a credential in an error
text), `crash` (an exception that is not one of the provider's `EstuaryError`s), `duplicate`
(a create request sent again after it landed), `wrong-conflict` (the provider reported its own
write as a change made outside the stack), `lost-update` (success reported while the world
differs), `no-converge` (the clean re-run fails or leaves the wrong state), `orphan-draft`,
`hang` (longer than HANG_SECONDS), then `clear-error` (one secret-free EstuaryError, and the
re-run converged) and `ok`.

It imports the providers through the module paths that both the current code and the code
before the flat shape have (`components.estuary.provider`, `components.estuary.client`), so the
same matrix measures both: `python -m tests.components.estuary.fault_matrix` prints the figures.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

from components.estuary.errors import ConflictError, EstuaryError
from components.estuary.provider import CaptureProvider, MaterializationProvider
from tests.components.estuary.conftest import (
    ALL_PLAINTEXTS,
    ALL_SOURCES,
    PRIVATE_KEY,
    capture_inputs,
    materialization_inputs,
)
from tests.components.estuary.conftest import (
    FAST as CONFTEST_FAST,
)
from tests.fakes.estuary_control_plane import FakeControlPlane
from tests.faults import proxy as faults
from tests.faults.proxy import FaultProxy

# Short everything: the slow fault answers after `read_timeout`, Retry-After "1" is under the
# cap, "3600" over it.
FAST = replace(CONFTEST_FAST, read_timeout=0.4, retries=2, poll_timeout=3.0)
HANG_SECONDS = 15.0

API = "/rest/v1/"
TOKEN = ("POST", API + "rpc/generate_access_token")
TAGS = ("GET", API + "connector_tags")
ENCRYPT = ("POST", "/encrypt/v1/encrypt-config")
DRAFT = ("POST", API + "drafts")
STAGE = ("POST", API + "draft_specs")
PUBLISH = ("POST", API + "publications")
POLL = ("GET", API + "publications")
LIVE = ("GET", API + "live_specs_ext")
ERRORS = ("GET", API + "draft_errors")
DELETE_DRAFT = ("DELETE", API + "drafts")

# The calls each operation makes (checked against the proxy log of a clean run by the tests).
CALLS = {
    "create": [TOKEN, TAGS, ENCRYPT, DRAFT, STAGE, PUBLISH, POLL, LIVE],
    "update": [TOKEN, TAGS, ENCRYPT, DRAFT, STAGE, PUBLISH, POLL, LIVE],
    "delete": [TOKEN, LIVE, DRAFT, STAGE, PUBLISH, POLL],
    "read": [TOKEN, LIVE],
}
# Fields whose absence, null or junk each answer must survive (the ones the client relies on).
KEY_FIELDS = {
    TOKEN: ("access_token",),
    TAGS: ("*.endpoint_spec_schema",),
    ENCRYPT: ("sops",),
    DRAFT: ("*.id",),
    PUBLISH: ("*.id",),
    POLL: ("*.job_status",),
    # `spec` missing or null on a live row: the answer that made a delete say "already gone"
    # and a read drop a live task.
    LIVE: ("*.last_pub_id", "*.spec"),
}


def fault_classes(call: tuple[str, str]) -> list[faults.Fault]:
    """The issue's fault classes, as they apply to one call."""
    out = [
        faults.status(503),
        faults.status(503, retry_after=1, forward=True),
        faults.status(500, forward=True),
        faults.status(429, retry_after=1),
        faults.status(429, retry_after=3600),
        faults.reset(),
        faults.reset(after_write=True),
        faults.slow(FAST.read_timeout + 0.3),
        faults.truncated(),
        faults.html(502),
        faults.status(401),
        faults.redirect(307),
    ]
    fields = KEY_FIELDS.get(call, ())
    for field in fields:
        out += [faults.edit_json(drop=(field,)), faults.edit_json(null=(field,))]
    if fields:
        out.append(faults.edit_json(extra={"unexpected_field": {"x": 1}}, name="200-extra-field"))
    return out


@dataclass(frozen=True)
class Case:
    kind: str  # capture | materialization
    op: str  # create | update | delete | read
    call: tuple[str, str]
    fault: faults.Fault

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.op}-{self.call[0]}{self.call[1]}-{self.fault.name}"


def cases() -> Iterator[Case]:
    for kind in ("capture", "materialization"):
        for op, calls in CALLS.items():
            for call in calls:
                for fault in fault_classes(call):
                    yield Case(kind, op, call, fault)


@dataclass
class Result:
    case: Case
    outcome: str
    detail: str
    seconds: float


# ---- the world each case starts from ------------------------------------------------------------
def _inputs(kind: str) -> dict[str, Any]:
    return capture_inputs("github") if kind == "capture" else materialization_inputs()


def _changed(kind: str, props: dict[str, Any]) -> dict[str, Any]:
    """The update's new declaration: a new config (so it is re-encrypted) and a spec change."""
    news = copy.deepcopy(props)
    if kind == "capture":
        news["endpointConfig"]["credentials"]["personal_access_token"] = "ghp_PLAINTEXT_new_77"
        news["interval"] = "7m"
    else:
        news["endpointConfig"]["credentials"]["private_key"] = PRIVATE_KEY.replace("99aa", "99ab")
        news["shardsDisabled"] = True
    return news


def _provider(kind: str) -> Any:
    return (CaptureProvider if kind == "capture" else MaterializationProvider)(tuning=FAST)


def _seed_collections(fake: FakeControlPlane) -> None:
    """The collections the materialization reads, live (as the captures would publish them)."""
    for source in ALL_SOURCES:
        for cname, cspec in capture_inputs(source)["collections"].items():
            fake.state.commit(cname, cspec, "collection", fake.state.new_id())


def _env(values: dict[str, str]) -> Any:
    return mock.patch.dict(os.environ, values)


def _proxied_env(fake: FakeControlPlane, proxy: FaultProxy) -> dict[str, str]:
    env = fake.env()
    env["ESTUARY_API_URL"] = proxy.base_url + "/rest/v1"
    env["ESTUARY_ENCRYPTION_URL"] = proxy.base_url + "/encrypt"
    return env


# ---- judging ------------------------------------------------------------------------------------
def _texts(exc: BaseException) -> list[str]:
    out, seen = [], set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        out += [str(e), repr(e)]
        todo += [e.__cause__, e.__context__]
    out.append("".join(traceback.format_exception(exc)))
    return out


def _secrets(fake: FakeControlPlane) -> list[str]:
    return [
        *ALL_PLAINTEXTS,
        "ghp_PLAINTEXT_new_77",
        "PLAINTEXT_snowflake_pem_99ab",
        fake.state.refresh_secret,
        *fake.state.access_tokens,
    ]


def _duplicates(fake: FakeControlPlane) -> int:
    """Create requests (drafts, publications) whose identical body landed more than once."""
    landed = collections.Counter(
        (r.table, json.dumps(r.body, sort_keys=True))
        for r in fake.state.requests
        if r.method == "POST" and r.table in ("drafts", "publications") and r.status == 201
    )
    return sum(n - 1 for n in landed.values() if n > 1)


def _live(fake: FakeControlPlane) -> dict[str, Any]:
    with fake.state.lock:
        return {n: r for n, r in fake.state.live.items() if r["spec"] is not None}


def _converged(
    fake: FakeControlPlane, kind: str, op: str, name: str, props: dict[str, Any], outs: Any
) -> str | None:
    """None when the stand-in holds exactly the declaration recorded in `outs`; else why not."""
    fake_live = _live(fake)
    if op == "delete":
        return None if name not in fake_live else f"{name} is still live"
    if name not in fake_live:
        return f"{name} is not live"
    if not outs or outs.get("lastPubId") != fake_live[name]["last_pub_id"]:
        return "recorded lastPubId is not the live one"
    with _env(fake.env()):  # judged directly, not through the proxy
        read = _provider(kind).read(name, outs)
    if read.id != name:
        return "read dropped the live task"
    diff = _provider(kind).diff(name, read.outs, props)
    if diff.changes:
        return "the live spec differs from the declaration"
    return None


def run_case(case: Case) -> Result:
    fake = FakeControlPlane().start()
    proxy = FaultProxy(fake.base_url)
    started = time.monotonic()
    try:
        return _run(case, fake, proxy, started)
    finally:
        proxy.stop()
        fake.stop()


def _run(case: Case, fake: FakeControlPlane, proxy: FaultProxy, started: float) -> Result:
    kind, op = case.kind, case.op
    props = _inputs(kind)
    name = props["catalogName"]
    if kind == "materialization":
        _seed_collections(fake)
    olds: dict[str, Any] = {}
    with _env(fake.env()):
        if op != "create":
            olds = _provider(kind).create(props).outs
    news = _changed(kind, props) if op == "update" else props
    method, path = case.call
    proxy.inject(case.fault, method=method, path=path)
    fake.state.reset_requests()

    def operation() -> Any:
        provider = _provider(kind)  # a fresh process: a new client, a new token exchange
        if op == "create":
            return provider.create(news).outs
        if op == "update":
            return provider.update(name, olds, news).outs
        if op == "delete":
            return provider.delete(name, olds)
        read = provider.read(name, olds)
        return read.outs if read.id else None

    error: BaseException | None = None
    outs: Any = None
    begun = time.monotonic()
    with _env(_proxied_env(fake, proxy)):
        try:
            outs = operation()
        except Exception as exc:
            error = exc
    seconds = time.monotonic() - begun
    fired = proxy.fired()
    if proxy.pending():
        return Result(case, "not-fired", "the call never happened", time.monotonic() - started)

    def result(outcome: str, detail: str = "") -> Result:
        return Result(case, outcome, detail, time.monotonic() - started)

    if proxy.sink.requests:
        return result("leak", f"{len(proxy.sink.requests)} request(s) reached the other origin")
    if error is not None:
        if any(s in t for t in _texts(error) for s in _secrets(fake)):
            return result("leak", "a credential in the error")
        if not isinstance(error, EstuaryError):
            return result("crash", f"{type(error).__name__}: {str(error)[:160]}")
        if isinstance(error, ConflictError):
            return result("wrong-conflict", str(error).splitlines()[0][:200])
    if _duplicates(fake):
        return result("duplicate", "a create request landed twice")
    if seconds > HANG_SECONDS:
        return result("hang", f"{seconds:.1f}s")
    if error is None:
        if op == "read":
            if outs is None:
                return result("lost-update", "read dropped the live task")
            if outs != olds:
                return result("lost-update", "read recorded values the API does not hold")
        if op == "delete" and name in _live(fake):
            return result("lost-update", "delete reported success; the task is live")
        if op in ("create", "update"):
            wrong = _converged(fake, kind, op, name, news, outs)
            if wrong:
                return result("lost-update", wrong)
    # One clean re-run, as the next `up` would.
    proxy.clear()
    rerun_outs: Any = outs
    with _env(_proxied_env(fake, proxy)):
        try:
            if error is not None:
                rerun_outs = operation()
            elif op in ("create", "update"):
                pass  # recorded: the next up diffs clean (checked below)
        except Exception as exc:
            first = str(exc).splitlines()[0][:200]
            if isinstance(exc, ConflictError):
                return result("wrong-conflict", f"on the re-run: {first}")
            return result("no-converge", f"re-run failed: {type(exc).__name__}: {first}")
        if op == "read":
            if rerun_outs != olds:
                return result("no-converge", "re-read differs")
        else:
            wrong = _converged(fake, kind, op, name, news, rerun_outs)
            if wrong:
                return result("no-converge", wrong)
    if fake.state.drafts:
        return result("orphan-draft", f"{len(fake.state.drafts)} draft(s) left")
    if error is not None:
        return result("clear-error", str(error).splitlines()[0][:200])
    return result("ok", ",".join(fired))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write every case's outcome here")
    parser.add_argument("--only", default="", help="run cases whose id contains this")
    args = parser.parse_args()
    started = time.monotonic()
    results = [run_case(c) for c in cases() if args.only in c.id]
    total = time.monotonic() - started
    counts = collections.Counter(r.outcome for r in results)
    print(
        f"{len(results)} cases in {total:.1f}s: "
        + ", ".join(f"{k} {v}" for k, v in counts.most_common())
    )
    for r in results:
        if r.outcome not in ("ok", "clear-error"):
            print(f"  {r.outcome:14} {r.case.id}: {r.detail}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                [
                    {
                        "case": r.case.id,
                        "outcome": r.outcome,
                        "detail": r.detail,
                        "s": round(r.seconds, 3),
                    }
                    for r in results
                ],
                handle,
                indent=1,
            )


if __name__ == "__main__":
    main()

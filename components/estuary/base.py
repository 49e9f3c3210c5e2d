"""The shared base of the Estuary dynamic providers (`components.estuary.provider` defines
the two task kinds on top of it; the canonical views it compares and stores are in
`components.estuary.views`).

Pickling: Pulumi serializes the provider object with dill. Both classes live in this importable
module, so dill stores a *reference* to them (plus the non-secret `Tuning`), and the dynamic
provider host imports `components.estuary.provider` from the project root (its working
directory). Credentials and endpoint URLs are read at call time (environment first, then the
stack config handed to `configure`, then Estuary's defaults) and kept in `_runtime`, which
`__getstate__` leaves out of the pickle. Module-level imports stay light: the HTTP client is
imported on first use.

State: outputs hold the declared fields (what `diff` compares), the sops ciphertext Estuary
returned as opaque JSON text (its key order is part of its MAC), an HMAC of the plaintext
endpoint config (salted per resource) and the live bookkeeping columns (last_pub_id,
last_build_id, md5). The plaintext config is never an output, and never in an error: every
operation masks the config's credential values in whatever it raises (`_guard`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.estuary import specs
from components.estuary.checks import check_task
from components.estuary.publish import encrypt, publish
from components.estuary.specs import bare_tag, canonical, has_unknown
from components.estuary.views import _public, _TaskViews

if TYPE_CHECKING:  # pragma: no cover
    from components.estuary.client import EstuaryClient, Tuning

log = logging.getLogger(__name__)
T = TypeVar("T")

PROJECT = "sophia-infra"
CONFIG_OBJECT_KEY = f"{PROJECT}:estuary"
CONFIG_TOKEN_KEY = f"{PROJECT}:estuaryRefreshToken"
# Environment overrides, highest precedence. (env name, key in the sophia-infra:estuary object)
ENDPOINT_ENV = {
    "api_url": ("ESTUARY_API_URL", "apiUrl"),
    "agent_url": ("ESTUARY_AGENT_URL", "agentUrl"),
    "encryption_url": ("ESTUARY_ENCRYPTION_URL", "encryptionUrl"),
    "anon_key": ("ESTUARY_ANON_KEY", "anonKey"),
}
TOKEN_ENV = "FLOW_AUTH_TOKEN"
UNKNOWN = specs.UNKNOWN
SECRET_OUTPUTS = ["encryptedConfig", "configHash"]
MUST_NOT_EXIST = "00:00:00:00:00:00:00:00"

# Kept for callers and tests that import them from here.
config_hash = specs.config_hash
duration_seconds = specs.duration_seconds


class _TaskProvider(_TaskViews, ResourceProvider):
    """Shared create/read/update/delete/diff for one Estuary task kind."""

    spec_type: ClassVar[str]
    binding_ref: ClassVar[str]  # "target" for captures, "source" for materializations
    declared_keys: ClassVar[tuple[str, ...]]

    def __init__(self, tuning: Tuning | None = None) -> None:
        super().__init__()
        self.tuning = tuning
        self._runtime: dict[str, Any] = {}

    # ---- pickling: only the class reference and `tuning` travel -------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"tuning": self.tuning}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tuning = state.get("tuning")
        self._runtime = {}

    # ---- credentials and endpoints ---------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        cfg = req.config
        obj = cfg.get(CONFIG_OBJECT_KEY)
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except ValueError:
                obj = None
        self._runtime["config"] = obj if isinstance(obj, Mapping) else {}
        token = cfg.get(CONFIG_TOKEN_KEY)
        self._runtime["config_token"] = str(token) if token else None
        self._runtime.pop("client", None)

    def _client(self) -> EstuaryClient:
        lock = self._runtime.setdefault("lock", threading.Lock())
        with lock:
            client = self._runtime.get("client")
            if client is None:
                from components.estuary.client import (
                    ClientSettings,
                    CredentialsError,
                    EstuaryClient,
                )

                cfg = self._runtime.get("config") or {}
                values: dict[str, Any] = {}
                for field_name, (env_name, key) in ENDPOINT_ENV.items():
                    value = os.environ.get(env_name) or cfg.get(key) or cfg.get(field_name)
                    if value:
                        values[field_name] = str(value)
                if "anon_key" not in values:
                    raise CredentialsError(
                        "no Estuary anon key: set ESTUARY_ANON_KEY (or sophia-infra:estuary "
                        "anonKey) to Estuary's public anon key, flowctl's DEFAULT_PG_PUBLIC_TOKEN"
                    )
                token = os.environ.get(TOKEN_ENV) or self._runtime.get("config_token")
                settings = ClientSettings(auth_token=token, **values)
                client = EstuaryClient(settings, self.tuning)
                self._runtime["client"] = client
            return client

    # ---- secrets never leave in an error -----------------------------------------------------
    @staticmethod
    def _guard(props: Mapping[str, Any], operation: Callable[[], T]) -> T:
        """Run `operation`; mask the config's credentials in anything it raises.

        The replacement is raised outside the `except` block, so the original exception is
        neither its cause nor its context: nothing in the chain still holds the plaintext.
        """
        from components.estuary.errors import EstuaryError, redact

        values = [v for _, v in specs.secret_leaves(props.get("endpointConfig"))]
        failure: BaseException | None = None
        try:
            return operation()
        except Exception as exc:  # every failure passes the mask
            failure = exc
        text = str(failure)
        masked = redact(text, values)
        if masked == text and not any(v in repr(failure.args) for v in values):
            raise failure
        replacement = EstuaryError(masked)
        failure = None
        raise replacement

    # ---- check ------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []

        def fail(prop: str, reason: str) -> None:
            failures.append(CheckFailure(prop, reason))

        check_task(news, self.binding_ref, fail)
        self._check_kind(news, fail)
        return CheckResult(news, failures)

    def _check_kind(self, news: Mapping[str, Any], fail: Any) -> None:
        """Per-kind checks (captures: interval, autoDiscover, collections)."""

    # ---- CRUD ---------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        return self._guard(props, lambda: self._create(props))

    def _create(self, props: dict[str, Any]) -> CreateResult:
        from components.estuary.client import ConflictError, EstuaryError

        client = self._client()
        name = props["catalogName"]
        encrypted = encrypt(client, props)
        salt = secrets.token_hex(16)
        secret_hash = config_hash(props["endpointConfig"], salt)
        spec = self.build_spec(props, json.loads(encrypted), [])
        try:
            publish(client, self.tuning, "create", props, self._rows(props, spec, MUST_NOT_EXIST))
        except ConflictError as conflict:
            # The name is already live: an earlier create committed but its answer was lost
            # (Pulumi never recorded it), or the task was made outside Pulumi. Adopt it:
            # publish the declaration over the live spec, expecting its current publication.
            if name not in {m.catalog_name for m in conflict.mismatches}:
                raise
            live = client.live_specs([name]).get(name)
            if live is None:
                raise
            log.warning("%s already exists in Estuary; adopting it with this declaration", name)
            publish(
                client, self.tuning, "adopt", props, self._rows(props, spec, live["last_pub_id"])
            )
        live_rows = client.live_specs([name, *self.extra_names(props)])
        if name not in live_rows:
            raise EstuaryError(f"{name} was published but is not live when read back")
        return CreateResult(name, self._outputs(props, live_rows, encrypted, salt, secret_hash))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return self._guard(news, lambda: self._update(olds, news))

    def _update(self, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        salt = olds.get("configHashSalt") or secrets.token_hex(16)
        secret_hash = config_hash(news["endpointConfig"], salt)
        tag_changed = bare_tag(olds.get("connectorTag")) != bare_tag(news.get("connectorTag"))
        kept = specs.load_ciphertext(olds.get("encryptedConfig"))
        if secret_hash != olds.get("configHash") or tag_changed or kept is None:
            encrypted = encrypt(client, news)
        else:
            encrypted = olds["encryptedConfig"]  # unchanged: the exact text Estuary has
        extra: list[dict[str, Any]] = []
        if self.auto_discovers(news):
            declared = {b.get(self.binding_ref) for b in news.get("bindings") or []}
            extra = [
                b
                for b in olds.get("discoveredBindings") or []
                if b.get(self.binding_ref) not in declared
            ]
        spec = self.build_spec(news, json.loads(encrypted), extra)
        # Expect the publication we last saw: anyone else's change makes this a conflict.
        publish(
            client, self.tuning, "update", news, self._rows(news, spec, olds.get("lastPubId"), olds)
        )
        live_rows = client.live_specs([news["catalogName"], *self.extra_names(news)])
        return UpdateResult(self._outputs(news, live_rows, encrypted, salt, secret_hash))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        return self._guard(props, lambda: self._delete(id_, props))

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        from components.estuary.client import PublicationFailed

        client = self._client()
        name = props.get("catalogName") or id_
        live = client.live_specs([name]).get(name)
        if live is None:
            log.info("%s is already gone", name)
            return
        expect = props.get("lastPubId") or live["last_pub_id"]
        target = {**props, "catalogName": name}
        try:
            publish(client, self.tuning, "delete", target, self._rows(target, None, expect))
        except PublicationFailed as failure:
            if name in getattr(failure, "missing_deletions", set()):
                return  # deleted by someone else since our read: the goal is met
            raise

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return self._guard(props, lambda: self._read(id_, props))

    def _read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self._client()
        name = props.get("catalogName") or id_
        live = client.live_specs([name, *self.extra_names(props)])
        row = live.get(name)
        if row is None:
            return ReadResult("", {})
        outs = _public(props)
        view = self.live_view(props, row)
        view.update(self.read_extras(props, view, live))
        for key, value in view.items():
            # Keep the stored form when it means the same (no phantom change on refresh).
            same = key in props and self._comparable(key, props[key]) == self._comparable(
                key, value
            )
            outs[key] = props[key] if same else value
        outs.update(
            {
                "catalogName": name,
                "lastPubId": row.get("last_pub_id"),
                "lastBuildId": row.get("last_build_id"),
                "md5": row.get("md5"),
            }
        )
        live_config = row["spec"].get("endpoint", {}).get("connector", {}).get("config")
        stored = specs.load_ciphertext(props.get("encryptedConfig"))
        if stored is None or canonical(live_config) != canonical(stored):
            # Changed outside Pulumi. We cannot decrypt it, so record a hash that can never
            # match a plaintext declaration: the next `pulumi up` shows endpointConfig changed.
            outs["encryptedConfig"] = specs.dump_ciphertext(live_config)
            outs["configHash"] = (
                "drifted:" + hashlib.sha256(canonical(live_config).encode()).hexdigest()
            )
        # No inputs: the engine then keeps the recorded ones (pkg/resource/deploy/step.go
        # RefreshStep). Inputs rebuilt from the live spec would lack endpointConfig, which
        # cannot be read back, and every later refresh would diff them (found by tests/engine).
        return ReadResult(id_, outs)

    # ---- diff: pure, no HTTP -----------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [
            k
            for k in ("catalogName", "connectorImage")
            if has_unknown(news.get(k)) or olds.get(k) != news.get(k)
        ]
        changes = list(replaces)
        for key in self.declared_keys:
            new = news.get(key)
            if has_unknown(new) or self._comparable(key, olds.get(key)) != self._comparable(
                key, new
            ):
                changes.append(key)
        config = news.get("endpointConfig")
        salt = olds.get("configHashSalt")
        if has_unknown(config) or not salt or config_hash(config, salt) != olds.get("configHash"):
            changes.append("endpointConfig")
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=["catalogName"] if not replaces else [],
            # Same name, new image: the old task must go before the new one can take its name.
            delete_before_replace=bool(replaces) and "catalogName" not in replaces,
        )

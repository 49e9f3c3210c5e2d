"""The shared base of the Estuary dynamic providers: `TaskProvider` (create, read, update,
delete, diff, check, the secrets guard), the canonical views it compares and stores, and one
publication (draft, stage, publish, poll, draft errors) with config encryption.

The task kinds are in components/estuary/capture.py and materialization.py; this module
imports neither of them. The HTTP client (components/estuary/api.py) is imported on first use,
so unpickling a provider stays light.

Pickling: Pulumi serializes the provider object with dill. The classes live in importable
modules, so dill stores a *reference* to them (plus the non-secret `Tuning`), and the dynamic
provider host imports the module from the project root. Credentials and endpoint URLs are read
at call time (environment first, then the stack config handed to `configure`, then Estuary's
defaults) and kept in `_runtime`, which `__getstate__` leaves out of the pickle.

State: outputs hold the declared fields (what `diff` compares), the sops ciphertext Estuary
returned as opaque JSON text (its key order is part of its MAC), an HMAC of the plaintext
endpoint config (salted per resource) and the live bookkeeping columns (last_pub_id,
last_build_id, md5). The plaintext config is never an output, and never in an error: every
operation masks the config's credential values in whatever it raises (`_guard`).

Settling after a lost answer (docs/estuary.md "Faults"): every create and update ends by
reading the live spec back and recording what landed. A create that meets its own earlier
write (the name is live) adopts it; an update whose `expect_pub_id` is stale because its own
earlier publication landed (the live spec's last publication carries this project's marker)
publishes over it instead of reporting a change made outside the stack.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pulumi
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
from components.estuary.specs import bare_tag, canonical, clean, has_unknown

if TYPE_CHECKING:  # pragma: no cover
    from components.estuary.answers import LiveSpecRow
    from components.estuary.api import EstuaryClient
    from components.estuary.transport import Tuning

log = logging.getLogger(__name__)
T = TypeVar("T")
Fail = Callable[[str, str], None]

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
SECRET_OUTPUTS = ["encryptedConfig", "configHash"]
# Outputs the provider computes; seeded as None so Pulumi exposes them (pulumi#6678).
COMPUTED_OUTPUTS = (
    "lastPubId",
    "lastBuildId",
    "md5",
    "encryptedConfig",
    "configHash",
    "configHashSalt",
)

# ---- check: the parts both kinds share -------------------------------------------------------
# Catalog names: tokens of letters, digits, '-', '_', '.', joined by '/'
# (estuary/flow crates/models/src/references.rs).
_NAME_TOKEN = r"[\w.\-]+"
CATALOG_NAME = re.compile(rf"^{_NAME_TOKEN}(?:/{_NAME_TOKEN})+$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._\-/][a-z0-9]+)*(?:\.[a-z0-9]+)*$")
IMAGE_TAG = re.compile(r"^:?[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
# Resource fields the connectors require (their published resource schemas; see
# tests/fakes/estuary_connectors.py for the sources). Others: a non-empty object.
REQUIRED_RESOURCE_FIELDS = {
    "ghcr.io/estuary/materialize-snowflake": ("table",),
    "ghcr.io/estuary/source-github": ("stream", "syncMode"),
    "ghcr.io/estuary/source-slack": ("stream", "syncMode"),
    "ghcr.io/estuary/source-gong": ("name",),
    "ghcr.io/estuary/source-hubspot-native": ("name",),
    "ghcr.io/estuary/source-intercom-native": ("name",),
    "ghcr.io/estuary/source-http-ingest": ("path",),
}


def check_task(news: Mapping[str, Any], binding_ref: str, fail: Fail) -> None:
    name = news.get("catalogName")
    if not has_unknown(name) and not (isinstance(name, str) and CATALOG_NAME.match(name)):
        fail(
            "catalogName",
            f"{name!r} is not an Estuary catalog name: tokens of letters, digits, '-', '_' "
            "or '.' joined by '/', with a tenant prefix (e.g. 'acme/dev/github'), no spaces, "
            "no leading, trailing or doubled '/'",
        )
    image = news.get("connectorImage")
    if not has_unknown(image) and not (isinstance(image, str) and IMAGE_NAME.match(image)):
        fail(
            "connectorImage",
            f"{image!r} is not an image name without tag (e.g. "
            "'ghcr.io/estuary/source-github'); put the tag in connectorTag",
        )
    tag = news.get("connectorTag")
    if not has_unknown(tag) and not (isinstance(tag, str) and IMAGE_TAG.match(tag)):
        fail("connectorTag", f"{tag!r} is not an image tag such as 'v1' or ':v1'")
    config = news.get("endpointConfig")
    if not has_unknown(config) and not isinstance(config, Mapping):
        # Never echo the value: it is the secret config.
        fail("endpointConfig", "must be an object (the connector's endpoint config)")
    if not has_unknown(news.get("shardsDisabled")) and not isinstance(
        news.get("shardsDisabled", False), bool
    ):
        fail("shardsDisabled", "must be true or false")
    _check_bindings(news, image if isinstance(image, str) else "", binding_ref, fail)


def _check_bindings(news: Mapping[str, Any], image: str, ref: str, fail: Fail) -> None:
    bindings = news.get("bindings")
    if has_unknown(bindings):
        return
    if not isinstance(bindings, list):
        fail("bindings", "must be a list of bindings")
        return
    required = REQUIRED_RESOURCE_FIELDS.get(image, ())
    seen: dict[str, int] = {}
    for i, binding in enumerate(bindings):
        where = f"bindings[{i}]"
        if not isinstance(binding, Mapping):
            fail(where, "must be an object with 'resource' and '" + ref + "'")
            continue
        target = binding.get(ref)
        if not (isinstance(target, str) and CATALOG_NAME.match(target)):
            fail(f"{where}.{ref}", f"{target!r} is not a collection name like 'acme/dev/x'")
        elif target in seen:
            fail(
                f"{where}.{ref}",
                f"{target!r} is also used by bindings[{seen[target]}]; each {ref} may appear once",
            )
        else:
            seen[target] = i
        resource = binding.get("resource")
        if not isinstance(resource, Mapping) or not resource:
            fail(f"{where}.resource", "must be a non-empty object (the connector resource)")
            continue
        for key in required:
            if resource.get(key) in (None, ""):
                fail(f"{where}.resource.{key}", f"is required by {image}")


def secret_outputs_options(opts: Any) -> Any:
    """`opts` plus `additional_secret_outputs` for the provider's secret outputs."""
    return pulumi.ResourceOptions.merge(
        opts or pulumi.ResourceOptions(),
        pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS)),
    )


def resource_inputs(props: dict[str, Any], endpoint_config: Any, *computed: str) -> dict[str, Any]:
    """A resource's input bag: the endpoint config secret whatever the caller passed, and the
    outputs the provider computes seeded as None so Pulumi exposes them (pulumi#6678)."""
    return {
        **props,
        "endpointConfig": pulumi.Output.secret(endpoint_config),
        **dict.fromkeys((*computed, *COMPUTED_OUTPUTS)),
    }


def public_outputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """Props minus the plaintext config and Pulumi's own keys (like __provider)."""
    return {k: v for k, v in props.items() if k != "endpointConfig" and not k.startswith("__")}


# ---- one publication -------------------------------------------------------------------------
def publish(
    client: EstuaryClient,
    action: str,
    props: Mapping[str, Any],
    rows: list[dict[str, Any]],
) -> str:
    """Draft, stage, publish (again while the status is retryable), poll; the draft is
    deleted on any failure except a publication still queued at the deadline."""
    from components.estuary.api import RETRYABLE, new_operation_marker
    from components.estuary.errors import PublicationTimeout, publication_failure

    name = props["catalogName"]
    data_plane = props.get("dataPlane") or specs.DEFAULT_DATA_PLANE
    detail = new_operation_marker(action, name)
    try:
        draft_id = client.create_draft(detail)
    except BaseException:
        _drop_lost_draft(client, detail)
        raise
    try:
        client.stage(draft_id, rows)
        status: dict[str, Any] = {}
        pub_id = ""
        for _ in range(max(1, client.tuning.create_attempts)):
            pub_id = client.publish(draft_id, detail, data_plane)
            status = client.wait_for_publication(pub_id)
            # Retryable: the draft is still there, publish it again.
            if status.get("type") not in RETRYABLE:
                break
    except PublicationTimeout:
        # The publication may still succeed (and then Estuary deletes the draft itself).
        raise
    except BaseException:
        _delete_draft_quietly(client, draft_id)
        raise
    if status.get("type") == "success":
        log.info("published %s %s as %s", action, name, pub_id)
        return pub_id
    errors: list[dict[str, Any]] = []
    try:
        errors = client.draft_errors(draft_id)
    finally:
        _delete_draft_quietly(client, draft_id)
    raise publication_failure(name, pub_id, status, errors)


def _drop_lost_draft(client: EstuaryClient, detail: str) -> None:
    """A draft whose creation failed may still have landed: find it by its marker, delete."""
    try:
        draft_id = client.find_draft(detail)
    except Exception as exc:
        log.warning("could not check for a half-created Estuary draft (%s)", type(exc).__name__)
        return
    if draft_id is not None:
        _delete_draft_quietly(client, draft_id)


def _delete_draft_quietly(client: EstuaryClient, draft_id: str) -> None:
    try:
        client.delete_draft(draft_id)
    except Exception as exc:  # the original error matters more; say what to clean up
        log.warning(
            "could not delete Estuary draft %s (%s); delete it by hand",
            draft_id,
            type(exc).__name__,
        )


def encrypt(client: EstuaryClient, props: Mapping[str, Any]) -> str:
    """Encrypt the config with the connector's schema; returns the opaque sops text."""
    from components.estuary.errors import EstuaryError

    image, tag = str(props["connectorImage"]), bare_tag(props["connectorTag"])
    row = client.connector_tag(image, tag)
    schema = row.endpoint_spec_schema if row is not None else None
    if not schema:
        # flow#2709: an unknown connector would let a plaintext config be published.
        raise EstuaryError(
            f"{image}:{tag} is not in Estuary's connector_tags, so its config cannot be "
            "encrypted; refusing to publish a plaintext endpoint config. Check the image "
            "name and tag."
        )
    encrypted = client.encrypt_config(props["endpointConfig"], schema)
    text = specs.dump_ciphertext(encrypted)
    # A credential under a field the connector's schema does not mark secret would be
    # published in plaintext (e.g. a misspelt field name). Refuse, naming the fields.
    clear = [path for path, value in specs.secret_leaves(props["endpointConfig"]) if value in text]
    if clear:
        raise EstuaryError(
            f"{props['catalogName']}: the schema of {image}:{tag} does not mark "
            f"{', '.join(clear)} as secret, so Estuary would store them in plain text; "
            "refusing to publish. Check these field names against the connector's spec."
        )
    return text


# ---- the provider --------------------------------------------------------------------------
class TaskProvider(ResourceProvider):
    """Shared create/read/update/delete/diff for one Estuary task kind; the kinds override
    the view hooks (`declared_view`, `build_spec`, `extra_rows`, ...)."""

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
                from components.estuary.api import ClientSettings, EstuaryClient
                from components.estuary.errors import CredentialsError

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
        self.check_kind(news, fail)
        return CheckResult(news, failures)

    def check_kind(self, news: Mapping[str, Any], fail: Fail) -> None:
        """Per-kind checks (captures: interval, autoDiscover, collections)."""

    # ---- CRUD ---------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        return self._guard(props, lambda: self._create(props))

    def _create(self, props: dict[str, Any]) -> CreateResult:
        from components.estuary.errors import ConflictError

        client = self._client()
        name = props["catalogName"]
        encrypted = encrypt(client, props)
        salt = secrets.token_hex(16)
        secret_hash = specs.config_hash(props["endpointConfig"], salt)
        spec = self.build_spec(props, json.loads(encrypted), [])
        try:
            publish(client, "create", props, self.draft_rows(props, spec, specs.MUST_NOT_EXIST))
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
            publish(client, "adopt", props, self.draft_rows(props, spec, live.last_pub_id))
        live_rows = self._read_back(client, props)
        return CreateResult(name, self.outputs(props, live_rows, encrypted, salt, secret_hash))

    def _read_back(self, client: EstuaryClient, props: Mapping[str, Any]) -> dict[str, Any]:
        from components.estuary.errors import EstuaryError

        name = props["catalogName"]
        live_rows = client.live_specs([name, *self.extra_names(props)])
        if name not in live_rows:
            raise EstuaryError(
                f"{name} was published but is not live when read back; run `pulumi refresh`"
            )
        return live_rows

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return self._guard(news, lambda: self._update(olds, news))

    def _update(self, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from components.estuary.api import written_by_us
        from components.estuary.errors import ConflictError

        client = self._client()
        name = news["catalogName"]
        salt = olds.get("configHashSalt") or secrets.token_hex(16)
        secret_hash = specs.config_hash(news["endpointConfig"], salt)
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
        try:
            publish(
                client, "update", news, self.draft_rows(news, spec, olds.get("lastPubId"), olds)
            )
        except ConflictError as conflict:
            mine = [m for m in conflict.mismatches if m.catalog_name == name]
            if not mine or not written_by_us(client.publication_detail(mine[0].actual), name):
                raise
            # Our own earlier write landed but its answer was lost (this run or the last):
            # not a change made outside this stack. Publish the declaration over it.
            log.warning("%s: an earlier update of this stack landed unseen; settling it", name)
            publish(client, "update", news, self.draft_rows(news, spec, mine[0].actual, olds))
        live_rows = self._read_back(client, news)
        return UpdateResult(self.outputs(news, live_rows, encrypted, salt, secret_hash))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        return self._guard(props, lambda: self._delete(id_, props))

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        from components.estuary.api import written_by_us
        from components.estuary.errors import PublicationFailed

        client = self._client()
        name = props.get("catalogName") or id_
        live = client.live_specs([name]).get(name)
        if live is None:
            log.info("%s is already gone", name)
            return
        expect = props.get("lastPubId") or live.last_pub_id
        if expect != live.last_pub_id and written_by_us(
            client.publication_detail(live.last_pub_id), name
        ):
            expect = live.last_pub_id  # our own unseen update: not someone else's change
        target = {**props, "catalogName": name}
        try:
            publish(client, "delete", target, self.draft_rows(target, None, expect))
        except PublicationFailed as failure:
            if name in failure.missing_deletions:
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
        outs = public_outputs(props)
        view = self.live_view(props, row)
        view.update(self.read_extras(props, view, live))
        for key, value in view.items():
            # Keep the stored form when it means the same (no phantom change on refresh).
            same = key in props and self.comparable(key, props[key]) == self.comparable(key, value)
            outs[key] = props[key] if same else value
        outs.update(
            {
                "catalogName": name,
                "lastPubId": row.last_pub_id,
                "lastBuildId": row.last_build_id,
                "md5": row.md5,
            }
        )
        live_config = ((row.spec or {}).get("endpoint") or {}).get("connector", {}).get("config")
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
            if has_unknown(new) or self.comparable(key, olds.get(key)) != self.comparable(key, new):
                changes.append(key)
        config = news.get("endpointConfig")
        salt = olds.get("configHashSalt")
        if (
            has_unknown(config)
            or not salt
            or specs.config_hash(config, salt) != olds.get("configHash")
        ):
            changes.append("endpointConfig")
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=["catalogName"] if not replaces else [],
            # Same name, new image: the old task must go before the new one can take its name.
            delete_before_replace=bool(replaces) and "catalogName" not in replaces,
        )

    # ---- views (the kinds override these) ----------------------------------------------------
    def normalize_binding(self, binding: Mapping[str, Any]) -> dict[str, Any]:
        return specs.capture_binding(binding)

    def normalize_bindings(self, bindings: Any) -> list[dict[str, Any]]:
        out = [self.normalize_binding(b) for b in bindings or []]
        return sorted(out, key=lambda b: str(b.get(self.binding_ref)))

    def declared_view(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The user-declared fields in canonical form (what diff and drift compare)."""
        return {
            "connectorTag": bare_tag(props.get("connectorTag")),
            "bindings": self.normalize_bindings(props.get("bindings")),
            "shardsDisabled": bool(props.get("shardsDisabled") or False),
        }

    def build_spec(
        self,
        props: Mapping[str, Any],
        encrypted_config: Any,
        extra_bindings: list[dict[str, Any]],
    ) -> dict[str, Any]:
        bindings = self.normalize_bindings(props.get("bindings")) + list(extra_bindings)
        spec: dict[str, Any] = {
            "endpoint": {
                "connector": {
                    "image": f"{props['connectorImage']}:{bare_tag(props['connectorTag'])}",
                    "config": encrypted_config,
                }
            },
            "bindings": bindings,
        }
        if props.get("shardsDisabled"):
            spec["shards"] = {"disable": True}
        return spec

    def extra_rows(
        self, props: Mapping[str, Any], olds: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        """Other specs published in the same draft (a capture's collections)."""
        return []

    def extra_names(self, props: Mapping[str, Any]) -> list[str]:
        return []

    def auto_discovers(self, props: Mapping[str, Any]) -> bool:
        return False

    def live_view(self, olds: Mapping[str, Any], live: LiveSpecRow) -> dict[str, Any]:
        """Declared fields as they are live, plus kind-specific extras."""
        spec = live.spec or {}
        image, tag = specs.split_image(
            ((spec.get("endpoint") or {}).get("connector") or {}).get("image", "")
        )
        return {
            "connectorImage": image,
            "connectorTag": tag,
            "bindings": self.normalize_bindings(spec.get("bindings")),
            "shardsDisabled": bool((spec.get("shards") or {}).get("disable", False)),
        }

    def draft_rows(
        self,
        props: Mapping[str, Any],
        spec: dict[str, Any] | None,
        expect_pub_id: str | None,
        olds: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        task = {
            "catalog_name": props["catalogName"],
            "spec_type": self.spec_type if spec is not None else None,
            "spec": spec,
            "expect_pub_id": expect_pub_id,
        }
        return [task, *(self.extra_rows(props, olds) if spec is not None else [])]

    def outputs(
        self,
        props: Mapping[str, Any],
        live: Mapping[str, LiveSpecRow],
        encrypted: str,
        salt: str,
        secret_hash: str,
    ) -> dict[str, Any]:
        row = live[props["catalogName"]]
        outs = {
            **public_outputs(props),
            **self.declared_view(props),
            "lastPubId": row.last_pub_id,
            "lastBuildId": row.last_build_id,
            "md5": row.md5,
            "encryptedConfig": encrypted,
            "configHash": secret_hash,
            "configHashSalt": salt,
        }
        outs.update(self.extra_outputs(props, row))
        return outs

    def extra_outputs(self, props: Mapping[str, Any], row: LiveSpecRow) -> dict[str, Any]:
        return {}

    def read_extras(
        self,
        olds: Mapping[str, Any],
        view: Mapping[str, Any],
        live: Mapping[str, LiveSpecRow],
    ) -> dict[str, Any]:
        return {}

    def comparable(self, key: str, value: Any) -> str:
        if key == "bindings":
            return canonical(self.normalize_bindings(value))
        if key == "connectorTag":
            return bare_tag(value)
        if key == "shardsDisabled":
            return canonical(bool(value or False))
        if key == "interval":
            return canonical(specs.interval_key(value))
        if key == "autoDiscover":
            return canonical(clean(value) or None)
        return canonical(clean(value))

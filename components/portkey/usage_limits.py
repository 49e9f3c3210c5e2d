"""Dynamic provider for Portkey usage-limits (budget) policies: `UsageLimitsPolicy`.

Mirrors Terraform's `portkey_usage_limits_policy` (terraform-provider-portkey
internal/provider/usage_limits_policy_resource.go): group_by, type and workspace_id replace;
name, conditions, credit_limit, alert_threshold and periodic_reset update in place. Comparison
normalizes what the API changes (MONTHLY vs monthly, a condition value as a list, excludes: null),
so an unchanged policy never diffs. A replace starts the month's usage at zero: check() refuses it
unless the stack sets usageLimit.acknowledgeUsageReset.

Under faults (docs/portkey.md "Faults"): a create or update whose answer is lost is settled by
reading back (components/portkey/base.py `settle_write`); what read records is what the API
answered, parsed strictly (components/portkey/answers.py `Policy`): a field the answer lacks is
recorded as absent, never filled in from the declared inputs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.portkey.base import INACTIVE, PortkeyProvider, gone_or_raise, unknown
from components.portkey.errors import PortkeyApiError

if TYPE_CHECKING:
    from components.portkey.answers import Policy
    from components.portkey.api import PortkeyAdminClient

__all__ = ["ACK_KEY", "UsageLimitsPolicy", "UsageLimitsPolicyProvider"]


# Replaced on change (Terraform portkey_usage_limits_policy: RequiresReplace on group_by, type,
# workspace_id). conditions and periodic_reset update in place: TF's Update sends conditions ("does
# not reset the policy's accumulated usage") and periodic_reset when it changed.
_POLICY_REPLACE_KEYS = ("group_by", "type", "workspace_id")
_POLICY_UPDATE_KEYS = ("name", "conditions", "credit_limit", "alert_threshold", "periodic_reset")
_POLICY_KEYS = (*_POLICY_REPLACE_KEYS, *_POLICY_UPDATE_KEYS)
ACK_KEY = "acknowledge_usage_reset"


def _canonical_items(value: Any) -> str:
    """One spelling per conditions / group_by list: sorted, `value` as a list, null fields dropped.

    The API may echo a condition's value as a list and add `excludes: null` (Terraform's schema:
    "value (string or array of strings), and an optional excludes").
    """
    items = []
    for item in value or []:
        entry = {k: v for k, v in dict(item).items() if v is not None}
        if isinstance(entry.get("value"), str):
            entry["value"] = [entry["value"]]
        if isinstance(entry.get("excludes"), str):
            entry["excludes"] = [entry["excludes"]]
        items.append(entry)
    return json.dumps(sorted(items, key=lambda c: json.dumps(c, sort_keys=True)), sort_keys=True)


def _same_number(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return float(left) == float(right)


def _same(key: str, left: Any, right: Any) -> bool:
    """Equal after normalizing what the API changes (TF2 idempotency_test: MONTHLY vs monthly)."""
    if key in ("credit_limit", "alert_threshold"):
        return _same_number(left, right)
    if key in ("conditions", "group_by"):
        return _canonical_items(left) == _canonical_items(right)
    if key in ("periodic_reset", "type"):
        return str(left or "").lower() == str(right or "").lower()
    if key == "workspace_id":
        return (left or None) == (right or None)
    return left == right


class UsageLimitsPolicyProvider(PortkeyProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]):
        # A replace deletes the policy and creates a new one whose usage starts at zero: this
        # month's spend is forgotten. Refuse it in the preview unless the stack acknowledges it.
        failures = []
        if olds and not news.get(ACK_KEY):
            for key in _POLICY_REPLACE_KEYS:
                if not unknown(news.get(key)) and not _same(key, olds.get(key), news.get(key)):
                    failures.append(
                        pulumi.dynamic.CheckFailure(
                            key,
                            f"changing {key} replaces usage-limits policy "
                            f"'{news.get('name')}' and RESETS this month's usage counter to 0; "
                            "set usageLimit.acknowledgeUsageReset: true for this change",
                        )
                    )
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in _POLICY_REPLACE_KEYS if not _same(k, olds.get(k), news.get(k))]
        # A replace is only reached after check() let it through (acknowledged): see check().
        changes = replaces + [
            k for k in _POLICY_UPDATE_KEYS if not _same(k, olds.get(k), news.get(k))
        ]
        return DiffResult(
            changes=bool(changes), replaces=replaces, delete_before_replace=bool(replaces)
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client()
        existing = self._find_by_name(client, props)
        if existing is None:
            body = {key: props[key] for key in _POLICY_KEYS if props.get(key) is not None}

            def landed() -> str | None:
                found = self._find_by_name(client, props)
                return found.id if found else None

            policy_id = self.settle_write(
                lambda: client.create_usage_limits_policy(body).id,
                landed,
                f"create Portkey usage-limits policy '{props['name']}'",
            )
        else:
            policy_id = existing.id
            self._check_adoptable(existing, props)
        live = self._converge(client, policy_id, props)
        return CreateResult(policy_id, self._outs(props, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self.client().get_usage_limits_policy(id_)
        except PortkeyApiError as error:
            if gone_or_raise(error, f"usage-limits policy {id_}"):
                return ReadResult("", {})
            raise
        inputs = {key: props.get(key) for key in _POLICY_KEYS}
        inputs[ACK_KEY] = props.get(ACK_KEY)
        for key in _POLICY_KEYS:
            # Keep the declared spelling when the live value means the same (no perpetual diff);
            # otherwise record what the API holds. The API answers a UUID for a slug.
            if key != "workspace_id" and not _same(key, live.field(key), props.get(key)):
                inputs[key] = live.field(key)
        return ReadResult(id_, self._outs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # What changed since the last apply, as before (re-sending an unchanged periodic_reset
        # makes the API recompute the next reset); the PUT is then verified by reading back.
        live = self._converge(self.client(), id_, news, current=olds)
        return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client()
        self.delete_settled(
            lambda: client.delete_usage_limits_policy(id_),
            lambda: client.get_usage_limits_policy(id_),
            f"Portkey usage-limits policy {id_}",
        )

    def _converge(
        self,
        client: PortkeyAdminClient,
        policy_id: str,
        wanted: dict[str, Any],
        *,
        current: dict[str, Any] | None = None,
    ):
        """PUT what differs from `current` (default: the live policy), then require the policy
        to read back as wanted."""

        def live_fields(live: Policy) -> dict[str, Any]:
            return {key: live.field(key) for key in _POLICY_KEYS}

        def as_wanted() -> Policy | None:
            # Only the fields this write sends: drift elsewhere is for read/diff to report.
            live = client.get_usage_limits_policy(policy_id)
            return None if set(self._update_body(live_fields(live), wanted)) & set(body) else live

        if current is None:
            live = client.get_usage_limits_policy(policy_id)
            body = self._update_body(live_fields(live), wanted)
            if not body:
                return live
        else:
            body = self._update_body(current, wanted)
            if not body:
                return client.get_usage_limits_policy(policy_id)

        def put() -> Policy:
            client.update_usage_limits_policy(policy_id, body)
            written = as_wanted()
            if written is None:
                raise RuntimeError(
                    f"Portkey accepted PUT /policies/usage-limits/{policy_id} but the policy "
                    f"does not read back with {sorted(body)} as sent; run again"
                )
            return written

        return self.settle_write(put, as_wanted, f"update usage-limits policy {policy_id}")

    @staticmethod
    def _update_body(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
        """Only what changed: re-sending periodic_reset makes the API recompute the next reset
        (Terraform usage_limits_policy Update: "sent only when they change")."""
        return {
            key: wanted[key]
            for key in _POLICY_UPDATE_KEYS
            if wanted.get(key) is not None and not _same(key, current.get(key), wanted.get(key))
        }

    @staticmethod
    def _find_by_name(client: PortkeyAdminClient, props: dict[str, Any]) -> Policy | None:
        matches = [
            item
            for item in client.list_usage_limits_policies(props.get("workspace_id"))
            if item.name == props["name"] and item.status not in INACTIVE
        ]
        if len(matches) > 1:
            ids = sorted(item.id for item in matches)
            raise RuntimeError(
                f"Portkey has {len(matches)} usage-limits policies named '{props['name']}' "
                f"({', '.join(ids)}); remove the extras before this stack can own the name"
            )
        return matches[0] if matches else None

    @staticmethod
    def _check_adoptable(existing: Policy, props: dict[str, Any]) -> None:
        for key in ("type", "group_by"):
            if not _same(key, existing.field(key), props.get(key)):
                raise RuntimeError(
                    f"a usage-limits policy named '{props['name']}' already exists with "
                    f"{key}={existing.field(key)!r} (this stack declares {props.get(key)!r}); "
                    f"{key} cannot be updated in place: rename the policy or delete it"
                )

    @staticmethod
    def _outs(inputs: dict[str, Any], live: Policy) -> dict[str, Any]:
        outs = {key: inputs.get(key) for key in _POLICY_KEYS}
        outs[ACK_KEY] = inputs.get(ACK_KEY)
        outs["status"] = live.status
        return outs


class UsageLimitsPolicy(Resource, module="portkey", name="UsageLimitsPolicy"):
    """A Portkey usage-limits policy: a cumulative cost cap with an alert threshold."""

    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        conditions: pulumi.Input[list[dict[str, str]]],
        group_by: pulumi.Input[list[dict[str, str]]],
        credit_limit: pulumi.Input[float],
        alert_threshold: pulumi.Input[float] | None = None,
        type: pulumi.Input[str] = "cost",
        periodic_reset: pulumi.Input[str] | None = "monthly",
        workspace_id: pulumi.Input[str] | None = None,
        acknowledge_usage_reset: bool = False,
        opts: pulumi.ResourceOptions | None = None,
        provider: UsageLimitsPolicyProvider | None = None,
    ) -> None:
        super().__init__(
            provider or UsageLimitsPolicyProvider(),
            resource_name,
            {
                "name": name,
                "conditions": conditions,
                "group_by": group_by,
                "type": type,
                "credit_limit": credit_limit,
                "alert_threshold": alert_threshold,
                "periodic_reset": periodic_reset,
                "workspace_id": workspace_id,
                ACK_KEY: acknowledge_usage_reset,
                "status": None,
            },
            opts,
        )

"""What a stack must still provide before a real `up` may touch Snowflake: the readiness checklist.

`snowflake_readiness(stack, environment, raw_snowflake)` is pure (no Pulumi, no I/O) over the raw
`sophia-infra:snowflake` object, so it answers for a stack whose other areas fail validation. It
returns one `(config key, what is missing and why, the command that sets it)` per item. The
generic checklist (`python -m jobs.readiness --stack S`) prints these; the program refuses a real
preview while any is open (components/snowflake/readiness.py), and the offline synth still shows
the stack (docs/snowflake.md, "Network policies and the first prod up").

Items:
- staging/prod: a network-policy range no real client has (documentation, private without
  `privateConnectivity`, 0.0.0.0/0): the policy would lock its user out (F1/F2 of the review);
- prod: no ranges for the Estuary loader or the API user (a key-pair login from anywhere);
- prod: no monitor notify users (every prod warehouse's monitor names them; F8);
- prod, or any stack that fences the deploy user: no break-glass admin outside the policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.settings.snowflake_network import FENCED_ENVIRONMENTS, range_problem

PROJECT = "sophia-infra"
ReadinessItem = tuple[str, str, str]
"""(full config key path, what is missing and why, the exact `pulumi config set` command)."""

_RANGE_PURPOSE = {
    "estuaryLoader": (
        "the Estuary data plane's egress IPs (Estuary dashboard, Admin > Settings > Data Planes)"
    ),
    "api": "the cluster's NAT egress IPs (the addresses the API's pods leave from)",
    "deployUser": "the static egress IPs of the runner that runs `pulumi up`",
}
_REQUIRED_IN_PROD = ("estuaryLoader", "api")


def _key(*path: str) -> str:
    return f"{PROJECT}:snowflake." + ".".join(path)


def _set(stack: str, path: str, value: str) -> str:
    return f"pulumi config set --stack {stack} --path '{PROJECT}:snowflake.{path}' {value}"


def _list(value: Any) -> list[Any] | None:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else None


def snowflake_readiness(
    stack: str, environment: str, raw_snowflake: Mapping[str, Any] | None
) -> list[ReadinessItem]:
    """Every open item of the Snowflake area for `stack` (empty: ready for a real `up`)."""
    raw = raw_snowflake if isinstance(raw_snowflake, Mapping) else {}
    policies = raw.get("networkPolicies")
    policies = policies if isinstance(policies, Mapping) else {}
    private = policies.get("privateConnectivity") is True
    items: list[ReadinessItem] = []
    for key, purpose in _RANGE_PURPOSE.items():
        ranges = _list(policies.get(key)) or []
        if environment in FENCED_ENVIRONMENTS:
            for index, entry in enumerate(ranges):
                why = range_problem(str(entry), private)
                if why is not None:
                    items.append(
                        (
                            _key("networkPolicies", key),
                            f"{why}; set {purpose}",
                            _set(stack, f"networkPolicies.{key}[{index}]", "'<egress CIDR>'"),
                        )
                    )
        if environment == "prod" and not ranges and key in _REQUIRED_IN_PROD:
            items.append(
                (
                    _key("networkPolicies", key),
                    f"unset: prod fences every service user's key-pair login by IP; set {purpose} "
                    "(one command per range, [0], [1], ...)",
                    _set(stack, f"networkPolicies.{key}[0]", "'<egress CIDR>'"),
                )
            )
    fenced = bool(_list(policies.get("deployUser")))
    if (environment == "prod" or fenced) and not raw.get("breakGlassAdmin"):
        reason = (
            "networkPolicies.deployUser fences the user every stack deploys as"
            if fenced
            else "prod has no way back in if the deploy user is locked out or its key is lost"
        )
        items.append(
            (
                _key("breakGlassAdmin"),
                f"unset: {reason}; name the person-type ACCOUNTADMIN user outside every policy "
                f"that `python -m jobs.bootstrap --stack {stack}` creates",
                _set(stack, "breakGlassAdmin", "'<BREAK_GLASS_USER>'"),
            )
        )
    if environment == "prod" and not _list(raw.get("monitorNotifyUsers")):
        items.append(
            (
                _key("monitorNotifyUsers"),
                "unset: every prod warehouse's resource monitor e-mails these users at its "
                "notify thresholds; each must exist with a verified e-mail address (CREATE "
                "RESOURCE MONITOR ... NOTIFY_USERS) before the first `up`: run "
                f"`python -m jobs.bootstrap --stack {stack}` and have the user verify the e-mail",
                _set(stack, "monitorNotifyUsers[0]", "PLATFORM_ONCALL"),
            )
        )
    return items

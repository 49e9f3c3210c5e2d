"""Network policies of the Snowflake area: which source addresses may log in as which user.

A network policy on a user admits logins only from its ALLOWED_IP_LIST (Snowflake docs, "Controlling
network traffic with network policies"; the user-level policy wins over the account's). A wrong
list therefore locks the user out. This module holds the settings model and the one classifier
of an allowed range that both the settings (refuse) and the readiness checklist (explain) use.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from components.settings._base import CamelModel

# RFC 5737 s.3: "provided for use in documentation" and "SHOULD NOT appear on the public Internet":
# no client that logs in to Snowflake has one of these addresses.
DOCUMENTATION_RANGES = {
    ipaddress.ip_network("192.0.2.0/24"): "TEST-NET-1",
    ipaddress.ip_network("198.51.100.0/24"): "TEST-NET-2",
    ipaddress.ip_network("203.0.113.0/24"): "TEST-NET-3",
}
# RFC 1918 s.3: the private address space a PrivateLink / Private Service Connect client really
# has when it reaches Snowflake over private connectivity (Snowflake docs, "Network policies":
# private IP addresses in ALLOWED_IP_LIST apply to private connectivity).
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# The stacks whose policies must admit a real client: dev may try anything.
FENCED_ENVIRONMENTS = ("staging", "prod")
POLICY_KEYS = {"estuaryLoader": "estuary_loader", "api": "api", "deployUser": "deploy_user"}


def check_ip_ranges(value: tuple[str, ...]) -> tuple[str, ...]:
    """IPv4 addresses or CIDR ranges, the only form a network policy's ALLOWED_IP_LIST takes."""
    for entry in value:
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IPv4 address or CIDR range (e.g. '34.121.207.128' or "
                "'34.121.207.0/28', host bits zero)"
            ) from None
        if network.version != 4:
            raise ValueError(f"{entry!r}: a network policy's allowed IP list takes IPv4 only")
    return value


def range_problem(entry: str, private_connectivity: bool) -> str | None:
    """Why `entry` can never be the address a real client logs in from, or None if it can.

    Refused: every address (/0), RFC 5737 documentation ranges, and any range that is not globally
    routable (Python's `ipaddress.is_global`, from the IANA IPv4 special-purpose registry: RFC 1918,
    shared 100.64.0.0/10, loopback, link-local, ...) except RFC 1918 when the stack says it
    reaches Snowflake over private connectivity.
    """
    try:
        network = ipaddress.ip_network(entry, strict=True)
    except ValueError:
        return f"{entry!r} is not an IPv4 address or CIDR range"
    if network.version != 4:
        return f"{entry!r} is not IPv4"
    if network.prefixlen == 0:
        return f"{entry} allows every address, which is no policy at all"
    for documentation, label in DOCUMENTATION_RANGES.items():
        if network.overlaps(documentation):
            return (
                f"{entry} is in the RFC 5737 documentation range {documentation} ({label}), "
                "which never appears on the Internet: it is a placeholder, and a policy of "
                "placeholders locks the user out"
            )
    if private_connectivity and any(network.subnet_of(p) for p in RFC1918):
        return None
    if not network.is_global:
        private = any(network.subnet_of(p) for p in RFC1918)
        kind = "a private (RFC 1918)" if private else "a non-routable (IANA special-purpose)"
        hint = (
            "; with AWS PrivateLink / Azure Private Link / GCP Private Service Connect set "
            "networkPolicies.privateConnectivity: true"
            if private
            else ""
        )
        return f"{entry} is {kind} range that Snowflake never sees as a source{hint}"
    return None


class NetworkPolicies(CamelModel):
    """Allowed source IPs per user; each list becomes one network policy on that user."""

    estuary_loader: tuple[str, ...] = Field(
        (), description="Egress IPs of the Estuary data plane (Estuary dashboard, Data Planes)."
    )
    api: tuple[str, ...] = Field((), description="Egress (NAT) IPs of the API's cluster.")
    deploy_user: tuple[str, ...] = Field(
        (),
        description=(
            "Opt-in: egress IPs of whatever runs `pulumi up`. The deploy user is shared by every "
            "stack of the account: declare it in one stack only, only with static egress, and only "
            "with snowflake.breakGlassAdmin set. Attached after every other Snowflake resource."
        ),
    )
    private_connectivity: bool = Field(
        False,
        description=(
            "The stack's clients reach Snowflake over private connectivity (PrivateLink, Private "
            "Service Connect), so RFC 1918 source ranges are real; otherwise they are refused in "
            "staging and prod."
        ),
    )

    @field_validator("estuary_loader", "api", "deploy_user")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_ip_ranges(value)

    def problems(self) -> list[tuple[str, list[str], str]]:
        """(camelCase key, its list, why) for every list with a range no real client has."""
        found = []
        for key, field in POLICY_KEYS.items():
            ranges: tuple[str, ...] = getattr(self, field)
            for entry in ranges:
                why = range_problem(entry, self.private_connectivity)
                if why is not None:
                    found.append((key, list(ranges), why))
                    break
        return found

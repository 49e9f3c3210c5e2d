"""Cases for the Estuary settings of a stack file."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _cases_values


def estuary_cases() -> list[Case]:
    found: list[Case] = []
    add = found.extend

    # Estuary
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/tenantPrefix",
            ["sophia dev", "sophia/dev", "", 5, "sophia/prod/", "sophia/", "../x/"],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/dataPlane", ["", "a b"]))
    add(_cases_values("estuary", "dev", "estuary/syncFrequency", ["7m", 30, ""]))
    add(_cases_values("estuary", "dev", "estuary/addNewBindings", ["yes", 1]))
    add(_cases_values("estuary", "prod", "estuary/addNewBindings", [True]))
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/repositories",
            [[], ["bad repo"], "sophia-ai/x", [1]],
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/startDate",
            ["2025-02-30", "2025-13-01", "yesterday", "2025-01-01T25:00:00Z", 20250101],
        )
    )
    add(
        _cases_values(
            "estuary", "dev", "estuary/sources/github/interval", ["soon", "-5m", "", 5, "0s"]
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/github/connectorTag",
            ["v1; rm -rf", "../x", " ", "a" * 200],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/sources/github/enabled", ["yes", 1]))
    add(_cases_values("estuary", "dev", "estuary/sources/nosuch", [{"enabled": True}]))
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/sources/usergems/streams",
            [[], ["Bad"], ["a", "a"], "events"],
        )
    )
    add(
        _cases_values(
            "estuary", "dev", "estuary/sources/gong", [{"enabled": False, "region": "us east"}]
        )
    )
    add(
        _cases_values(
            "estuary",
            "dev",
            "estuary/apiUrl",
            [
                "http://evil.example/rest/v1",
                "ftp://x",
                "https://user:pw@x.example",
                "not a url",
                "https://",
            ],
        )
    )
    add(_cases_values("estuary", "dev", "estuary/agentUrl", ["http://api.estuary.dev"]))
    add(
        _cases_values(
            "estuary", "dev", "estuary/encryptionUrl", ["http://config-encryption.estuary.dev"]
        )
    )
    add(_cases_values("estuary", "dev", "estuary/materializationTag", ["v4; x", ""]))
    return found

"""The Pipeline component under Pulumi mocks: what it declares per settings, without Estuary."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pulumi
import pytest
import requests

from tests.components.estuary.conftest import PRIVATE_KEY, SECRETS, settings


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"TOKEN-{args.name}"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> RecordingMocks:
    asyncio.set_event_loop(asyncio.new_event_loop())

    def no_network(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the Pipeline called the network under mocks")

    monkeypatch.setattr(requests.Session, "request", no_network)
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="sophia-infra", stack="dev", preview=False)
    return recorder


def _pipeline(estuary_settings: Any) -> Any:
    from components.estuary.pipeline import Pipeline, PipelineArgs

    return Pipeline(
        "estuary",
        PipelineArgs(
            settings=estuary_settings,
            source_credentials=pulumi.Output.secret(SECRETS),
            snowflake_host="acme-xy123.snowflakecomputing.com",
            database="SOPHIA_DEV",
            schema="ESTUARY_REALTIME",
            warehouse="ESTUARY_LOAD_WH",
            role="ESTUARY_LOADER",
            loader_user="ESTUARY_LOADER_USER",
            loader_private_key=pulumi.Output.secret(PRIVATE_KEY),
        ),
    )


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # Pulumi's wire marker for secret values


def _unwrap_secret(value: Any) -> Any:
    assert isinstance(value, dict) and value.get("4dabf18193072939515e22adb298388d") == SECRET_SIG
    return value["value"]


def _by_type(mocks: RecordingMocks, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
    return [r for r in mocks.resources if r.typ == typ]


@pulumi.runtime.test
def test_dev_declares_every_enabled_capture_and_one_materialization(mocks: RecordingMocks):
    pipeline = _pipeline(settings(tenantPrefix="sophia/dev/", addNewBindings=True))

    def check(args: list[Any]) -> None:
        names, mat_name = args
        captures = _by_type(mocks, "pulumi-python:dynamic/estuary:Capture")
        mats = _by_type(mocks, "pulumi-python:dynamic/estuary:Materialization")
        assert len(_by_type(mocks, "sophia:estuary:Pipeline")) == 1
        assert len(captures) == 9 and len(mats) == 1
        assert sorted(names) == sorted(c.inputs["catalogName"] for c in captures)
        by_source = {c.name.removeprefix("estuary-"): c.inputs for c in captures}
        github = by_source["github"]
        # source-github has no discussions resource: no binding that cannot work, and the
        # capture says why (visible in the synth tree).
        assert [b["resource"]["stream"] for b in github["bindings"]] == [
            "commits",
            "pull_requests",
            "issues",
            "comments",
            "releases",
            "workflows",
        ]
        assert "no discussions resource" in github["notCaptured"]["discussions"]
        for source in ("usergems", "apollo", "zenrows", "apify"):
            assert by_source[source]["connectorImage"] == "ghcr.io/estuary/source-http-ingest"
        targets = [b["target"] for c in captures for b in c.inputs["bindings"]]
        assert all(t.startswith("sophia/dev/") for t in targets)
        assert all(
            set(c.inputs["collections"]) == {b["target"] for b in c.inputs["bindings"]}
            for c in captures
        )
        assert all(c.inputs["autoDiscover"]["addNewBindings"] is True for c in captures)
        # One generated bearer token per webhook capture, used as its requireAuthToken.
        tokens = _by_type(mocks, "random:index/randomPassword:RandomPassword")
        assert sorted(t.name for t in tokens) == sorted(
            f"estuary-{s}-webhook-token" for s in ("usergems", "apollo", "zenrows", "apify")
        )
        for source in ("usergems", "apollo", "zenrows", "apify"):
            config = _unwrap_secret(by_source[source]["endpointConfig"])
            assert config["requireAuthToken"] == f"TOKEN-estuary-{source}-webhook-token"
            assert "require_auth_token" not in config
        mat = mats[0].inputs
        assert mat_name == "sophia/dev/snowflake/materialize-snowflake"
        assert mat["connectorImage"] == "ghcr.io/estuary/materialize-snowflake"
        assert sorted(b["source"] for b in mat["bindings"]) == sorted(targets)
        config = _unwrap_secret(mat["endpointConfig"])
        assert config["credentials"] == {
            "auth_type": "jwt",
            "user": "ESTUARY_LOADER_USER",
            "private_key": PRIVATE_KEY,
        }
        assert config["timestamp_type"] == "TIMESTAMP_LTZ"
        assert config["schema"] == "ESTUARY_REALTIME"
        assert config["warehouse"] == "ESTUARY_LOAD_WH" and config["role"] == "ESTUARY_LOADER"
        assert pipeline.prefix == "sophia/dev/"

    return pulumi.Output.all(
        pipeline.capture_names, pipeline.materialization_name, pipeline.webhook_tokens
    ).apply(lambda v: check(v[:2]))


@pulumi.runtime.test
def test_prod_disables_add_new_bindings_and_only_enabled_sources(mocks: RecordingMocks):
    prod = settings(
        tenantPrefix="sophia/prod/",
        sources={
            "github": {
                "enabled": True,
                "repositories": ["sophia-ai/api"],
                "startDate": "2025-01-01",
            },
            "gong": {"enabled": True, "interval": "1h"},
        },
    )
    assert prod.add_new_bindings is False  # the safe default; prod config must not turn it on
    pipeline = _pipeline(prod)

    def check(args: list[Any]) -> None:
        names = args[0]
        assert sorted(names) == ["sophia/prod/github/source-github", "sophia/prod/gong/source-gong"]
        captures = _by_type(mocks, "pulumi-python:dynamic/estuary:Capture")
        # No autoDiscover at all: background discovers would rewrite the declared
        # collections (docs/estuary.md).
        assert all(c.inputs.get("autoDiscover") is None for c in captures)
        gong = next(c for c in captures if c.name == "estuary-gong")
        assert gong.inputs["interval"] == "1h"
        mat = _by_type(mocks, "pulumi-python:dynamic/estuary:Materialization")[0]
        assert {b["resource"]["table"] for b in mat.inputs["bindings"]} == {
            "GITHUB_COMMITS",
            "GITHUB_PULL_REQUESTS",
            "GITHUB_ISSUES",
            "GITHUB_COMMENTS",
            "GITHUB_RELEASES",
            "GITHUB_WORKFLOWS",
            "GONG_CALLS",
            "GONG_USERS",
        }

    return pulumi.Output.all(pipeline.capture_names, pipeline.materialization_name).apply(check)


@pulumi.runtime.test
def test_secrets_stay_secret(mocks: RecordingMocks):
    pipeline = _pipeline(settings(tenantPrefix="sophia/dev/"))

    def check(_: Any) -> None:
        tasks = [r for r in mocks.resources if r.typ.startswith("pulumi-python:dynamic/estuary:")]
        assert len(tasks) == 10
        assert all(t.inputs["endpointConfig"] for t in tasks)
        for task in tasks:
            # The endpoint config reaches the engine as a secret; nothing else holds plaintext.
            _unwrap_secret(task.inputs["endpointConfig"])
            rest = {
                k: v for k, v in task.inputs.items() if k not in ("endpointConfig", "__provider")
            }
            assert "PLAINTEXT" not in json.dumps(rest, default=str)

    return pipeline.materialization_name.apply(check)


def test_secret_outputs_are_declared() -> None:
    from components.estuary.base import secret_outputs_options as _opts

    assert set(_opts(None).additional_secret_outputs) == {"encryptedConfig", "configHash"}


def test_missing_credential_names_the_source_and_field_only() -> None:
    from components.estuary.pipeline import capture_definitions

    with pytest.raises(ValueError) as info:
        capture_definitions(settings(), {**SECRETS, "gong": {"access_key": "k"}})
    assert "'access_key_secret'" in str(info.value) and "'gong'" in str(info.value)
    assert "PLAINTEXT" not in str(info.value)


def test_webhook_feeds_become_bindings_collections_and_tables() -> None:
    from components.settings import SettingsError
    from jobs.harness import synthesize
    from tests.conftest import stack_config

    config = stack_config("prod")
    config["estuary"]["sources"]["zenrows"]["streams"] = ["events", "pricing_pages"]
    synthesis = synthesize("prod", overrides={"estuary": config["estuary"]})
    zenrows = synthesis.one("pulumi-python:dynamic/estuary:Capture", "estuary-zenrows").inputs
    assert [b["resource"] for b in zenrows["bindings"]] == [
        {"path": "/zenrows", "stream": "events"},
        {"path": "/zenrows/pricing_pages", "stream": "pricing_pages"},
    ]
    assert set(zenrows["collections"]) == {
        "sophia/prod/zenrows/events",
        "sophia/prod/zenrows/pricing_pages",
    }
    (materialization,) = synthesis.by_type("pulumi-python:dynamic/estuary:Materialization")
    tables = {b["resource"]["table"] for b in materialization.inputs["bindings"]}
    assert {"ZENROWS_EVENTS", "ZENROWS_PRICING_PAGES"} <= tables

    config["estuary"]["sources"]["zenrows"]["streams"] = ["Pricing Pages"]
    with pytest.raises(
        SettingsError,
        match=r"estuary.sources.zenrows.streams = \[\"Pricing Pages\"\]: \['Pricing Pages'\] are not stream names",
    ):
        synthesize("prod", overrides={"estuary": config["estuary"]})

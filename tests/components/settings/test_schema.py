"""What is not in the schema is refused, as rules: top-level typos, Pulumi.yaml types, repeats in
any list, a privileged JWT in a public-key path, moving connector tags in staging/prod, a canary
analysis that cannot judge, an empty agent catalog; and every hint carries the right command."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import schema
from components.settings.agents import AgentCatalogError, load_agent_catalog
from components.settings.commands import config_set
from jobs import synth
from tests.components.settings.test_settings import _reject
from tests.conftest import REPO_ROOT


def _jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _project(tmp_path: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):  # fmt: skip
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    path = tmp_path / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path


def _rename(doc: dict[str, Any], old: str, new: str) -> None:
    doc["config"][new] = doc["config"].pop(old)


def test_a_top_level_typo_is_refused_with_the_nearest_key() -> None:
    message = _reject("prod", lambda c: c.update(cortexs=c.pop("cortex")))
    assert (
        "sophia-infra:cortexs: unknown key; did you mean 'cortex'? (Pulumi.yaml declares every "
        "key the program reads)"
    ) in message


def test_check_fails_on_a_top_level_typo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(
        tmp_path, "prod", lambda d: _rename(d, "sophia-infra:cortex", "sophia-infra:cortexs")
    )
    code = synth.main(["--stack", "prod", "--check", "--project-dir", str(root)])
    assert code == 2
    assert "sophia-infra:cortexs: unknown key; did you mean 'cortex'?" in capsys.readouterr().err


def test_pulumi_yaml_type_contradicted_by_the_stack_value(tmp_path: Path) -> None:
    problems = schema.declared_type_problems(
        {"environment": {"type": "string"}}, "dev", {"environment": {"name": "dev"}}
    )
    assert problems == [
        "sophia-infra:environment: Pulumi.yaml declares type 'string' and Pulumi.dev.yaml holds "
        "an object (the CLI refuses it: \"Stack 'dev' with configuration key 'environment' must "
        "be of type 'string'\")"
    ]


def test_pulumi_yaml_type_that_contradicts_the_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "dev", lambda d: None)
    text = (root / "Pulumi.yaml").read_text()
    (root / "Pulumi.yaml").write_text(
        text.replace("  kubernetes:\n", "  kubernetes:\n    type: string\n", 1)
    )
    assert synth.main(["--stack", "dev", "--project-dir", str(root)]) == 2
    assert (
        "Pulumi.yaml: config.kubernetes declares type 'string', but the program reads kubernetes "
        "as an object; remove the type"
    ) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("type_name", "items", "value", "accepted"),
    [
        ("string", None, "5", True),  # the CLI keeps a YAML scalar's text
        ("string", None, {"a": 1}, False),
        ("integer", None, "12", True),
        ("integer", None, "1.5", False),
        ("boolean", None, "true", True),
        ("boolean", None, "yes", False),
        ("array", {"type": "string"}, ["a", "b"], True),
        ("array", {"type": "integer"}, ["a"], False),
        ("array", None, ["a"], False),
    ],
)
def test_declared_types_follow_the_cli(
    type_name: str, items: Any, value: Any, accepted: bool
) -> None:
    assert schema.accepts(type_name, items, value) is accepted


def test_repeated_notify_threshold() -> None:
    message = _reject(
        "dev", lambda c: c["snowflake"]["warehouses"]["API_WH"].update(notifyAtPercent=[80, 80])
    )
    assert (
        "sophia-infra:snowflake.warehouses.API_WH.notifyAtPercent = [80, 80]: lists each value "
        "once; repeated: 80"
    ) in message


def test_repeated_repository() -> None:
    message = _reject(
        "prod",
        lambda c: c["estuary"]["sources"]["github"].update(
            repositories=["sophia-ai/x", "sophia-ai/x"]
        ),
    )
    assert (
        'sophia-infra:estuary.sources.github.repositories = ["sophia-ai/x", "sophia-ai/x"]: '
        "lists each value once; repeated: 'sophia-ai/x'"
    ) in message


def test_repeated_target_name() -> None:
    def twice(config: dict[str, Any]) -> None:
        config["portkey"]["targets"].append(dict(config["portkey"]["targets"][0]))

    message = _reject("dev", twice)
    assert "sophia-infra:portkey.targets = " in message
    assert ": lists each value once; repeated: " in message


def test_a_privileged_jwt_in_the_public_anon_key_path() -> None:
    token = _jwt({"iss": "supabase", "role": "service_role"})
    message = _reject("dev", lambda c: c["estuary"].update(anonKey=token))
    assert (
        "sophia-infra:estuary.anonKey: holds a JWT whose role is 'service_role', not a public key "
        "(allowed role: anon; value not shown)"
    ) in message
    assert token not in message


@pytest.mark.parametrize(("stack", "key"), [("staging", "materializationTag"), ("prod", "github")])
def test_moving_connector_tag_in_staging_and_prod(stack: str, key: str) -> None:
    def moving(config: dict[str, Any]) -> None:
        if key == "github":
            config["estuary"]["sources"]["github"]["connectorTag"] = "dev"
        else:
            config["estuary"][key] = "dev"

    message = _reject(stack, moving)
    where = "estuary.sources.github.connectorTag" if key == "github" else f"estuary.{key}"
    assert (
        f"sophia-infra:{where} = 'dev': {stack} runs released connector images; allowed: a "
        "release tag such as 'v1'"
    ) in message


def test_canary_interval_longer_than_a_pause() -> None:
    message = _reject("prod", lambda c: c["kubernetes"]["canary"].update(analysisInterval="30m"))
    assert (
        "sophia-infra:kubernetes.canary.analysisInterval = '30m': longer than the pause of 10m: "
        "the analysis measures once per interval"
    ) in message
    assert "allowed: at most the shortest pause (10m)" in message


def test_parallel_run_hold_shorter_than_the_interval() -> None:
    message = _reject("staging", lambda c: c["kubernetes"]["canary"].update(parallelRunHold="1m", analysisInterval="5m"))  # fmt: skip
    assert "kubernetes.canary.analysisInterval = '5m': longer than the pause of 1m" in message


def test_an_empty_agent_catalog_is_a_clear_error(tmp_path: Path) -> None:
    text = (REPO_ROOT / "components/snowflake/agents.yaml").read_text()
    path = tmp_path / "agents.yaml"
    path.write_text(text[: text.index("\nagents:")] + "\nagents: []\n")
    with pytest.raises(AgentCatalogError) as raised:
        load_agent_catalog({"SOPHIA_SEARCH"}, {"API_WH"}, path=path)
    assert "agents = []: lists no agents; the catalog declares at least one" in str(raised.value)


def test_every_hint_for_a_nested_secret_has_path() -> None:
    message = _reject("dev", lambda c: c.pop("estuarySourceCredentials"))
    assert (
        "sophia-infra:estuarySourceCredentials: missing; set it with `pulumi config set --secret "
        "--path 'estuarySourceCredentials.<source>.<field>' <value>`"
    ) in message


@pytest.mark.parametrize(
    ("path", "command"),
    [
        ("portkeyApiKey", "pulumi config set --secret portkeyApiKey <value>"),
        ("portkey.apiKeyId", "pulumi config set --path 'portkey.apiKeyId' <value>"),
        (
            "estuarySourceCredentials.gong.access_key",
            "pulumi config set --secret --path 'estuarySourceCredentials.gong.access_key' <value>",
        ),
        ("environment", "pulumi config set environment <value>"),
    ],
)
def test_config_set_commands(path: str, command: str) -> None:
    assert config_set(path) == command

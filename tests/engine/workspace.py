"""A throw-away Pulumi workspace on the real engine: file backend, passphrase, stand-ins.

Everything lives under one temporary folder: `state/` (the `file://` backend), `home/`
(PULUMI_HOME: plugin cache, credentials; nothing is downloaded), `workspace/` (Pulumi.yaml and
the stack files the CLI writes), `rendered/<stack>/` (the Kubernetes YAML). The Estuary control
plane and the Portkey admin API are the stand-ins of tests/fakes, on 127.0.0.1, reached by the
dynamic providers (which the engine runs in their own processes) through their environment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from jobs.automation import AutomationStackOperations
from jobs.harness import REPO_ROOT, synthesize
from tests.engine.program import SnowflakeNames, make_program
from tests.engine.toolchain import Engine, offline_env
from tests.fakes.estuary_control_plane import FakeControlPlane
from tests.fakes.portkey_admin import FakePortkeyAdmin

PROJECT = "sophia-infra"
PASSPHRASE = "engine-tests-only-passphrase"
# pulumi-kubernetes 4.25 fails every Read while the cluster is unreachable, render mode
# included (provider.go `Read`: the unreachable check comes before the render branch); with
# this variable its Read returns the recorded object. Only for refreshes: under it `Check`
# returns the old inputs (provider.go `Check`), which would break every create and update.
REFRESH_ENV = {"PULUMI_K8S_SKIP_UPDATE_UNREACHABLE": "true"}
SECRET_KEYS = (
    "snowflakePrivateKey",
    "estuarySourceCredentials",
    "estuaryLoaderPrivateKey",
    "apiSnowflakePrivateKey",
    "portkeyApiKey",
)


def _pem(marker: str) -> str:
    return f"-----BEGIN PRIVATE KEY-----\n{marker}\n-----END PRIVATE KEY-----"


# Distinct plaintext markers for every secret the stack holds; the export scan looks for each.
SOURCE_CREDENTIALS: dict[str, dict[str, str]] = {
    "github": {"personal_access_token": "ghp_ENGINE_github_pat_31c5"},
    "hubspot": {"access_token": "pat-ENGINE-hubspot-44d1"},
    "slack": {"api_token": "xoxb-ENGINE-slack-51e7"},
    "intercom": {"access_token": "ENGINE_intercom_token_62f3"},
    "gong": {"access_key": "ENGINE_gong_key_7a04", "access_key_secret": "ENGINE_gong_sec_8b15"},
    "usergems": {"auth_token": "ENGINE_usergems_hook_9c26"},
    "apollo": {"auth_token": "ENGINE_apollo_hook_ad37"},
    "zenrows": {"auth_token": "ENGINE_zenrows_hook_be48"},
    "apify": {"auth_token": "ENGINE_apify_hook_cf59"},
}
SECRETS: dict[str, Any] = {
    "snowflakePrivateKey": _pem("ENGINE_deployer_pem_d06a"),
    "estuarySourceCredentials": SOURCE_CREDENTIALS,
    "estuaryLoaderPrivateKey": _pem("ENGINE_loader_pem_e17b"),
    "apiSnowflakePrivateKey": _pem("ENGINE_api_pem_f28c"),
    "portkeyApiKey": "ENGINE_portkey_api_key_039d",
}


def secret_plaintexts(*extra: str) -> list[str]:
    """Every secret value the tests set (config and provider credentials)."""
    values = [v for creds in SOURCE_CREDENTIALS.values() for v in creds.values()]
    values += [SECRETS[k] for k in SECRET_KEYS if isinstance(SECRETS[k], str)]
    values += [v.splitlines()[1] for v in values if v.startswith("-----BEGIN")]
    return [*values, *extra]


def workspace_options(
    engine: Engine, root: Path, env: Mapping[str, str] | None
) -> auto.LocalWorkspaceOptions:
    """The Automation API workspace on the layout under `root` (see the module docstring)."""
    return auto.LocalWorkspaceOptions(
        work_dir=str(root / "workspace"),
        pulumi_home=str(root / "home"),
        env_vars=dict(env) if env is not None else None,
        pulumi_command=auto.PulumiCommand(root=str(engine.root)),
        project_settings=auto.ProjectSettings(
            name=PROJECT,
            runtime="python",
            backend=auto.ProjectBackend(url=f"file://{root / 'state'}"),
        ),
        secrets_provider="passphrase",
    )


def synthesized_names(stack: str) -> SnowflakeNames:
    return SnowflakeNames.from_synthesis(synthesize(stack))


@dataclass
class EngineWorkspace:
    engine: Engine
    root: Path
    estuary: FakeControlPlane = field(default_factory=FakeControlPlane)
    portkey: FakePortkeyAdmin = field(default_factory=FakePortkeyAdmin)
    _names: dict[str, SnowflakeNames] = field(default_factory=dict)
    events: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sub in ("state", "home", "workspace", "rendered"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.estuary.start()
        self.portkey.start()

    def close(self) -> None:
        self.estuary.stop()
        self.portkey.stop()

    # --- paths and environment ----------------------------------------------------------------
    @property
    def work_dir(self) -> Path:
        return self.root / "workspace"

    def render_dir(self, stack: str) -> Path:
        return self.root / "rendered" / stack

    def stack_file(self, stack: str) -> Path:
        return self.work_dir / f"Pulumi.{stack}.yaml"

    def env(self, *, refresh: bool = False) -> dict[str, str]:
        """What every CLI run (and so every provider process) gets; `refresh` for refreshes."""
        return {
            **(REFRESH_ENV if refresh else {}),
            **offline_env(self.engine, self.root / "home", PASSPHRASE),
            "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
            **self.estuary.env(),
            "PORTKEY_API_KEY": self.portkey.api_key,
            "PORTKEY_BASE_URL": self.portkey.base_url,
        }

    def provider_credentials(self) -> list[str]:
        """Credentials the providers read from the environment: never in state either."""
        return [self.portkey.api_key, self.estuary.env()["FLOW_AUTH_TOKEN"]]

    # --- the program and the workspace --------------------------------------------------------
    def names_for(self, stack: str) -> SnowflakeNames:
        if stack not in self._names:
            self._names[stack] = synthesized_names(stack)
        return self._names[stack]

    def program(self) -> Callable[[], None]:
        return make_program(self.names_for, self.root / "rendered")

    def options(self, *, refresh: bool = False) -> auto.LocalWorkspaceOptions:
        return workspace_options(self.engine, self.root, self.env(refresh=refresh))

    def init_project(self) -> None:
        """Write Pulumi.yaml into the workspace folder (as creating a stack would)."""
        opts = self.options()
        auto.LocalWorkspace(
            work_dir=opts.work_dir,
            pulumi_home=opts.pulumi_home,
            env_vars=opts.env_vars,
            pulumi_command=opts.pulumi_command,
            project_settings=opts.project_settings,
            secrets_provider=opts.secrets_provider,
        )

    def ops(self) -> AutomationStackOperations:
        """The jobs' StackOperations on this workspace (the inline program); its refresh
        previews run with REFRESH_ENV."""
        return _RenderAwareOps(self)

    def create_stack(self, stack: str, overrides: Mapping[str, Any] | None = None) -> auto.Stack:
        """A new stack whose config is the committed Pulumi.<stack>.yaml (non-secret values,
        with `overrides` applied by short key) plus the test secrets, set with --secret."""
        self.names_for(stack)  # the synth runs before the engine does
        created = auto.create_stack(
            stack, project_name=PROJECT, program=self.program(), opts=self.options()
        )
        committed = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        written = yaml.safe_load(self.stack_file(stack).read_text()) or {}
        config = {k: v for k, v in committed.items() if k.split(":", 1)[-1] not in SECRET_KEYS}
        for key, value in (overrides or {}).items():
            config[f"{PROJECT}:{key}"] = value
        written["config"] = config
        self.stack_file(stack).write_text(yaml.safe_dump(written, sort_keys=False))
        created.set_all_config(
            {
                f"{PROJECT}:{key}": auto.ConfigValue(
                    value if isinstance(value, str) else json.dumps(value), secret=True
                )
                for key, value in SECRETS.items()
            }
        )
        return created

    def select(self, stack: str, *, refresh: bool = False) -> auto.Stack:
        return auto.select_stack(
            stack,
            project_name=PROJECT,
            program=self.program(),
            opts=self.options(refresh=refresh),
        )

    def run(self, label: str, operation: Callable[..., Any], **kwargs: Any) -> tuple[Any, float]:
        """Run one Automation API operation, keeping its engine events under `label`."""
        events: list[Any] = []
        started = time.perf_counter()
        try:
            result = operation(on_event=events.append, color="never", **kwargs)
        finally:
            self.events[label] = events
        return result, time.perf_counter() - started


class _RenderAwareOps(AutomationStackOperations):
    def __init__(self, workspace: EngineWorkspace) -> None:
        super().__init__(
            workspace.work_dir,
            program=workspace.program(),
            project_name=PROJECT,
            workspace_options=workspace.options(),
        )
        self._refreshing = AutomationStackOperations(
            workspace.work_dir,
            program=workspace.program(),
            project_name=PROJECT,
            workspace_options=workspace.options(refresh=True),
        )

    def preview_refresh(self, stack: str) -> list[Any]:
        return self._refreshing.preview_refresh(stack)

"""The program the real-engine tests run: `__main__.py` minus Snowflake, through `wiring`.

It calls the same `wiring` functions as `__main__.py`, on the same `settings.load()` of the
stack's real config. What differs, and why:
- Snowflake names arrive as plain values (`SnowflakeNames`), taken from the offline synth of
  the same stack, i.e. from the real Snowflake components under mocks: the Snowflake provider
  logs in while it is configured, even for a preview, and there is no account here.
- The Kubernetes objects go through an explicit provider that renders YAML into a folder
  (pulumi-kubernetes `renderYamlToDirectory`): no cluster here either. A rendered object has
  no live copy to read back, so refreshes run with PULUMI_K8S_SKIP_UPDATE_UNREACHABLE (see
  `workspace.REFRESH_ENV`).
Exports are the ones `__main__.py` builds for these areas, plus the release record. The SLO
area runs without its Snowflake alert (`wiring.slo(..., snowflake=None)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

import wiring
from components import settings as stack_settings
from components.release import release_record
from jobs.harness import Synthesis


@dataclass(frozen=True)
class SnowflakeNames:
    database: str
    estuary_schema: str
    estuary_warehouse: str
    loader_role: str
    loader_user: str
    api_user: str
    api_role: str
    api_warehouse: str
    search_service: str
    agents_runtime_config: str

    @classmethod
    def from_synthesis(cls, synthesis: Synthesis) -> SnowflakeNames:
        """The names the Snowflake components declare for this stack (the `snowflake` export
        and the API ConfigMap's CORTEX_AGENT, which is built from the Cortex Agent names)."""
        sf = synthesis.outputs["snowflake"]
        (config_map,) = [
            r
            for r in synthesis.by_type("kubernetes:core/v1:ConfigMap")
            if "CORTEX_AGENT" in (r.inputs.get("data") or {})
        ]
        agents = config_map.inputs["data"]["CORTEX_AGENT"]
        json.loads(agents)  # a JSON document, as Cortex.agents_runtime_config makes it
        return cls(
            database=sf["database"],
            estuary_schema=sf["schemas"]["ESTUARY_REALTIME"],
            estuary_warehouse=sf["warehouses"]["ESTUARY_LOAD_WH"],
            loader_role=sf["roles"]["loader"],
            loader_user=sf["serviceUsers"]["estuary"],
            api_user=sf["serviceUsers"]["api"],
            api_role=sf["roles"]["api"],
            api_warehouse=sf["warehouses"]["API_WH"],
            search_service=sf["searchServices"]["SOPHIA_SEARCH"],
            agents_runtime_config=agents,
        )


def make_program(
    names_for: Callable[[str], SnowflakeNames], render_root: Path
) -> Callable[[], None]:
    """An inline program for any stack: names and render folder are chosen by stack name.

    `names_for` must not synthesize while the program runs (the synth installs Pulumi's
    mocks in this process): compute the names before the engine starts."""

    def program() -> None:
        stack = pulumi.get_stack()
        names = names_for(stack)
        settings = stack_settings.load()
        render = k8s.Provider("render", render_yaml_to_directory=str(render_root / stack))
        estuary = wiring.estuary_pipeline(
            settings,
            wiring.EstuaryTarget(
                database=names.database,
                schema=names.estuary_schema,
                warehouse=names.estuary_warehouse,
                role=names.loader_role,
                loader_user=names.loader_user,
            ),
        )
        gateway = wiring.portkey_gateway(settings)
        migration = wiring.migration(settings)
        api = wiring.api_service(
            settings,
            wiring.ApiSnowflake(
                user=names.api_user,
                role=names.api_role,
                warehouse=names.api_warehouse,
                database=names.database,
                search_service=names.search_service,
                agents_runtime_config=names.agents_runtime_config,
            ),
            gateway,
            migration,
            opts=pulumi.ResourceOptions(providers=[render]),
        )
        # The SLO's Kubernetes objects; the Snowflake alert is left out with Snowflake.
        wiring.slo(settings, api, None, opts=pulumi.ResourceOptions(providers=[render]))
        pulumi.export("environment", settings.stack.environment)
        pulumi.export("estuary", wiring.estuary_export(estuary))
        pulumi.export("portkey", wiring.portkey_export(settings, gateway))
        pulumi.export("api", wiring.api_export(api))
        pulumi.export("release", release_record(settings))
        pulumi.export("migration", wiring.migration_export(settings, migration))

    return program

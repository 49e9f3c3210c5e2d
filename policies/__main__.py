"""The CrossGuard pack: `pulumi preview --policy-pack policies --policy-pack-config
policies/config/<stack>.json`. Constructs the pack only; the rules live in `sophia_policies`.

`PolicyPack(...)` starts the analyzer's gRPC server and never returns: never import or run this
file in a test without replacing `PolicyPack`.
"""

import sys
from pathlib import Path

# `python -m policies` by hand. The engine runs this file through `python -m pulumi.policy <engine
# address> <pack dir>` (pulumi SDK pulumi/policy/__main__.py: `runpy.run_path`, no `__spec__`) or
# as `python <pack dir> ...` (pulumi-language-python `RunPlugin`; `__spec__.name == "__main__"`);
# only by hand is it `policies.__main__`, where PolicyPack would wait for an engine forever.
if __spec__ is not None and __spec__.name == "policies.__main__":
    sys.stdout.write(
        "This is the sophia-infra CrossGuard policy pack; the Pulumi engine runs it, it does not "
        "run alone.\n"
        "  with a preview:  pulumi preview --stack <stack> --policy-pack policies "
        "--policy-pack-config policies/config/<stack>.json\n"
        "  offline:         .venv/bin/python -m jobs.synth --stack <stack> --check "
        "(the same rules, no credentials; docs/policies.md)\n"
    )
    raise SystemExit(0)

from pulumi_policy import EnforcementLevel, PolicyPack

if "sophia_policies" not in sys.modules:  # the engine runs this file with the pack dir as cwd
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from sophia_policies import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="sophia-infra guard rails: Snowflake, Kubernetes, Portkey, Estuary, secrets.",
)

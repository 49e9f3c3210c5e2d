"""The CrossGuard pack: `pulumi preview --policy-pack policies --policy-pack-config
policies/config/<stack>.json`. Constructs the pack only; the rules live in `sophia_policies`.

`PolicyPack(...)` starts the analyzer's gRPC server and never returns: never import or run this
file in a test without replacing `PolicyPack`.
"""

import sys
from pathlib import Path

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

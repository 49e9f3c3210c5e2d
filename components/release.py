"""The release record a stack exports and `jobs.promote` moves between stacks.

The image comes from stack config (`sophia-infra:release`); the other fields are versions of what
the repository declares, so a promoted stack can be checked against the release it was promised.
"""

from __future__ import annotations

import hashlib

from components.settings import Settings
from components.settings.portkey_routing import load_price_table


def release_record(settings: Settings) -> dict[str, object]:
    agents = settings.agents
    config = settings.portkey_config_json
    return {
        "apiImage": settings.stack.release.api_image,
        "agentsSpecVersion": f"{agents.version}-{agents.digest}",
        "portkeyConfigHash": hashlib.sha256(config.encode()).hexdigest()[:12],
        "priceTableVersion": load_price_table().version,
    }

"""What goes into the API's ConfigMap: exactly the documented keys, nothing secret."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pulumi

# The non-secret runtime settings the app reads from its environment (docs/kubernetes.md).
RUNTIME_CONFIG_KEYS = (
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_WAREHOUSE",
    "SNOWFLAKE_DATABASE",
    "CORTEX_SEARCH_SERVICE",
    "CORTEX_AGENT",
    "PORTKEY_CONFIG",
    "ESTUARY_PREFIX",
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Name segments that mean "credential" (PORTKEY_CONFIG is fine, PORTKEY_API_KEY is not).
_SECRET_WORDS = frozenset({"KEY", "SECRET", "PASSWORD", "PASSPHRASE", "TOKEN", "CREDENTIALS"})


def check_runtime_config(runtime_config: Mapping[str, Any]) -> None:
    """The ConfigMap gets exactly the documented keys: nothing missing, nothing secret-looking."""
    missing = [key for key in RUNTIME_CONFIG_KEYS if key not in runtime_config]
    if missing:
        raise ValueError(
            f"runtime_config is missing {', '.join(missing)}; "
            f"it needs {', '.join(RUNTIME_CONFIG_KEYS)}"
        )
    for key in runtime_config:
        if not _ENV_NAME.match(key):
            raise ValueError(
                f"runtime_config key {key!r} must be an environment name like 'SNOWFLAKE_ACCOUNT'"
            )
        if _SECRET_WORDS.intersection(key.split("_")):
            raise ValueError(
                f"runtime_config key {key!r} looks like a credential; "
                "credentials go to the Secret, never the ConfigMap"
            )


def refuse_secret(key: str, value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Pass a ConfigMap value through, failing the deployment if it is a Pulumi secret."""
    output = pulumi.Output.from_input(value)

    async def checked() -> pulumi.Output[str]:
        if await output.is_secret():
            raise ValueError(
                f"runtime_config[{key!r}] is a secret; "
                "secrets belong in the Secret, not the ConfigMap"
            )
        return output

    return pulumi.Output.from_input(checked())

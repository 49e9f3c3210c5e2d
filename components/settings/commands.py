"""The exact `pulumi config set` command that fixes a key, for every hint the program prints.

One place, so no hint forgets `--path` (a nested key set without it becomes a top-level key
literally named `a.b`: "--path: The key contains a path to a property in a map or list to set",
`pulumi config set --help`) or `--secret` (a secret key set in
plain text is refused by the CLI: "must be encrypted as it's secret").
"""

from __future__ import annotations

import shlex

from components.settings.credentials import SECRET_KEYS

# Object-valued secret keys: one secret per leaf, so the command names a leaf path.
SECRET_OBJECT_LEAF_HINTS = {"estuarySourceCredentials": "estuarySourceCredentials.<source>.<field>"}


def config_set(path: str, value: str = "<value>", stack: str | None = None) -> str:
    """`pulumi config set [--secret] [--path] '<path>' <value> [--stack S]` for a key path
    such as `portkey.apiKeyId` or `estuarySourceCredentials.github.personal_access_token`.

    A bare object-valued secret key is expanded to its leaf form (`<source>.<field>`)."""
    path = SECRET_OBJECT_LEAF_HINTS.get(path, path)
    top = path.split(".", 1)[0].split("[", 1)[0]
    parts = ["pulumi", "config", "set"]
    if top in SECRET_KEYS:
        parts.append("--secret")
    if path != top:
        parts.append("--path")
    parts.append(_quote(path))
    parts.append(value if value.startswith("<") else shlex.quote(value))
    if stack:
        parts += ["--stack", stack]
    return " ".join(parts)


def _quote(path: str) -> str:
    """Paths are single-quoted whenever they hold more than a plain key (brackets, '<')."""
    return path if path.replace("_", "").isalnum() else f"'{path}'"

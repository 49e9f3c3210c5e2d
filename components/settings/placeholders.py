"""Placeholders: values a stack file holds until its owner sets the real ones.

A placeholder passes every shape check (an all-zero UUID is a UUID), so it is found by kind:

- values: the all-zero UUID or digest, a value that starts with a placeholder word (`REPLACE`,
  `CHANGEME`, `TODO`, ...), a host in a domain reserved for examples (RFC 2606: example.com/net/
  org, `.example`, `.test`, `.invalid`);
- comments: a key whose own line carries an upper-case marker (`# GUESS`, `# PLACEHOLDER`,
  `# TO BE SET`, `# TODO`, `# FIXME`). A full-line comment block does not mark the key below it:
  such blocks also describe keys that are left unset (Pulumi.prod.yaml's network policies),
  and the key that happens to follow (`protect`) is not the one meant;
- secrets: a `secure:` value that is a placeholder word, not ciphertext, and a required secret
  (or an enabled source's credential field) that is not set at all.

Each item is `(key, why, command)`: the key path (`portkey.apiKeyId`), what is wrong, and the
exact `pulumi config set` that fixes it. `python -m jobs.readiness` lists them all; the program
refuses the value and comment kinds when it runs under the real engine (`settings.load`), so no
`preview` or `up` acts on them, while the offline synth (mocks) still shows the stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from components.settings.checks import SOURCE_CREDENTIAL_FIELDS
from components.settings.commands import config_set
from components.settings.credentials import REQUIRED_SECRET_KEYS, SECRET_KEYS, leaves
from components.yaml_files import StrictLoader

PROJECT = "sophia-infra"
Item = tuple[str, str, str]

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_ZERO_DIGEST = re.compile(r"sha256:0{64}\b")
_VALUE_WORD = re.compile(
    r"^(?:REPLACE|PLACEHOLDER|CHANGE[-_ ]?ME|TODO|TBD|FIXME|XXX+)(?![a-z])", re.I
)
# RFC 2606 section 2 (.test, .example, .invalid, .localhost) and 3 (example.com/net/org).
_RESERVED_HOST = re.compile(
    r"(?:^|[/@.])(?:example\.(?:com|net|org)|[a-z0-9-]+\.(?:example|test|invalid))(?=$|[/:])",
    re.I,
)
_COMMENT_MARKER = re.compile(r"\b(GUESS|PLACEHOLDERS?|TO BE SET|TODO|FIXME)\b")


def value_why(value: Any) -> str | None:
    """Why a non-secret value is a placeholder, or None."""
    if not isinstance(value, str):
        return None
    if value.strip() == ZERO_UUID:
        return "the all-zero UUID is a placeholder, not an id"
    if _ZERO_DIGEST.search(value):
        return "an all-zero sha256 digest is a placeholder, not an image"
    if _VALUE_WORD.match(value.strip()):
        return f"{value.strip()[:40]!r} is a placeholder word, not a value"
    if _RESERVED_HOST.search(value.strip()):
        return "names a domain reserved for examples (RFC 2606), not a real host"
    return None


def value_items(stack: str, config: Mapping[str, Any]) -> list[Item]:
    """Placeholder values in the non-secret keys (`config`: short keys, raw values)."""
    items = []
    for key, value in config.items():
        if key in SECRET_KEYS:
            continue
        for path, leaf in leaves(value):
            where = f"{key}.{path}" if path else key
            why = value_why(leaf)
            if why is not None:
                items.append((where, why, config_set(where, stack=stack)))
    return items


_UNSEEN = object()


def comment_items(stack: str, text: str, config: Mapping[str, Any] | None = None) -> list[Item]:
    """Keys the stack file marks as guesses or placeholders in a comment.

    With `config` (the values the program was given, by short key), a marker counts only while
    the key still holds the value on its line: once the owner sets another value (`pulumi config
    set` may keep the comment) or a test stack overrides it, the guess is no longer there."""
    paths = _key_lines(text)
    if not paths:
        return []
    items = []
    for number, line in enumerate(text.splitlines()):
        path = paths.get(number)
        comment = _comment(line) if path is not None else None
        if comment is None or not _COMMENT_MARKER.search(comment):
            continue
        note = comment
        node_value = _value_at(text, path)
        if config is not None and _config_value(config, path) not in (node_value, _UNSEEN):
            continue
        target = f"{path}[0]" if isinstance(node_value, list) else path
        why = f"marked in Pulumi.{stack}.yaml: {_shorten(note.strip())}"
        if isinstance(node_value, list):
            why += " (one command per item: [0], [1], ...)"
        # The marker is the owner's word that the value is not final: it goes when they set it.
        why += "; set it, then delete the marker comment"
        items.append((path, why, config_set(target, stack=stack)))
    return items


def secret_items(stack: str, config: Mapping[str, Any]) -> list[Item]:
    """Secrets not set: missing, placeholder `secure:` values, missing source credentials."""
    items = []
    for key in REQUIRED_SECRET_KEYS:
        if key not in config:
            items.append((key, "not set (required)", config_set(key, stack=stack)))
    for key in SECRET_KEYS:
        for path, leaf in leaves(config.get(key)) if key in config else ():
            where = f"{key}.{path}" if path else key
            text = leaf.get("secure") if isinstance(leaf, Mapping) else None
            if isinstance(leaf, Mapping) and (
                not isinstance(text, str) or not text.strip() or _VALUE_WORD.match(text.strip())
            ):
                items.append(
                    (
                        where,
                        "the `secure:` value is a placeholder, not ciphertext",
                        config_set(where, stack=stack),
                    )
                )
    credentials = config.get("estuarySourceCredentials")
    credentials = credentials if isinstance(credentials, Mapping) else {}
    for source, fields in SOURCE_CREDENTIAL_FIELDS.items():
        if not _enabled(config.get("estuary"), source):
            continue
        given = credentials.get(source)
        for field in fields:
            if not isinstance(given, Mapping) or field not in given:
                where = f"estuarySourceCredentials.{source}.{field}"
                items.append(
                    (
                        where,
                        f"estuary.sources.{source} is enabled and needs it",
                        config_set(where, stack=stack),
                    )
                )
    return items


def load_problems(
    stack: str, raw: Mapping[str, Any], project_dir: Path, offline: bool
) -> tuple[list[str], str | None]:
    """For `settings.load`: (problems, warning). The value and comment kinds are refused unless
    `offline` (mocks: nothing real can act on them), when one warning names the checklist. The
    secret kinds are not: the CLI cannot decrypt a placeholder `secure:` value and stops first."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    try:
        text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        text = ""  # reported by checks.file_problems
    items = unique(value_items(stack, raw) + comment_items(stack, text, raw))
    if not items:
        return [], None
    checklist = f"python -m jobs.readiness --stack {stack}"
    if offline:
        keys = ", ".join(key for key, _, _ in items)
        return [], (
            f"stack {stack} holds {len(items)} placeholder value(s) ({keys}); a real preview or "
            f"up refuses them; the checklist: {checklist}"
        )
    return [
        f"{PROJECT}:{key}: {why}; set it with `{command}` (every item: `{checklist}`)"
        for key, why, command in items
    ], None


def unique(items: list[Item]) -> list[Item]:
    """One item per key (the first: area providers come before the generic ones)."""
    seen: set[str] = set()
    kept = []
    for key, why, command in items:
        short = key.removeprefix(f"{PROJECT}:")
        if short not in seen:
            seen.add(short)
            kept.append((short, why, command))
    return kept


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit)] + " ..."


def _enabled(estuary: Any, source: str) -> bool:
    sources = estuary.get("sources") if isinstance(estuary, Mapping) else None
    entry = sources.get(source) if isinstance(sources, Mapping) else None
    return isinstance(entry, Mapping) and entry.get("enabled") is True


def _comment(line: str) -> str | None:
    """The comment of a YAML line ('#' at the start or after a blank, outside quotes)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[index + 1 :]
    return None


def _key_lines(text: str) -> dict[int, str]:
    """Line number (0-based) -> config key path of the first key or list item on that line."""
    try:
        root = yaml.compose(text, Loader=StrictLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    found: dict[int, str] = {}
    for key, value in root.value:
        if key.value == "config" and isinstance(value, yaml.MappingNode):
            for name, node in value.value:
                path = str(name.value).removeprefix(f"{PROJECT}:")
                found.setdefault(name.start_mark.line, path)
                _walk(node, path, found)
    return found


def _walk(node: yaml.Node, path: str, found: dict[int, str]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}"
            found.setdefault(key.start_mark.line, child)
            _walk(value, child, found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            found.setdefault(item.start_mark.line, child)
            _walk(item, child, found)


def _config_value(config: Mapping[str, Any], path: str) -> Any:
    """The value at `path` (short key, then dotted steps) in `config`, or _UNSEEN."""
    top, _, rest = path.partition(".")
    node: Any = config.get(top, _UNSEEN)
    for step in _steps(rest):
        if (isinstance(step, int) and isinstance(node, list) and step < len(node)) or (
            isinstance(node, Mapping) and step in node
        ):
            node = node[step]
        else:
            return _UNSEEN
    return node


def _value_at(text: str, path: str) -> Any:
    try:
        doc = yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError:
        return None
    config = doc.get("config") if isinstance(doc, Mapping) else None
    if not isinstance(config, Mapping):
        return None
    top, _, rest = path.partition(".")
    node = config.get(f"{PROJECT}:{top}", config.get(top))
    for step in _steps(rest):
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(node, Mapping):
            node = node.get(step)
        else:
            return None
    return node


def _steps(path: str) -> Iterator[str | int]:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        yield int(part[1:-1]) if part.startswith("[") else part

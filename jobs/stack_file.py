"""Targeted edit of `Pulumi.<stack>.yaml`: set the `sophia-infra:release` config object.

Everything else in the file stays byte-for-byte: comments, key order, quoting, line endings,
`secure:` ciphertexts, `encryptionsalt`/`secretsprovider`. A round-trip YAML library would
re-render the whole file, so this edits only the lines of the one key, then proves with a
YAML parse that nothing but that key changed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

RELEASE_KEY = "sophia-infra:release"
COMMENT_MARKER = "# release promoted by jobs.promote"

_CONFIG_LINE = re.compile(r"^config:[ \t]*(#.*)?$")
_KEY_LINE = re.compile(r"^(?P<indent>[ ]*)(?P<q>[\"']?)sophia-infra:release(?P=q):(?P<rest>.*)$")
_PLAIN_SCALAR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+\-]*")


def file_diff(name: str, old_text: str, new_text: str) -> str:
    """A unified diff of one stack file's edit, as a pull request shows it."""
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )


class StackFileError(ValueError):
    """The stack file has a shape this targeted edit does not handle safely."""


def set_release(text: str, release_config: Mapping[str, Any], comment: str | None = None) -> str:
    """Return `text` with `config: sophia-infra:release:` set to `release_config` (and a one-line
    marker comment above it); every other byte unchanged."""
    if not release_config:
        raise StackFileError("the release config is empty; expected at least apiImage")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline  # a final newline keeps the appended block on its own lines

    config_at = next(
        (i for i, line in enumerate(lines) if _CONFIG_LINE.match(line.rstrip("\r\n"))), None
    )
    if config_at is None:
        if any(line.startswith("config:") for line in lines):
            raise StackFileError(
                "the top-level config is written inline (flow style); expected a block mapping"
            )
        block = _render_block(2, release_config, comment, newline)
        new_lines = [*lines, f"config:{newline}", *block]
        return _verified(text, "".join(new_lines), release_config)

    end = _block_end(lines, config_at)
    child_indent = next(
        (_indent(line) for line in lines[config_at + 1 : end] if _is_content(line)),
        2,
    )
    key_at = None
    for i in range(config_at + 1, end):
        match = _KEY_LINE.match(lines[i].rstrip("\r\n"))
        if match and len(match.group("indent")) == child_indent:
            key_at = i
            break

    block = _render_block(child_indent, release_config, comment, newline)
    if key_at is None:
        insert_at = end
        # Trailing blank lines and column-0 comments belong to what follows the block.
        while insert_at > config_at + 1 and (
            not lines[insert_at - 1].strip() or lines[insert_at - 1].startswith("#")
        ):
            insert_at -= 1
        new_lines = lines[:insert_at] + block + lines[insert_at:]
    else:
        start = key_at
        if start > config_at + 1 and lines[start - 1].strip().startswith(COMMENT_MARKER):
            start -= 1  # replace our own previous marker comment
        stop = key_at + 1
        while stop < end and (not lines[stop].strip() or _indent(lines[stop]) > child_indent):
            stop += 1
        while stop > key_at + 1 and not lines[stop - 1].strip():
            stop -= 1
        new_lines = lines[:start] + block + lines[stop:]
    return _verified(text, "".join(new_lines), release_config)


def _render_block(
    indent: int, release_config: Mapping[str, Any], comment: str | None, newline: str
) -> list[str]:
    pad = " " * indent
    step = " " * (indent or 2)
    block = []
    if comment:
        one_line = " ".join(comment.split())
        block.append(f"{pad}{COMMENT_MARKER} {one_line}{newline}")
    block.append(f"{pad}{RELEASE_KEY}:{newline}")
    for key, value in release_config.items():
        block.append(f"{pad}{step}{key}: {_scalar(value)}{newline}")
    return block


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        if _PLAIN_SCALAR.fullmatch(value) and yaml.safe_load(value) == value:
            return value
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    raise StackFileError(f"release config values must be scalars, got {type(value).__name__}")


def _block_end(lines: list[str], config_at: int) -> int:
    """Index just past the `config:` block: the next top-level key."""
    for i in range(config_at + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line[0].isspace() and not line.startswith("#"):
            return i
    return len(lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _verified(old_text: str, new_text: str, release_config: Mapping[str, Any]) -> str:
    try:
        old = yaml.safe_load(old_text) or {}
        new = yaml.safe_load(new_text) or {}
    except yaml.YAMLError as err:
        raise StackFileError(f"the stack file is not valid YAML after the edit: {err}") from None
    old_config = dict(old.get("config") or {})
    new_config = dict(new.get("config") or {})
    got = new_config.pop(RELEASE_KEY, None)
    old_config.pop(RELEASE_KEY, None)
    if got != dict(release_config):
        raise StackFileError(
            f"{RELEASE_KEY} reads back as {got!r}, expected {dict(release_config)!r}"
        )
    old_rest = {k: v for k, v in old.items() if k != "config"}
    new_rest = {k: v for k, v in new.items() if k != "config"}
    if old_config != new_config or old_rest != new_rest:
        raise StackFileError("the edit changed keys other than the release; refusing to write it")
    return new_text


MIGRATION_KEY = "sophia-infra:migration"


def set_migration_row(text: str, row: str, value: Mapping[str, Any]) -> str:
    """Return `text` with `config: sophia-infra:migration: components: <row>:` set to `value`,
    written as one flow-style line (as the committed files write each row), every other byte
    unchanged; the block must exist (the committed stack files all declare it)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    config_at = next(
        (i for i, line in enumerate(lines) if _CONFIG_LINE.match(line.rstrip("\r\n"))), None
    )
    if config_at is None:
        raise StackFileError("no block-style `config:` mapping in the stack file")
    key_at, key_end = _child(lines, config_at, _block_end(lines, config_at), MIGRATION_KEY)
    if key_at is None:
        raise StackFileError(f"no `{MIGRATION_KEY}:` block (add one like the other stack files)")
    components_at, components_end = _child(lines, key_at, key_end, "components")
    if components_at is None:
        raise StackFileError(f"`{MIGRATION_KEY}` has no block-style `components:` mapping")
    row_at, row_end = _child(lines, components_at, components_end, row)
    flow = yaml.safe_dump(dict(value), default_flow_style=True, sort_keys=False, width=10**6)
    if row_at is None:
        indent = next(
            (
                _indent(line)
                for line in lines[components_at + 1 : components_end]
                if _is_content(line)
            ),
            _indent(lines[components_at]) + 2,
        )
        insert_at = components_end
        while insert_at > components_at + 1 and not lines[insert_at - 1].strip():
            insert_at -= 1
        new_lines = [*lines[:insert_at], f"{' ' * indent}{row}: {flow.strip()}{newline}",
                     *lines[insert_at:]]  # fmt: skip
    else:
        pad = " " * _indent(lines[row_at])
        new_lines = [*lines[:row_at], f"{pad}{row}: {flow.strip()}{newline}", *lines[row_end:]]
    new_text = "".join(new_lines)
    _verified_row(text, new_text, row, value)
    return new_text


def _child(lines: list[str], parent_at: int, parent_end: int, key: str) -> tuple[int | None, int]:
    """The line of `key:` directly under the mapping at `parent_at`, and the end of its block."""
    indent = next(
        (_indent(line) for line in lines[parent_at + 1 : parent_end] if _is_content(line)), None
    )
    if indent is None or indent <= _indent(lines[parent_at]):
        return None, parent_end
    pattern = re.compile(rf"^ {{{indent}}}([\"']?){re.escape(key)}\1:(\s|$)")
    for i in range(parent_at + 1, parent_end):
        if pattern.match(lines[i]):
            end = i + 1
            while end < parent_end and (not lines[end].strip() or _indent(lines[end]) > indent):
                end += 1
            while end > i + 1 and not lines[end - 1].strip():
                end -= 1
            return i, end
    return None, parent_end


def _verified_row(old_text: str, new_text: str, row: str, value: Mapping[str, Any]) -> None:
    try:
        old = yaml.safe_load(old_text) or {}
        new = yaml.safe_load(new_text) or {}
    except yaml.YAMLError as err:
        raise StackFileError(f"the stack file is not valid YAML after the edit: {err}") from None
    got = new["config"][MIGRATION_KEY]["components"].pop(row, None)
    old["config"][MIGRATION_KEY]["components"].pop(row, None)
    if got != dict(value):
        raise StackFileError(f"migration row {row} reads back as {got!r}, expected {dict(value)!r}")
    if old != new:
        raise StackFileError(
            f"the edit changed more than migration row {row}; refusing to write it"
        )

"""What a stack's owner must still set before the first real `pulumi up`: one checklist.

    python -m jobs.readiness --stack prod                    # a checklist, one command per item
    python -m jobs.readiness --stack prod --format markdown  # for a pull-request comment
    python -m jobs.readiness --stack prod --format json      # for tools

Exit codes: 0 nothing left to set, 1 items listed, 2 the stack file cannot be read.

Reads only the stack file (no credentials, no synthesis): placeholders by kind
(components/settings/placeholders.py) and what each area knows of its own placeholders. An area
plugs in with one line in `PROVIDERS`: a function from `StackInput` to `(key, why, command)`
items. docs/readiness.md says which jobs fail on an unfinished stack and which only report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.settings import placeholders
from components.settings.snowflake_readiness import snowflake_readiness
from components.yaml_files import YamlFileError, load_yaml_file

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "sophia-infra"
EXIT_READY, EXIT_NOT_READY, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True)
class StackInput:
    stack: str
    environment: str | None
    config: Mapping[str, Any]
    """The stack file's config with short keys (`portkey`, not `sophia-infra:portkey`)."""
    text: str
    """The stack file as written (comments included)."""


Provider = Callable[[StackInput], list[placeholders.Item]]

# Area providers first: their commands are the most exact, and one item per key is kept. An area
# adds one line at the top.
PROVIDERS: tuple[Provider, ...] = (
    lambda s: snowflake_readiness(s.stack, s.environment or "", s.config.get("snowflake")),
    lambda s: placeholders.value_items(s.stack, s.config),
    lambda s: placeholders.comment_items(s.stack, s.text),
    lambda s: placeholders.secret_items(s.stack, s.config),
)


class ReadinessError(Exception):
    """The stack file is missing or unreadable."""


def read_stack(stack: str, root: Path = REPO_ROOT) -> StackInput:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise ReadinessError(f"no stack file {path}; known stacks: {', '.join(known) or 'none'}")
    try:
        doc = load_yaml_file(path)
        text = path.read_text(encoding="utf-8-sig")
    except (YamlFileError, OSError, UnicodeDecodeError) as error:
        raise ReadinessError(str(error)) from None
    config = doc.get("config") if isinstance(doc, Mapping) else None
    if not isinstance(config, Mapping):
        raise ReadinessError(f"{path.name}: has no `config:` mapping")
    short = {str(k).removeprefix(f"{PROJECT}:"): v for k, v in config.items()}
    environment = short.get("environment")
    return StackInput(stack, environment if isinstance(environment, str) else None, short, text)


def readiness(
    stack: StackInput, providers: Sequence[Provider] = PROVIDERS
) -> list[placeholders.Item]:
    found: list[placeholders.Item] = []
    for provider in providers:
        found.extend(provider(stack))
    return placeholders.unique(found)


def render(stack: str, items: Sequence[placeholders.Item], form: str) -> str:
    if form == "json":
        return json.dumps(
            {
                "stack": stack,
                "ready": not items,
                "items": [{"key": k, "why": w, "command": c} for k, w, c in items],
            },
            indent=2,
        )
    if form == "markdown":
        if not items:
            return f"**Stack `{stack}`: ready** (nothing left to set before `pulumi up`)"
        lines = [f"**Stack `{stack}`: {len(items)} item(s) to set before the first `pulumi up`**"]
        lines.append("")
        lines += [f"- [ ] `{key}`: {why}<br>`{command}`" for key, why, command in items]
        return "\n".join(lines)
    if not items:
        return f"Stack {stack}: ready; nothing left to set before `pulumi up`."
    lines = [f"Stack {stack}: {len(items)} item(s) to set before the first `pulumi up`:"]
    for key, why, command in items:
        lines += [f"  [ ] {key}: {why}", f"      {command}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.readiness", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    try:
        stack = read_stack(args.stack, args.project_dir)
    except ReadinessError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    items = readiness(stack)
    print(render(args.stack, items, args.format))
    return EXIT_NOT_READY if items else EXIT_READY


if __name__ == "__main__":
    sys.exit(main())

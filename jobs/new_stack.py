"""Start a stack from another: its shape, with every stack-owned name changed.

    python -m jobs.new_stack qa --from dev         # Pulumi.qa.yaml and policies/config/qa.json
    python -m jobs.new_stack perf --from prod --environment staging

Writes `Pulumi.<NAME>.yaml` (the source file, comments and order kept, only these values
edited) and `policies/config/<NAME>.json` (the source's thresholds), then lists what must exist
outside the repository and what the owner must still set. Names outside the stack's state are
the ones `components/settings/identity.py` says must carry the stack:

- the Estuary catalog prefix (`sophia/dev/` -> `sophia/qa/`);
- the Portkey config, usage-limit and workspace names and provider slugs (the stack as a word);
- the Kubernetes namespace and host (`api.dev.sophia.ai` -> `api.qa.sophia.ai`; from prod, the
  stack is inserted as the second label);
- Snowflake names need no edit: they derive from the stack name (`_QA`);
- `secure:` values become placeholders (ciphertext is bound to the source stack's secrets
  provider), and the source's `encryptionsalt`/`secretsprovider`/`encryptedkey` are dropped so
  `pulumi stack init` writes the new stack's own;
- `argoRollouts.install` becomes false when another stack already installs the controller on the
  same cluster (jobs/k8s_clusters.py: one controller per cluster).

Exit codes: 0 written, 2 refused (the message says why; nothing is written).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.settings.identity import PROD_ENVIRONMENT, PROD_STACK, STACK_NAME
from components.yaml_files import StrictLoader, YamlFileError, load_yaml_file
from jobs.harness import REPO_ROOT
from jobs.k8s_clusters import controller_installs

PROJECT = "sophia-infra"
ENVIRONMENTS = ("dev", "staging", "prod")
SECRETS_KEYS = ("encryptionsalt", "secretsprovider", "encryptedkey")
PLACEHOLDER = "REPLACE-WITH-pulumi-config-set--secret"
EXIT_OK, EXIT_REFUSED = 0, 2


class NewStackError(Exception):
    """The new stack cannot be written as asked; nothing was written."""


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    what: str  # the key path, for the report ('' for removals)
    old: str
    new: str


def word(text: str, old: str, new: str) -> str:
    """`old` as a word (between non-alphanumerics) replaced by `new`."""
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])", new, text)


def new_host(host: str, old: str, new: str) -> str:
    if old == PROD_STACK and not re.search(rf"(^|\.){old}(\.|$)", host):
        first, _, rest = host.partition(".")
        return f"{first}.{new}.{rest}" if rest else f"{new}.{first}"
    return word(host, old, new)


def new_prefix(prefix: str, old: str, new: str) -> str:
    if prefix == f"{old}/" or prefix.endswith(f"/{old}/"):
        return prefix[: -len(old) - 1] + f"{new}/"
    return prefix + f"{new}/"


def plan(
    text: str,
    source: str,
    name: str,
    environment: str,
    other_installs: set[str],
    source_environment: str | None = None,
) -> list[Edit]:
    """The edits that turn the source stack file into the new one (value spans by YAML marks)."""
    try:
        root = yaml.compose(text, Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise NewStackError(f"Pulumi.{source}.yaml is not valid YAML: {error}") from None
    if not isinstance(root, yaml.MappingNode):
        raise NewStackError(f"Pulumi.{source}.yaml must be a mapping with `config:`")
    edits: list[Edit] = []
    config = None
    for key, value in root.value:
        if key.value in SECRETS_KEYS:
            end = text.find("\n", value.end_mark.index)
            end = len(text) if end < 0 else end + 1
            edits.append(Edit(key.start_mark.index, end, "", "", key.value, ""))
        elif key.value == "config" and isinstance(value, yaml.MappingNode):
            config = value
    if config is None:
        raise NewStackError(f"Pulumi.{source}.yaml has no `config:` mapping")
    for path, node in _scalars(config):
        new = _new_value(path, node, source, name, environment, other_installs)
        if re.fullmatch(r"portkey\.usageLimit\.conditions\[\d+\]\.value", path):
            # a usage limit counts the metadata the API sends (`metadata.environment`): the stage
            new = environment if node.value == source_environment else None
        if new is not None and new != node.value:
            edits.append(_replace(text, node, path, new))
    return edits


def _new_value(
    path: str, node: yaml.ScalarNode, old: str, new: str, environment: str, installs: set[str]
) -> str | None:
    value = node.value
    if path.endswith(".secure"):
        return PLACEHOLDER + ("--path" if path.count(".") > 1 else "")
    rules = {
        "environment": lambda: environment,
        "estuary.tenantPrefix": lambda: new_prefix(value, old, new),
        "portkey.configName": lambda: word(value, old, new),
        "portkey.usageLimit.name": lambda: word(value, old, new),
        "portkey.workspaceId": lambda: word(value, old, new),
        "kubernetes.namespace": lambda: word(value, old, new),
        "kubernetes.host": lambda: new_host(value, old, new),
        "kubernetes.argoRollouts.install": lambda: "false" if installs else value,
    }
    if path in rules:
        return rules[path]()
    if re.fullmatch(r"portkey\.targets\[\d+\]\.provider", path):
        return word(value, old, new)
    return None


def _scalars(node: yaml.Node, path: str = "") -> Iterator[tuple[str, yaml.ScalarNode]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value).removeprefix(f"{PROJECT}:") if not path else str(key.value)
            yield from _scalars(value, f"{path}.{name}" if path else name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _scalars(item, f"{path}[{index}]")
    elif isinstance(node, yaml.ScalarNode):
        yield path, node


def _replace(text: str, node: yaml.ScalarNode, path: str, new: str) -> Edit:
    start, end = node.start_mark.index, node.end_mark.index
    quote = text[start] if text[start] in "'\"" else None
    if quote == "'":
        rendered = "'" + new.replace("'", "''") + "'"
    elif quote == '"' or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", new):
        rendered = json.dumps(new)
    else:
        rendered = new
    return Edit(start, end, rendered, path, node.value, new)


def apply(text: str, edits: Sequence[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def header(text: str, source: str, name: str) -> str:
    """The leading comment block names the stack; say the new one and where it came from."""
    lines = text.splitlines(keepends=True)
    count = 0
    while count < len(lines) and lines[count].startswith("#"):
        lines[count] = word(lines[count], source, name)
        count += 1
    return "".join(lines)


def new_stack(
    name: str, source: str, environment: str | None = None, root: Path = REPO_ROOT
) -> tuple[list[Edit], list[str]]:
    """Write the stack file and its policy config; return the edits and the next steps."""
    if not STACK_NAME.match(name):
        raise NewStackError(
            f"stack name {name!r}: allowed: a lower-case letter then lower-case letters or "
            "digits, at most 16 characters (components/settings/identity.py)"
        )
    source_file, target_file = root / f"Pulumi.{source}.yaml", root / f"Pulumi.{name}.yaml"
    policy_dir = root / "policies" / "config"
    source_policy, target_policy = policy_dir / f"{source}.json", policy_dir / f"{name}.json"
    if not source_file.is_file():
        raise NewStackError(f"no stack file {source_file}")
    for existing in (target_file, target_policy):
        if existing.exists():
            raise NewStackError(f"{existing} exists; remove it first or pick another name")
    if not source_policy.is_file():
        raise NewStackError(f"no policy config {source_policy} to start from")
    try:
        doc = load_yaml_file(source_file)
    except YamlFileError as error:
        raise NewStackError(str(error)) from None
    config = doc.get("config") if isinstance(doc, dict) else None
    config = config if isinstance(config, dict) else {}
    source_environment = config.get(f"{PROJECT}:environment")
    source_environment = source_environment if isinstance(source_environment, str) else None
    environment = environment or source_environment
    if environment not in ENVIRONMENTS:
        raise NewStackError(f"--environment must be one of {', '.join(ENVIRONMENTS)}")
    if environment == PROD_ENVIRONMENT and name != PROD_STACK:
        raise NewStackError(
            f"only stack prod may be environment prod; give --environment staging or dev for "
            f"{name!r} (it keeps {source}'s shape, with that stage's rules)"
        )
    kubernetes = config.get(f"{PROJECT}:kubernetes") or {}
    cluster = kubernetes.get("cluster") if isinstance(kubernetes, dict) else None
    installs = set(controller_installs(root).get(cluster, [])) - {name} if cluster else set()

    text = source_file.read_text(encoding="utf-8")
    edits = plan(text, source, name, environment, installs, source_environment)
    new_text = header(apply(text, edits), source, name)
    target_file.write_text(new_text, encoding="utf-8")
    shutil.copyfile(source_policy, target_policy)
    return edits, _next_steps(edits, installs, cluster)


def _next_steps(edits: Sequence[Edit], installs: set[str], cluster: str | None) -> list[str]:
    outside = [
        e for e in edits if e.what and not e.what.endswith(".secure") and e.what != "environment"
    ]
    steps = []
    for e in outside:
        why = ""
        if e.what == "kubernetes.argoRollouts.install":
            why = f" ({', '.join(sorted(installs))} installs the controller on cluster {cluster})"
        steps.append(f"{e.what}: {e.old} -> {e.new}{why}")
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.new_stack", description=__doc__.split("\n")[0]
    )
    parser.add_argument("name", help="the new stack's name (lower-case letters and digits)")
    parser.add_argument("--from", dest="source", required=True, help="the stack to copy")
    parser.add_argument(
        "--environment", choices=ENVIRONMENTS, help="the new stack's stage (default: the source's)"
    )
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    try:
        _, changed = new_stack(args.name, args.source, args.environment, args.project_dir)
    except NewStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    name = args.name
    print(f"wrote Pulumi.{name}.yaml (from {args.source}) and policies/config/{name}.json")
    print("Changed (each name must exist, or be created, outside this repository):")
    print("\n".join(f"  {line}" for line in changed) or "  (none)")
    print(
        "Next:\n"
        f"  pulumi stack init {name}                       # the state and its secrets provider\n"
        f"  python -m jobs.readiness --stack {name}         # every secret and placeholder to set\n"
        f"  python -m jobs.synth --stack {name} --check     # passes before any secret is set\n"
        f"  python -m jobs.synth --stack {name} --diff {args.source}\n"
        f"  add {name!r} to tests/conftest.py::STACKS and to the workflows' stack matrices"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

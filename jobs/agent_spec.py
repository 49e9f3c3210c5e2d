"""Does an agent's declared specification round-trip what Snowflake stores? (review F6)

    python -m jobs.agent_spec --stack dev --agent SNOWFLAKE_OPS_AGENT --described agent_spec.txt

`--described` is the `agent_spec` column of `DESCRIBE AGENT <db>.CORTEX_VECTORS.<agent>` saved to a
file (Snowflake docs, DESCRIBE AGENT: "Complete JSON specification of the agent"; older copies of
the page say YAML, so both are read). The declared side is the `specification` the stack's synth
gives the agent's CortexAgent resource.

Two verdicts:
- the provider's: terraform-provider-snowflake compares the two as canonical JSON after a YAML
  parse (pkg/sdk/cortex_agents_ext.go NormalizeCortexAgentSpecification, used as the
  specification's DiffSuppressFunc in pkg/resources/cortex_agent.go). Any difference, even a
  default Snowflake adds, is a diff on every preview and an ALTER AGENT on every `up`;
- the meaning: the same comparison after normalising what Snowflake may change without changing
  the agent: JSON and YAML alike; a cortex_search resource's `name` read as `search_service` (the
  CREATE AGENT page's SQL example writes `name`, the REST ToolResource schema `search_service`);
  a number written as a string ("5") equal to the number (GUESS); null or empty values equal to
  absent ones (GUESS). What remains is reported as missing (declared, not stored), changed, or
  added (stored, not declared: Snowflake's defaults).

No Snowflake account is reachable from this repository: the comparison is tested on written
inputs, and what a real DESCRIBE AGENT returns is still unverified (docs/snowflake.md).

Exit codes: 0 the provider sees no difference; 1 it would (perpetual diff); 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

AGENT_TYPE = "snowflake:index/cortexAgent:CortexAgent"


def parse(text: str) -> dict[str, Any]:
    """JSON or YAML text to a mapping (JSON is YAML; safe_load either way)."""
    value = yaml.safe_load(text) if text.strip() else {}
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("a specification must be a mapping")
    return value


def provider_canonical(spec: Mapping[str, Any]) -> str:
    """What the provider compares: sorted-key JSON of the parsed YAML."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def normalise(spec: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(spec, Mapping):
        out = {}
        for key, value in spec.items():
            key = str(key)
            if len(path) == 2 and path[0] == "tool_resources" and key == "name":
                key = "search_service"  # CREATE AGENT SQL example vs REST ToolResource schema
            value = normalise(value, (*path, key))
            if value in (None, {}, []):
                continue
            out[key] = value
        return out
    if isinstance(spec, list):
        return [normalise(item, path) for item in spec]
    return _number(spec)


@dataclass
class Comparison:
    provider_diff: bool
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def same_meaning(self) -> bool:
        return not (self.missing or self.changed or self.added)


def _walk(declared: Any, stored: Any, path: str, result: Comparison) -> None:
    if isinstance(declared, dict) and isinstance(stored, dict):
        for key in declared:
            where = f"{path}.{key}" if path else key
            if key not in stored:
                result.missing.append(where)
            else:
                _walk(declared[key], stored[key], where, result)
        result.added.extend(f"{path}.{k}" if path else k for k in stored if k not in declared)
    elif isinstance(declared, list) and isinstance(stored, list) and len(declared) == len(stored):
        for index, (a, b) in enumerate(zip(declared, stored, strict=True)):
            _walk(a, b, f"{path}[{index}]", result)
    elif declared != stored:
        result.changed.append(f"{path}: declared {declared!r}, stored {stored!r}")


def compare(declared_text: str, stored_text: str) -> Comparison:
    declared, stored = parse(declared_text), parse(stored_text)
    result = Comparison(provider_canonical(declared) != provider_canonical(stored))
    _walk(normalise(declared), normalise(stored), "", result)
    return result


def render(agent: str, result: Comparison) -> str:
    lines = [f"agent {agent}:"]
    lines += [f"  missing (declared, not stored): {p}" for p in result.missing]
    lines += [f"  changed: {p}" for p in result.changed]
    lines += [f"  added by Snowflake (stored, not declared): {p}" for p in result.added]
    if result.same_meaning:
        lines.append("  same meaning after normalisation")
    lines.append(
        "  provider: DIFFERS: every preview shows a diff and every up sends ALTER AGENT ... "
        "SET SPECIFICATION; declare what Snowflake stores (docs/snowflake.md)"
        if result.provider_diff
        else "  provider: no difference (canonical JSON equal)"
    )
    return "\n".join(lines) + "\n"


def declared_specification(stack: str, agent: str) -> str:
    from jobs.harness import synthesize  # the synth is only needed by the CLI

    for resource in synthesize(stack).by_type(AGENT_TYPE):
        if resource.inputs.get("name") == agent:
            return str(resource.inputs["specification"])
    raise ValueError(f"stack {stack} declares no agent {agent}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.agent_spec",
        description="Compare an agent's declared specification with DESCRIBE AGENT's agent_spec.",
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--agent", required=True, help="agent name, e.g. SNOWFLAKE_OPS_AGENT")
    parser.add_argument("--described", required=True, type=Path, help="agent_spec saved to a file")
    args = parser.parse_args(argv)
    try:
        stored = args.described.read_text(encoding="utf-8")
        result = compare(declared_specification(args.stack, args.agent), stored)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"agent_spec: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(args.agent, result))
    return 1 if result.provider_diff else 0


if __name__ == "__main__":
    from jobs.harness import exit_without_final_collection

    exit_without_final_collection(main())

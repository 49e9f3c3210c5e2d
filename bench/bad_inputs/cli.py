# ruff: noqa: E501 - a table of cases reads better one case per line
"""Cases for CLI misuse: flags of jobs.synth and jobs.cost that do not go together or
point nowhere."""

from __future__ import annotations

from bench.bad_inputs.case import Case


def cli_cases() -> list[Case]:
    found: list[Case] = []

    # CLI misuse
    for name, args, tool in (
        ("--json to a missing directory", ["--json", "{dir}/no/such/dir/out.json"], "synth"),
        ("--json to a directory", ["--json", "{dir}"], "synth"),
        ("--project-dir missing", ["--project-dir", "{dir}/nope"], "synth"),
        ("--raw without --diff", ["--raw"], "synth"),
        ("--check with --cost", ["--check", "--cost"], "synth"),
        ("--check with --diff", ["--check", "--diff", "prod"], "synth"),
        ("--diff unknown stack", ["--diff", "nope"], "synth"),
        ("--diff itself", ["--diff", "dev"], "synth"),
        ("--json with --check ignored? (both run)", ["--check", "--json", "{dir}/x.json"], "synth-fine"),
        ("unknown stack", ["--stack", "nope"], "synth"),
        ("empty stack name", ["--stack", ""], "synth"),
        ("cost --head-json missing", ["--head-json", "{dir}/nope.json"], "cost"),
        ("cost --head-json not JSON", ["--head-json", "{dir}/Pulumi.yaml"], "cost"),
        ("cost --base-json missing", ["--base-json", "{dir}/nope.json"], "cost"),
        ("cost --diff with --base-ref", ["--diff", "prod", "--base-ref", "HEAD"], "cost"),
        ("cost --diff with --base-json", ["--diff", "prod", "--base-json", "{dir}/x.json"], "cost"),
        ("cost --project-dir missing", ["--project-dir", "{dir}/nope"], "cost"),
        ("cost --markdown to a missing directory", ["--markdown", "{dir}/no/such/x.md"], "cost"),
        ("cost --base-ref unknown", ["--base-ref", "no-such-ref-xyz"], "cost"),
        ("cost no stack", ["--stack", ""], "cost"),
        ("--format without --check or --cost", ["--format", "json"], "synth"),
        ("--format sarif with --cost", ["--cost", "--format", "sarif"], "synth"),
        ("--format unknown", ["--check", "--format", "xml"], "synth"),
        ("cost gate without a base", ["--max-monthly-increase", "10"], "cost"),
        ("cost gate negative", ["--diff", "staging", "--max-monthly-increase", "-5"], "cost"),
        ("cost gate not a number", ["--diff", "staging", "--max-monthly-increase", "lots"], "cost"),
        ("cost --format unknown", ["--format", "html"], "cost"),
    ):  # fmt: skip
        expect = "fine" if tool.endswith("-fine") else "bad"
        found.append(
            Case(
                f"cli {tool.split('-')[0]} {name}",
                expect,
                "dev",
                args=args,
                tool=tool.split("-")[0],
            )
        )
    return found

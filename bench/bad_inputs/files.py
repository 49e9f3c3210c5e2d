"""Cases for whole files: a stack file or Pulumi.yaml that is not what it should be."""

from __future__ import annotations

from bench.bad_inputs.case import Case, _edit


def file_cases() -> list[Case]:
    found: list[Case] = []

    # Whole files
    for name, body in (("a list", "- a\n- b\n"), ("a scalar", "hello\n"), ("empty", ""),
                       ("config a list", "config:\n  - a\n"), ("config a scalar", "config: 5\n"),
                       ("not YAML", "config: [\n"), ("tabs", "config:\n\tx: 1\n"),
                       ("non-string key", "config:\n  1: 2\n"),
                       ("null key", "config:\n  ~: 2\n")):  # fmt: skip
        found.append(Case(f"file stack file is {name}", "bad", "dev", text=lambda _t, b=body: b))
    found.append(Case("file invalid UTF-8", "bad", "dev", text=lambda t: t.encode() + b"\xff\xfe"))
    found.append(
        Case(
            "file latin-1 comment",
            "bad",
            "dev",
            text=lambda t: ("# caf\xe9\n" + t).encode("latin-1"),
        )
    )
    found.append(Case("file UTF-8 BOM", "fine", "dev", text=lambda t: "\ufeff" + t))
    found.append(
        Case(
            "file unquoted date",
            "fine",
            "dev",
            text=lambda t: t.replace("startDate: '2025-01-01'", "startDate: 2025-01-01"),
        )
    )
    found.append(
        Case(
            "file unquoted impossible date",
            "bad",
            "dev",
            text=lambda t: t.replace("startDate: '2025-01-01'", "startDate: 2025-02-30"),
        )
    )
    found.append(
        Case(
            "file yes as boolean",
            "bad",
            "dev",
            text=lambda t: t.replace("addNewBindings: true", "addNewBindings: yes"),
        )
    )
    found.append(
        Case(
            "file .inf quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: .inf"),
        )
    )
    found.append(
        Case(
            "file .nan quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: .nan"),
        )
    )
    found.append(
        Case(
            "file huge quota",
            "bad",
            "dev",
            text=lambda t: t.replace("creditQuota: 10", "creditQuota: 1e400"),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml duplicate key",
            "bad",
            "dev",
            project=lambda d: _edit(
                d / "Pulumi.yaml", "name: sophia-infra\n", "name: sophia-infra\nname: other\n"
            ),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml a list",
            "bad",
            "dev",
            project=lambda d: (d / "Pulumi.yaml").write_text("- x\n"),
        )
    )
    found.append(
        Case(
            "file Pulumi.yaml invalid UTF-8",
            "bad",
            "dev",
            project=lambda d: (d / "Pulumi.yaml").write_bytes(b"name: \xff\n"),
        )
    )
    found.append(
        Case(
            "file sibling stack file broken",
            "fine",
            "dev",
            project=lambda d: (d / "Pulumi.broken.yaml").write_text("config: [\n"),
        )
    )
    return found

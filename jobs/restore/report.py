"""The restore's Markdown and JSON reports (the JSON is RestoreReport.to_json)."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.restore.outcome import RestoreReport

_MARK = {
    "passed": "passed",
    "refused": "REFUSED",
    "could-not-check": "COULD NOT CHECK",
    "would-run": "would run",
    "skipped": "skipped",
}


def render_text(report: RestoreReport) -> str:
    mode = "dry run" if report.dry_run else "restore"
    lines = [
        f"{mode}: stack {report.stack}, table {report.table} -> {report.target or '?'}, "
        f"{report.point}{', then swap' if report.swap else ''}",
        f"query tag: {report.query_tag}",
        "",
        "checks, in order:",
    ]
    lines += [
        f"  {c.check:<24} {_MARK.get(c.status, c.status):<16} {c.detail}" for c in report.checks
    ]
    if report.planned_sql:
        lines += [
            "",
            "SQL, in order (GRANT and SET CHANGE_TRACKING only where the clone lacks it):",
        ]
        lines += [
            f"  [{check}] {text};"
            for check, text in zip(report.planned_checks, report.planned_sql, strict=True)
        ]
    if report.statements:
        lines += ["", "statements run (query id):"]
        lines += [f"  {s.query_id or '-'}  {s.sql};" for s in report.statements]
    if report.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in report.notes]
    lines += ["", f"outcome: {report.outcome} (exit {report.exit_code})"]
    return "\n".join(lines) + "\n"


def render_markdown(report: RestoreReport) -> str:
    lines = [
        f"### Restore {report.stack} {report.table} -> {report.target or '?'} "
        f"({'dry run' if report.dry_run else 'run'})",
        "",
        f"Point: {report.point}. Swap: {'yes' if report.swap else 'no'}. "
        f"Query tag: `{report.query_tag}`. "
        f"Outcome: **{report.outcome}** (exit {report.exit_code}).",
        "",
        "| check | status | detail |",
        "|---|---|---|",
    ]
    lines += [
        f"| {c.check} | {_MARK.get(c.status, c.status)} | {c.detail.replace('|', '/')} |"
        for c in report.checks
    ]
    if report.statements:
        lines += ["", "| check | query id | statement |", "|---|---|---|"]
        lines += [
            f"| {s.check} | `{s.query_id or '-'}` | `{s.sql.replace('|', '/')}` |"
            for s in report.statements
        ]
    elif report.planned_sql:
        lines += ["", "SQL a run would send:", "", "```sql"]
        lines += [f"{s};" for s in report.planned_sql] + ["```"]
    if report.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def write_reports(report: RestoreReport, directory: Path, name: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{name}.json"
    md_path = directory / f"{name}.md"
    json_path.write_text(
        json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8"
    )
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path

"""Cell text shared by the cost table and the cost diff: credits, dollars, Markdown tables."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from jobs.cost.report import CostReport


def credits_text(value: Decimal) -> str:
    """11,680 / 24.33 / 0.5: whole credits with separators, at most two decimals."""
    rounded = value.quantize(Decimal("0.01"))
    text = f"{rounded:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dollars_text(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def cr_usd_text(report: CostReport, credits: Decimal) -> str:
    return f"{credits_text(credits)} cr ({dollars_text(report.usd(credits))})"


def percent_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{credits_text(value)}%"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table padded so it also lines up in a terminal."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [
        line(row) for row in rows
    ]


def signed_credits_text(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + credits_text(abs(value))


def signed_dollars_text(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + dollars_text(abs(value))

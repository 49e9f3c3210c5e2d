"""What one cost report adds or removes relative to another, per priced resource and in total."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from components.settings.portkey_routing import usd
from jobs.cost.cells import (
    cr_usd_text,
    credits_text,
    dollars_text,
    markdown_table,
    percent_text,
    signed_credits_text,
    signed_dollars_text,
)
from jobs.cost.document import UNCAPPED
from jobs.cost.report import CostReport


@dataclass(frozen=True)
class LineItem:
    """One priced resource in the common shape a diff compares."""

    section: str
    key: str
    label: str
    attributes: dict[str, str]
    worst_usd: Decimal
    bound_usd: Decimal
    worst_credits: Decimal | None = None
    bound_credits: Decimal | None = None


def line_items(report: CostReport) -> list[LineItem]:
    items = []
    for w in report.warehouses:
        attributes = {
            "size": w.size,
            "multipliers": ", ".join(f"{label} x{credits_text(m)}" for label, m in w.multipliers)
            or "-",
            "max clusters": str(w.max_clusters),
            "monitor quota": credits_text(w.quota_credits) if w.quota_credits is not None else "-",
            "suspend / immediate": f"{percent_text(w.suspend_percent)} / "
            f"{percent_text(w.suspend_immediate_percent)}",
            "hard cap": credits_text(w.cap_credits) if w.cap_credits is not None else UNCAPPED,
        }
        items.append(
            LineItem(
                "warehouse",
                w.key,
                w.name,
                attributes,
                report.usd(w.worst_case_credits),
                report.usd(w.bound_credits),
                w.worst_case_credits,
                w.bound_credits,
            )
        )
    for s in report.searches:
        attributes = {
            "target lag": s.target_lag,
            "refresh warehouse": s.warehouse_key or s.warehouse,
            "refresh credits (in the warehouse row)": credits_text(s.refresh_credits),
            "indexed GB (assumed)": credits_text(s.indexed_gb),
            "embedded M tokens (assumed)": credits_text(s.embedded_million_tokens),
        }
        credits = s.serverless_credits
        items.append(
            LineItem(
                "Cortex Search",
                s.key,
                s.name,
                attributes,
                report.usd(credits),
                report.usd(credits),
                credits,
                credits,
            )
        )
    for g in report.gateways:
        attributes = {"requests/day (assumed)": credits_text(g.requests_per_day)}
        for t in g.targets:
            worst = usd(t.worst_case_usd) if t.worst_case_usd is not None else "UNPRICED"
            attributes[f"target {t.route}"] = f"{t.model} max_tokens={t.max_tokens} worst={worst}"
        attributes["usage limit"] = (
            f"{dollars_text(g.limit.limit) if g.limit.kind == 'cost' else g.limit.limit} "
            f"{g.limit.periodic_reset or 'total'}"
            if g.limit
            else UNCAPPED
        )
        items.append(
            LineItem(
                "LLM gateway", g.key, g.name, attributes, g.monthly_worst_usd, g.monthly_bound_usd
            )
        )
    return items


@dataclass(frozen=True)
class LineChange:
    kind: str  # added | removed | changed
    base: LineItem | None
    head: LineItem | None
    details: tuple[str, ...]

    @property
    def item(self) -> LineItem:
        item = self.head or self.base
        assert item is not None
        return item

    def delta(self, attribute: str) -> Decimal | None:
        """head - base (a missing side counts 0); None when the figure is not priced in it."""
        old = getattr(self.base, attribute) if self.base else None
        new = getattr(self.head, attribute) if self.head else None
        if old is None and new is None:
            return None
        return (new or Decimal(0)) - (old or Decimal(0))


@dataclass(frozen=True)
class CostDiff:
    base: CostReport
    head: CostReport
    changes: tuple[LineChange, ...]

    @property
    def worst_usd_delta(self) -> Decimal:
        return self.head.total_worst_usd - self.base.total_worst_usd

    @property
    def bound_usd_delta(self) -> Decimal:
        return self.head.total_bound_usd - self.base.total_bound_usd

    @property
    def snowflake_worst_credits_delta(self) -> Decimal:
        return self.head.snowflake_worst_credits - self.base.snowflake_worst_credits

    @property
    def snowflake_bound_credits_delta(self) -> Decimal:
        return self.head.snowflake_bound_credits - self.base.snowflake_bound_credits

    def flag_changes(self) -> tuple[list[str], list[str]]:
        """Flags head raises that base did not, and flags base raised that head resolves.

        Compared per logical resource with each stack's name suffix removed, so comparing two
        stacks does not report API_WH_STAGING's flag as resolved and API_WH's as new.
        """

        def index(report: CostReport) -> dict[tuple[str, str], str]:
            return {
                (key, report.unsuffixed(flag)): f"{label}: {flag}"
                for key, label, flag in report.flag_items
            }

        old, new = index(self.base), index(self.head)
        return [new[k] for k in new if k not in old], [old[k] for k in old if k not in new]


def diff_cost(base: CostReport, head: CostReport) -> CostDiff:
    """What `head` adds or removes relative to `base`, per priced resource and in total."""
    old = {(i.section, i.key): i for i in line_items(base)}
    new = {(i.section, i.key): i for i in line_items(head)}
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            assert b is not None
            details = tuple(f"{k}: {v}" for k, v in b.attributes.items())
            changes.append(LineChange("added", None, b, details))
        elif b is None:
            changes.append(LineChange("removed", a, None, ()))
        else:
            details = tuple(
                f"{k}: {a.attributes.get(k, '(absent)')} -> {b.attributes.get(k, '(absent)')}"
                for k in list(dict.fromkeys([*a.attributes, *b.attributes]))
                if a.attributes.get(k) != b.attributes.get(k)
            )
            if details or a.worst_usd != b.worst_usd or a.bound_usd != b.bound_usd:
                changes.append(LineChange("changed", a, b, details))
    return CostDiff(base=base, head=head, changes=tuple(changes))


def _delta_cell(change: LineChange, credits_attr: str, usd_attr: str) -> str:
    credits = change.delta(credits_attr)
    dollars = change.delta(usd_attr) or Decimal(0)
    if credits is None:
        return signed_dollars_text(dollars)
    return f"{signed_credits_text(credits)} cr ({signed_dollars_text(dollars)})"


def render_cost_diff(diff: CostDiff) -> str:
    base, head = diff.base, diff.head
    lines = [
        f"## Cost diff: {base.title} -> {head.title} ({len(diff.changes)} priced resources differ)",
        "",
        f"Monthly figures; both sides priced with price book v{head.book.version} "
        f"({head.book.date}) and LLM prices v{head.book.llm.version}; credit price "
        f"{base.title} ${base.credit_price_usd:.2f}, {head.title} ${head.credit_price_usd:.2f}.",
        "",
    ]
    if diff.changes:
        rows = []
        for change in diff.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
            rows.append(
                [
                    mark,
                    f"{change.item.section} {change.item.label}",
                    _delta_cell(change, "worst_credits", "worst_usd"),
                    _delta_cell(change, "bound_credits", "bound_usd"),
                ]
            )
        lines += markdown_table(["", "resource", "worst case change", "bound change"], rows)
        lines += ["", "What changed:", ""]
        for change in diff.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
            lines.append(f"- {mark} {change.item.section} {change.item.label}")
            lines += [f"  - {detail}" for detail in change.details] or ["  - (price only)"]
    else:
        lines.append("No priced resource changes.")
    lines += ["", "### Totals per month", ""]
    lines += markdown_table(
        ["", base.title, head.title, "change"],
        [
            [
                "Snowflake worst case",
                cr_usd_text(base, base.snowflake_worst_credits),
                cr_usd_text(head, head.snowflake_worst_credits),
                f"{signed_credits_text(diff.snowflake_worst_credits_delta)} cr",
            ],
            [
                "Snowflake bound",
                cr_usd_text(base, base.snowflake_bound_credits),
                cr_usd_text(head, head.snowflake_bound_credits),
                f"{signed_credits_text(diff.snowflake_bound_credits_delta)} cr",
            ],
            [
                "LLM worst case",
                dollars_text(base.llm_worst_usd),
                dollars_text(head.llm_worst_usd),
                signed_dollars_text(head.llm_worst_usd - base.llm_worst_usd),
            ],
            [
                "LLM bound",
                dollars_text(base.llm_bound_usd),
                dollars_text(head.llm_bound_usd),
                signed_dollars_text(head.llm_bound_usd - base.llm_bound_usd),
            ],
            [
                "total worst case",
                dollars_text(base.total_worst_usd),
                dollars_text(head.total_worst_usd),
                signed_dollars_text(diff.worst_usd_delta),
            ],
            [
                "total bound",
                dollars_text(base.total_bound_usd),
                dollars_text(head.total_bound_usd),
                signed_dollars_text(diff.bound_usd_delta),
            ],
        ],
    )
    new_flags, resolved_flags = diff.flag_changes()
    notes = [(base.title, n) for n in base.notes if n not in head.notes]
    notes += [(head.title, n) for n in head.notes if n not in base.notes]
    if new_flags or resolved_flags or notes:
        lines += ["", "### Flags and notes", ""]
        lines += [f"- new: {flag}" for flag in new_flags]
        lines += [f"- resolved: {flag}" for flag in resolved_flags]
        lines += [f"- note ({title}): {note}" for title, note in notes]
    return "\n".join(lines)

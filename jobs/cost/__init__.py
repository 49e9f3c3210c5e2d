"""Cost view: what a stack's declared resources can cost, from the synthesized document alone.

One module per concern (docs/cost.md has the map):

    prices      the price book (jobs/prices/price_book.yaml + components/portkey/prices.yaml)
    document    resource types the models read from a `jobs.synth --json` document
    warehouses  warehouse worst case and resource-monitor cap
    search      Cortex Search refresh, serving and embedding
    gateway     Portkey targets and the usage limit
    report      one stack's CostReport (runs the three models) and its totals
    cells       credits, dollars and Markdown tables as text
    render      the Markdown cost table
    diff        base vs head, per priced resource, and its Markdown
    base_ref    a git ref synthesized by its own code in a temporary worktree
    cli         `python -m jobs.cost`

The names below are the package's public surface (tests and jobs.synth use them); the
underscored ones keep the names the single-module jobs/cost.py gave them.
"""

from jobs.cost.base_ref import synthesize_ref
from jobs.cost.cells import cr_usd_text as _cr_usd
from jobs.cost.cells import credits_text as _credits
from jobs.cost.cells import dollars_text as _dollars
from jobs.cost.cells import markdown_table as _table
from jobs.cost.cells import percent_text as _pct
from jobs.cost.cli import EXIT_INVALID, EXIT_OK, main
from jobs.cost.diff import CostDiff, LineChange, LineItem, diff_cost, line_items, render_cost_diff
from jobs.cost.document import (
    GATEWAY_CONFIG,
    MONITOR,
    NOT_PRICED,
    SEARCH,
    UNCAPPED,
    USAGE_LIMITS,
    WAREHOUSE,
)
from jobs.cost.gateway import GatewayCost, TargetCost, UsageLimit
from jobs.cost.prices import PRICE_BOOK_PATH, Assumptions, CostError, PriceBook, load_price_book
from jobs.cost.render import render_cost
from jobs.cost.report import CostReport, cost_report
from jobs.cost.search import SearchCost
from jobs.cost.warehouses import WarehouseCost

__all__ = [
    "EXIT_INVALID",
    "EXIT_OK",
    "GATEWAY_CONFIG",
    "MONITOR",
    "NOT_PRICED",
    "PRICE_BOOK_PATH",
    "SEARCH",
    "UNCAPPED",
    "USAGE_LIMITS",
    "WAREHOUSE",
    "Assumptions",
    "CostDiff",
    "CostError",
    "CostReport",
    "GatewayCost",
    "LineChange",
    "LineItem",
    "PriceBook",
    "SearchCost",
    "TargetCost",
    "UsageLimit",
    "WarehouseCost",
    "_cr_usd",
    "_credits",
    "_dollars",
    "_pct",
    "_table",
    "cost_report",
    "diff_cost",
    "line_items",
    "load_price_book",
    "main",
    "render_cost",
    "render_cost_diff",
    "synthesize_ref",
]

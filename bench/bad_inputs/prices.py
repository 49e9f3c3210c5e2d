"""Cases for the price book (jobs.synth --cost and jobs.cost --price-book)."""

from __future__ import annotations

from bench.bad_inputs.case import REPO_ROOT, Case


def price_cases() -> list[Case]:
    found: list[Case] = []

    # Price book (jobs.synth --cost and jobs.cost --price-book)
    book = (REPO_ROOT / "jobs/prices/price_book.yaml").read_text()
    for name, content in (
        ("missing key", book.replace("hours_per_month: 730\n", "")),
        ("not YAML", "snowflake: [\n"),
        ("a list", "- 1\n"),
        ("bad number", book.replace("hours_per_month: 730", "hours_per_month: lots")),
        ("duplicate key", book.replace("version: 1\n", "version: 1\nversion: 2\n")),
        ("negative price", book.replace("ENTERPRISE: 3.00", "ENTERPRISE: -3.00", 1)),
        ("empty", ""),
    ):  # fmt: skip
        found.append(
            Case(
                f"price book {name}",
                "bad",
                "dev",
                tool="cost",
                project=lambda d, c=content: (d / "book.yaml").write_text(c),
                args=["--price-book", "{dir}/book.yaml"],
            )
        )
    found.append(
        Case(
            "price book missing file",
            "bad",
            "dev",
            tool="cost",
            args=["--price-book", "{dir}/nope.yaml"],
        )
    )
    return found

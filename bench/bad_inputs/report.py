"""What the trial prints: a line per case worth a look, a table per family, the counts."""

from __future__ import annotations

from collections import Counter

from bench.bad_inputs.case import Outcome


def print_outcome(outcome: Outcome) -> None:
    """One line: the outcome, the case and the first line of its output (and a crash's last)."""
    case = outcome.case
    first = next((line for line in outcome.output.splitlines() if line.strip()), "")
    flag = "HARMFUL " if outcome.harmful else ""
    flag += "LEAK " if outcome.leaked else ""
    print(f"{flag}{outcome.kind:9} [{case.expect}] {case.name}: {first[:160]}")
    if outcome.kind == "crashed":
        print("    " + outcome.output.strip().splitlines()[-1][:200])


def print_summary(outcomes: list[Outcome]) -> int:
    """The table per family and the counts; 1 if any case crashed, was harmfully accepted or
    leaked a planted secret."""
    families: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        family = outcome.case.name.split()[0]
        kind = "harmful" if outcome.harmful and outcome.kind == "accepted" else outcome.kind
        families.setdefault(family, Counter())[kind] += 1
    print("\n| family | cases | rejected | accepted (fine) | accepted (harmful) | crashed |")
    print("|---|---|---|---|---|---|")
    for family, count in families.items():
        print(
            f"| {family} | {sum(count.values())} | {count['rejected']} | {count['accepted']} | "
            f"{count['harmful']} | {count['crashed']} |"
        )
    counts = Counter(o.kind for o in outcomes)
    harmful = sum(o.harmful and o.kind == "accepted" for o in outcomes)
    leaks = sum(bool(o.leaked) for o in outcomes)
    print(
        f"\n{len(outcomes)} bad inputs: {counts['rejected']} rejected clearly, "
        f"{counts['accepted']} accepted ({harmful} of them harmful: marked bad), "
        f"{counts['crashed']} crashed; {leaks} outputs leaked a planted secret"
    )
    return 1 if counts["crashed"] or harmful or leaks else 0

"""`components/k8s/names.py`: every metadata name is a DNS-1123 label of at most 63 characters."""

from __future__ import annotations

import re

import pytest

from components.k8s.names import MAX_LABEL_LENGTH, dns_label

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("sophia-api",), "sophia-api"),
        (("sophia-api", "stable"), "sophia-api-stable"),
        (("Sophia_API", "Canary"), "sophia-api-canary"),
        (("-api-", "", "x"), "api-x"),
        (("a..b", "c"), "a-b-c"),
    ],
)
def test_names_are_cleaned_into_labels(parts: tuple[str, ...], expected: str) -> None:
    assert dns_label(*parts) == expected


def test_long_names_are_capped_and_stay_distinct() -> None:
    first = dns_label("sophia-api-" + "x" * 80, "stable")
    second = dns_label("sophia-api-" + "x" * 80, "canary")
    assert len(first) == len(second) == MAX_LABEL_LENGTH
    assert first != second
    assert DNS_LABEL.match(first) and DNS_LABEL.match(second)
    assert first.startswith("sophia-api-xxx")


def test_a_cut_at_a_dash_does_not_leave_a_double_dash() -> None:
    name = dns_label("a" * 53 + "-" + "b" * 20)
    assert DNS_LABEL.match(name) and "--" not in name


def test_a_name_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        dns_label("--", "_")

"""Rendering and secret scrubbing of event values (`jobs.engine_events.values`)."""

from __future__ import annotations

import pytest

from jobs.engine_events.values import (
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    parse_path,
    render_value,
    scrub,
)


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("warehouseSize", ["warehouseSize"]),
        (
            "spec.template.spec.containers[0].image",
            ["spec", "template", "spec", "containers", 0, "image"],
        ),
        ('tags["team.name"]', ["tags", "team.name"]),
        ("broken[", ["broken["]),
    ],
)
def test_parse_path(path: str, segments: list) -> None:
    assert parse_path(path) == segments


def test_render_value_redacts_envelopes_and_secret_names() -> None:
    envelope = {SECRET_SIG_KEY: SECRET_SIG_VALUE, "plaintext": '"hunter2hunter2"'}
    rendered = render_value({"user": "svc", "password": "hunter2hunter2", "nested": [envelope]})
    assert "hunter2" not in rendered
    assert rendered == '{"nested": ["[secret]"], "password": "[secret]", "user": "svc"}'
    assert render_value("x" * 500).endswith("…")


def test_scrub_removes_plain_and_json_escaped_secrets() -> None:
    text = 'value sk-live-abcdef and "quote\\"secret"'
    assert scrub(text, {"sk-live-abcdef", 'quote"secret'}) == 'value [secret] and "[secret]"'
    assert scrub("short abc", {"abc"}) == "short abc"  # too short to scrub safely

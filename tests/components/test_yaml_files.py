"""The strict YAML loader every file read goes through (components/yaml_files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.yaml_files import YamlFileError, load_yaml_file, load_yaml_text


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(YamlFileError) as raised:
        load_yaml_text("config:\n  a: 1\n  a: 2\n", "Pulumi.x.yaml")
    assert str(raised.value) == (
        "Pulumi.x.yaml is not valid YAML: line 3, column 3: duplicate key 'a' (first on line 2; "
        "YAML keeps only one, the Pulumi CLI refuses the file)"
    )


def test_duplicate_key_in_a_flow_mapping_is_an_error() -> None:
    with pytest.raises(YamlFileError, match="duplicate key 'b'"):
        load_yaml_text("a: {b: 1, b: 2}\n", "f.yaml")


def test_timestamps_stay_strings_like_the_cli_reads_them() -> None:
    assert load_yaml_text("d: 2025-01-01\nt: 2025-01-01T00:00:00Z\n", "f") == {
        "d": "2025-01-01",
        "t": "2025-01-01T00:00:00Z",
    }


def test_only_true_and_false_are_booleans() -> None:
    assert load_yaml_text("a: yes\nb: on\nc: true\nd: False\n", "f") == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": False,
    }


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes(b"config:\n  a: caf\xe9\n")
    with pytest.raises(YamlFileError) as raised:
        load_yaml_file(path)
    assert str(raised.value) == (
        "Pulumi.dev.yaml is not UTF-8 text (byte 16: 0xe9); save it as UTF-8"
    )


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert load_yaml_file(path) == {"a": 1}


def test_syntax_error_does_not_quote_the_line() -> None:
    secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    with pytest.raises(YamlFileError) as raised:
        load_yaml_text(f'key: "{secret}\n', "f.yaml")
    assert secret not in str(raised.value)
    assert str(raised.value) == (
        "f.yaml is not valid YAML: line 2, column 1: found unexpected end of stream "
        "(while scanning a quoted scalar on line 1)"
    )


def test_libyaml_parses_and_reads_every_project_file_as_the_pure_parser_does() -> None:
    """The pinned PyYAML wheel carries libyaml, and the strict rules live in the constructor and
    resolver, so the C parser (the one used) and the pure-Python one agree on every file we read."""
    import yaml

    from components import yaml_files

    assert issubclass(yaml_files.StrictLoader, yaml.CSafeLoader)

    class PureStrictLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = yaml_files.StrictLoader.yaml_implicit_resolvers
        yaml_constructors = yaml_files.StrictLoader.yaml_constructors

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("Pulumi*.yaml"), *root.glob("components/**/*.yaml")]
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_yaml_text(text, path.name) == yaml.load(text, Loader=PureStrictLoader), path

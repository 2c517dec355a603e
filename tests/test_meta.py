"""Meta-tests: every command has help with an example; every bundled query parses and has a header."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.queries import bundled_queries
from kg.vocabulary import PREFIXES


def commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from commands(command, path + (name,))


@pytest.mark.parametrize("path", [p for p, _ in commands(cli)] + [()], ids=lambda p: " ".join(p) or "kg")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    example = result.output.split("Example:", 1)[1].strip().splitlines()[0]
    assert example.startswith("kg ")


def test_bundled_queries_parse_and_have_headers() -> None:
    from rdflib.plugins.sparql import prepareQuery

    queries = bundled_queries()
    assert len(queries) >= 12
    for query in queries:
        assert query.title and query.question, query.name
        prepareQuery(query.text, initNs=PREFIXES)
        for param in query.params:
            assert f"?{param.name}" in query.text
            assert "e.g." in param.description


def test_every_export_format_has_its_command() -> None:
    from kg.cli import export
    from kg.transfer import EXPORTS

    assert set(export.commands) == set(EXPORTS) | {"html"}

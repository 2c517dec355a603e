"""Shared fixtures: every test works on its own copy of a store, never the repository's data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.resources import bundled_dataset


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A private copy of the bundled dataset."""
    path = tmp_path / "store.ttl"
    shutil.copyfile(bundled_dataset(), path)
    return path


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    """A store holding nothing but one source, for small hand-checked graphs."""
    path = tmp_path / "empty.ttl"
    run = CliRunner().invoke
    assert run(cli, ["init", str(path), "--empty"]).exit_code == 0
    result = run(cli, ["--store", str(path), "add", "source", "cbr:source-test", "--title", "Test notes"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def kg(store_path: Path):
    """Run the CLI against the private store; returns click's Result."""

    def invoke(*args: str, store: Path | None = None):
        return CliRunner().invoke(cli, ["--store", str(store or store_path), *args], catch_exceptions=False)

    return invoke

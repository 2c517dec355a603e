"""Shared fixtures: every test works on its own copy of a store, never the repository's data."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.resources import bundled_dataset

T = TypeVar("T")


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], T]) -> T:
    """``build(folder)`` run once per test run, for a fixture that takes tens of seconds and that
    its tests only read. Under pytest-xdist each worker would build its own copy of a module
    fixture; here the first worker to ask builds it in a folder all workers share, under a lock,
    and the others wait for it and unpickle its result. If that build fails, the next one to ask
    builds it again in a fresh folder, so a failure is reported where it happens."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's temp folder; each worker has its own below it
    done = root / f"{name}.pickle"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return pickle.loads(done.read_bytes())
        value = build(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root)))
        done.write_bytes(pickle.dumps(value))
        return value


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


pytest_plugins = ["tests.virtuoso", "tests.oxigraph_server"]
BACKENDS = ["turtle", "oxigraph", "virtuoso", "oxigraph-server"]


@pytest.fixture(scope="session")
def seeded_files(tmp_path_factory) -> dict[str, Path]:
    """What ``kg init`` writes for the Turtle and the Oxigraph backend, made once per session
    (per worker under xdist) and copied for each test: copying is cheaper than parsing and
    loading the dataset again. Nothing opens these originals after this."""
    from kg.stores import init_store

    folder = tmp_path_factory.mktemp("seeded")
    # The returned stores are dropped at once, closing the database before anything copies it,
    # as store_spec used to drop them before its test opened the store.
    init_store(str(folder / "store.ttl"))
    init_store(f"oxigraph:{folder / 'db'}")
    return {"turtle": folder / "store.ttl", "oxigraph": folder / "db"}


@pytest.fixture(params=BACKENDS)
def store_spec(request, tmp_path: Path) -> str:
    """A store seeded with the bundled dataset, on each backend in turn (Virtuoso and
    Oxigraph's own server: real servers on 127.0.0.1, started once per session, emptied for
    each test;
    Turtle and Oxigraph: a private copy of the files a fresh ``kg init`` writes)."""
    from kg.stores import ANALYSIS_GRAPH, DATA_GRAPH, init_store

    if request.param == "virtuoso":
        endpoint = request.getfixturevalue("virtuoso_endpoint")
        for graph in (DATA_GRAPH, ANALYSIS_GRAPH):
            endpoint.update(f"CLEAR SILENT GRAPH {graph}")
        spec = request.getfixturevalue("virtuoso_server").url
        init_store(spec)
        return spec
    if request.param == "oxigraph-server":
        server = request.getfixturevalue("oxigraph_server")
        server.endpoint().update("DROP SILENT ALL")
        init_store(server.url)
        return server.url
    seeded = request.getfixturevalue("seeded_files")[request.param]
    if request.param == "turtle":
        shutil.copy2(seeded, tmp_path / "store.ttl")
        return str(tmp_path / "store.ttl")
    shutil.copytree(seeded, tmp_path / "db")  # copy2: sizes and times match the checksum record
    return f"oxigraph:{tmp_path / 'db'}"


@pytest.fixture
def any_kg(store_spec: str):
    """Run the CLI against the store of the current backend."""

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--store", store_spec, *args], catch_exceptions=False)

    return invoke


def snapshot(spec: str) -> set[tuple[str, str, str]]:
    """Every data triple of a store, as text, read through kg's own store interface."""
    from kg.stores import open_store

    store = open_store(spec)
    try:
        return {(t.subject.value, t.predicate.value, str(t.object)) for t in store.triples()}
    finally:
        del store  # an Oxigraph database stays locked while a handle is alive

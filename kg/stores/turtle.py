"""The default store: one Turtle file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.stores.base import ANALYSIS_GRAPH, Store
from kg.stores.files import atomic_write, file_lock, parse_turtle, serialize_turtle
from kg.vocabulary import with_ontology


class TurtleStore(Store):
    """The default store: one Turtle file, sorted so that a change makes a small diff.

    Small by nature, so its neighbourhood is the whole graph and a change rewrites the file
    (temp file, fsync, rename) under a file lock. The file is parsed once for all the reads of
    a command, and again only when it changed on disk (another writer, or this one).
    """

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.read_only = read_only
        self._parsed: tuple[tuple, ox.Store] | None = None
        self._view: tuple[tuple, ox.Store] | None = None

    def _stamp(self, path: Path) -> tuple:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return ()
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def snapshot(self) -> ox.Store:
        stamp = self._stamp(self.path)
        if self._parsed is None or self._parsed[0] != stamp or not stamp:
            self._parsed = (stamp, self.load())
        return self._parsed[1]

    def load(self) -> ox.Store:
        if not self.path.exists():
            raise StoreError(
                f"no store at {self.path}; create one with `kg init {self.path}` "
                "or give an existing one as the `store` (or KG_STORE)"
            )
        return parse_turtle(self.path)

    def triples(self) -> Iterator[ox.Triple]:
        return (ox.Triple(q.subject, q.predicate, q.object) for q in self.snapshot())

    def size(self) -> int:
        return len(self.snapshot())

    def query_view(self) -> ox.Store:
        stamp = (self._stamp(self.path), self._stamp(self.analysis_path))
        if self._view is None or self._view[0] != stamp:
            view = with_ontology(ox.Store())
            view.extend(self.snapshot())
            view.extend(
                ox.Quad(t.subject, t.predicate, t.object, ANALYSIS_GRAPH) for t in self.load_analysis()
            )
            self._view = (stamp, view)
        return self._view[1]

    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        return self.load()

    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:
        atomic_write(self.path, serialize_turtle(changed))

    def initialise(self, seed: list[ox.Triple]) -> None:
        if self.path.exists():
            raise StoreError(f"{self.path} already exists; choose another path or remove it first")
        if not self.path.parent.is_dir():
            raise StoreError(f"folder {self.path.parent} does not exist; create it first")
        atomic_write(self.path, serialize_turtle(seed))

    @property
    def analysis_path(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(".ttl") + ".analysis.ttl")

    def load_analysis(self) -> list[ox.Triple]:
        if not self.analysis_path.exists():
            return []
        return [ox.Triple(q.subject, q.predicate, q.object) for q in parse_turtle(self.analysis_path)]

    def save_analysis(self, triples: list[ox.Triple]) -> None:
        atomic_write(self.analysis_path, serialize_turtle(triples))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with file_lock(self.path):
            yield

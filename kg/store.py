"""Stores: where the graph lives, and the one path by which it changes.

A store hands out an in-memory Oxigraph copy of its graph for reading, and applies a
change by: locking, reading afresh, changing the copy, validating it, then replacing
the stored graph atomically. Nothing reaches disk that did not parse and validate.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from kg.errors import ParseError, StoreError
from kg.resources import bundled_dataset, is_packaged
from kg.vocabulary import PREFIXES, RDF_TYPE, RDFS_LABEL

T = TypeVar("T")
LOCK_TIMEOUT_SECONDS = 60.0
STORE_ENV = "KG_STORE"


class Store(ABC):
    """A graph kg can read and change. Later backends (on-disk Oxigraph, a remote
    SPARQL endpoint) implement the same two methods."""

    location: str

    @abstractmethod
    def load(self) -> ox.Store:
        """A fresh in-memory copy of the graph, in the default graph."""

    @abstractmethod
    def write(self, change: Callable[[ox.Store], T]) -> T:
        """Apply ``change`` to a fresh copy, validate the result and persist it."""

    @abstractmethod
    def load_analysis(self) -> list[ox.Triple]:
        """The stored analysis results (see kg/results.py); empty when there are none."""

    @abstractmethod
    def replace_analysis(self, command: str, triples: list[ox.Triple]) -> None:
        """Replace the results of one analysis command by ``triples``."""


class TurtleStore(Store):
    """The default store: one Turtle file, sorted so that a change makes a small diff."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.read_only = read_only

    def load(self) -> ox.Store:
        if not self.path.exists():
            raise StoreError(
                f"no store at {self.path}; create one with `kg init {self.path}` "
                "or point --store / KG_STORE at an existing one"
            )
        return parse_turtle(self.path)

    def write(self, change: Callable[[ox.Store], T]) -> T:
        from kg.validation import check_change

        self.check_writable()
        with self._locked():
            graph = self.load()
            before = set(graph)
            result = change(graph)
            after = set(graph)
            if before != after:
                check_change(graph, added=after - before, removed=before - after)
                atomic_write(self.path, serialize_turtle(graph))
        return result

    @property
    def analysis_path(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(".ttl") + ".analysis.ttl")

    def load_analysis(self) -> list[ox.Triple]:
        if not self.analysis_path.exists():
            return []
        return [ox.Triple(q.subject, q.predicate, q.object) for q in parse_turtle(self.analysis_path)]

    def replace_analysis(self, command: str, triples: list[ox.Triple]) -> None:
        from kg.validation import Report, vocabulary_problems

        self.check_writable()
        report = Report(vocabulary_problems(triples))
        if not report.conforms:
            raise StoreError("analysis results use unknown terms; nothing was written:\n" + report.text())
        with self._locked():
            results = ox.Store()
            results.extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.load_analysis())
            old = results.query(
                "SELECT DISTINCT ?c ?x { ?run cbec:command ?c . "
                "{ ?run a cbec:AnalysisRun BIND(?run AS ?x) } UNION { ?x prov:wasGeneratedBy ?run } }",
                prefixes=PREFIXES,
                substitutions={ox.Variable("c"): ox.Literal(command)},
            )
            for row in list(old):
                for quad in list(results.quads_for_pattern(row["x"], None, None)):
                    results.remove(quad)
            results.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            atomic_write(self.analysis_path, serialize_turtle(results))

    def check_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"{self.path} is the dataset bundled inside the installed package and is "
                "read-only; run `kg init my-store.ttl` and pass --store my-store.ttl "
                "(or set KG_STORE) to work on your own copy"
            )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "a+b")
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
        with handle:
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"{self.path} stayed locked by another kg process for "
                            f"{LOCK_TIMEOUT_SECONDS:.0f} s ({lock_path}); retry when it ends"
                        ) from None
                    time.sleep(0.05)
            try:
                remove_stray_temp_files(self.path)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(spec: str | None = None) -> Store:
    """The store named by ``spec``, else by $KG_STORE, else the bundled dataset."""
    spec = spec or os.environ.get(STORE_ENV) or None
    if spec is None:
        path = bundled_dataset()
        return TurtleStore(path, read_only=is_packaged(path))
    if spec.startswith(("http://", "https://", "oxigraph:")):
        raise StoreError(
            f"store '{spec}': this version of kg keeps stores in Turtle files only; "
            "give the path of a .ttl store"
        )
    return TurtleStore(Path(spec).expanduser(), read_only=is_packaged(Path(spec)))


def init_store(path: Path | str, empty: bool = False) -> TurtleStore:
    """Create a new Turtle store at ``path``, seeded with the bundled dataset."""
    path = Path(path).expanduser()
    if path.exists():
        raise StoreError(f"{path} already exists; choose another path or remove it first")
    if not path.parent.is_dir():
        raise StoreError(f"folder {path.parent} does not exist; create it first")
    graph = ox.Store() if empty else parse_turtle(bundled_dataset())
    atomic_write(path, serialize_turtle(graph))
    return TurtleStore(path)


def parse_turtle(path: Path) -> ox.Store:
    """Parse a Turtle file into a fresh in-memory store; errors name the file and line."""
    graph = ox.Store()
    try:
        graph.load(path=str(path), format=ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise ParseError(
            f"{where}: {exc.msg}; the file was not changed: fix that line "
            "(or restore the file from git) and run the command again"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return graph


def sort_key(triple: ox.Triple | ox.Quad) -> tuple:
    """Subjects in IRI order; rdf:type, then labels, then the other predicates."""
    rank = {RDF_TYPE.value: 0, RDFS_LABEL.value: 1}
    predicate = triple.predicate.value
    return (
        str(triple.subject),
        rank.get(predicate, 2),
        predicate,
        str(triple.object),
    )


def serialize_turtle(quads: Iterable[ox.Quad | ox.Triple]) -> bytes:
    """Sorted, stable Turtle: one block per subject, blank line between blocks."""
    triples = sorted(
        (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
        key=sort_key,
    )
    header = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    blocks = []
    start = 0
    for index in range(1, len(triples) + 1):
        if index == len(triples) or triples[index].subject != triples[start].subject:
            blocks.append(subject_block(triples[start:index]))
            start = index
    return (header + "\n" + "\n".join(blocks)).encode("utf-8")


def subject_block(triples: list[ox.Triple]) -> str:
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("@prefix"))


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    directory = path.parent
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
        raise StoreError(f"could not write {path}: {reason}; the store is unchanged") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stray_temp_files(path: Path) -> None:
    """Temp files left by a writer that was killed; called only while holding the lock."""
    for stray in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stray.unlink()

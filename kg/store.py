"""Stores: where the graph lives, and the one path by which it changes.

Three backends share one interface: a Turtle file (the default), an on-disk Oxigraph
database (``oxigraph:PATH``) and any SPARQL 1.1 Query and Update endpoint (``http(s)://``).
Reads go through ``query_view()``, something with Oxigraph's ``query`` method that sees the
data, the ontology and the analysis results. Every edit takes one path, ``write``: lock (a
file lock for Turtle; RocksDB admits one process for Oxigraph; none on an endpoint), fetch the
neighbourhood of the nodes it touches, change that copy, validate what changed, then apply the
difference atomically. Imports (kg/transfer.py) validate their staging graph before merging.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from kg.errors import KgError, ParseError, StoreError
from kg.resources import bundled_dataset, is_packaged
from kg.vocabulary import ONTOLOGY_GRAPH, PREFIXES, RDF_TYPE, RDFS_LABEL, ontology_store

T = TypeVar("T")
LOCK_TIMEOUT_SECONDS = 60.0
STORE_ENV = "KG_STORE"
ANALYSIS_GRAPH = ox.NamedNode("https://w3id.org/cbec/analysis")
DATA_GRAPH = ox.NamedNode("https://w3id.org/cbec/data")


class Store(ABC):
    """A graph kg can read and change."""

    location: str
    read_only: bool = False

    @abstractmethod
    def triples(self) -> Iterator[ox.Triple]:
        """Every triple of the data (not the ontology, not analysis results)."""

    @abstractmethod
    def query_view(self):
        """An object with Oxigraph's ``query`` signature over data, ontology and results."""

    @abstractmethod
    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        """An in-memory copy holding all a change to ``nodes`` needs to see and validate."""

    @abstractmethod
    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:
        """Persist a validated difference atomically (``changed`` is the changed copy)."""

    @abstractmethod
    def load_analysis(self) -> list[ox.Triple]:
        """The stored analysis results (see kg/results.py); empty when there are none."""

    @abstractmethod
    def save_analysis(self, triples: list[ox.Triple]) -> None:
        """Replace every stored analysis result by ``triples``."""

    def size(self) -> int:
        """How many data triples the store holds."""
        return sum(1 for _ in self.triples())

    def check(self) -> str:
        """Read the whole store back; damage raises a StoreError naming it."""
        return f"{self.location}: {self.size()} triples read back; no damage found"

    def load(self) -> ox.Store:
        """The whole data graph as an in-memory copy."""
        graph = ox.Store()
        graph.extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.triples())
        return graph

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held while a change is read, validated and applied."""
        yield

    def write(self, change: Callable[[ox.Store], T], scope: Sequence[ox.NamedNode] = ()) -> T:
        """Apply ``change`` to the neighbourhood of ``scope``, validate it, persist the difference."""
        from kg.validation import check_change

        self.check_writable()
        with self.locked():
            graph = self.neighbourhood(list(scope))
            before = set(graph)
            result = change(graph)
            after = set(graph)
            if before != after:
                added, removed = after - before, before - after
                check_change(graph, added=added, removed=removed)
                self.apply(added, removed, graph)
        return result

    def replace_analysis(self, command: str, triples: list[ox.Triple]) -> None:
        """Replace the results of one analysis command by ``triples``."""
        from kg.validation import Report, vocabulary_problems

        self.check_writable()
        report = Report(vocabulary_problems(triples))
        if not report.conforms:
            raise StoreError("analysis results use unknown terms; nothing was written:\n" + report.text())
        with self.locked():
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
            self.save_analysis([ox.Triple(q.subject, q.predicate, q.object) for q in results])

    def check_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"{self.location} is the dataset bundled inside the installed package and is "
                "read-only; run `kg init my-store.ttl` and pass --store my-store.ttl "
                "(or set KG_STORE) to work on your own copy"
            )


class TurtleStore(Store):
    """The default store: one Turtle file, sorted so that a change makes a small diff.

    Small by nature, so its neighbourhood is the whole graph and a change rewrites the file
    (temp file, fsync, rename) under a file lock.
    """

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

    def triples(self) -> Iterator[ox.Triple]:
        return (ox.Triple(q.subject, q.predicate, q.object) for q in self.load())

    def query_view(self) -> ox.Store:
        view = with_ontology(self.load())
        view.extend(ox.Quad(t.subject, t.predicate, t.object, ANALYSIS_GRAPH) for t in self.load_analysis())
        return view

    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        return self.load()

    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:
        atomic_write(self.path, serialize_turtle(changed))

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


class OxigraphStore(Store):
    """A persistent Oxigraph (RocksDB) database: millions of triples, transactional updates.

    Data sits in the default graph, the ontology and analysis results in their named graphs,
    so queries run on the database itself. RocksDB lets one process open it at a time.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        self.location = f"oxigraph:{self.path}"
        self._db: ox.Store | None = None

    @property
    def db(self) -> ox.Store:
        if self._db is None:
            if not self.path.is_dir():
                raise StoreError(
                    f"no Oxigraph store at {self.path}; create one with `kg init oxigraph:{self.path}`"
                )
            check_tables(self.path)
            self._db = open_database(self.path)
            sync_ontology(self._db)
            record_tables(self.path)
            # Tables RocksDB finishes later (compactions) are recorded when kg lets the store go.
            weakref.finalize(self, record_tables, self.path)
        return self._db

    def triples(self) -> Iterator[ox.Triple]:
        for quad in self.db.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield ox.Triple(quad.subject, quad.predicate, quad.object)

    def query_view(self) -> ox.Store:
        return self.db

    def size(self) -> int:
        return int(next(iter(self.db.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)

    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        return neighbourhood_of(self.db, nodes)

    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:
        # One SPARQL update is one Oxigraph transaction: all of the change lands, or none.
        self.db.update(data_update(removed, added))
        self.flush()

    def load_analysis(self) -> list[ox.Triple]:
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in self.db.quads_for_pattern(None, None, None, ANALYSIS_GRAPH)
        ]

    def save_analysis(self, triples: list[ox.Triple]) -> None:
        old = {ox.Quad(t.subject, t.predicate, t.object) for t in self.load_analysis()}
        new = {ox.Quad(t.subject, t.predicate, t.object) for t in triples}
        self.db.update(data_update(old - new, new - old, ANALYSIS_GRAPH))
        self.flush()

    def flush(self) -> None:
        """Write what RocksDB holds in memory to table files and record their checksums."""
        self.db.flush()
        record_tables(self.path)

    def check(self) -> str:
        """Re-read every table file against its checksum, then every quad through RocksDB."""
        db = self.db  # opening records the tables RocksDB finished since kg last looked
        checked = check_tables(self.path, full=True)
        try:
            quads = sum(1 for _ in db.quads_for_pattern(None, None, None, None))
        except (OSError, RuntimeError) as exc:
            raise damaged(self.path, str(exc)) from None
        return (
            f"{self.location}: {checked} table files match their checksums and {quads} quads read back; "
            "no damage found"
        )


def open_database(path: Path) -> ox.Store:
    try:
        return ox.Store(str(path))
    except RuntimeError as exc:
        raise damaged(path, str(exc)) from None
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"store in use: another process has oxigraph:{path} open ({exc}); "
                "wait for it to finish, then run the command again"
            ) from None
        raise StoreError(f"cannot open oxigraph:{path}: {exc}") from None


def damaged(path: Path, why: str) -> StoreError:
    return StoreError(
        f"oxigraph:{path} is damaged ({why.splitlines()[0][:200]}); kg left it as it is: "
        "restore it from a backup, or rebuild it with `kg store copy`"
    )


# RocksDB never changes a table file (.sst) once it is written: it writes new ones and deletes
# old ones. So a recorded table whose bytes differ is damage, found before RocksDB opens the
# store and before anything writes to it. A table is recorded once its footer ends in the
# block-based table magic number, which RocksDB writes last.
TABLE_RECORD = "kg-checksums.json"
TABLE_MAGIC = (0x88E241B785F4CFF7).to_bytes(8, "little")


def table_digest(path: Path) -> tuple[int, int, str] | None:
    """(size, mtime_ns, sha256) of a finished table file; None while RocksDB is writing it."""
    import hashlib

    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        handle.seek(max(stat.st_size - 8, 0))
        if handle.read(8) != TABLE_MAGIC:
            return None
        handle.seek(0)
        return stat.st_size, stat.st_mtime_ns, hashlib.file_digest(handle, "sha256").hexdigest()


def read_table_record(folder: Path) -> dict[str, list]:
    import json

    try:
        tables = json.loads((folder / TABLE_RECORD).read_text(encoding="utf-8"))["tables"]
        if all(isinstance(v, list) and len(v) == 3 for v in tables.values()):
            return tables
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    raise StoreError(
        f"{folder / TABLE_RECORD} is not kg's record of the store's table checksums; delete it "
        "and kg starts a new record from the tables as they are now"
    )


def check_tables(folder: Path, full: bool = False) -> int:
    """Refuse a store whose recorded table files changed; ``full`` re-reads even unchanged
    files (bit rot keeps size and time). Returns how many tables were checked."""
    checked = 0
    manifest_ns = manifest_time(folder)
    for name, (size, mtime_ns, digest) in read_table_record(folder).items():
        try:
            stat = (folder / name).stat()
            if not full and (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns):
                checked += 1
                continue
            now = table_digest(folder / name)
        except FileNotFoundError:
            continue  # compacted away: RocksDB deletes tables it has merged
        checked += 1
        if now is None or now[2] != digest:
            if manifest_ns is not None and mtime_ns > manifest_ns:
                # Recorded but never entered in the MANIFEST (a compaction cut off by a crash):
                # not part of the store, and RocksDB deletes it when it opens.
                continue
            raise damaged(folder, f"the table file {name} changed after RocksDB wrote it")
    return checked


def manifest_time(folder: Path) -> int | None:
    """When RocksDB last wrote the MANIFEST, the log of which tables make up the store."""
    try:
        return (folder / (folder / "CURRENT").read_text().strip()).stat().st_mtime_ns
    except (OSError, ValueError):
        return None


def record_tables(folder: Path) -> None:
    """Add finished table files to the record and drop deleted ones. A known entry keeps its
    digest, so a later change is still found; its size and time follow a copy (same bytes)."""
    import json

    record = read_table_record(folder)
    tables = {}
    for path in sorted(folder.glob("*.sst")):
        try:
            entry = record.get(path.name)
            stat = path.stat()
            if entry is None or (stat.st_size, stat.st_mtime_ns) != tuple(entry[:2]):
                now = table_digest(path)
                entry = now if now and (entry is None or now[2] == entry[2]) else entry
        except FileNotFoundError:
            continue
        if entry:
            tables[path.name] = list(entry)
    if tables != record:
        # A record that cannot be written (disk full) only means fewer tables are checked.
        with contextlib.suppress(StoreError):
            atomic_write(folder / TABLE_RECORD, json.dumps({"tables": tables}, indent=1).encode())


def sync_ontology(db: ox.Store) -> None:
    """Keep the ontology named graph equal to the ontology files of this kg version.

    Blank nodes (owl:unionOf lists) get new ids on every parse, so graphs are compared by a
    fingerprint of the files, kept in the graph itself.
    """
    fingerprint = ox.Literal(ontology_fingerprint())
    marker = ox.Quad(
        ONTOLOGY_GRAPH, ox.NamedNode(PREFIXES["dcterms"] + "identifier"), fingerprint, ONTOLOGY_GRAPH
    )
    if marker in db:
        return
    db.clear_graph(ONTOLOGY_GRAPH)
    db.extend(
        [ox.Quad(q.subject, q.predicate, q.object, ONTOLOGY_GRAPH) for q in ontology_store()] + [marker]
    )
    db.flush()


def ontology_fingerprint() -> str:
    import hashlib

    from kg.resources import resource_dir
    from kg.vocabulary import ONTOLOGY_FILES

    digest = hashlib.sha256()
    for name in ONTOLOGY_FILES:
        digest.update((resource_dir("ontology") / name).read_bytes())
    return digest.hexdigest()


def with_ontology(graph: ox.Store) -> ox.Store:
    """Add the ontology to ``graph`` as the named graph <https://w3id.org/cbec/ontology>."""
    graph.extend(ox.Quad(q.subject, q.predicate, q.object, ONTOLOGY_GRAPH) for q in ontology_store())
    return graph


def neighbourhood_of(source, nodes: Sequence[ox.NamedNode]) -> ox.Store:
    """What a change to ``nodes`` needs: their triples and the triples pointing at them, the
    full description of every node in those triples (statements, claims, neighbours) and the
    types of everything those descriptions mention, so that shapes can check classes."""
    graph = ox.Store()
    default = ox.DefaultGraph()

    def describe(subject) -> list[ox.Quad]:
        return list(source.quads_for_pattern(subject, None, None, default))

    first = {q for n in nodes for q in describe(n)}
    first |= {q for n in nodes for q in source.quads_for_pattern(None, None, n, default)}
    described = {q.subject for q in first} | {q.object for q in first if isinstance(q.object, ox.NamedNode)}
    # A neighbour's shapes look at the statement nodes of its own links too.
    stated_by = ox.NamedNode(PREFIXES["cbec"] + "subject")
    described |= {
        q.subject for d in list(described) for q in source.quads_for_pattern(None, stated_by, d, default)
    }
    full = {q for subject in described for q in describe(subject)}
    mentioned = {q.object for q in full if isinstance(q.object, ox.NamedNode)} - described
    types = {q for m in mentioned for q in source.quads_for_pattern(m, RDF_TYPE, None, default)}
    graph.extend(ox.Quad(q.subject, q.predicate, q.object) for q in first | full | types)
    return graph


def data_update(
    removed: Iterable[ox.Quad], added: Iterable[ox.Quad], graph: ox.NamedNode | None = None
) -> str:
    """DELETE DATA / INSERT DATA for quads, terms written by Oxigraph's own serializer."""

    def block(quads: Iterable[ox.Quad]) -> str:
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8") if triples else ""
        return f"GRAPH {graph} {{ {body} }}" if graph is not None else body

    parts = []
    removed, added = list(removed), list(added)
    if removed:
        parts.append(f"DELETE DATA {{ {block(removed)} }}")
    if added:
        parts.append(f"INSERT DATA {{ {block(added)} }}")
    return " ;\n".join(parts) or "INSERT DATA { }"


def open_store(spec: str | None = None) -> Store:
    """The store named by ``spec``, else by $KG_STORE, else the bundled dataset.

    ``PATH.ttl`` is a Turtle store, ``oxigraph:PATH`` an on-disk Oxigraph database and
    ``http(s)://...`` a SPARQL 1.1 Query and Update endpoint.
    """
    spec = spec or os.environ.get(STORE_ENV) or None
    if spec is None:
        path = bundled_dataset()
        return TurtleStore(path, read_only=is_packaged(path))
    if spec.startswith("oxigraph:"):
        return OxigraphStore(spec.removeprefix("oxigraph:"))
    if spec.startswith(("http://", "https://")):
        from kg.remote import RemoteStore

        return RemoteStore(spec)
    return TurtleStore(Path(spec).expanduser(), read_only=is_packaged(Path(spec)))


def init_store(spec: str, empty: bool = False) -> Store:
    """Create a new store, seeded with the bundled dataset unless ``empty``."""
    seed = [] if empty else list(TurtleStore(bundled_dataset()).triples())
    store = open_store(str(spec))
    if isinstance(store, TurtleStore):
        path = store.path
        if path.exists():
            raise StoreError(f"{path} already exists; choose another path or remove it first")
        if not path.parent.is_dir():
            raise StoreError(f"folder {path.parent} does not exist; create it first")
        atomic_write(path, serialize_turtle(seed))
    elif isinstance(store, OxigraphStore):
        if store.path.exists() and any(store.path.iterdir()):
            raise StoreError(f"{store.path} already exists and is not empty; choose another path")
        store.path.mkdir(parents=True, exist_ok=True)
        store.db.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in seed)
        store.flush()
    else:
        store.initialise(seed)
    return store


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
    # split("\n"), not splitlines(): U+0085, U+2028 and U+2029 may sit inside string literals.
    return "".join(line + "\n" for line in text.split("\n") if line and not line.startswith("@prefix"))


def check_target(path: Path, force: bool, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Refuse to write through a symbolic link, over anything but a file, or over a file without
    ``force``, unless ``replaceable`` says kg may replace it (a page kg wrote itself)."""
    if path.is_symlink():
        raise KgError(f"{path} is a symbolic link; kg does not write through links: choose another path")
    if path.exists() and not path.is_file():
        raise KgError(f"{path} is in the way and is not a file; move it away or choose another path")
    if path.exists() and not force:
        if replaceable is None:
            raise KgError(f"{path} exists; pass --force to overwrite it")
        if not replaceable(path):
            raise KgError(
                f"{path} exists and was not written by kg; move it away or pass --force to replace it"
            )


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    directory = path.parent
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; a store or an export is an ordinary file (0666 less the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
        raise StoreError(f"could not write {path}: {reason}; the file there is unchanged") from None
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

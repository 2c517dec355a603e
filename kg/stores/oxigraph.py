"""A persistent Oxigraph (RocksDB) database: ``oxigraph:PATH``."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.stores.base import ANALYSIS_GRAPH, Store, data_update, neighbourhood_of
from kg.stores.files import atomic_write
from kg.vocabulary import ONTOLOGY_GRAPH, PREFIXES, ontology_fingerprint, ontology_store


class OxigraphStore(Store):
    """A persistent Oxigraph (RocksDB) database: millions of triples, transactional updates.

    Data sits in the default graph, the ontology and analysis results in their named graphs,
    so queries run on the database itself. RocksDB lets one process open it at a time.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        self.location = f"oxigraph:{self.path}"
        self._db: ox.Store | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def db(self) -> ox.Store:
        if self._db is None:
            if not self.path.is_dir():
                raise StoreError(
                    f"no Oxigraph store at {self.path}; create one with `kg init oxigraph:{self.path}`"
                )
            check_tables(self.path)
            self._db = open_database(self.path)
            finish_import(self._db, self.path)
            sync_ontology(self._db)
            record_tables(self.path)
            if self._finalizer is None:
                # Tables RocksDB finishes later (compactions) are recorded when kg lets the
                # store go: once per store, however often it is opened again.
                self._finalizer = weakref.finalize(self, record_tables, self.path)
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

    def initialise(self, seed: list[ox.Triple]) -> None:
        if self.path.exists() and any(self.path.iterdir()):
            raise StoreError(f"{self.path} already exists and is not empty; choose another path")
        self.path.mkdir(parents=True, exist_ok=True)
        self.db.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in seed)
        self.flush()

    def close(self) -> None:
        """Let the database go at once, releasing RocksDB's lock for other processes."""
        if self._db is not None:
            self._db.flush()
            self._db = None
            record_tables(self.path)

    def add_all(self, source: ox.Store | Iterable[ox.Triple]) -> None:
        """Add ``source`` (the default graph of a staging store, or triples) so that a crash at
        any instant leaves the store without any of it or, once the next command opens the
        store, with all of it.

        The triples are first written to a journal in the store's folder, made durable and
        renamed into place (the commit point); then added; then the journal is deleted. A journal
        found when the store opens is replayed: adding a triple twice keeps one, and N-Triples
        keeps blank node labels, so a replay completes a cut-off merge without duplicates.
        """
        db = self.db  # opened first: opening replays a journal left before, not this one
        pending = self.path / (JOURNAL + ".tmp")
        try:
            if isinstance(source, ox.Store):
                source.dump(str(pending), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            else:
                ox.serialize(source, str(pending), format=ox.RdfFormat.N_TRIPLES)
            with open(pending, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(pending, self.path / JOURNAL)
            sync_folder(self.path)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pending)
            raise StoreError(
                f"could not write the import journal in {self.path}: {exc.strerror or exc}; "
                "nothing was imported"
            ) from None
        replay(db, self.path)

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


# The import being added (see OxigraphStore.add_all); with .tmp while it is still being written.
JOURNAL = "kg-import-journal.nt"


def finish_import(db: ox.Store, path: Path) -> None:
    """Complete an import a crash cut off after its commit point; forget one cut off before."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path / (JOURNAL + ".tmp"))
    if (path / JOURNAL).exists():
        replay(db, path)


def replay(db: ox.Store, path: Path) -> None:
    """Add the journal's triples, make them durable, then delete the journal."""
    journal = path / JOURNAL
    with open(journal, "rb") as handle:
        # Parsed in Python and added in chunks: memory stays bounded (Store.bulk_load held 2.5
        # times more for 300k triples), and Store.bulk_load would give blank nodes new labels
        # on every load, so a replay after a cut-off load would add them twice.
        triples = ox.parse(handle, ox.RdfFormat.N_TRIPLES)
        while chunk := list(itertools.islice(triples, 50_000)):
            db.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in chunk)
    db.flush()
    record_tables(path)
    os.unlink(journal)
    sync_folder(path)


def sync_folder(path: Path) -> None:
    """Make a rename or a deletion in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        handle.seek(max(stat.st_size - 8, 0))
        if handle.read(8) != TABLE_MAGIC:
            return None
        handle.seek(0)
        return stat.st_size, stat.st_mtime_ns, hashlib.file_digest(handle, "sha256").hexdigest()


def read_table_record(folder: Path) -> dict[str, list]:
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

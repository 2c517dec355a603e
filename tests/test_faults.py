"""Faults: a writer killed mid-save, a full disk, concurrent writers and a corrupted Oxigraph
store each leave the old state or the new one, and say what happened."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.stores import TurtleStore
from kg.stores.sparql_client import SparqlEndpoint
from tests.conftest import snapshot
from tests.hardening import CBEC, CBR, RDF_TYPE, assert_clean_exit, error_line, kg_process, run
from tests.test_store import WRITER

# ---------------------------------------------------------------- faults: SIGKILL during a save


KILLED_WRITER = """
import os, sys, time
from kg.edits import SourceSpec, add_source
from kg.stores import TurtleStore

real_fsync = os.fsync


def slow_fsync(fd):  # a slow disk: each fsync takes 40 ms, so kills often land inside a save
    time.sleep(0.04)
    real_fsync(fd)


os.fsync = slow_fsync
store = TurtleStore(sys.argv[1])
print("ready", flush=True)
for i in range(1000):
    add_source(store, SourceSpec(f"cbr:source-k{sys.argv[2]}-{i}", f"Killed writer {sys.argv[2]} note {i}"))
    print(i, flush=True)
"""


def sources_in(path: Path) -> set[str]:
    graph = TurtleStore(path).load()  # parses: never a broken file
    return {
        q.subject.value
        for q in graph.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(CBEC + "Source"))
    }


def test_fifty_kills_during_saves_leave_the_old_or_the_new_state(store_path: Path) -> None:
    """50 writers killed at varied moments (seeded delays): after each kill the store parses and holds
    every add reported done, plus at most the one in flight. Some kills land mid-write (a temp file
    is left behind), some after the rename (the save in flight landed)."""
    rng = random.Random(20160408)
    landed: set[str] = sources_in(store_path)
    mid_write = after_rename = 0
    # The delays scale with one save of this store, so kills land inside saves and after them
    # whatever the size of the bundled data (the writer's fsyncs add 40 ms each).
    started = time.perf_counter()
    assert run(store_path, "add", "source", "cbr:source-timing", "--title", "Timing").exit_code == 0
    save = time.perf_counter() - started + 0.08
    landed = sources_in(store_path)
    for kill in range(50):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(store_path), str(kill)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 3.5 * save))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        mid_write += bool(list(store_path.parent.glob(f".{store_path.name}.*.tmp")))
        done = {CBR + f"source-k{kill}-{line}" for line in out.split()}
        now = sources_in(store_path)
        mine = {s for s in now if s.startswith(CBR + f"source-k{kill}-")}
        assert landed <= now, "an earlier save was lost"
        assert done <= mine, "a save reported done was lost"
        extra = mine - done
        assert extra <= {CBR + f"source-k{kill}-{len(done)}"}, extra  # only the save in flight
        after_rename += len(extra)
        assert now - landed == mine, "something else changed"
        landed = now
    assert mid_write >= 2 and after_rename >= 2, (mid_write, after_rename)
    # a killed save's temp file is swept by the next write, under the lock
    assert run(store_path, "add", "source", "cbr:source-after-kills", "--title", "After").exit_code == 0
    assert not list(store_path.parent.glob(f".{store_path.name}.*.tmp"))
    assert run(store_path, "validate").exit_code == 0


# ---------------------------------------------------------------- faults: disk full


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder``, unmounted whatever happens."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a {size} tmpfs here ({mounted.stderr.strip() or 'not permitted'})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(disk: Path) -> Path:
    """Write zeros until the disk refuses another byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * 4096):
                pass
    finally:
        os.close(fd)
    return filler


@pytest.mark.parametrize(("backend", "size"), [("turtle", "256k"), ("oxigraph", "8m")])
def test_a_full_disk_is_named_and_the_store_survives(tmp_path: Path, backend: str, size: str) -> None:
    with tiny_disk(tmp_path / "disk", size) as disk:
        spec = str(disk / "store.ttl") if backend == "turtle" else f"oxigraph:{disk / 'db'}"
        assert run(spec, "init", spec, "--empty").exit_code == 0
        assert run(spec, "add", "source", "cbr:source-before", "--title", "Before").exit_code == 0
        before = snapshot(spec)
        filler = fill(disk)
        proc = kg_process(
            "--store", spec, "add", "source", "cbr:source-full", "--title", "Disk full " * 200, text=True
        )
        assert_clean_exit(proc)
        assert proc.returncode == 1
        if backend == "turtle":
            assert (
                proc.stderr
                == f"Error: could not write {spec}: the disk is full; the file there is unchanged\n"
            )
            out = disk / "export.ttl"
            result = run(spec, "export", "ttl", "--out", str(out))
            assert (
                error_line(result)
                == f"Error: could not write {out}: the disk is full; the file there is unchanged"
            )
            assert not out.exists()
            assert not list(disk.glob(".*.tmp"))
        else:
            assert (
                proc.stderr.startswith(f"Error: cannot open {spec}: ")
                and "No space left on device" in proc.stderr
            )
        filler.unlink()
        assert snapshot(spec) == before
        assert run(spec, "add", "source", "cbr:source-after", "--title", "After").exit_code == 0
        assert len(snapshot(spec) - before) == 2


# ---------------------------------------------------------------- faults: concurrent writers


@pytest.mark.parametrize("writers", [2, 8])
def test_concurrent_writers_all_land(empty_store: Path, writers: int) -> None:
    per_writer = 40
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(empty_store), f"c{w}", str(per_writer)])
        for w in range(writers)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0] * writers
    expected = {CBR + f"source-wc{w}-{i}" for w in range(writers) for i in range(per_writer)}
    assert sources_in(empty_store) == expected | {CBR + "source-test"}


# ---------------------------------------------------------------- faults: a corrupted Oxigraph store


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(random.Random(7).randrange(256) for _ in range(64))
    path.write_bytes(bytes(data))


def largest(folder: Path, pattern: str) -> Path:
    return max(folder.glob(pattern), key=lambda p: p.stat().st_size)


CORRUPTIONS = [
    pytest.param(
        "CURRENT", lambda db: (db / "CURRENT").write_text("MANIFEST-999999\n"), id="CURRENT-points-nowhere"
    ),
    pytest.param("CURRENT", lambda db: (db / "CURRENT").write_bytes(b""), id="CURRENT-truncated"),
    pytest.param("MANIFEST-*", lambda db: garble(largest(db, "MANIFEST-*")), id="MANIFEST-garbled"),
    pytest.param(
        "MANIFEST-*",
        lambda db: largest(db, "MANIFEST-*").write_bytes(largest(db, "MANIFEST-*").read_bytes()[:100]),
        id="MANIFEST-truncated",
    ),
    pytest.param(
        "*.sst",
        lambda db: largest(db, "*.sst").write_bytes(largest(db, "*.sst").read_bytes()[:1000]),
        id="sst-truncated",
    ),
    pytest.param(
        "*.sst",
        lambda db: garble(largest(db, "*.sst")),
        id="sst-garbled",
    ),
]


@pytest.mark.parametrize(("target", "corrupt"), CORRUPTIONS)
def test_a_corrupted_oxigraph_store_is_named_and_never_overwritten(
    tmp_path: Path, target: str, corrupt
) -> None:
    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert run(spec, "init", spec).exit_code == 0
    assert kg_process("--store", spec, "stats").returncode == 0  # let RocksDB settle its files
    corrupt(db)

    def files() -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in db.iterdir()
            if not p.name.startswith("LOG")
        }

    before = files()
    for args in (["stats"], ["add", "source", "cbr:source-after-corruption", "--title", "After"]):
        proc = kg_process("--store", spec, *args, text=True)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr[-300:])
        assert_clean_exit(proc)
        assert proc.stderr.startswith("Error: ") and str(db) in proc.stderr.splitlines()[0], proc.stderr[
            -300:
        ]
    assert files() == before, "kg changed the corrupted store's files"
    assert run(spec, "init", spec).exit_code == 1  # and never re-initialises over it
    assert files() == before


def test_store_check_finds_a_garbled_table_whose_size_and_time_were_kept(tmp_path: Path) -> None:
    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert run(spec, "init", spec).exit_code == 0
    sound = kg_process("store", "check", spec, text=True)
    assert sound.returncode == 0 and sound.stdout.endswith("quads read back; no damage found\n"), sound
    table = largest(db, "*.sst")
    times = table.stat()
    garble(table)  # bit rot: same size, and the times put back
    os.utime(table, ns=(times.st_atime_ns, times.st_mtime_ns))
    proc = kg_process("store", "check", spec, text=True)
    assert proc.returncode == 1 and proc.stderr.startswith(
        f"Error: {spec} is damaged (the table file {table.name} changed after RocksDB wrote it); "
        "kg left it as it is"
    ), proc.stderr


def test_every_finished_table_is_recorded_and_many_writes_raise_no_false_alarm(tmp_path: Path) -> None:
    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert run(spec, "init", spec).exit_code == 0
    seen: set[str] = set()
    for i in range(12):  # enough flushes for RocksDB to compact, in separate processes
        proc = kg_process("--store", spec, "add", "source", f"cbr:source-w{i}", "--title", f"W{i}", text=True)
        assert proc.returncode == 0, proc.stderr
        seen |= {p.name for p in db.glob("*.sst")}
    assert kg_process("--store", spec, "stats").returncode == 0
    tables = {p.name for p in db.glob("*.sst")}
    assert seen - tables, "no compaction replaced a table: the test proves nothing"
    assert set(json.loads((db / "kg-checksums.json").read_text())["tables"]) == tables
    assert kg_process("store", "check", spec).returncode == 0


def test_an_unfinished_table_is_not_recorded_until_its_footer_is_written(tmp_path: Path) -> None:
    from kg.stores.oxigraph import TABLE_MAGIC, check_tables, record_tables

    table = tmp_path / "000007.sst"
    table.write_bytes(b"block data being written")
    record_tables(tmp_path)
    assert not (tmp_path / "kg-checksums.json").exists()
    table.write_bytes(b"block data being written, then the footer" + TABLE_MAGIC)
    record_tables(tmp_path)
    assert list(json.loads((tmp_path / "kg-checksums.json").read_text())["tables"]) == ["000007.sst"]
    assert check_tables(tmp_path, full=True) == 1
    table.unlink()  # compacted away
    assert check_tables(tmp_path, full=True) == 0


def test_a_copied_store_is_rehashed_once_not_on_every_open(tmp_path: Path, monkeypatch) -> None:
    import shutil

    import kg.stores.oxigraph

    db, copy = tmp_path / "db", tmp_path / "copy"
    assert run(f"oxigraph:{db}", "init", f"oxigraph:{db}").exit_code == 0
    shutil.copytree(db, copy, copy_function=shutil.copy)  # new times, same bytes
    hashed = []
    digest = kg.stores.oxigraph.table_digest
    monkeypatch.setattr(
        kg.stores.oxigraph, "table_digest", lambda path: hashed.append(path.name) or digest(path)
    )
    tables = {p.name for p in copy.glob("*.sst")}
    for _ in range(3):
        assert run(f"oxigraph:{copy}", "stats").exit_code == 0
    assert hashed.count(min(tables)) <= 2, hashed  # checked and re-recorded once, then trusted


def test_a_table_written_after_the_manifest_is_not_called_damage(tmp_path: Path) -> None:
    """A table a compaction finished but a crash kept out of the MANIFEST is no part of the
    store: RocksDB deletes it when it opens, so its bytes do not matter."""
    from kg.stores.oxigraph import TABLE_MAGIC, record_tables

    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert run(spec, "init", spec).exit_code == 0
    orphan = db / "999999.sst"
    orphan.write_bytes(b"compaction output" + TABLE_MAGIC)
    record_tables(db)
    garble(orphan)
    proc = kg_process("--store", spec, "stats", text=True)
    assert proc.returncode == 0, proc.stderr
    assert not orphan.exists()  # RocksDB purged it
    assert kg_process("store", "check", spec).returncode == 0


def test_a_garbled_checksum_record_is_named(tmp_path: Path) -> None:
    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert run(spec, "init", spec).exit_code == 0
    (db / "kg-checksums.json").write_text("{not json")
    assert error_line(run(spec, "stats")) == (
        f"Error: {db / 'kg-checksums.json'} is not kg's record of the store's table checksums; delete it "
        "and kg starts a new record from the tables as they are now"
    )


# ---------------------------------------------------------------- faults: SIGKILL during an import


def oxigraph_count(folder: Path) -> int:
    """The store's triples as the next command sees them (opening it replays a committed import)."""
    from kg.stores import OxigraphStore

    store = OxigraphStore(folder)
    try:
        return store.size()
    finally:
        store.close()


def test_twenty_kills_during_an_oxigraph_import_leave_the_old_or_the_new_count(tmp_path: Path) -> None:
    """A 100k-triple import into `oxigraph:` killed at 20 seeded instants spread over its whole
    run (parse, checks, journal, merge): each time the next command counts exactly the triples
    before or after the import, and `kg validate` passes."""
    from bench.generate import generate

    data = tmp_path / "import.ttl"
    data.write_text(generate(100_000), encoding="utf-8")
    folder = tmp_path / "db"

    def fresh() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        assert_clean_exit(kg_process("init", f"oxigraph:{folder}"))

    fresh()
    old = oxigraph_count(folder)
    started = time.perf_counter()
    assert_clean_exit(kg_process("--store", f"oxigraph:{folder}", "import", str(data)))
    whole = time.perf_counter() - started
    new = oxigraph_count(folder)
    assert new > old + 80_000
    rng = random.Random(20161001)
    outcomes = {"old": 0, "new": 0, "replayed": 0}
    for _ in range(20):
        fresh()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "--store", f"oxigraph:{folder}", "import", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.1) * whole)
        proc.kill()
        proc.wait(timeout=60)
        outcomes["replayed"] += (folder / "kg-import-journal.nt").exists()
        count = oxigraph_count(folder)
        assert count in (old, new), f"{count} triples: neither {old} (before) nor {new} (after)"
        outcomes["old" if count == old else "new"] += 1
        assert not list(folder.glob("kg-import-journal*")), "the journal outlived the next open"
        assert_clean_exit(validated := kg_process("--store", f"oxigraph:{folder}", "validate"))
        assert validated.returncode == 0, validated.stdout
    # Kills before the commit point, after it (replayed on open) and after the import.
    assert outcomes["old"] >= 2 and outcomes["new"] >= 2 and outcomes["replayed"] >= 1, outcomes


# ---------------------------------------------------------------- faults: the endpoint under faults


@pytest.fixture(scope="module")
def big_source(tmp_path_factory) -> tuple[Path, set[str]]:
    """An Oxigraph store of about 13,000 generated triples, and its triples as text."""
    from bench.generate import generate
    from kg.stores import OxigraphStore

    folder = tmp_path_factory.mktemp("copy-source")
    data = folder / "data.ttl"
    data.write_text(generate(15_000), encoding="utf-8")
    assert_clean_exit(kg_process("init", f"oxigraph:{folder / 'db'}", "--empty"))
    assert_clean_exit(kg_process("--store", f"oxigraph:{folder / 'db'}", "import", str(data)))
    store = OxigraphStore(folder / "db")
    try:
        triples = {str(t) for t in store.triples()}
    finally:
        store.close()
    return folder / "db", triples


def remote_triples(url: str) -> set[str]:
    from kg.stores import open_store

    return {str(t) for t in open_store(url).triples()}


def empty_endpoint(server) -> None:
    from kg.stores.remote import STAGING_PREFIX

    endpoint = server.endpoint() if hasattr(server, "endpoint") else SparqlEndpoint(server.url)
    _, rows = endpoint.select("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")
    for row in rows:
        if row["g"].value.startswith(("https://w3id.org/cbec/", STAGING_PREFIX)):
            endpoint.update(f"DROP SILENT GRAPH {row['g']}")


@pytest.mark.parametrize("kind", ["virtuoso", "oxigraph-server"])
def test_a_server_killed_mid_copy_and_restarted_takes_the_rerun_whole(request, big_source, kind) -> None:
    """The server SIGKILLed at seeded instants during `kg store copy`: the copy ends with an error
    naming the endpoint; after a restart the rerun copies everything, with nothing twice."""
    server = request.getfixturevalue("virtuoso_server" if kind == "virtuoso" else "oxigraph_server")
    restart = server.kill_and_restart if kind == "virtuoso" else lambda: (server.kill(), server.start())
    source, expected = big_source
    rng = random.Random(20160408)
    empty_endpoint(server)
    started = time.perf_counter()
    assert_clean_exit(kg_process("store", "copy", f"oxigraph:{source}", server.url))
    whole = time.perf_counter() - started
    assert remote_triples(server.url) == expected
    cut_off = 0
    for _ in range(3):
        empty_endpoint(server)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "store", "copy", f"oxigraph:{source}", server.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(0.3, 0.8) * whole)
        restart_after_kill = proc.poll() is None
        restart()
        out, err = proc.communicate(timeout=120)
        if restart_after_kill and proc.returncode == 1:
            cut_off += 1
            assert err.startswith("Error: ") and "127.0.0.1" in err, err
            assert "Traceback" not in err
        landed = remote_triples(server.url)
        assert landed in (set(), expected), f"{len(landed)} triples: neither none nor all"
        rerun = kg_process("store", "copy", f"oxigraph:{source}", server.url)
        assert b"Traceback" not in rerun.stderr
        if landed:  # the copy landed before the kill cut its answer or its clean-up short
            assert rerun.returncode == 1 and b"already holds kg data" in rerun.stderr, rerun.stderr
        else:
            assert rerun.returncode == 0, rerun.stderr
        assert remote_triples(server.url) == expected
    assert cut_off >= 1
    empty_endpoint(server)


@pytest.mark.parametrize("kind", ["virtuoso", "oxigraph-server"])
def test_a_client_killed_mid_import_into_an_endpoint_leaves_the_old_or_the_new_data(
    request, big_source, tmp_path: Path, kind
) -> None:
    """`kg import` into an endpoint SIGKILLed at 20 seeded instants: the data graph holds exactly the
    triples before or after, and the next command removes the staging graph left behind."""
    from bench.generate import generate

    server = request.getfixturevalue("virtuoso_server" if kind == "virtuoso" else "oxigraph_server")
    data = tmp_path / "data.ttl"
    data.write_text(generate(12_000), encoding="utf-8")
    rng = random.Random(20161001)
    outcomes = []
    for attempt in range(21):  # one whole import, then 20 kills
        empty_endpoint(server)
        assert_clean_exit(kg_process("init", server.url, "--empty"))
        old = remote_triples(server.url)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "--store", server.url, "import", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if attempt == 0:
            proc.wait(120)
            whole = time.perf_counter() - started
            new = remote_triples(server.url)
            assert len(new) > len(old) + 9_000
            continue
        time.sleep(rng.uniform(0.2, 1.0) * whole)
        proc.kill()
        proc.wait(30)
        stats = kg_process("--store", server.url, "stats")
        assert_clean_exit(stats)
        now = remote_triples(server.url)
        assert now in (old, new), len(now)
        outcomes.append("new" if now == new else "old")
        left = SparqlEndpoint(*server.url.split()).select(
            "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } "
            'FILTER(STRSTARTS(STR(?g), "https://w3id.org/cbec/staging/")) }'
        )[1]
        assert left == [], "the next command left a staging graph behind"
    empty_endpoint(server)
    assert "old" in outcomes, outcomes


def test_a_journal_with_blank_nodes_replayed_twice_adds_them_once(tmp_path: Path) -> None:
    """A merge cut off after the commit point is replayed when the store opens, maybe after a
    replay that was itself cut off: blank nodes keep their labels, so nothing comes twice."""
    from kg.stores import OxigraphStore, init_store
    from kg.stores.oxigraph import JOURNAL

    folder = tmp_path / "db"
    init_store(f"oxigraph:{folder}", empty=True).close()
    journal = (
        "<https://w3id.org/cbec/resource/x> <http://www.w3.org/2000/01/rdf-schema#comment> _:note .\n"
        '_:note <http://www.w3.org/2000/01/rdf-schema#comment> "inside" .\n'
        '<https://w3id.org/cbec/resource/x> <http://www.w3.org/2000/01/rdf-schema#label> "X"@en .\n'
    )
    for _ in range(2):
        (folder / JOURNAL).write_text(journal, encoding="utf-8")
        store = OxigraphStore(folder)
        assert store.size() == 3
        assert not (folder / JOURNAL).exists()
        store.close()

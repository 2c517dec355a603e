"""The Turtle store: stable serialization, atomic validated writes, locking, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import ParseError, StoreError
from kg.resources import bundled_dataset
from kg.stores import TurtleStore, init_store, open_store
from kg.stores.files import parse_turtle, serialize_turtle


def isomorphic(a: ox.Store, b: ox.Store) -> bool:
    import rdflib
    from rdflib.compare import isomorphic as iso

    def to_rdflib(store):
        g = rdflib.Graph()
        g.parse(
            data=ox.serialize(
                (ox.Triple(q.subject, q.predicate, q.object) for q in store), format=ox.RdfFormat.N_TRIPLES
            ).decode(),
            format="nt",
        )
        return g

    return iso(to_rdflib(a), to_rdflib(b))


def test_round_trip_is_isomorphic_and_byte_stable(tmp_path: Path) -> None:
    original = parse_turtle(bundled_dataset())
    first = serialize_turtle(original)
    (tmp_path / "a.ttl").write_bytes(first)
    reloaded = parse_turtle(tmp_path / "a.ttl")
    assert isomorphic(original, reloaded)
    assert serialize_turtle(reloaded) == first


def test_one_add_makes_a_small_diff(store_path: Path, kg) -> None:
    before = store_path.read_text(encoding="utf-8").splitlines()
    result = kg(
        "add",
        "entity",
        "cbr:test-platform",
        "--type",
        "cbec:VerticalPlatform",
        "--label",
        "Test Platform",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 0, result.output
    after = store_path.read_text(encoding="utf-8").splitlines()
    import difflib

    changed = [
        line
        for line in difflib.unified_diff(before, after, n=0, lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert all(line.startswith("+") for line in changed)
    assert 3 <= len(changed) <= 6


def test_init_seeds_with_the_bundled_dataset(tmp_path: Path) -> None:
    store = init_store(tmp_path / "new.ttl")
    assert isomorphic(store.load(), parse_turtle(bundled_dataset()))
    with pytest.raises(StoreError, match="already exists"):
        init_store(tmp_path / "new.ttl")


def test_parse_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        '@prefix cbr: <https://w3id.org/cbec/resource/> .\ncbr:a cbr:b "x" .\ncbr:a cbr:b "open .\n'
    )
    with pytest.raises(ParseError, match=rf"{bad}:3: "):
        TurtleStore(bad).load()


def test_corrupt_store_is_never_overwritten(tmp_path: Path, kg) -> None:
    bad = tmp_path / "bad.ttl"
    text = "@prefix cbr: <https://w3id.org/cbec/resource/> .\ncbr:a cbr:b .\n"
    bad.write_text(text)
    result = kg("add", "source", "cbr:source-x", "--title", "X", store=bad)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}:2: ")
    assert bad.read_text() == text


def test_failure_during_serialization_leaves_the_original(store_path: Path, monkeypatch) -> None:
    import kg.stores.turtle

    original = store_path.read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk went away halfway")

    monkeypatch.setattr(kg.stores.turtle, "serialize_turtle", explode)
    from kg.edits import SourceSpec, add_source

    with pytest.raises(RuntimeError):
        add_source(TurtleStore(store_path), SourceSpec("cbr:source-new", "New"))
    assert store_path.read_bytes() == original
    assert not list(store_path.parent.glob(".*.tmp"))


def test_stray_temp_files_are_cleaned_on_the_next_write(store_path: Path, kg) -> None:
    stray = store_path.with_name(f".{store_path.name}.abc123.tmp")
    stray.write_text("half a file")
    assert kg("add", "source", "cbr:source-y", "--title", "Y").exit_code == 0
    assert not stray.exists()


def test_bundled_store_inside_an_installed_package_is_read_only(tmp_path: Path) -> None:
    from kg.edits import SourceSpec, add_source

    store = TurtleStore(bundled_dataset(), read_only=True)
    with pytest.raises(StoreError, match="read-only; make your own copy with `kg init"):
        add_source(store, SourceSpec("cbr:source-z", "Z"))


def test_store_from_environment(monkeypatch, store_path: Path) -> None:
    monkeypatch.setenv("KG_STORE", str(store_path))
    assert open_store().location == str(store_path)


WRITER = """
import sys
from kg.edits import SourceSpec, add_source
from kg.stores import TurtleStore
store = TurtleStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    add_source(store, SourceSpec(f"cbr:source-w{sys.argv[2]}-{i}", f"Writer {sys.argv[2]} note {i}"))
"""


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_writers_all_land(empty_store: Path, writers: int) -> None:
    per_writer = 10
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(empty_store), str(w), str(per_writer)])
        for w in range(writers)
    ]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    graph = TurtleStore(empty_store).load()
    sources = {
        q.subject.value
        for q in graph.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("https://w3id.org/cbec/ontology#Source"),
        )
    }
    expected = {
        f"https://w3id.org/cbec/resource/source-w{w}-{i}" for w in range(writers) for i in range(per_writer)
    }
    assert expected <= sources


def test_killed_writer_leaves_old_or_new_file(empty_store: Path) -> None:
    import signal
    import time

    states = []
    for attempt in range(10):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(empty_store), f"k{attempt}", "50"])
        time.sleep(0.3 + 0.05 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        states.append(len(TurtleStore(empty_store).load()))  # parses: never a broken file
    assert states == sorted(states)


HOLDER = """
import sys, time
import pyoxigraph as ox
store = ox.Store(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_oxigraph_store_in_use_is_a_clear_error(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    init_store(spec, empty=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "db")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", "--store", spec, "stats"], capture_output=True, text=True
        )
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: store in use: another process has {spec} open")
    finally:
        holder.kill()
        holder.wait()


def test_oxigraph_store_keeps_what_was_written(tmp_path: Path) -> None:
    from kg.edits import SourceSpec, add_source

    spec = f"oxigraph:{tmp_path / 'db'}"
    init_store(spec)
    add_source(open_store(spec), SourceSpec("cbr:source-kept", "Kept across processes"))
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "--store", spec, "query", "sources", "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert "https://w3id.org/cbec/resource/source-kept,Kept across processes" in result.stdout
    copy = open_store(spec).load()
    assert isomorphic_without(copy, parse_turtle(bundled_dataset()), "source-kept")


def isomorphic_without(graph: ox.Store, expected: ox.Store, slug: str) -> bool:
    iri = ox.NamedNode("https://w3id.org/cbec/resource/" + slug)
    for quad in list(graph.quads_for_pattern(iri, None, None)):
        graph.remove(quad)
    return isomorphic(graph, expected)


def test_an_entity_whose_facts_hold_blank_nodes_is_removed_whole(store_spec: str) -> None:
    """SPARQL forbids blank nodes in DELETE DATA: the removal must still take every fact of the
    entity, blank nodes and what hangs from them included, and nothing of anyone else's (here
    an IRI with a triple of the same shape as one of the entity's blank nodes)."""
    from kg.edits import remove_entity
    from kg.vocabulary import CBEC, CBR, PREFIXES, RDF_TYPE

    store = open_store(store_spec)
    entity, alibaba = ox.NamedNode(CBR + "blanky"), ox.NamedNode(CBR + "alibaba")
    comment = ox.NamedNode(PREFIXES["rdfs"] + "comment")
    note, other = ox.BlankNode("note-1"), ox.BlankNode("note-2")
    facts = [
        ox.Quad(entity, RDF_TYPE, ox.NamedNode(CBEC + "Platform")),
        ox.Quad(entity, ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.Literal("Blanky", language="en")),
        ox.Quad(entity, comment, note),
        ox.Quad(note, comment, ox.Literal("a note")),
        ox.Quad(note, comment, other),
        ox.Quad(other, comment, ox.Literal("a nested note")),
        ox.Quad(entity, comment, alibaba),
    ]
    neighbour = ox.Quad(alibaba, comment, ox.Literal("a note"))

    def now() -> set[str]:
        return {str(t) for t in store.triples()}

    def seed(quads: list[ox.Quad]) -> None:  # past validation: no shape allows these notes
        graph = store.load() if isinstance(store, TurtleStore) else ox.Store()
        graph.extend(quads)
        store.apply(set(quads), set(), graph)

    seed([neighbour])
    before = now()
    seed(facts)
    assert len(now()) == len(before) + len(facts)
    remove_entity(store, "cbr:blanky")
    assert now() == before

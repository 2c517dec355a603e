"""Benchmark of the store backends against raw pyoxigraph (the floor) and plain rdflib.

    python -m bench.stores [SIZES...]      (default: 10000 100000 1000000)

For each size it generates the seeded synthetic ecosystem (bench/generate.py), then times
import, five bundled queries, `kg analyze chokepoints` and `kg export html --view ecosystem`
on the Turtle and Oxigraph backends, each printed as seconds and as a ratio to raw
pyoxigraph doing the same work in the same process; rdflib is timed on import and queries.
It ends with the start-up figures: `kg --help` and `kg query` on the bundled data, median
of seven runs. Results are printed as Markdown tables (kept in bench/README.md).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.generate import generate
from kg.stores import init_store, open_store
from kg.vocabulary import PREFIXES, with_ontology

QUERIES = [
    ("participants-by-series", []),
    ("dependencies-of", ["participant=cbr:platform-0"]),
    ("dependents-of", ["target=cbr:logisticsprovider-0"]),
    ("policies", []),
    ("entities-without-links", []),
]


def timed(work):
    start = time.perf_counter()
    value = work()
    return value, time.perf_counter() - start


def bench_size(size: int, folder: Path) -> list[tuple[str, str, float, float | None, float | None]]:
    """Rows of (task, backend, seconds, floor seconds, rdflib seconds)."""
    from kg.analysis.chokepoints import chokepoints
    from kg.api import KnowledgeGraph
    from kg.queries import find_query, parse_param, run_query
    from kg.transfer import import_files
    from kg.views.export import export_views

    data = folder / f"synthetic-{size}.ttl"
    data.write_text(generate(size), encoding="utf-8")
    raw = ox.Store(str(folder / f"raw-{size}"))
    _, floor_import = timed(lambda: raw.bulk_load(path=str(data), format=ox.RdfFormat.TURTLE))
    with_ontology(raw)
    rdflib_graph, rdflib_import = rdflib_load(data)
    rows = []
    backends = {"oxigraph": f"oxigraph:{folder / f'kg-{size}'}"}
    if size <= 100_000:
        backends["turtle"] = str(folder / f"kg-{size}.ttl")
    for backend, spec in backends.items():
        init_store(spec, empty=True)
        store = open_store(spec)
        _, seconds = timed(lambda store=store: import_files(store, [data]))
        rows.append(("import", backend, seconds, floor_import, rdflib_import))
        for name, params in QUERIES:
            _, seconds = timed(lambda store=store, name=name, params=params: run_query(store, name, params))
            text = find_query(name).text
            bindings = {ox.Variable(k): v for k, v in (parse_param(p) for p in params)}
            _, floor = timed(
                lambda: list(
                    raw.query(
                        text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=bindings
                    )
                )
            )
            # rdflib's NOT EXISTS is quadratic here (9 s at 10k triples): it is timed only where it ends.
            slow = name == "entities-without-links" and size > 10_000
            theirs = None if slow else rdflib_query(rdflib_graph, text, params)
            rows.append((f"query {name}", backend, seconds, floor, theirs))
        _, seconds = timed(lambda store=store: chokepoints(KnowledgeGraph(store).network()))
        rows.append(("analyze chokepoints", backend, seconds, floor_import, None))
        views = folder / f"views-{backend}-{size}"
        _, seconds = timed(lambda store=store, views=views: export_views(store, views, ["ecosystem"]))
        rows.append(("export html (ecosystem)", backend, seconds, floor_import, None))
        del store
    return rows


def rdflib_load(path: Path):
    import rdflib

    graph = rdflib.Graph()
    _, seconds = timed(lambda: graph.parse(path, format="turtle"))
    from kg.resources import resource_dir

    for name in ("cbec.ttl", "external.ttl"):
        graph.parse(resource_dir("ontology") / name, format="turtle")
    return graph, seconds


def rdflib_query(graph, text: str, params: list[str]) -> float:
    import rdflib

    from kg.queries import parse_param

    bindings = {k: rdflib.URIRef(v.value) for k, v in (parse_param(p) for p in params)}
    _, seconds = timed(lambda: list(graph.query(text, initNs=PREFIXES, initBindings=bindings)))
    return seconds


def startup() -> list[tuple[str, float]]:
    kg = [sys.executable, "-m", "kg.cli"]
    out = []
    for label, args in [
        ("kg --help", ["--help"]),
        ("kg query participants-by-series (bundled)", ["query", "participants-by-series"]),
    ]:
        runs = []
        for _ in range(7):
            _, seconds = timed(lambda: subprocess.run(kg + args, check=True, stdout=subprocess.DEVNULL))
            runs.append(seconds)
        out.append((label, statistics.median(runs)))
    return out


def main(sizes: list[int]) -> None:
    header = ["triples", "task", "backend", "kg s", "raw s", "kg / raw", "rdflib s", "rdflib / raw"]
    print("| " + " | ".join(header) + " |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        for size in sizes:
            for task, backend, seconds, floor, theirs in bench_size(size, Path(tmp)):
                ratio = f"{seconds / floor:.2f}x" if floor else ""
                rdf = f"{theirs:.3f}" if theirs is not None else ""
                rdf_ratio = f"{theirs / floor:.1f}x" if theirs is not None and floor else ""
                cells = [f"{size:,}", task, backend, f"{seconds:.3f}", f"{floor:.3f}", ratio, rdf, rdf_ratio]
                print("| " + " | ".join(cells) + " |", flush=True)
    print()
    print("| start-up (wall, median of 7) | seconds |")
    print("|---|---:|")
    for label, seconds in startup():
        print(f"| {label} | {seconds:.3f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

"""Benchmark of the store backends against raw pyoxigraph (the floor) and plain rdflib.

    python -m bench.stores [SIZES...]      (default: 10000 100000 1000000)

For each shape of bench/generate.py (chain, flat) and each size it generates the seeded
synthetic ecosystem, then times import, five bundled queries, `kg analyze all` (centrality
plus chokepoints on one projection) and `kg export html --view ecosystem` on the Turtle and
Oxigraph backends, each printed as seconds and as a ratio to raw pyoxigraph doing the same
work in the same process; rdflib is timed on import and queries. Then where each second of
the Oxigraph import goes, the peak memory (RSS) of each command beside raw pyoxigraph's bulk
load, each run in a process of its own, and the start-up figures: `kg --help` and `kg query`
on the bundled data, median of seven runs. Results are printed as Markdown tables (kept in
bench/README.md).
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


SHAPES = ("chain", "flat")
STEPS: dict[tuple[str, int], dict[str, float]] = {}  # (shape, size): the import's seconds per step


def bench_size(
    size: int, folder: Path, shape: str
) -> list[tuple[str, str, float, float | None, float | None]]:
    """Rows of (task, backend, seconds, floor seconds, rdflib seconds)."""
    from kg import reports
    from kg.api import KnowledgeGraph
    from kg.queries import find_query, parse_param, run_query
    from kg.transfer import import_files
    from kg.views.export import export_views

    data = folder / f"synthetic-{shape}-{size}.ttl"
    data.write_text(generate(size, shape=shape), encoding="utf-8")
    raw = ox.Store(str(folder / f"raw-{shape}-{size}"))
    _, floor_import = timed(lambda: raw.bulk_load(path=str(data), format=ox.RdfFormat.TURTLE))
    with_ontology(raw)
    rdflib_graph, rdflib_import = rdflib_load(data)
    rows = []
    backends = {"oxigraph": f"oxigraph:{folder / f'kg-{shape}-{size}'}"}
    if size <= 100_000:
        backends["turtle"] = str(folder / f"kg-{shape}-{size}.ttl")
    for backend, spec in backends.items():
        init_store(spec, empty=True)
        store = open_store(spec)
        result, seconds = timed(lambda store=store: import_files(store, [data]))
        if backend == "oxigraph":
            STEPS[(shape, size)] = {**result.seconds, "raw bulk_load": floor_import}
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
        _, seconds = timed(lambda store=store: reports.analysis_report(KnowledgeGraph(store)))
        rows.append(("analyze all", backend, seconds, floor_import, None))
        views = folder / f"views-{backend}-{shape}-{size}"
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


# Each command of the memory table, run in a process of its own: {data}, {store}, {views}.
MEMORY = {
    "raw pyoxigraph bulk_load": "import pyoxigraph as ox; ox.Store({store!r}).bulk_load(path={data!r})",
    "kg import (oxigraph:)": (
        "from pathlib import Path; from kg.stores import init_store, open_store; "
        "from kg.transfer import import_files; init_store({spec!r}, empty=True); "
        "import_files(open_store({spec!r}), [Path({data!r})])"
    ),
    "kg analyze all": (
        "from kg import reports; from kg.api import KnowledgeGraph; from kg.stores import open_store; "
        "reports.analysis_report(KnowledgeGraph(open_store({spec!r})))"
    ),
    "kg export html --view ecosystem": (
        "from kg.stores import open_store; from kg.views.export import export_views; "
        "export_views(open_store({spec!r}), __import__('pathlib').Path({views!r}), ['ecosystem'])"
    ),
}
PEAK = (
    "import resource, subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1]], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def memory(size: int, shape: str, folder: Path) -> list[tuple[str, int]]:
    """Peak RSS in MiB of each command on a fresh store, each in a process of its own."""
    data = folder / f"memory-{shape}-{size}.ttl"
    data.write_text(generate(size, shape=shape), encoding="utf-8")
    names = {
        "data": str(data),
        "store": str(folder / f"memory-raw-{shape}-{size}"),
        "spec": f"oxigraph:{folder / f'memory-kg-{shape}-{size}'}",
        "views": str(folder / f"memory-views-{shape}-{size}"),
    }
    out = []
    for label, code in MEMORY.items():
        run = subprocess.run(
            [sys.executable, "-c", PEAK, code.format(**names)], check=True, capture_output=True, text=True
        )
        out.append((label, int(run.stdout.split()[-1]) // 1024))
    return out


def main(sizes: list[int]) -> None:
    header = ["shape", "triples", "task", "backend", "kg s", "raw s", "kg / raw", "rdflib s", "rdflib / raw"]
    print("| " + " | ".join(header) + " |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        for shape in SHAPES:
            for size in sizes:
                for task, backend, seconds, floor, theirs in bench_size(size, Path(tmp), shape):
                    ratio = f"{seconds / floor:.2f}x" if floor else ""
                    rdf = f"{theirs:.3f}" if theirs is not None else ""
                    rdf_ratio = f"{theirs / floor:.1f}x" if theirs is not None and floor else ""
                    cells = [shape, f"{size:,}", task, backend, f"{seconds:.3f}", f"{floor:.3f}", ratio]
                    print("| " + " | ".join(cells + [rdf, rdf_ratio]) + " |", flush=True)
        print()
        steps = ["parse", "iris", "vocabulary", "neighbourhood", "shapes", "merge", "raw bulk_load"]
        print("| shape | triples | " + " | ".join(steps) + " |")
        print("|---|---:|" + "---:|" * len(steps))
        for (shape, size), seconds in STEPS.items():
            print(f"| {shape} | {size:,} | " + " | ".join(f"{seconds.get(s, 0):.2f}" for s in steps) + " |")
        print()
        largest = max(sizes)
        print(f"| peak RSS, MiB, {largest:,} triples | " + " | ".join(SHAPES) + " |")
        print("|---|" + "---:|" * len(SHAPES))
        table = {shape: memory(largest, shape, Path(tmp)) for shape in SHAPES}
        for i, (label, _) in enumerate(table[SHAPES[0]]):
            print(f"| {label} | " + " | ".join(str(table[shape][i][1]) for shape in SHAPES) + " |")
    print()
    print("| start-up (wall, median of 7) | seconds |")
    print("|---|---:|")
    for label, seconds in startup():
        print(f"| {label} | {seconds:.3f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

"""Benchmark: validating a generated graph on Oxigraph, beside the time to load the same graph.

    python -m bench.validation [SIZE]        (default: 1000000 triples)

On both shapes of bench/generate.py (chain, flat); then the time of every constraint at SIZE on
each shape, slowest first, so that a slow one shows by name.

Validation is the shapes' core constraints compiled to SPARQL (kg.validation.constraints.core_problems)
plus their SPARQL constraints (kg.validation.constraints.sparql_problems), both on Oxigraph. Times are
printed in seconds and as a ratio to loading the Turtle into Oxigraph in the same process, so
machines of different speed give comparable ratios. pySHACL runs on 100,000 triples only, for
comparison: on a million it would take far too long.
"""

from __future__ import annotations

import sys
import time

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH

from bench.generate import generate
from kg.resources import resource_dir
from kg.validation.constraints import (
    compiled_checks,
    core_problems,
    sparql_checks,
    sparql_problems,
    validation_view,
)
from kg.vocabulary import ONTOLOGY_FILES, PREFIXES

PYSHACL_SIZE = 100_000


def timed(work):
    start = time.perf_counter()
    value = work()
    return value, time.perf_counter() - start


SHAPES = ("chain", "flat")
SHOWN = 12


def loaded(size: int, shape: str = "chain") -> tuple[ox.Store, float]:
    text = generate(size, shape=shape)
    graph = ox.Store()
    _, load = timed(lambda: graph.load(text, format=ox.RdfFormat.TURTLE))
    return graph, load


def oxigraph_row(size: int, shape: str) -> str:
    graph, load = loaded(size, shape)
    core, core_time = timed(lambda: core_problems(graph, None))
    sparql, sparql_time = timed(lambda: sparql_problems(graph, None))
    total = core_time + sparql_time
    return (
        f"| Oxigraph (kg), {shape} | {len(graph):,} | {load:.2f} | "
        f"{core_time:.2f} s ({core_time / load:.1f}x) | "
        f"{sparql_time:.2f} s ({sparql_time / load:.1f}x) | {total:.2f} s ({total / load:.1f}x) | "
        f"{len(core) + len(sparql)} |"
    )


def pyshacl_row(size: int) -> tuple[str, float]:
    """pySHACL on the core constraints only: the shapes without their sh:sparql triples, the
    ontology as ont_graph, no inference (as tests/test_constraints.py compares them)."""
    graph, load = loaded(size)
    shapes = rdflib.Graph().parse(resource_dir("ontology") / "shapes.ttl")
    shapes.remove((None, SH.sparql, None))
    ontology = rdflib.Graph()
    for name in ONTOLOGY_FILES:
        ontology.parse(resource_dir("ontology") / name)

    def run():
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in graph)
        data = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none")

    (_, results, _), seconds = timed(run)
    found = len(set(results.objects(None, SH.result)))
    row = (
        f"| pySHACL (core only) | {len(graph):,} | {load:.2f} | {seconds:.2f} s ({seconds / load:.1f}x) "
        f"| not run | {seconds:.2f} s ({seconds / load:.1f}x) | {found} |"
    )
    return row, seconds


def per_constraint(size: int, shape: str) -> None:
    """Every constraint's own time on one shape, slowest first, beside the load."""
    graph, load = loaded(size, shape)
    view = validation_view(graph)
    times = []
    for check in compiled_checks() + sparql_checks():
        run = lambda check=check: list(  # noqa: E731
            view.query(check.query, prefixes=PREFIXES, use_default_graph_as_union=True)
        )
        _, seconds = timed(run)
        times.append((seconds, check.name))
    times.sort(reverse=True)
    total = sum(s for s, _ in times)
    print(f"\n{shape}, {len(graph):,} triples, load {load:.2f} s: {len(times)} constraints, {total:.2f} s")
    print("| constraint | s | / load |")
    print("|---|---:|---:|")
    for seconds, name in times[:SHOWN]:
        print(f"| {name.replace('|', '/')} | {seconds:.3f} | {seconds / load:.2f}x |")
    rest = total - sum(s for s, _ in times[:SHOWN])
    print(f"| the other {len(times) - SHOWN} | {rest:.3f} | {rest / load:.2f}x |")


def main(size: int) -> None:
    print("| validator | triples | load s | core constraints | SPARQL constraints | total | violations |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for shape in SHAPES:
        print(oxigraph_row(size, shape))
        print(oxigraph_row(PYSHACL_SIZE, shape))
    row, seconds = pyshacl_row(PYSHACL_SIZE)
    print(row)
    print(
        f"\npySHACL is not run on {size:,} triples: it checks one focus node at a time in Python, "
        f"so at {seconds:.0f} s for {PYSHACL_SIZE:,} it would need {seconds * size / PYSHACL_SIZE / 60:.0f} "
        "minutes or more."
    )
    for shape in SHAPES:
        per_constraint(size, shape)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

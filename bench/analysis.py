"""Benchmark: projection, centrality, the failure impact ranking and the structural
chokepoints beside the time to load the same graph; and Monte Carlo sampling on the bundled
data beside one deterministic run.

    python -m bench.analysis [SIZES...]        (default: 10000 100000 1000000)

On both shapes of bench/generate.py (chain, flat); the projection is built once and shared
by every analysis, as `kg analyze all` and `kg report` share it.

Every figure is printed as seconds and as a ratio to loading the same Turtle into
Oxigraph in the same process, so machines of different speed give comparable ratios.
"""

from __future__ import annotations

import sys
import time

import pyoxigraph as ox

from bench.generate import generate
from kg.analysis.centrality import centrality
from kg.analysis.chokepoints import chokepoints, impact_findings
from kg.analysis.network import Filters, project
from kg.analysis.simulation import simulate
from kg.queries import query_graph
from kg.stores import open_store
from kg.vocabulary import with_ontology

SAMPLES = 1000
REPLAY = (
    "https://w3id.org/cbec/resource/tax-2016",
    "https://w3id.org/cbec/resource/positive-list-2016",
)


def timed(work):
    start = time.perf_counter()
    value = work()
    return value, time.perf_counter() - start


SHAPES = ("chain", "flat")


def run(size: int, shape: str) -> dict:
    text = generate(size, shape=shape)
    graph = ox.Store()
    _, load = timed(lambda: graph.load(text, format=ox.RdfFormat.TURTLE))
    with_ontology(graph)
    net, projection = timed(lambda: project(graph))
    result, central = timed(lambda: centrality(net))
    impacts, impact = timed(lambda: impact_findings(net))
    findings, choke = timed(lambda: chokepoints(net, impacts=False))
    return {
        "triples": len(graph),
        "nodes": net.number_of_nodes(),
        "edges": net.number_of_edges(),
        "load": load,
        "projection": projection,
        "centrality": central,
        "impact": impact,
        "chokepoints": choke,
        "method": result.method["betweenness"],
        "findings": len(findings) + len(impacts),
    }


def sampling() -> tuple[float, float]:
    """One deterministic replay of the April 2016 policies on the bundled data (open the store,
    project it as of 2016-04-08, simulate) against the same replay with 1,000 samples."""

    def replay(samples: int):
        net = project(query_graph(open_store(None)), Filters(as_of="2016-04-08"))
        return simulate(net, policies=list(REPLAY), samples=samples, seed=1)

    replay(1)  # warm: imports and the parsed ontology count in neither figure
    return timed(lambda: replay(0))[1], timed(lambda: replay(SAMPLES))[1]


def main(sizes: list[int]) -> None:
    one, many = sampling()
    print(
        f"Monte Carlo on the bundled data: one replay {one:.3f} s, "
        f"{SAMPLES} samples {many:.3f} s ({many / one:.1f}x)"
    )
    print()
    print(
        "| shape | triples | nodes | edges | load s | projection | centrality | impact ranking "
        "| structural | analysis total |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape, size in ((shape, size) for shape in SHAPES for size in sizes):
        r = run(size, shape)
        total = r["projection"] + r["centrality"] + r["impact"] + r["chokepoints"]

        def cell(seconds: float) -> str:
            return f"{seconds:.2f} s ({seconds / r['load']:.1f}x)"

        print(
            f"| {shape} | {r['triples']:,} | {r['nodes']:,} | {r['edges']:,} | {r['load']:.2f} | "
            f"{cell(r['projection'])} | "
            f"{cell(r['centrality'])} | {cell(r['impact'])} | {cell(r['chokepoints'])} | {cell(total)} |",
            flush=True,
        )
        print(f"  betweenness: {r['method']}; {r['findings']} findings", file=sys.stderr)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

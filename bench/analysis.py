"""Benchmark: projection, centrality and chokepoints beside the time to load the same graph.

    python -m bench.analysis [SIZES...]        (default: 10000 100000 1000000)

Every figure is printed as seconds and as a ratio to loading the same Turtle into
Oxigraph in the same process, so machines of different speed give comparable ratios.
"""

from __future__ import annotations

import sys
import time

import pyoxigraph as ox

from bench.generate import generate
from kg.analysis import centrality, chokepoints
from kg.network import project
from kg.store import with_ontology


def timed(work):
    start = time.perf_counter()
    value = work()
    return value, time.perf_counter() - start


def run(size: int) -> dict:
    text = generate(size)
    graph = ox.Store()
    _, load = timed(lambda: graph.load(text, format=ox.RdfFormat.TURTLE))
    with_ontology(graph)
    net, projection = timed(lambda: project(graph))
    result, central = timed(lambda: centrality(net))
    findings, choke = timed(lambda: chokepoints(net))
    return {
        "triples": len(graph),
        "nodes": net.number_of_nodes(),
        "edges": net.number_of_edges(),
        "load": load,
        "projection": projection,
        "centrality": central,
        "chokepoints": choke,
        "method": result.method["betweenness"],
        "findings": len(findings),
    }


def main(sizes: list[int]) -> None:
    print("| triples | nodes | edges | load s | projection | centrality | chokepoints | analysis total |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        r = run(size)
        total = r["projection"] + r["centrality"] + r["chokepoints"]

        def cell(seconds: float) -> str:
            return f"{seconds:.2f} s ({seconds / r['load']:.1f}x)"

        print(
            f"| {r['triples']:,} | {r['nodes']:,} | {r['edges']:,} | {r['load']:.2f} | "
            f"{cell(r['projection'])} | "
            f"{cell(r['centrality'])} | {cell(r['chokepoints'])} | {cell(total)} |",
            flush=True,
        )
        print(f"  betweenness: {r['method']}; {r['findings']} findings", file=sys.stderr)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

"""Centrality on the dependency graph: who many rely on, and who sits between them.

NetworkX is the model users get; where it is too slow at scale (betweenness, harmonic
closeness, PageRank) the same measure is computed by igraph, and the tests check that both
engines agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.analysis.network import dependency_graph
from kg.errors import KgError

if TYPE_CHECKING:
    import networkx as nx

EXACT_BETWEENNESS_LIMIT = 5000
# Sources sampled above the exact limit (betweenness and harmonic closeness are estimates then).
SAMPLE_SIZE = 500
# Harmonic closeness needs a full distance row per sampled source; fewer sources keep it linear.
HARMONIC_SAMPLE_SIZE = 200
SAMPLE_SEED = 42
KATZ_ALPHA = 0.05
ENGINES = ("auto", "networkx", "igraph")
# Above this much work (nodes x edges, what exact betweenness costs) "auto" hands the heavy
# measures to igraph: a node count alone kept 2,553 nodes with 8,169 edges in NetworkX (4.3 s,
# against 0.1 s in igraph) on the flat benchmark graph.
COMPILED_ABOVE = 2_000_000


@dataclass
class Centrality:
    """Scores per node, and how the sampled measures were computed."""

    scores: dict[str, dict[str, float]]
    method: dict[str, str]
    # The network the scores were computed on (set by kg.KnowledgeGraph.centrality).
    net: nx.MultiDiGraph | None = field(default=None, repr=False, compare=False)

    def ranked(self, by: str = "pagerank", top: int | None = None) -> list[tuple[str, dict[str, float]]]:
        rows = sorted(self.scores.items(), key=lambda kv: (-kv[1][by], kv[0]))
        return rows[:top] if top else rows


MEASURES = ("in_degree", "out_degree", "pagerank", "betweenness", "harmonic", "katz")


def centrality(net: nx.MultiDiGraph, engine: str = "auto") -> Centrality:
    """Weighted degree, PageRank, betweenness, harmonic closeness and Katz on dependencies.

    Edges point from the dependent to what it depends on, so PageRank, Katz and in-degree
    rise for what many rely on. Distances for betweenness and closeness are 1/weight.
    """
    deps = dependency_graph(net)
    if engine not in ENGINES:
        raise KgError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    work = deps.number_of_nodes() * deps.number_of_edges()
    compiled = engine == "igraph" or (engine == "auto" and work > COMPILED_ABOVE)
    scores = {n: {} for n in deps}
    for n in deps:
        scores[n]["in_degree"] = sum(d["weight"] for _, _, d in deps.in_edges(n, data=True))
        scores[n]["out_degree"] = sum(d["weight"] for _, _, d in deps.out_edges(n, data=True))
    method = {}
    if compiled:
        measured, method = igraph_measures(deps)
    else:
        measured, method = networkx_measures(deps)
    for name, values in measured.items():
        for n, v in values.items():
            scores[n][name] = v
    for n, v in katz(deps).items():
        scores[n]["katz"] = v
    method["katz"] = f"Katz, alpha={KATZ_ALPHA}, beta=1, power iteration"
    return Centrality(scores, method)


def networkx_measures(deps: nx.DiGraph) -> tuple[dict, dict]:
    import networkx as nx

    n = deps.number_of_nodes()
    method = {"pagerank": "networkx, damping 0.85, weighted"}
    if n <= EXACT_BETWEENNESS_LIMIT:
        betweenness = nx.betweenness_centrality(deps, weight="distance", normalized=True)
        method["betweenness"] = "networkx, exact, weighted (distance = 1/weight)"
    else:
        betweenness = nx.betweenness_centrality(
            deps, k=SAMPLE_SIZE, weight="distance", normalized=True, seed=SAMPLE_SEED
        )
        method["betweenness"] = f"networkx, sampled k={SAMPLE_SIZE} seed={SAMPLE_SEED}"
    method["harmonic"] = "networkx, incoming distances (1/weight)"
    return {
        "pagerank": nx.pagerank(deps, weight="weight", tol=1e-12, max_iter=1000) if n else {},
        "betweenness": betweenness,
        "harmonic": nx.harmonic_centrality(deps, distance="distance"),
    }, method


def to_igraph(deps: nx.DiGraph):
    """An igraph copy with integer ids in the NetworkX node order."""
    import igraph

    nodes = list(deps)
    index = {n: i for i, n in enumerate(nodes)}
    g = igraph.Graph(n=len(nodes), directed=deps.is_directed())
    edges = list(deps.edges(data=True))
    g.add_edges([(index[s], index[o]) for s, o, _ in edges])
    g.es["weight"] = [d.get("weight", 1.0) for _, _, d in edges]
    g.es["distance"] = [d.get("distance", 1.0) for _, _, d in edges]
    return g, nodes


def igraph_measures(deps: nx.DiGraph) -> tuple[dict, dict]:
    """PageRank, betweenness and harmonic closeness in igraph; above the exact limit the two
    path measures are estimated from a seeded sample of source nodes, scaled by n/k, as
    networkx does for betweenness."""
    import random

    g, nodes = to_igraph(deps)
    n = len(nodes)
    if not n:
        return {"pagerank": {}, "betweenness": {}, "harmonic": {}}, {}
    exact = n <= EXACT_BETWEENNESS_LIMIT
    sources = None if exact else sorted(random.Random(SAMPLE_SEED).sample(range(n), SAMPLE_SIZE))
    scale = 1.0 if exact else n / SAMPLE_SIZE
    betweenness = g.betweenness(weights="distance", directed=True, sources=sources)
    norm = scale / ((n - 1) * (n - 2)) if n > 2 else 1.0
    how = "exact" if exact else f"sampled k={SAMPLE_SIZE} seed={SAMPLE_SEED}"
    return {
        "pagerank": dict(zip(nodes, g.pagerank(weights="weight", damping=0.85), strict=True)),
        "betweenness": {v: b * norm for v, b in zip(nodes, betweenness, strict=True)},
        "harmonic": dict(
            zip(nodes, harmonic(g, None if exact else sources[:HARMONIC_SAMPLE_SIZE]), strict=True)
        ),
    }, {
        "pagerank": "igraph (PRPACK), damping 0.85, weighted",
        "betweenness": f"igraph, {how}, weighted (distance = 1/weight)",
        "harmonic": "igraph, "
        + ("exact" if exact else f"sampled k={HARMONIC_SAMPLE_SIZE} seed={SAMPLE_SEED}")
        + ", incoming distances (1/weight)",
    }


def harmonic(g, sources: list[int] | None) -> list[float]:
    """Sum of 1/distance from every source to each node, or its estimate from sampled sources."""
    import numpy as np

    if sources is None:
        return g.harmonic_centrality(mode="in", weights="distance", normalized=False)
    total = np.zeros(g.vcount())
    for start in range(0, len(sources), 200):
        chunk = sources[start : start + 200]
        dist = np.array(g.distances(source=chunk, weights="distance", mode="out"))
        with np.errstate(divide="ignore"):
            inverse = np.where(np.isfinite(dist) & (dist > 0), 1.0 / dist, 0.0)
        total += inverse.sum(axis=0)
    return list(total * g.vcount() / len(sources))


def katz(deps: nx.DiGraph, alpha: float = KATZ_ALPHA, iterations: int = 1000, tol: float = 1e-9) -> dict:
    """Katz centrality by power iteration over edge arrays (x = alpha * A^T x + 1), normalised
    like networkx.katz_centrality so the two can be compared."""
    import numpy as np

    nodes = list(deps)
    if not nodes:
        return {}
    index = {v: i for i, v in enumerate(nodes)}
    src = np.fromiter((index[s] for s, _ in deps.edges()), dtype=np.int64)
    dst = np.fromiter((index[o] for _, o in deps.edges()), dtype=np.int64)
    w = np.fromiter((d["weight"] for _, _, d in deps.edges(data=True)), dtype=float)
    x = np.zeros(len(nodes))
    for _ in range(iterations):
        new = alpha * np.bincount(dst, weights=w * x[src], minlength=len(nodes)) + 1.0
        if np.abs(new - x).sum() < tol * len(nodes):
            x = new
            break
        x = new
    else:
        raise KgError(
            f"Katz centrality did not converge with alpha={alpha} in {iterations} iterations; "
            "the graph holds a cycle of heavy weights: report it, with the store, as a kg issue"
        )
    norm = np.sqrt((x**2).sum())
    return {v: float(x[i] / norm) for i, v in enumerate(nodes)}

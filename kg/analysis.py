"""Analysis: centrality, chokepoints that explain themselves, and shock simulation.

Everything works on the projection of kg/network.py. NetworkX is the model users get;
where it is too slow at scale (betweenness, harmonic closeness, bridges, PageRank) the
same measure is computed by igraph, and the tests check that both engines agree. Articulation
points and bridges come from one linear depth-first search (``cut_structure``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.errors import KgError
from kg.network import local

if TYPE_CHECKING:
    import networkx as nx

EXACT_BETWEENNESS_LIMIT = 5000
# Sources sampled above the exact limit (betweenness and harmonic closeness are estimates then).
SAMPLE_SIZE = 500
# Harmonic closeness needs a full distance row per sampled source; fewer sources keep it linear.
HARMONIC_SAMPLE_SIZE = 200
SAMPLE_SEED = 42
KATZ_ALPHA = 0.05
DEFAULT_THRESHOLD = 0.5
# The April 2016 "new policies" came as one package: the tax notice and the positive list were
# both in force from 8 April 2016, so the replay applies both, on the graph as of that day.
REPLAY_POLICIES = (
    "https://w3id.org/cbec/resource/tax-2016",
    "https://w3id.org/cbec/resource/positive-list-2016",
)
REPLAY_DATE = "2016-04-08"
ENGINES = ("auto", "networkx", "igraph")
# Above this many nodes "auto" hands the heavy measures to igraph.
COMPILED_ABOVE = 3000


# ---------------------------------------------------------------- centrality


@dataclass
class Centrality:
    """Scores per node, and how the sampled measures were computed."""

    scores: dict[str, dict[str, float]]
    method: dict[str, str]

    def ranked(self, by: str = "pagerank", top: int | None = None) -> list[tuple[str, dict[str, float]]]:
        rows = sorted(self.scores.items(), key=lambda kv: (-kv[1][by], kv[0]))
        return rows[:top] if top else rows


MEASURES = ("in_degree", "out_degree", "pagerank", "betweenness", "harmonic", "katz")


def centrality(net: nx.MultiDiGraph, engine: str = "auto") -> Centrality:
    """Weighted degree, PageRank, betweenness, harmonic closeness and Katz on dependencies.

    Edges point from the dependent to what it depends on, so PageRank, Katz and in-degree
    rise for what many rely on. Distances for betweenness and closeness are 1/weight.
    """
    from kg.network import dependency_graph

    deps = dependency_graph(net)
    if engine not in ENGINES:
        raise KgError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    compiled = engine == "igraph" or (engine == "auto" and deps.number_of_nodes() > COMPILED_ABOVE)
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


# ---------------------------------------------------------------- chokepoints


@dataclass
class Finding:
    """One chokepoint finding, with the participants it holds and why."""

    node: str
    kind: str
    score: float
    participants: list[str]
    reason: str
    chain: str | None = None

    def as_dict(self) -> dict:
        return {
            "node": self.node,
            "kind": self.kind,
            "score": self.score,
            "participants": self.participants,
            "reason": self.reason,
            "chain": self.chain,
        }


def label(net: nx.MultiDiGraph, node: str) -> str:
    return net.nodes[node].get("label", local(node)) if node in net else local(node)


def names(net: nx.MultiDiGraph, nodes: list[str], most: int = 4) -> str:
    shown = [label(net, n) for n in nodes[:most]]
    more = len(nodes) - len(shown)
    text = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1] if shown else ""
    return text + (f" (and {more} more)" if more > 0 else "")


def is_participant(net: nx.MultiDiGraph, node: str) -> bool:
    return net.nodes[node].get("kind") not in ("Policy", "Zone")


def dominator_findings(net: nx.MultiDiGraph) -> list[Finding]:
    """Per chain: the nodes on every dependency path of a participant (post-dominators).

    One post-dominator tree per chain: reverse the chain's dependency graph, join every
    node of a terminal strongly connected component to a virtual exit, and take
    dominators from that exit. X post-dominates A when every path of A's dependencies
    in that chain, down to its ultimate dependencies, passes through X.
    """
    import networkx as nx

    from kg.network import chain_graphs

    held: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    exit_node = ("__exit__",)
    for chain, deps in chain_graphs(net).items():
        components = list(nx.strongly_connected_components(deps))
        component_of = {n: i for i, members in enumerate(components) for n in members}
        # A terminal component has no dependency leaving it: its members are where paths end.
        terminal = [
            members
            for i, members in enumerate(components)
            if all(component_of[o] == i for n in members for o in deps.successors(n))
        ]
        reverse = nx.DiGraph()
        reverse.add_edges_from((o, s) for s, o in deps.edges())
        reverse.add_edges_from((exit_node, n) for members in terminal for n in members)
        idom = nx.immediate_dominators(reverse, exit_node)
        for node in deps:
            if not is_participant(net, node) or deps.out_degree(node) == 0:
                continue
            step = idom.get(node)
            while step is not None and step != exit_node:
                held[step][chain].add(node)
                step = idom.get(step)
    findings = []
    for node, by_chain in held.items():
        everyone = sorted(set().union(*by_chain.values()))
        parts = []
        for chain, members in sorted(by_chain.items()):
            word = chain.removesuffix("Chain").lower()
            who = names(net, sorted(members))
            parts.append(f"every {word} dependency of {who} passes through {label(net, node)}")
        findings.append(Finding(node, "dominator", float(len(everyone)), everyone, "; ".join(parts)))
    return findings


def structural_findings(net: nx.MultiDiGraph) -> list[Finding]:
    """Articulation points and bridges of the undirected dependency projection."""
    from kg.network import dependency_ties

    points, bridges = cut_structure(dependency_ties(net))
    findings = []
    for point, (pieces, cut_off_nodes) in sorted(points.items()):
        cut_off = sorted(n for n in cut_off_nodes if is_participant(net, n))
        findings.append(
            Finding(
                point,
                "articulation point",
                float(len(cut_off)),
                cut_off,
                f"removing {label(net, point)} splits its part of the network in {pieces}: "
                f"{names(net, cut_off) or 'no participant'} lose every tie to the rest",
            )
        )
    for a, b, small in bridges:
        held = sorted(n for n in small if is_participant(net, n))
        # Named from the side it holds, whichever way the search crossed it.
        end, other = (b, a) if b in small else (a, b)
        findings.append(
            Finding(
                end,
                "bridge",
                float(len(held)),
                held,
                f"the tie {label(net, end)} - {label(net, other)} is the only one joining "
                f"{names(net, held) or label(net, end)} to the rest of the network",
            )
        )
    return findings


def cut_structure(
    view: nx.Graph,
) -> tuple[dict[str, tuple[int, list[str]]], list[tuple[str, str, list[str]]]]:
    """Articulation points and bridges from one iterative depth-first search (Hopcroft-Tarjan).

    For each articulation point: how many pieces its removal leaves and the nodes of all but
    the largest piece; for each bridge: the nodes on its smaller side. A DFS subtree is a
    contiguous run of the preorder, so pieces are slices of it and no set algebra over the
    whole component is needed except for the rare piece that contains the DFS root.
    """
    order: list[str] = []
    disc: dict[str, int] = {}
    low: dict[str, int] = {}
    size: dict[str, int] = {}
    points: dict[str, tuple[int, list[str]]] = {}
    bridges: list[tuple[str, str, list[str]]] = []
    for root in view:
        if root in disc:
            continue
        first = len(order)
        separated: dict[str, list[str]] = {}
        tree_edges: list[tuple[str, str]] = []
        depth_first(view, root, order, disc, low, size, separated, tree_edges)
        last = len(order)

        def subtree(node: str) -> list[str]:
            return order[disc[node] : disc[node] + size[node]]

        def outside(ranges: list[tuple[int, int]]) -> list[str]:
            # The component's preorder minus some runs of it: the piece that holds the root.
            kept, at = [], first
            for begin, end in sorted(ranges):
                kept += order[at:begin]
                at = end
            return kept + order[at:last]

        for parent, node in tree_edges:
            if low[node] > disc[parent]:
                inside = size[node]
                small = (
                    subtree(node)
                    if inside * 2 <= last - first
                    else outside([(disc[node], disc[node] + inside)])
                )
                bridges.append((parent, node, small))
        for point, children in separated.items():
            if point == root and len(children) < 2:
                continue
            runs = [(disc[c], disc[c] + size[c]) for c in children]
            rest = (last - first) - 1 - sum(size[c] for c in children)
            sizes = [size[c] for c in children] + ([rest] if rest else [])
            largest = max(range(len(sizes)), key=lambda i: (sizes[i], -i))
            if largest < len(children):
                held = [n for i, c in enumerate(children) if i != largest for n in subtree(c)]
                if rest:
                    held += [n for n in outside(runs + [(disc[point], disc[point] + 1)])]
            else:
                held = [n for c in children for n in subtree(c)]
            points[point] = (len(sizes), held)
    return points, sorted(bridges, key=lambda b: (b[0], b[1]))


def depth_first(view, root, order, disc, low, size, separated, tree_edges) -> None:
    """Iterative DFS filling preorder, discovery and low-link numbers and subtree sizes."""
    stack = [(root, None, iter(view[root]))]
    disc[root] = low[root] = len(order)
    order.append(root)
    while stack:
        node, parent, neighbours = stack[-1]
        advanced = False
        for nxt in neighbours:
            if nxt not in disc:
                disc[nxt] = low[nxt] = len(order)
                order.append(nxt)
                stack.append((nxt, node, iter(view[nxt])))
                advanced = True
                break
            if nxt != parent:
                low[node] = min(low[node], disc[nxt])
        if advanced:
            continue
        stack.pop()
        size[node] = len(order) - disc[node]
        if parent is not None:
            low[parent] = min(low[parent], low[node])
            tree_edges.append((parent, node))
            if low[node] >= disc[parent]:
                separated.setdefault(parent, []).append(node)


def single_sourcing(net: nx.MultiDiGraph) -> list[Finding]:
    """A participant with exactly one provider in a chain where that link is of high criticality."""
    providers: dict[tuple[str, str], set[str]] = defaultdict(set)
    critical: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, o, d in net.edges(data=True):
        if not d["dependency"] or d["predicate"] in ("partOf", "subjectTo", "regulatedBy"):
            continue
        providers[(s, d["chain"])].add(o)
        if d["criticality"] == "High":
            critical[(s, d["chain"])].add(o)
    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (participant, chain), only in providers.items():
        if len(only) == 1 and critical[(participant, chain)] == only:
            held[next(iter(only))].append((participant, chain))
    findings = []
    for provider, pairs in sorted(held.items()):
        who = sorted({p for p, _ in pairs})
        what = "; ".join(
            f"{label(net, p)} has no {c.removesuffix('Chain').lower()} alternative to {label(net, provider)}"
            for p, c in sorted(pairs)
        )
        findings.append(Finding(provider, "single source", float(len(who)), who, what))
    return findings


def node_cut(net: nx.MultiDiGraph, sources: list[str], targets: list[str]) -> list[Finding]:
    """The smallest set of nodes whose removal cuts every dependency path between two sets."""
    import networkx as nx

    from kg.network import dependency_ties

    view = dependency_ties(net)
    sources = [s for s in sources if s in view]
    targets = [t for t in targets if t in view and t not in sources]
    if not sources or not targets:
        raise KgError("--from and --to must each name at least one linked node (an IRI or a class)")
    # Contract each set into one terminal so that the cut is made of nodes between them.
    start, end = ("__from__",), ("__to__",)
    ends = set(sources) | set(targets)
    contracted = view.subgraph(n for n in view if n not in ends).copy()
    for group, terminal in ((sources, start), (targets, end)):
        contracted.add_node(terminal)
        for member in group:
            for neighbour in view[member]:
                other = start if neighbour in sources else end if neighbour in targets else neighbour
                if other != terminal:
                    contracted.add_edge(terminal, other)
    if contracted.has_edge(start, end) or not nx.has_path(contracted, start, end):
        return []
    cut = nx.minimum_node_cut(contracted, start, end)
    cut = sorted(c for c in cut if isinstance(c, str))
    findings = []
    for node in cut:
        held = sorted(set(sources) | set(targets))
        findings.append(
            Finding(
                node,
                "node cut",
                float(len(cut)),
                [h for h in held if is_participant(net, h)],
                f"{label(net, node)} is one of {len(cut)} node(s) ({names(net, cut)}) whose loss cuts every "
                f"path between {names(net, sources)} and {names(net, targets)}",
            )
        )
    return findings


def chokepoints(
    net: nx.MultiDiGraph,
    sources: list[str] | None = None,
    targets: list[str] | None = None,
) -> list[Finding]:
    """All findings, strongest first: dominators, cut structure, single sourcing, node cuts."""
    findings = dominator_findings(net) + structural_findings(net) + single_sourcing(net)
    if sources or targets:
        findings += node_cut(net, sources or [], targets or [])
    return sorted(findings, key=lambda f: (-f.score, f.kind, f.node))


# ---------------------------------------------------------------- shock simulation


@dataclass
class Failure:
    node: str
    round: int
    chain: str
    loss: float
    causes: list[str]


@dataclass
class Simulation:
    threshold: float
    shock: dict[str, float]
    rounds: list[list[Failure]] = field(default_factory=list)
    survived: dict[str, dict] = field(default_factory=dict)


def simulate(
    net: nx.MultiDiGraph,
    remove: list[str] | None = None,
    policies: list[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Simulation:
    """Propagate a shock to a fixed point.

    The shock: each removed node fails outright (intensity 1); a policy hits each target of
    its cbec:affects links with the link's weight as intensity (1 when none is given),
    business models included. A participant's loss in a chain is the sum, over its
    dependency links in that chain, of weight x damage of the target (a failed node is
    damaged 1, a hit one by the hit's intensity, a business model by its hit).

    It fails when the loss in any chain passes its tolerance: ``threshold``, raised toward 1
    by its backing, the strongest reliance it has on a standing company for capital
    (fundedBy, partOf) or on a standing participant for traffic (trafficFrom). That is the
    source's "strategic losses": a giant carries its unit's losses, venture money does not.
    Failures repeat, and backing is re-read, until nothing changes.
    """
    if not 0 < threshold <= 1:
        raise KgError(f"--threshold {threshold} must be in (0, 1]")
    damage: dict[str, float] = {}
    causes: dict[str, list[str]] = {}
    for node in remove or []:
        if node not in net:
            raise KgError(f"{node} is not a node of the network; check it with `kg show`")
        damage[node] = 1.0
        causes[node] = ["removed"]
    for policy in policies or []:
        if policy not in net or net.nodes[policy].get("kind") != "Policy":
            raise KgError(f"{policy} is not a policy of the graph; `kg query policies` lists them")
        for target, intensity in policy_hits(net, policy).items():
            damage[target] = max(damage.get(target, 0.0), intensity)
            causes.setdefault(target, []).append(f"hit by {label(net, policy)} (intensity {intensity:g})")
    result = Simulation(threshold, dict(damage))
    failed: set[str] = {n for n, d in damage.items() if d >= 1.0 and n in net}
    round_no = 0
    while True:
        round_no += 1
        new = []
        for node in net:
            if node in failed or not is_participant(net, node):
                continue
            worst = worst_chain_loss(net, node, damage)
            if not worst:
                continue
            chain, loss, why = worst
            backer, backing = strongest_backing(net, node, failed)
            tolerance = threshold + (1 - threshold) * backing
            if loss > tolerance:
                if backer:
                    why = why + [f"backing by {label(net, backer)} ({backing:g}): tolerance {tolerance:g}"]
                new.append(Failure(node, round_no, chain, round(loss, 4), why))
        if not new:
            break
        for failure in new:
            failed.add(failure.node)
            damage[failure.node] = 1.0
        result.rounds.append(sorted(new, key=lambda f: f.node))
    for node in net:
        if node in failed or not is_participant(net, node):
            continue
        worst = worst_chain_loss(net, node, damage)
        if worst:
            result.survived[node] = survival_reason(net, node, worst, damage)
    return result


BACKING = {"fundedBy": "Company", "partOf": "Company", "trafficFrom": None}


def strongest_backing(net: nx.MultiDiGraph, node: str, failed: set[str]) -> tuple[str | None, float]:
    """The standing company (capital, ownership) or participant (traffic) ``node`` leans on most."""
    best: tuple[str | None, float] = (None, 0.0)
    for _, backer, d in net.out_edges(node, data=True):
        if d["predicate"] not in BACKING or backer in failed or not d["weight"]:
            continue
        kind = BACKING[d["predicate"]]
        if kind and not is_company(net, backer):
            continue
        if d["weight"] > best[1]:
            best = (backer, d["weight"])
    return best


def is_company(net: nx.MultiDiGraph, node: str) -> bool:
    return "Company" in net.nodes[node].get("kinds", (net.nodes[node].get("kind"),))


def policy_hits(net: nx.MultiDiGraph, policy: str) -> dict[str, float]:
    """Targets of a policy's affects links (nodes and business models) with intensities."""
    hits = {}
    for _, target, d in net.out_edges(policy, data=True):
        if d["predicate"] == "affects":
            hits[target] = d["weight"] if d["weight"] is not None else 1.0
    hits.update(net.nodes[policy].get("affects_models", {}))
    return hits


def worst_chain_loss(net: nx.MultiDiGraph, node: str, damage: dict[str, float]):
    """(chain, loss, causes) of the chain where ``node`` lost most, or None if it lost nothing."""
    loss: dict[str, float] = defaultdict(float)
    why: dict[str, list[str]] = defaultdict(list)
    for _, target, d in net.out_edges(node, data=True):
        hit = damage.get(target, 0.0)
        if d["dependency"] and hit and d["weight"]:
            loss[d["chain"]] += d["weight"] * hit
            why[d["chain"]].append(
                f"{d['predicate']} {label(net, target)} (weight {d['weight']:g} x damage {hit:g})"
            )
    for model, weight in net.nodes[node].get("models", {}).items():
        hit = damage.get(f"model:{model}", 0.0)
        if hit and weight:
            loss["LogisticsChain"] += weight * hit
            why["LogisticsChain"].append(f"usesModel {model} (weight {weight:g} x damage {hit:g})")
    if node in damage and damage[node] < 1.0:
        loss["RegulationChain"] += damage[node]
        why["RegulationChain"].append(f"hit directly (intensity {damage[node]:g})")
    if not loss:
        return None
    chain = max(loss, key=lambda c: (loss[c], c))
    return chain, loss[chain], why[chain]


def survival_reason(net: nx.MultiDiGraph, node: str, worst, damage) -> dict:
    chain, loss, why = worst
    kept = [
        f"{d['predicate']} {label(net, t)} ({d['weight']:g})"
        for _, t, d in net.out_edges(node, data=True)
        if d["dependency"] and d["chain"] == chain and not damage.get(t) and d["weight"]
    ]
    backer, backing = strongest_backing(net, node, {n for n, d in damage.items() if d >= 1.0})
    return {
        "chain": chain,
        "loss": round(loss, 4),
        "lost": why,
        "alternatives": kept,
        "backing": {"by": backer, "weight": backing} if backer else None,
    }

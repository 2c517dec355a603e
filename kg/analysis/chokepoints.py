"""Chokepoints that explain themselves: who falls if a node fails, and which nodes every path
to a participant crosses (dominators, articulation points, bridges, single sources, node cuts).

Articulation points and bridges come from one linear depth-first search (``cut_structure``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.analysis.network import chain_of, local, resolve_nodes
from kg.analysis.simulation import (
    DEFAULT_THRESHOLD,
    Outcome,
    Shock,
    World,
    can_topple,
    impact,
    impact_candidates,
    sample,
)
from kg.errors import KgError

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class Finding:
    """One chokepoint finding, with the participants it holds and why."""

    node: str
    kind: str
    score: float
    participants: list[str]
    reason: str
    chain: str
    probability: dict[str, float] | None = None
    losses: float = 0.0
    # The whole cascade, explained (impact findings asked for with ``explain``).
    outcome: Outcome | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        out = {
            "node": self.node,
            "kind": self.kind,
            "score": self.score,
            "participants": self.participants,
            "reason": self.reason,
            "chain": self.chain,
        }
        if self.probability is not None:
            out["probability"] = self.probability
        return out


class Findings(list):
    """Findings, strongest first, with notes on what could not be found and why."""

    def __init__(
        self, findings=(), notes: list[str] | None = None, net: nx.MultiDiGraph | None = None
    ) -> None:
        super().__init__(findings)
        self.notes = notes or []
        self.net = net


ALL_CHAINS = "all"
# How many of the participants an impact finding fells its reason names.
REASON_NAMES = 4


def label(net: nx.MultiDiGraph, node: str) -> str:
    return net.nodes[node].get("label", local(node)) if node in net else local(node)


def names(net: nx.MultiDiGraph, nodes: list[str], most: int = 4) -> str:
    shown = [label(net, n) for n in nodes[:most]]
    more = len(nodes) - len(shown)
    text = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1] if shown else ""
    return text + (f" (and {more} more)" if more > 0 else "")


def is_participant(net: nx.MultiDiGraph, node: str) -> bool:
    return net.nodes[node].get("top") == "Participant"


def candidate(net: nx.MultiDiGraph, node: str) -> bool:
    """A node a finding may name: a placeholder collective stands for many actors, so never."""
    return not net.nodes[node].get("placeholder")


def word(chain: str) -> str:
    return chain.removesuffix("Chain").lower()


def supply_graphs(net: nx.MultiDiGraph) -> dict[str, nx.DiGraph]:
    """One DiGraph of supply links per chain (A -> B: A needs B), strongest reading kept."""
    import networkx as nx

    strongest: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for s, o, d in net.edges(data=True):
        if "SupplyRole" in d["roles"] and s != o:
            edges = strongest[d["chain"]]
            edges[(s, o)] = max(edges.get((s, o), -1.0), d["weight"] or 0.0)
    graphs = {}
    for chain, edges in sorted(strongest.items()):
        graph = nx.DiGraph()
        graph.add_edges_from((s, o, {"weight": w}) for (s, o), w in edges.items())
        graphs[chain] = graph
    return graphs


def impact_findings(
    net: nx.MultiDiGraph,
    threshold: float = DEFAULT_THRESHOLD,
    samples: int = 0,
    seed: int = 0,
    chain: str | None = None,
    explain: bool = False,
) -> list[Finding]:
    """Failure impact: every node's failure simulated alone (who falls, in which round, through
    which links); score = participants that fall, ties broken by the sum of their losses.
    ``explain`` keeps each cascade with every failure's causes and links (what a view shows)."""
    world = World.of(net)
    findings = []
    for node in impact_candidates(world, net):
        if not samples and not can_topple(world, node, threshold):
            continue
        outcome = impact(world, node, threshold, explain=explain)
        failed = outcome.failed
        if not failed and not samples:
            continue
        if not explain:
            # Words only for the failures the reason names.
            for f in failed[:REASON_NAMES]:
                f.causes = outcome.state.causes(world.index[f.node], f.chain, f.round, threshold)
        iri = world.nodes[node]
        probability = None
        score = float(len(failed))
        if samples:
            spread = sample(world, Shock(fail={node}, fire={node}), samples, seed, threshold)
            probability = {n: p for n, p in spread.probability.items() if p > 0}
            if not probability:
                continue
            score = round(sum(probability.values()), 4)
        chains = sorted(f.chain for f in failed) or [ALL_CHAINS]
        findings.append(
            Finding(
                iri,
                "impact",
                score,
                sorted(probability) if samples else sorted(f.node for f in failed),
                impact_reason(net, iri, failed, probability),
                chain or max(set(chains), key=lambda c: (chains.count(c), c)),
                probability,
                round(sum(f.loss for f in failed), 4),
                outcome if explain else None,
            )
        )
    return findings


def impact_reason(net: nx.MultiDiGraph, node: str, failed: list, probability: dict | None) -> str:
    if not failed:
        return f"if {label(net, node)} fails, no participant falls at the point estimate" + (
            f"; in the samples: {chance_text(net, probability)}" if probability else ""
        )
    parts = [
        f"{label(net, f.node)} (round {f.round}: {f.causes[0] if f.causes else f.chain})"
        for f in failed[:REASON_NAMES]
    ]
    more = f" and {len(failed) - REASON_NAMES} more" if len(failed) > REASON_NAMES else ""
    text = f"if {label(net, node)} fails, {len(failed)} participant(s) fall: {'; '.join(parts)}{more}"
    return text + (f"; in the samples: {chance_text(net, probability)}" if probability else "")


def chance_text(net: nx.MultiDiGraph, probability: dict[str, float]) -> str:
    top = sorted(probability.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    return ", ".join(f"{label(net, n)} falls in {p:.0%}" for n, p in top)


def dominator_findings(net: nx.MultiDiGraph) -> list[Finding]:
    """Per chain: the nodes on every supply path of a participant (post-dominators).

    One post-dominator tree per chain: reverse the chain's supply graph, join every node
    without a further supply (where paths end) to a virtual exit, and take dominators from
    that exit. X post-dominates A when every path of A's supply in that chain, down to its
    ultimate providers, passes through X. Business models and zones are nodes like any
    other, so a model every path goes through is found.
    """
    import networkx as nx

    findings = []
    exit_node = ("__exit__",)
    for chain, deps in supply_graphs(net).items():
        components = list(nx.strongly_connected_components(deps))
        component_of = {n: i for i, members in enumerate(components) for n in members}
        terminal = [
            members
            for i, members in enumerate(components)
            if all(component_of[o] == i for n in members for o in deps.successors(n))
        ]
        reverse = nx.DiGraph()
        reverse.add_edges_from((o, s) for s, o in deps.edges())
        reverse.add_edges_from((exit_node, n) for members in terminal for n in members)
        idom = nx.immediate_dominators(reverse, exit_node)
        held: dict[str, set[str]] = defaultdict(set)
        for node in deps:
            if not is_participant(net, node) or deps.out_degree(node) == 0:
                continue
            step = idom.get(node)
            while step is not None and step != exit_node:
                held[step].add(node)
                step = idom.get(step)
        for node, members in held.items():
            if not candidate(net, node):
                continue
            who = sorted(members)
            findings.append(
                Finding(
                    node,
                    "dominator",
                    float(len(who)),
                    who,
                    f"every {word(chain)} supply path of {names(net, who)} passes through {label(net, node)}",
                    chain,
                )
            )
    return findings


def dependents_within(deps: nx.DiGraph, node: str, within: set[str]) -> set[str]:
    """The nodes of ``within`` with a supply path to ``node`` that stays inside ``within``."""
    found, frontier = set(), [node]
    while frontier:
        current = frontier.pop()
        for dependent in deps.predecessors(current):
            if dependent in within and dependent not in found:
                found.add(dependent)
                frontier.append(dependent)
    return found


def structural_findings(net: nx.MultiDiGraph) -> list[Finding]:
    """Articulation points and bridges of each chain's supply ties, kept only where the part cut
    off holds participants that depend on the node: they lose every provider outside their part.
    A node's own providers, investors or parents cut off by its removal are not held by it."""
    import networkx as nx

    findings = []
    for chain, deps in supply_graphs(net).items():
        ties = nx.Graph(deps.to_undirected(as_view=True))
        points, bridges = cut_structure(ties)
        for point, (pieces, cut_off) in sorted(points.items()):
            held = sorted(n for n in dependents_within(deps, point, set(cut_off)) if is_participant(net, n))
            if held and candidate(net, point):
                findings.append(
                    Finding(
                        point,
                        "articulation point",
                        float(len(held)),
                        held,
                        f"removing {label(net, point)} cuts {names(net, held)} off from the rest of the "
                        f"{word(chain)} network: every supply path of theirs that leaves their part runs "
                        f"through {label(net, point)}",
                        chain,
                    )
                )
        for a, b, small, whole in bridges:
            side = set(small)
            inner, outer = (a, b) if a in side else (b, a)
            parts = [(inner, outer, side)]
            if len(side) * 2 == whole:
                # Two halves of one size: neither is the smaller, so each half that depends
                # across the tie is cut off by it (not the one the search happened to reach).
                parts.append((outer, inner, nx.node_connected_component(ties, outer) - side))
            for dependent, provider, part in parts:
                finding = bridge_finding(net, deps, chain, dependent, provider, part)
                if finding:
                    findings.append(finding)
    return findings


def bridge_finding(
    net: nx.MultiDiGraph, deps: nx.DiGraph, chain: str, dependent: str, provider: str, side: set[str]
) -> Finding | None:
    """The finding of a bridge whose ``side`` (holding ``dependent``) is cut off from ``provider``."""
    # Only a side that depends across the tie is cut off from its providers by it.
    if not deps.has_edge(dependent, provider) or not candidate(net, provider):
        return None
    reach = dependents_within(deps, dependent, side) | {dependent}
    held = sorted(n for n in reach if is_participant(net, n))
    # A lone node on one link is single sourcing, not a part of the network cut off.
    if not held or len(side) <= 1:
        return None
    return Finding(
        provider,
        "bridge",
        float(len(held)),
        held,
        f"the {word(chain)} link {label(net, dependent)} -> {label(net, provider)} is the "
        f"only one joining {names(net, held)} to the rest of the {word(chain)} network",
        chain,
    )


def cut_structure(
    view: nx.Graph,
) -> tuple[dict[str, tuple[int, list[str]]], list[tuple[str, str, list[str], int]]]:
    """Articulation points and bridges from one iterative depth-first search (Hopcroft-Tarjan).

    For each articulation point: how many pieces its removal leaves and the nodes of all but
    the largest piece (of all pieces, when several tie for largest); for each bridge: the nodes on
    its smaller side and the size of its component. A DFS subtree is a
    contiguous run of the preorder, so pieces are slices of it and no set algebra over the
    whole component is needed except for the rare piece that contains the DFS root.
    """
    order: list[str] = []
    disc: dict[str, int] = {}
    low: dict[str, int] = {}
    size: dict[str, int] = {}
    points: dict[str, tuple[int, list[str]]] = {}
    bridges: list[tuple[str, str, list[str], int]] = []
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
                bridges.append((parent, node, small, last - first))
        for point, children in separated.items():
            if point == root and len(children) < 2:
                continue
            runs = [(disc[c], disc[c] + size[c]) for c in children]
            rest = (last - first) - 1 - sum(size[c] for c in children)
            sizes = [size[c] for c in children] + ([rest] if rest else [])
            # The largest piece is the rest of the network. When pieces tie for largest there is
            # no rest: each is cut off from the others (a choice by search order would make the
            # finding depend on the order the store happens to list its triples in).
            biggest = [i for i, s in enumerate(sizes) if s == max(sizes)]
            kept = biggest[0] if len(biggest) == 1 else None
            held = [n for i, c in enumerate(children) if i != kept for n in subtree(c)]
            if rest and kept != len(children):
                held += outside(runs + [(disc[point], disc[point] + 1)])
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
    """A participant with exactly one supply provider in a chain, where that link is of high criticality."""
    providers: dict[tuple[str, str], set[str]] = defaultdict(set)
    critical: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, o, d in net.edges(data=True):
        if "SupplyRole" not in d["roles"]:
            continue
        providers[(s, d["chain"])].add(o)
        if d["criticality"] == "High":
            critical[(s, d["chain"])].add(o)
    held: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (participant, chain), only in providers.items():
        if len(only) == 1 and critical[(participant, chain)] == only and is_participant(net, participant):
            held[(next(iter(only)), chain)].append(participant)
    findings = []
    for (provider, chain), who in sorted(held.items()):
        if not candidate(net, provider):
            continue
        who = sorted(who)
        verb = "has" if len(who) == 1 else "have"
        what = f"{names(net, who)} {verb} no {word(chain)} alternative to {label(net, provider)}"
        findings.append(Finding(provider, "single source", float(len(who)), who, what, chain))
    return findings


def node_cut(
    net: nx.MultiDiGraph, sources: list[str], targets: list[str], chain: str = ALL_CHAINS
) -> tuple[list[Finding], str | None]:
    """The smallest set of nodes whose removal cuts every supply path between two sets, or why
    there is none."""
    import networkx as nx

    view = nx.Graph()
    for deps in supply_graphs(net).values():
        view.add_edges_from(deps.edges())
    sources = [s for s in sources if s in view]
    targets = [t for t in targets if t in view and t not in sources]
    if not sources or not targets:
        raise KgError(
            "sources and targets of a node cut must each name at least one linked node (an IRI or a class)"
        )
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
    between = f"{names(net, sources)} and {names(net, targets)}"
    if contracted.has_edge(start, end):
        return (
            [],
            f"no node cut between {between}: some of them are linked directly, "
            "so no node between them can cut them apart",
        )
    if not nx.has_path(contracted, start, end):
        return [], f"no node cut between {between}: no supply path joins them, so they are apart already"
    cut = sorted(c for c in nx.minimum_node_cut(contracted, start, end) if isinstance(c, str))
    held = [h for h in sorted(ends) if is_participant(net, h)]
    return [
        Finding(
            node,
            "node cut",
            float(len(cut)),
            held,
            f"{label(net, node)} is one of {len(cut)} node(s) ({names(net, cut)}) whose loss cuts every "
            f"supply path between {between}",
            chain,
        )
        for node in cut
    ], None


KINDS = ("impact", "dominator", "articulation point", "bridge", "single source", "node cut")


def chokepoints(
    net: nx.MultiDiGraph,
    sources: list[str] | None = None,
    targets: list[str] | None = None,
    chain: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    samples: int = 0,
    seed: int = 0,
    impacts: bool = True,
) -> Findings:
    """All findings, the failure impact ranking first (unless ``impacts`` is False), then the
    structural kinds, strongest first.

    ``chain`` says which chain ``net`` was filtered to (findings name it); the structural kinds
    are per chain in any case. ``sources`` and ``targets`` (compact names, IRIs or classes) ask
    for the smallest node cut between them.
    """
    chain = chain_of(chain)
    sources, targets = resolve_nodes(net, sources), resolve_nodes(net, targets)
    ranked = impact_findings(net, threshold, samples, seed, chain) if impacts else []
    ranked.sort(key=lambda f: (-f.score, -f.losses, f.node))
    others = dominator_findings(net) + structural_findings(net) + single_sourcing(net)
    notes = []
    if sources or targets:
        cut, note = node_cut(net, sources or [], targets or [], chain or ALL_CHAINS)
        others += cut
        notes += [note] if note else []
    others.sort(key=lambda f: (-f.score, KINDS.index(f.kind), f.node, f.chain))
    return Findings(ranked + others, notes)

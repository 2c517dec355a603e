"""Reduction: above the node budget a view keeps the top nodes by PageRank and groups the rest."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from kg.views.context import Context
from kg.views.model import Edge, Reduced
from kg.views.style import EDGE_BUDGET, NODE_BUDGET

if TYPE_CHECKING:
    import networkx as nx


def reduce_graph(context: Context, nodes: list[str], edges: list[Edge], keep: frozenset[str]) -> Reduced:
    """Within budget: unchanged. Above: the top nodes by PageRank, the rest grouped."""
    if len(nodes) <= NODE_BUDGET:
        return Reduced(nodes, edges)
    net = context.net
    key = {n: group_key(net, n) for n in nodes}
    room = NODE_BUDGET - len(set(key.values()))
    ranked = sorted(nodes, key=lambda n: (n not in keep, context.order.get(n, len(context.order) + 1), n))
    kept = set(ranked[:room])
    groups: dict[str, list[str]] = defaultdict(list)
    for n in ranked[room:]:
        groups[f"group:{key[n]}"].append(n)
    target = {n: n for n in kept} | {m: g for g, members in groups.items() for m in members}
    merged = merge_edges(edges, target)
    dropped = max(0, len(merged) - EDGE_BUDGET)
    merged = sorted(merged, key=lambda e: (-(e[3]["weight"] or 0.0), e[2]))[:EDGE_BUDGET]
    notice = (
        f"This view has {len(nodes):,} nodes, more than its budget of {NODE_BUDGET:,}: it shows the "
        f"{len(kept):,} of highest PageRank and groups the other {len(nodes) - len(kept):,} by series or "
        f"class into {len(groups)} boxes, each with its count. Links to grouped nodes are merged, with "
        "their number; links within a group are not drawn."
    )
    if dropped:
        notice += f" The {dropped:,} weakest remaining links are left out to keep the page responsive."
    return Reduced(sorted(kept) + sorted(groups), sorted(merged, key=lambda e: e[2]), dict(groups), notice)


def group_key(net: nx.MultiDiGraph, node: str) -> str:
    data = net.nodes[node] if node in net else {}
    return data.get("series") or data.get("kind") or "BusinessModel"


def link_data(predicate: str, chain: str, weight: float | None, dependency: bool = False) -> dict:
    return {
        "predicate": predicate,
        "chain": chain,
        "weight": weight,
        "criticality": None,
        "confidence": "",
        "dependency": dependency,
        "roles": frozenset(),
        "sources": [],
    }


def merge_edges(edges: list[Edge], target: dict[str, str]) -> list[Edge]:
    """Edges between kept nodes as they are; the others merged per (from, to, chain)."""
    kept, merged = [], defaultdict(list)
    for u, v, k, d in edges:
        a, b = target[u], target[v]
        if a == u and b == v:
            kept.append((u, v, k, d))
        elif a != b:
            merged[(a, b, d["chain"])].append((k, d))
    for (a, b, chain), pairs in merged.items():
        items = [d for _, d in pairs]
        weight = sum(d["weight"] or 0.0 for d in items)
        data = link_data(f"{len(items):,} links", chain, weight, any(d["dependency"] for d in items))
        data["count"] = len(items)
        data["predicates"] = sorted({d["predicate"] for d in items})
        data["keys"] = sorted(k for k, _ in pairs)
        kept.append((a, b, f"merged:{a}|{b}|{chain}", data))
    return kept

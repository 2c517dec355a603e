"""Items: nodes, edges, tips, legend and filters in the form view.js draws."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import TYPE_CHECKING

from kg.views.context import Context
from kg.views.model import Edge, EdgeItem, NodeItem, Reduced, Scene
from kg.views.style import (
    BORDER,
    CHAIN_COLORS,
    CHOKEPOINT_BORDER,
    CRITICALITY_COLORS,
    KIND_COLORS,
    KIND_SHAPES,
    SERIES_COLORS,
    SPARE_COLORS,
)
from kg.vocabulary import compact

if TYPE_CHECKING:
    pass


def kind_color(kind: str) -> str:
    if kind in KIND_COLORS:
        return KIND_COLORS[kind]
    return SPARE_COLORS[int(hashlib.sha256(kind.encode("utf-8")).hexdigest(), 16) % len(SPARE_COLORS)]


def node_item(context: Context, node: str, reduced: Reduced) -> NodeItem:
    """A node as drawn, placed at the origin: the layout places it once its box is known."""
    if node in reduced.groups:
        return group_item(context, node, reduced.groups[node])
    data = context.net.nodes[node]
    kind, series = data["kind"], data["series"]
    rank = context.rank.get(node, 0.0)
    chokepoint = context.is_chokepoint(node)
    return NodeItem(
        id=node,
        label=data["label"],
        label_zh=data["label_zh"],
        kind=kind,
        series=series,
        x=0,
        y=0,
        size=round(8 + 30 * math.sqrt(rank / context.top), 1),
        shape=KIND_SHAPES.get(kind, "dot"),
        colors={"class": kind_color(kind), "series": SERIES_COLORS.get(series, kind_color(series))},
        border=CHOKEPOINT_BORDER if chokepoint else BORDER,
        border_width=4 if chokepoint else 1,
        dashes=data["status"] == "Exited",
        tip=node_tip(context, node, data),
        page=f"participants/{context.pages[node]}.html" if node in context.pages else None,
    )


def group_item(context: Context, node: str, members: list[str]) -> NodeItem:
    net = context.net
    kinds = Counter(net.nodes[m]["kind"] for m in members)
    series = net.nodes[members[0]].get("series", "")
    name = node.removeprefix("group:")
    kind = kinds.most_common(1)[0][0]
    top = ", ".join(context.label(m) for m in members[:5])
    return NodeItem(
        id=node,
        label=f"{name}: {len(members):,} more",
        kind=kind,
        series=series,
        x=0,
        y=0,
        size=25.0,
        shape="box",
        colors={"class": kind_color(kind), "series": SERIES_COLORS.get(series, kind_color(series))},
        border=BORDER,
        border_width=2,
        font_size=16,
        tip=(
            f"{len(members):,} nodes of {name} not drawn one by one (below the top by PageRank).\n"
            f"Classes: {', '.join(f'{k} {c:,}' for k, c in sorted(kinds.items()))}\n"
            f"Highest ranked of them: {top}"
        ),
    )


def node_tip(context: Context, node: str, data: dict) -> str:
    lines = [data["label"] + (f" ({data['label_zh']})" if data["label_zh"] else "")]
    kind = " · ".join(x for x in (data["kind"], data["series"]) if x)
    status = f" · exited {data.get('exit_date') or ''}".rstrip() if data["status"] == "Exited" else ""
    lines.append(kind + status)
    lines += context.facts.about.get(node, [])
    if node in context.rank:
        lines.append(
            f"PageRank {context.rank[node]:.3g} (rank {context.order[node]:,} of {len(context.order):,})"
        )
    for finding in sorted(context.findings.get(node, []), key=lambda f: (-f.score, f.kind))[:3]:
        lines.append(f"Chokepoint ({finding.kind}): {finding.reason}")
    if node in context.net:
        lines.append(context.facts.source_line(context.facts.sources.get(node, [])))
        lines.append(compact(node))
    return "\n".join(lines)


def edge_item(context: Context, edge: Edge) -> EdgeItem:
    u, v, key, d = edge
    weight = d["weight"]
    return EdgeItem(
        id=key,
        from_=u,
        to=v,
        chain=d["chain"],
        color=CHAIN_COLORS.get(d["chain"], "#888888"),
        width=round(1 + math.log2(d["count"]), 1) if "count" in d else 1.5,
        dashes=not d["dependency"],
        label=f"×{d['count']:,}" if "count" in d else "",
        tip=edge_tip(context, u, v, key, d, weight),
    )


def edge_tip(context: Context, u: str, v: str, key: str, d: dict, weight: float | None) -> str:
    def name(n: str) -> str:
        if n.startswith("group:"):
            return f"{n.removeprefix('group:')} (grouped)"
        return context.label(n)

    if "count" in d:
        return (
            f"{d['count']:,} links from {name(u)} to {name(v)}\n{d['chain']}: {', '.join(d['predicates'])}\n"
            f"total weight {weight:.3g}"
        )
    facts = [d["chain"]]
    if weight is not None:
        facts.append(f"weight {weight:g}")
    if d["criticality"]:
        facts.append(f"criticality {d['criticality']}")
    if d["confidence"]:
        facts.append(f"confidence {d['confidence']}")
    if d.get("start") or d.get("end"):
        facts.append(f"{d.get('start') or '…'} to {d.get('end') or 'now'}")
    lines = [f"{name(u)} {d['predicate']} {name(v)}", " · ".join(facts)]
    if d["sources"]:
        lines.append(context.facts.source_line(d["sources"]))
    if not key.startswith("merged:"):
        lines.append(compact(key))
    return "\n".join(lines)


def dependency_edge(item: EdgeItem, edge: Edge) -> EdgeItem:
    weight = edge[3]["weight"] or 0.0
    if "count" not in edge[3]:
        item.width = round(1 + 7 * min(weight, 1.0), 1)
    item.color = CRITICALITY_COLORS[edge[3]["criticality"] or ""]
    return item


def curve_parallel(items: list[EdgeItem]) -> None:
    """Links between the same two nodes bend apart so that each can be seen and hovered."""
    seen: Counter = Counter()
    for item in items:
        pair = tuple(sorted((item.from_, item.to)))
        if seen[pair]:
            item.curve = round(0.15 * seen[pair], 2)
        seen[pair] += 1


# ---------------------------------------------------------------- legend and filters


def node_swatch(
    text: str,
    color: str,
    shape: str = "dot",
    border: str = BORDER,
    border_width: int = 1,
    dashes: bool = False,
    opacity: float = 1.0,
) -> dict:
    swatch = {
        "type": "node",
        "color": color,
        "shape": shape,
        "border": border,
        "borderWidth": border_width,
        "dashes": dashes,
        "opacity": opacity,
    }
    return {"text": text, "swatch": swatch}


def edge_swatch(text: str, color: str, width: float = 1.5, dashes: bool = False) -> dict:
    return {"text": text, "swatch": {"type": "edge", "color": color, "width": width, "dashes": dashes}}


def section(title: str, items: list[dict], mode: str | None = None) -> dict:
    return {"title": title, "mode": mode, "items": items}


def legend(nodes: list[dict], edges: list[dict], modes: list[tuple[str, str]], extra=None) -> list[dict]:
    """Built from what the view holds, so it names only colours and shapes on the page."""
    kinds = sorted({n.kind for n in nodes if n.shape != "box"})
    series = sorted({n.series for n in nodes})
    sections = [
        section(
            "Colour and shape: class",
            [node_swatch(k, kind_color(k), KIND_SHAPES.get(k, "dot")) for k in kinds],
            "class",
        ),
        section(
            "Colour: series",
            [node_swatch(s or "(no series)", SERIES_COLORS.get(s, kind_color(s))) for s in series],
            "series",
        ),
    ]
    shapes = [node_swatch(k, "#dddddd", KIND_SHAPES.get(k, "dot")) for k in kinds]
    sections += [section("Shape: class", shapes, mode) for mode, _ in modes if mode != "class"]
    sections.append(section("Marks", marks(nodes, edges)))
    sections.append(extra(edges) if extra else chain_legend(edges))
    return [s for s in sections if s["items"]]


def marks(nodes: list[dict], edges: list[dict]) -> list[dict]:
    items = [node_swatch("size: PageRank (what many rely on is big)", "#dddddd")]
    if any(n.border == CHOKEPOINT_BORDER for n in nodes):
        items.append(
            node_swatch("chokepoint (see its tooltip)", "#dddddd", border=CHOKEPOINT_BORDER, border_width=4)
        )
    if any(n.dashes for n in nodes):
        items.append(node_swatch("exited the market", "#dddddd", dashes=True))
    if any(n.shape == "box" for n in nodes):
        items.append(
            node_swatch("group of nodes not drawn one by one", "#dddddd", shape="box", border_width=2)
        )
    if any(e.label for e in edges):
        items.append(edge_swatch("×n: n links merged into one", "#888888", 2.5))
    return items


def chain_legend(edges: list[dict]) -> dict:
    chains = sorted({e.chain for e in edges})
    items = [edge_swatch(c, CHAIN_COLORS.get(c, "#888888")) for c in chains]
    if any(e.dashes for e in edges):
        items.append(
            edge_swatch("dashed: not a dependency (affects, issues, competes)", "#888888", dashes=True)
        )
    return section("Links: chain", items)


def dependency_legend(edges: list[dict]) -> dict:
    present = {e.color for e in edges}
    items = [
        edge_swatch(f"criticality {c or 'not given'}", color, 2.5)
        for c, color in CRITICALITY_COLORS.items()
        if color in present
    ]
    items += [edge_swatch(f"weight {w:g}", "#888888", round(1 + 7 * w, 1)) for w in (0.1, 0.5, 1.0)]
    return section("Links: colour is criticality, width is weight", items)


def filters(scene: Scene) -> list[dict]:
    def values(counts: Counter, blank: str = "") -> list[dict]:
        return [{"value": v, "text": v or blank, "count": c} for v, c in sorted(counts.items())]

    return [
        {"key": "kind", "title": "Class", "values": values(Counter(n.kind for n in scene.nodes))},
        {
            "key": "series",
            "title": "Series",
            "values": values(Counter(n.series for n in scene.nodes), "(none)"),
        },
        {"key": "chain", "title": "Chain", "values": values(Counter(e.chain for e in scene.edges))},
    ]

"""Scenes: which nodes and edges each view shows (the ecosystem, a chain, the dependencies,
the 2016 replay, one participant), before layout and styling."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kg.views.context import REPLAY_SCENARIO, Context, slug_of
from kg.views.items import (
    curve_parallel,
    dependency_edge,
    dependency_legend,
    edge_item,
    edge_swatch,
    legend,
    node_item,
    node_swatch,
    section,
)
from kg.views.layout import declutter, grid_below, layout, node_box, radial, wrap
from kg.views.model import Edge, EdgeItem, NodeItem, Scene
from kg.views.reduction import reduce_graph
from kg.views.style import ABOUT, CHAIN_VIEWS, FADED, OUTCOME_COLORS, TITLES
from kg.views.worlds import Runs, union
from kg.vocabulary import compact

if TYPE_CHECKING:
    import networkx as nx


def edges_of(net: nx.MultiDiGraph, keep=lambda u, v, d: True) -> list[Edge]:
    return sorted(
        ((u, v, k, d) for u, v, k, d in net.edges(keys=True, data=True) if keep(u, v, d)), key=lambda e: e[:3]
    )


def ends(edges: list[Edge]) -> list[str]:
    return sorted({u for u, *_ in edges} | {v for _, v, *_ in edges})


def ecosystem_scene(context: Context) -> Scene:
    net = context.net
    return make_scene(context, "ecosystem", sorted(net), edges_of(net), slider=True)


def chain_scene(name: str):
    def build(context: Context) -> Scene:
        chain = CHAIN_VIEWS[name]
        edges = edges_of(context.net, lambda u, v, d: d["chain"] == chain)
        return make_scene(context, name, ends(edges), edges, slider=True)

    return build


def dependencies_scene(context: Context) -> Scene:
    edges = edges_of(context.net, lambda u, v, d: d["dependency"])
    return make_scene(context, "dependencies", ends(edges), edges, edge_style=dependency_edge, slider=True)


def make_scene(
    context: Context,
    name: str,
    nodes: list[str],
    edges: list[Edge],
    edge_style=None,
    node_style=None,
    keep: frozenset[str] = frozenset(),
    arrange=None,
    slider: bool = False,
) -> Scene:
    """Reduce when over budget, style, lay out the nodes and edges of one view; with
    ``slider``, say in which months each takes part."""
    reduced = reduce_graph(context, nodes, edges, keep)
    node_items = [node_item(context, n, reduced) for n in reduced.nodes]
    if node_style:
        node_items = [node_style(item) for item in node_items]
    annotations = place(context, node_items, reduced, keep, arrange)
    edge_items = [edge_item(context, e) for e in reduced.edges]
    if edge_style:
        edge_items = [edge_style(item, e) for item, e in zip(edge_items, reduced.edges, strict=True)]
    curve_parallel(edge_items)
    if slider:
        mark_alive(context, node_items, edge_items, reduced)
    modes = [("class", "Class"), ("series", "Series")]
    return Scene(
        title=TITLES.get(name, name),
        about=ABOUT.get(name, ""),
        nodes=node_items,
        edges=edge_items,
        color_modes=modes,
        legend=legend(
            node_items, edge_items, modes, dependency_legend if edge_style is dependency_edge else None
        ),
        notice=reduced.notice,
        slider=slider,
        annotations=annotations,
    )


def place(context: Context, items: list[NodeItem], reduced, keep: frozenset[str], arrange) -> list[dict]:
    """Positions for the items: the linked nodes laid out and kept apart, most important first;
    those linked to nothing in a block of their own with a heading (returned, to be drawn)."""
    for item in items:
        wrapped = wrap(item.label)
        item.text = wrapped if wrapped != item.label else None
    boxes = {i.id: node_box(i.text or i.label, i.size, i.font_size, i.shape, i.border_width) for i in items}
    linked = {u for u, *_ in reduced.edges} | {v for _, v, *_ in reduced.edges}
    lone = [i.id for i in sorted(items, key=lambda i: (i.kind, i.label.lower(), i.id)) if i.id not in linked]
    if len(lone) == len(items) or arrange is not None:
        lone = []
    alone = set(lone)
    ranked = sorted(
        (i.id for i in items if i.id not in alone),
        key=lambda n: (n not in keep, context.order.get(n, len(context.order) + 1), n),
    )
    shown = [n for n in reduced.nodes if n not in alone]
    positions = declutter((arrange or layout)(shown, reduced.edges), ranked, boxes)
    block, heading = grid_below(positions, lone, boxes)
    positions |= block
    for item in items:
        item.x, item.y = positions[item.id]
    if heading is None:
        return []
    text = f"Linked to nothing in this view ({len(lone):,})"
    return [{"text": text, "x": heading[0], "y": heading[1]}]


def mark_alive(context: Context, nodes: list[NodeItem], edges: list[EdgeItem], reduced) -> None:
    """The months each node and link takes part in; a group, while any of its members does."""
    line = context.line

    def runs_of(parts: list[Runs]) -> list | None:
        runs = union([run for part in parts for run in part])
        return None if line.always(runs) else [list(run) for run in runs]

    for item in nodes:
        members = reduced.groups.get(item.id, [item.id])
        item.alive = runs_of([line.nodes.get(m, []) for m in members])
    for item, (_, _, key, data) in zip(edges, reduced.edges, strict=True):
        item.alive = runs_of([line.edges.get(k, []) for k in data.get("keys", [key])])


# ---------------------------------------------------------------- the 2016 replay


def policy_scene(context: Context) -> Scene:
    """The replay of the April 2016 scenario: what it hit, who failed (by round) and who stood."""
    replay = context.facts.replay
    if replay is None:
        scene = make_scene(context, "policy-2016", [], [])
        scene.notice = f"The store holds no scenario '{REPLAY_SCENARIO}', so there is nothing to replay."
        return scene
    net, outcome = context.net, replay.outcome
    failed = {f.node: f for f in outcome.failed}
    policies = {d["node"] for d in replay.shock}
    hit = {s.node for s in outcome.standing}
    shown = frozenset((policies | set(failed) | hit) & set(net))
    damaged = shown | {
        v for u, v, d in net.edges(data=True) if u in policies and "ExposureRole" in d["roles"] and v in net
    }
    shown = frozenset(damaged)
    edges = edges_of(
        net,
        lambda u, v, d: (
            u in shown
            and v in shown
            and (
                (u in policies and "ExposureRole" in d["roles"])
                or ("SupplyRole" in d["roles"] and v in shown)
            )
        ),
    )
    concepts = frozenset(n for n in shown if net.nodes[n].get("top") == "Concept")
    style = Outcome(outcome, failed, frozenset(policies), concepts)
    scene = make_scene(
        context,
        "policy-2016",
        sorted(shown),
        edges,
        edge_style=style.edge_style,
        node_style=style.node_style,
        keep=shown,
    )
    scene.on = replay.as_of
    scene.color_modes = [("outcome", "Outcome"), *scene.color_modes]
    # Links are coloured by outcome here, so the chain colours would mislead.
    scene.legend = style.legend(scene) + [s for s in scene.legend if s["title"] != "Links: chain"]
    return scene


@dataclass
class Outcome:
    """Styles of the replay: who failed, who was hit, which links carried the damage."""

    result: object
    failed: dict
    policies: frozenset[str]
    concepts: frozenset[str]

    def state(self, node: str) -> str:
        if node in self.policies:
            return "policy"
        if node in self.failed:
            return "failed"
        if any(s.node == node for s in self.result.standing):
            return "stood"
        return "model" if node in self.concepts else "hit"

    def node_style(self, item: NodeItem) -> NodeItem:
        node = item.id
        state = self.state(node)
        item.colors = {"outcome": OUTCOME_COLORS[state], **item.colors}
        if state == "failed":
            failure = self.failed[node]
            item.label = f"{item.label} ✕{failure.round}"
            item.tip += (
                f"\n\nFAILED in round {failure.round}: lost {failure.loss:g} of its {failure.chain}\n"
                + "\n".join(f"- {c}" for c in failure.causes)
            )
        elif state == "stood":
            why = next(s for s in self.result.standing if s.node == node)
            kept = (
                f"; still has {', '.join(compact(a) for a in why.alternatives)}" if why.alternatives else ""
            )
            item.tip += f"\n\nHit but standing: lost {why.loss:g} of its {why.chain}{kept}"
        return item

    def edge_style(self, item: EdgeItem, edge: Edge) -> EdgeItem:
        u, v, _, d = edge
        failure = self.failed.get(u)
        if failure and d["chain"] == failure.chain and "SupplyRole" in d.get("roles", ()):
            item.color, item.width = OUTCOME_COLORS["failed"], 3.0
        elif u in self.policies:
            item.color, item.width = OUTCOME_COLORS["policy"], 2.0
        else:
            item.color, item.width = "#999999", 1.0
        return item

    def legend(self, scene: Scene) -> list[dict]:
        present = Counter(self.state(n.id) for n in scene.nodes)
        text = {
            "policy": "the policy",
            "model": "a business model it hit",
            "hit": "hit by the policy",
            "stood": "hit, lost some, still standing",
            "failed": "failed (✕n: in round n)",
        }
        nodes = [node_swatch(text[s], OUTCOME_COLORS[s]) for s in text if present[s]]
        edges = [
            edge_swatch("the policy affects it", OUTCOME_COLORS["policy"], 2.0, dashes=True),
            edge_swatch("carried the loss that made it fail", OUTCOME_COLORS["failed"], 3.0),
            edge_swatch("another dependency on something damaged", "#999999", 1.0),
        ]
        return [section("Colour: outcome", nodes, "outcome"), section("Links", edges)]


# ---------------------------------------------------------------- participant pages


def participant_scene(context: Context, center: str) -> Scene:
    """One and two hops around a participant, directions ignored; the far ring is faded."""
    net = context.net
    hop1 = (set(net.successors(center)) | set(net.predecessors(center))) - {center}
    hop2 = set()
    for n in hop1:
        hop2 |= set(net.successors(n)) | set(net.predecessors(n))
    hop2 -= hop1 | {center}
    near = hop1 | {center}
    # Every neighbour of a node in ``near`` is in the view, so its links are exactly theirs.
    touching = {}
    for n in near:
        for u, v, k, d in [*net.out_edges(n, keys=True, data=True), *net.in_edges(n, keys=True, data=True)]:
            touching[k] = (u, v, k, d)
    edges = sorted(touching.values(), key=lambda e: e[:3])

    def faded(item: NodeItem) -> NodeItem:
        # This page sits in participants/ beside the pages it links to.
        if item.page:
            item.page = item.page.removeprefix("participants/")
        if item.id == center:
            item.border, item.border_width, item.font_size = "#000000", 6, 20
        elif item.id not in near:
            item.opacity = FADED
        return item

    def edge_fade(item: EdgeItem, edge: Edge) -> EdgeItem:
        if center not in edge[:2]:
            item.opacity = FADED + 0.2
        return item

    label = context.label(center)
    scene = make_scene(
        context,
        f"participants/{context.pages.get(center, slug_of(center))}",
        sorted(near | hop2),
        edges,
        edge_style=edge_fade,
        node_style=faded,
        keep=frozenset(near),
        arrange=radial(context, center, hop1),
    )
    zh = context.net.nodes[center].get("label_zh")
    scene.title = f"Around {label}" + (f" ({zh})" if zh else "")
    scene.about = (
        f"{label}, what it is linked to (one hop) and what those are linked to (two hops, faded), "
        "in every chain. Double-click a node to open the view around it."
    )
    scene.index_href = "../index.html"
    scene.legend.insert(
        0,
        section(
            "Distance",
            [
                node_swatch(f"{label} (thick border)", "#ffffff", border="#000000", border_width=3),
                node_swatch("one hop away", "#888888"),
                node_swatch("two hops away (faded)", "#888888", opacity=FADED),
            ],
        ),
    )
    return scene

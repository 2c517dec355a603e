"""Views: offline, self-contained HTML pages of the graph that a person can read.

Each page is one UTF-8 file holding vis-network (taken from the installed pyvis package),
the view's data as an escaped JSON island and a small script (kg/templates/view.js) that
draws it with physics off, at positions computed here. So a page opens offline, is usable
at once, and the same graph gives the same bytes. pyvis's own HTML template is not used:
it loads vis-network from a CDN and pastes labels into the page unescaped.

Above NODE_BUDGET nodes a view keeps the nodes of highest PageRank, groups the rest by
series or class into one node per group with its count, and says so on the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import KgError
from kg.network import local
from kg.vocabulary import CBR, SLUG, compact

if TYPE_CHECKING:
    import networkx as nx
    import pyoxigraph as ox

    from kg.store import Store

# Views keep at most this many nodes: vis-network stays responsive to about this size
# with physics off; above it a view shows the top nodes by PageRank and groups the rest.
NODE_BUDGET = 1500
# The strongest links kept once reduction leaves more than this many.
EDGE_BUDGET = 6000
# Participant pages are written for at most this many participants, by PageRank.
PARTICIPANT_PAGE_LIMIT = 300
# A participant held by a chokepoint finding of at least this score gets the mark.
CHOKEPOINT_MIN_SCORE = 2
LAYOUT_SEED = 42
# Pixels of room each node gets in a layout (the side of its square).
SPACING = 140
# Kamada-Kawai spaces small graphs evenly; above this size Fruchterman-Reingold is much faster.
KAMADA_KAWAI_LIMIT = 400
GENERATOR = '<meta name="generator" content="kg">'
CHAIN_VIEWS = {
    "trade": "TradeChain",
    "finance": "FinanceChain",
    "logistics": "LogisticsChain",
    "regulation": "RegulationChain",
}
VIEW_NAMES = ("index", "ecosystem", *CHAIN_VIEWS, "dependencies", "policy-2016", "participants")
TEMPLATES = Path(__file__).resolve().parent / "templates"

ABOUT = {
    "ecosystem": "Every participant, policy and zone, and every link between them. Colour: class (or "
    "series, see “Colour by”); size: PageRank on the dependency network, so what many rely on is "
    "big; a thick dark border marks a chokepoint. Arrows point from a participant to what it "
    "relies on.",
    "trade": "The trade chain: which platforms source from which suppliers and brands, and who sells on "
    "which platform.",
    "finance": "The finance chain: who is funded by which investor and who pays through which payment "
    "provider.",
    "logistics": "The logistics chain: who ships through which logistics provider and warehouses in "
    "which zone.",
    "regulation": "The regulation chain: regulators, the policies they issue, whom each policy affects, "
    "and who is subject to which policy or regulated by whom.",
    "dependencies": "Every dependency link: the width is the weight (how much the participant relies on "
    "what the arrow points to), the colour its criticality.",
    "policy-2016": "The April 2016 new policies (the tax notice and the positive list, both in force on "
    "8 April 2016) replayed as in `kg report`: what they hit, who failed in which round and through which "
    "links, and who was hit but stood.",
}
TITLES = {
    "ecosystem": "The ecosystem",
    "trade": "Trade chain",
    "finance": "Finance chain",
    "logistics": "Logistics chain",
    "regulation": "Regulation chain",
    "dependencies": "Dependencies",
    "policy-2016": "The 2016 tax reform, replayed",
}

KIND_COLORS = {
    "MarketplacePlatform": "#e15759",
    "SelfOperatedPlatform": "#f28e2b",
    "BuyerPlatform": "#ff9da7",
    "VerticalPlatform": "#b07aa1",
    "RetailHypermarket": "#9c755f",
    "Platform": "#d37295",
    "Company": "#4e79a7",
    "Investor": "#59a14f",
    "LogisticsProvider": "#76b7b2",
    "PaymentProvider": "#edc948",
    "Supplier": "#bab0ac",
    "Regulator": "#2f4b7c",
    "Policy": "#a05195",
    "Zone": "#8cd17d",
    "BusinessModel": "#a0cbe8",
}
SPARE_COLORS = ("#86bcb6", "#ffbe7d", "#d4a6c8", "#a0cbe8", "#b6992d", "#499894", "#79706e")
SERIES_COLORS = {
    "PlatformSeries": "#e15759",
    "IndependentSeries": "#4e79a7",
    "EntrepreneurialSeries": "#b07aa1",
    "RetailSeries": "#9c755f",
    "OverseasSeries": "#59a14f",
    "": "#c9c9c9",
}
KIND_SHAPES = {
    "Company": "square",
    "Investor": "star",
    "LogisticsProvider": "triangleDown",
    "PaymentProvider": "triangleDown",
    "Regulator": "triangle",
    "Policy": "diamond",
    "Zone": "hexagon",
    "BusinessModel": "square",
}
CHAIN_COLORS = {
    "TradeChain": "#f28e2b",
    "FinanceChain": "#59a14f",
    "LogisticsChain": "#4e79a7",
    "RegulationChain": "#a05195",
    "TrafficChain": "#e15759",
    "OwnershipChain": "#79706e",
    "CompetitionChain": "#bab0ac",
}
CRITICALITY_COLORS = {"High": "#d62728", "Medium": "#ff7f0e", "Low": "#1f77b4", "": "#aaaaaa"}
OUTCOME_COLORS = {
    "policy": "#a05195",
    "hit": "#f28e2b",
    "stood": "#edc948",
    "failed": "#c00000",
    "model": "#a0cbe8",
}
# Ordinary nodes are outlined in their own colour (an empty border), so that zoomed out a
# crowd of small nodes keeps its colours and the dark chokepoint outlines stand out.
BORDER = ""
CHOKEPOINT_BORDER = "#111111"
FADED = 0.35


# ---------------------------------------------------------------- entry points


def export_views(
    store: Store, out_dir: Path | str, views: list[str] | None = None, force: bool = False
) -> list[Path]:
    """Write the views of ``store`` into ``out_dir`` and return the files written.

    ``views`` are names from VIEW_NAMES or ``participants/<slug>``; None writes them all.
    A file already there is replaced only when kg wrote it, or with ``force``. Writing every
    participant page also removes the pages kg wrote for participants no longer there.
    """
    from kg.network import project
    from kg.queries import query_graph

    names = checked_views(views)
    out = Path(out_dir)
    graph = query_graph(store)
    facts = load_facts(graph)
    facts.replay = replay_of(graph)
    pages = build_pages(project(graph), names, facts)
    return write_pages(out, pages, force, prune="participants" in names)


def build_pages(
    net: nx.MultiDiGraph, views: list[str] | None = None, facts: Facts | None = None
) -> dict[str, bytes]:
    """The pages of ``views`` (all when None) as {relative path: UTF-8 bytes}."""
    names = checked_views(views)
    context = Context.of(net, facts or Facts())
    pages: dict[str, bytes] = {}
    for name in names:
        if name == "index":
            continue
        if name == "participants":
            for iri, slug in context.pages.items():
                pages[f"participants/{slug}.html"] = render_view(participant_scene(context, iri))
        elif name.startswith("participants/"):
            pages[f"{name}.html"] = render_view(participant_scene(context, participant_of(context, name)))
        else:
            pages[f"{name}.html"] = render_view(SCENES[name](context))
    if "index" in names:
        pages["index.html"] = render_index(context)
    return dict(sorted(pages.items()))


def checked_views(views: list[str] | None) -> list[str]:
    """The view names asked for, each checked; all of them when none is given."""
    if not views:
        return list(VIEW_NAMES)
    for name in views:
        folder, _, slug = name.partition("/")
        if name in VIEW_NAMES or (folder == "participants" and SLUG.fullmatch(slug)):
            continue
        raise KgError(
            f"unknown view '{name}'; choose one of {', '.join(VIEW_NAMES)}, "
            "or participants/<slug> for one participant (e.g. participants/tmall-global)"
        )
    return list(dict.fromkeys(views))


def participant_of(context: Context, name: str) -> str:
    slug = name.partition("/")[2]
    for iri, known in context.pages.items():
        if known == slug:
            return iri
    from kg.analysis import is_participant

    for iri in context.net:
        if slug_of(iri) == slug and is_participant(context.net, iri):
            return iri
    raise KgError(f"no participant has the page '{name}'; `kg query participants-by-series` lists them")


# ---------------------------------------------------------------- what the graph knows


FACT_NAMES = {
    "comment": "",
    "foundingDate": "founded",
    "launchDate": "launched",
    "legislationDate": "issued",
    "effectiveDate": "in effect from",
    "approvalDate": "approved",
    "exitDate": "exited",
    "customsCode": "customs code",
}
FACTS_QUERY = """
SELECT ?e ?p ?o {
  VALUES ?p { rdfs:comment schema:foundingDate cbec:launchDate schema:legislationDate
              cbec:effectiveDate cbec:approvalDate cbec:exitDate cbec:customsCode }
  ?e ?p ?o FILTER(lang(?o) = "" || langMatches(lang(?o), "en"))
}"""
SOURCES_QUERY = "SELECT ?e ?source { ?e prov:wasDerivedFrom ?source }"
TITLES_QUERY = "SELECT ?source ?title { ?source a cbec:Source ; dcterms:title ?title }"


@dataclass
class Facts:
    """What tooltips say beyond the projection: facts, sources and source titles."""

    about: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    replay: object = None

    def source_line(self, sources: list[str]) -> str:
        titles = sorted({self.titles.get(s, compact(s)) for s in sources})
        return "Sources: " + "; ".join(titles) if titles else "Sources: none recorded"


# The policy view replays this scenario of the store (see kg/scenarios.py).
REPLAY_SCENARIO = "april-2016-reform"


def replay_of(graph: ox.Store):
    """The simulation of REPLAY_SCENARIO on the world of its date, or None without it."""
    from kg.network import Filters, project
    from kg.scenarios import scenarios
    from kg.simulation import simulate

    found = [s for s in scenarios(graph) if s.name == REPLAY_SCENARIO]
    if not found:
        return None
    s = found[0]
    net = project(graph, Filters(as_of=s.as_of))
    present = [p for p in s.policies if p in net]
    return simulate(net, remove=[r for r in s.removes if r in net], policies=present)


def load_facts(graph: ox.Store) -> Facts:
    """Three queries for every entity at once, rather than one describe() per entity."""
    from kg.vocabulary import PREFIXES

    def rows(text: str):
        return graph.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)

    facts = Facts()
    about: dict[str, list[tuple[int, str]]] = defaultdict(list)
    order = list(FACT_NAMES)
    for row in rows(FACTS_QUERY):
        name = local(row["p"].value)
        text = row["o"].value if name == "comment" else f"{FACT_NAMES[name]} {row['o'].value}"
        about[row["e"].value].append((order.index(name), text))
    facts.about = {e: [t for _, t in sorted(set(lines))] for e, lines in about.items()}
    sources: dict[str, set[str]] = defaultdict(set)
    for row in rows(SOURCES_QUERY):
        sources[row["e"].value].add(row["source"].value)
    facts.sources = {e: sorted(s) for e, s in sources.items()}
    facts.titles = {row["source"].value: row["title"].value for row in rows(TITLES_QUERY)}
    return facts


@dataclass
class Context:
    """The network and what every view reads from it, computed once."""

    net: nx.MultiDiGraph
    facts: Facts
    rank: dict[str, float]
    order: dict[str, int]
    findings: dict[str, list]
    pages: dict[str, str]
    top: float

    @classmethod
    def of(cls, net: nx.MultiDiGraph, facts: Facts) -> Context:
        from kg.analysis import chokepoints, is_participant

        rank = pagerank(net)
        ranked = sorted(net, key=lambda n: (-rank.get(n, 0.0), n))
        findings: dict[str, list] = defaultdict(list)
        # The structural kinds only: the impact ranking simulates a failure per node, which
        # `kg analyze chokepoints` reports; a view of 100,000 nodes should not wait for it.
        for finding in chokepoints(net, impacts=False):
            findings[finding.node].append(finding)
        people = [n for n in ranked if is_participant(net, n)][:PARTICIPANT_PAGE_LIMIT]
        return cls(
            net=net,
            facts=facts,
            rank=rank,
            order={n: i for i, n in enumerate(ranked, 1)},
            findings=dict(findings),
            pages={n: slug_of(n) for n in sorted(people)},
            top=max(rank.values(), default=0.0) or 1.0,
        )

    def label(self, node: str) -> str:
        return self.net.nodes[node]["label"] if node in self.net else local(node)

    def is_chokepoint(self, node: str) -> bool:
        return any(f.score >= CHOKEPOINT_MIN_SCORE for f in self.findings.get(node, []))


def pagerank(net: nx.MultiDiGraph) -> dict[str, float]:
    """PageRank on the dependency network (igraph's PRPACK: fast and deterministic at any size)."""
    from kg.analysis import to_igraph
    from kg.network import dependency_graph

    graph, nodes = to_igraph(dependency_graph(net))
    if not nodes:
        return {}
    return dict(zip(nodes, graph.pagerank(weights="weight", damping=0.85), strict=True))


def slug_of(iri: str) -> str:
    """A file name for a participant: its cbr: slug, else a readable stem and a hash."""
    if iri.startswith(CBR) and SLUG.fullmatch(iri[len(CBR) :]):
        return iri[len(CBR) :]
    stem = re.sub(r"[^a-z0-9]+", "-", local(iri).lower()).strip("-")[:40] or "node"
    return f"{stem}-{hashlib.sha256(iri.encode('utf-8')).hexdigest()[:10]}"


# ---------------------------------------------------------------- scenes: what each view shows


@dataclass
class Scene:
    """One view before rendering: its nodes and edges with styles, legend and filters."""

    title: str
    about: str
    nodes: list[dict]
    edges: list[dict]
    color_modes: list[tuple[str, str]]
    legend: list[dict]
    notice: str = ""
    index_href: str = "index.html"


Edge = tuple[str, str, str, dict]


def edges_of(net: nx.MultiDiGraph, keep=lambda u, v, d: True) -> list[Edge]:
    return sorted(
        ((u, v, k, d) for u, v, k, d in net.edges(keys=True, data=True) if keep(u, v, d)), key=lambda e: e[:3]
    )


def ends(edges: list[Edge]) -> list[str]:
    return sorted({u for u, *_ in edges} | {v for _, v, *_ in edges})


def ecosystem_scene(context: Context) -> Scene:
    net = context.net
    return make_scene(context, "ecosystem", sorted(net), edges_of(net))


def chain_scene(name: str):
    def build(context: Context) -> Scene:
        chain = CHAIN_VIEWS[name]
        edges = edges_of(context.net, lambda u, v, d: d["chain"] == chain)
        return make_scene(context, name, ends(edges), edges)

    return build


def dependencies_scene(context: Context) -> Scene:
    edges = edges_of(context.net, lambda u, v, d: d["dependency"])
    return make_scene(context, "dependencies", ends(edges), edges, edge_style=dependency_edge)


def make_scene(
    context: Context,
    name: str,
    nodes: list[str],
    edges: list[Edge],
    edge_style=None,
    node_style=None,
    keep: frozenset[str] = frozenset(),
    arrange=None,
) -> Scene:
    """Reduce when over budget, lay out, and style the nodes and edges of one view."""
    reduced = reduce_graph(context, nodes, edges, keep)
    first = sorted(
        reduced.nodes, key=lambda n: (n not in keep, context.order.get(n, len(context.order) + 1), n)
    )
    positions = declutter((arrange or layout)(reduced.nodes, reduced.edges), first)
    node_items = [node_item(context, n, positions[n], reduced) for n in reduced.nodes]
    if node_style:
        node_items = [node_style(item) for item in node_items]
    edge_items = [edge_item(context, e) for e in reduced.edges]
    if edge_style:
        edge_items = [edge_style(item, e) for item, e in zip(edge_items, reduced.edges, strict=True)]
    curve_parallel(edge_items)
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
    )


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

    def node_style(self, item: dict) -> dict:
        node = item["id"]
        state = self.state(node)
        item["colors"] = {"outcome": OUTCOME_COLORS[state], **item["colors"]}
        if state == "failed":
            failure = self.failed[node]
            item["label"] = f"{item['label']} ✕{failure.round}"
            item["tip"] += (
                f"\n\nFAILED in round {failure.round}: lost {failure.loss:g} of its {failure.chain}\n"
                + "\n".join(f"- {c}" for c in failure.causes)
            )
        elif state == "stood":
            why = next(s for s in self.result.standing if s.node == node)
            kept = (
                f"; still has {', '.join(compact(a) for a in why.alternatives)}" if why.alternatives else ""
            )
            item["tip"] += f"\n\nHit but standing: lost {why.loss:g} of its {why.chain}{kept}"
        return item

    def edge_style(self, item: dict, edge: Edge) -> dict:
        u, v, _, d = edge
        failure = self.failed.get(u)
        if failure and d["chain"] == failure.chain and "SupplyRole" in d.get("roles", ()):
            item.update(color=OUTCOME_COLORS["failed"], width=3.0)
        elif u in self.policies:
            item.update(color=OUTCOME_COLORS["policy"], width=2.0)
        else:
            item.update(color="#999999", width=1.0)
        return item

    def legend(self, scene: Scene) -> list[dict]:
        present = Counter(self.state(n["id"]) for n in scene.nodes)
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

    def faded(item: dict) -> dict:
        # This page sits in participants/ beside the pages it links to.
        if "page" in item:
            item["page"] = item["page"].removeprefix("participants/")
        if item["id"] == center:
            item.update(border="#000000", borderWidth=6, fontSize=20)
        elif item["id"] not in near:
            item["opacity"] = FADED
        return item

    def edge_fade(item: dict, edge: Edge) -> dict:
        if center not in edge[:2]:
            item["opacity"] = FADED + 0.2
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


# ---------------------------------------------------------------- reduction


@dataclass
class Reduced:
    """The nodes and edges a view draws; ``groups`` maps a group node to its members."""

    nodes: list[str]
    edges: list[Edge]
    groups: dict[str, list[str]] = field(default_factory=dict)
    notice: str = ""


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
            merged[(a, b, d["chain"])].append(d)
    for (a, b, chain), items in merged.items():
        weight = sum(d["weight"] or 0.0 for d in items)
        data = link_data(f"{len(items):,} links", chain, weight, any(d["dependency"] for d in items))
        data["count"] = len(items)
        data["predicates"] = sorted({d["predicate"] for d in items})
        kept.append((a, b, f"merged:{a}|{b}|{chain}", data))
    return kept


# ---------------------------------------------------------------- layout


def layout(nodes: list[str], edges: list[Edge]) -> dict[str, tuple[int, int]]:
    """Positions in pixels: each connected component laid out on its own, then packed in rows.

    igraph's C layouts are fast at the budget's size and, started from seeded positions,
    give the same result on every run; rounding to whole pixels keeps the bytes stable
    where the last bits of a float might not be. Laying components out apart keeps lone
    nodes from ringing the graph and squeezing it into the middle.
    """
    import random

    import igraph

    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[u], index[v]))) for u, v, *_ in edges if u != v})
    graph = igraph.Graph(n=len(nodes), edges=pairs)
    parts = sorted((sorted(c) for c in graph.connected_components()), key=lambda c: (-len(c), c[0]))
    # igraph draws from Python's global random module; keep the caller's state intact.
    state = random.getstate()
    random.seed(LAYOUT_SEED)
    try:
        placed = [spread(graph, part) for part in parts]
    finally:
        random.setstate(state)
    return {nodes[i]: xy for i, xy in pack(parts, placed).items()}


def spread(graph, part: list[int]) -> list[tuple[float, float]]:
    """One component, scaled so that each node has about SPACING pixels square around it."""
    if len(part) == 1:
        return [(0.0, 0.0)]
    sub = graph.induced_subgraph(part)
    start = random_start(len(part))
    if len(part) <= KAMADA_KAWAI_LIMIT:
        coords = sub.layout_kamada_kawai(seed=start, maxiter=50 * len(part)).coords
    else:
        coords = sub.layout_fruchterman_reingold(seed=start, niter=500, grid="auto").coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    factor = SPACING * math.sqrt(len(part)) / extent
    return [(x * factor, y * factor) for x, y in coords]


def radial(context: Context, center: str, near: set[str]):
    """Rings around a participant: its neighbours on the first, theirs beyond, each placed
    towards the neighbours it hangs from, so the page reads from the middle outwards."""

    def arrange(nodes: list[str], edges: list[Edge]) -> dict[str, tuple[int, int]]:
        net = context.net
        inner = sorted(
            (n for n in nodes if n in near), key=lambda n: (net.nodes[n]["kind"], context.label(n).lower(), n)
        )
        radius = max(2 * SPACING, len(inner) * SPACING / (2 * math.pi))
        angle = {n: 2 * math.pi * i / max(len(inner), 1) for i, n in enumerate(inner)}
        pos = {center: (0, 0)} | {n: polar(radius, angle[n]) for n in inner}
        links = defaultdict(list)
        for u, v, *_ in edges:
            links[u].append(v)
            links[v].append(u)
        wanted = {n: mean_angle([angle[m] for m in links[n] if m in angle]) for n in nodes if n not in pos}
        outer = sorted(wanted, key=lambda n: (wanted[n], n))
        ring = radius + 1.6 * SPACING
        while outer:
            room = max(1, int(2 * math.pi * ring / (0.8 * SPACING)))
            now, outer = outer[:room], outer[room:]
            base = [2 * math.pi * i / len(now) for i in range(len(now))]
            # Evenly round the ring in the order wanted, turned to fit the wanted angles best.
            offset = mean_angle([wanted[n] - b for n, b in zip(now, base, strict=True)])
            pos |= {n: polar(ring, offset + b) for n, b in zip(now, base, strict=True)}
            ring += SPACING
        return pos

    return arrange


def polar(radius: float, angle: float) -> tuple[int, int]:
    return round(radius * math.cos(angle)), round(radius * math.sin(angle))


def mean_angle(angles: list[float]) -> float:
    if not angles:
        return 0.0
    return math.atan2(sum(math.sin(a) for a in angles), sum(math.cos(a) for a in angles)) % (2 * math.pi)


# A node's label box, about: labels wrap at 130 px and rarely run past four lines.
LABEL_WIDTH, LABEL_HEIGHT = 120, 70
NUDGES = [(0, 0)] + [
    (round(r * math.cos(2 * math.pi * k / 16)), round(r * math.sin(2 * math.pi * k / 16)))
    for r in range(20, 4000, 20)
    for k in range(16)
]


def declutter(positions: dict[str, tuple[int, int]], order: list[str]) -> dict[str, tuple[int, int]]:
    """Nudge nodes, most important first, to the nearest spot where no label covers another.

    Integer arithmetic on a grid of label-sized cells: cheap, and the same on every machine.
    """
    cells: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    limit = LABEL_WIDTH**2 * LABEL_HEIGHT**2

    def free(x: int, y: int) -> bool:
        cx, cy = x // LABEL_WIDTH, y // LABEL_HEIGHT
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for px, py in cells.get((i, j), ()):
                    if (x - px) ** 2 * LABEL_HEIGHT**2 + (y - py) ** 2 * LABEL_WIDTH**2 < limit:
                        return False
        return True

    out = {}
    for node in order:
        x, y = positions[node]
        spot = next(((x + dx, y + dy) for dx, dy in NUDGES if free(x + dx, y + dy)), (x, y))
        cells[(spot[0] // LABEL_WIDTH, spot[1] // LABEL_HEIGHT)].append(spot)
        out[node] = spot
    return out


def random_start(count: int) -> list[list[float]]:
    import random

    rng = random.Random(LAYOUT_SEED)
    side = math.sqrt(count)
    return [[rng.uniform(-side, side), rng.uniform(-side, side)] for _ in range(count)]


def pack(parts: list[list[int]], placed: list[list[tuple[float, float]]]) -> dict[int, tuple[int, int]]:
    """Shelf packing, largest component first, rows no wider than it (or a dozen lone nodes)."""
    boxes = [
        (min(x for x, _ in c), min(y for _, y in c), max(x for x, _ in c), max(y for _, y in c))
        for c in placed
    ]
    limit = max(boxes[0][2] - boxes[0][0], SPACING * 12)
    x = y = row = 0.0
    out: dict[int, tuple[int, int]] = {}
    for part, coords, (x0, y0, x1, y1) in zip(parts, placed, boxes, strict=True):
        if x > 0 and x + (x1 - x0) > limit:
            x, y, row = 0.0, y + row + SPACING, 0.0
        for i, (px, py) in zip(part, coords, strict=True):
            out[i] = (round(px - x0 + x), round(py - y0 + y))
        x += x1 - x0 + SPACING
        row = max(row, y1 - y0)
    return out


# ---------------------------------------------------------------- styles


def kind_color(kind: str) -> str:
    if kind in KIND_COLORS:
        return KIND_COLORS[kind]
    return SPARE_COLORS[int(hashlib.sha256(kind.encode("utf-8")).hexdigest(), 16) % len(SPARE_COLORS)]


def node_item(context: Context, node: str, position: tuple[int, int], reduced: Reduced) -> dict:
    if node in reduced.groups:
        return group_item(context, node, position, reduced.groups[node])
    data = context.net.nodes[node]
    kind, series = data["kind"], data["series"]
    rank = context.rank.get(node, 0.0)
    chokepoint = context.is_chokepoint(node)
    item = {
        "id": node,
        "label": data["label"],
        "labelZh": data["label_zh"],
        "kind": kind,
        "series": series,
        "x": position[0],
        "y": position[1],
        "size": round(8 + 30 * math.sqrt(rank / context.top), 1),
        "shape": KIND_SHAPES.get(kind, "dot"),
        "colors": {"class": kind_color(kind), "series": SERIES_COLORS.get(series, kind_color(series))},
        "border": CHOKEPOINT_BORDER if chokepoint else BORDER,
        "borderWidth": 4 if chokepoint else 1,
        "dashes": data["status"] == "Exited",
        "opacity": 1.0,
        "fontSize": 14,
        "tip": node_tip(context, node, data),
    }
    if node in context.pages:
        item["page"] = f"participants/{context.pages[node]}.html"
    return item


def group_item(context: Context, node: str, position: tuple[int, int], members: list[str]) -> dict:
    net = context.net
    kinds = Counter(net.nodes[m]["kind"] for m in members)
    series = net.nodes[members[0]].get("series", "")
    name = node.removeprefix("group:")
    kind = kinds.most_common(1)[0][0]
    top = ", ".join(context.label(m) for m in members[:5])
    return {
        "id": node,
        "label": f"{name}: {len(members):,} more",
        "labelZh": "",
        "kind": kind,
        "series": series,
        "x": position[0],
        "y": position[1],
        "size": 25.0,
        "shape": "box",
        "colors": {"class": kind_color(kind), "series": SERIES_COLORS.get(series, kind_color(series))},
        "border": BORDER,
        "borderWidth": 2,
        "dashes": False,
        "opacity": 1.0,
        "fontSize": 16,
        "tip": (
            f"{len(members):,} nodes of {name} not drawn one by one (below the top by PageRank).\n"
            f"Classes: {', '.join(f'{k} {c:,}' for k, c in sorted(kinds.items()))}\n"
            f"Highest ranked of them: {top}"
        ),
    }


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


def edge_item(context: Context, edge: Edge) -> dict:
    u, v, key, d = edge
    weight = d["weight"]
    return {
        "id": key,
        "from": u,
        "to": v,
        "chain": d["chain"],
        "color": CHAIN_COLORS.get(d["chain"], "#888888"),
        "width": round(1 + math.log2(d["count"]), 1) if "count" in d else 1.5,
        "dashes": not d["dependency"],
        "opacity": 1.0,
        "arrow": True,
        "curve": 0,
        "label": f"×{d['count']:,}" if "count" in d else "",
        "tip": edge_tip(context, u, v, key, d, weight),
    }


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


def dependency_edge(item: dict, edge: Edge) -> dict:
    weight = edge[3]["weight"] or 0.0
    if "count" not in edge[3]:
        item["width"] = round(1 + 7 * min(weight, 1.0), 1)
    item["color"] = CRITICALITY_COLORS[edge[3]["criticality"] or ""]
    return item


def curve_parallel(items: list[dict]) -> None:
    """Links between the same two nodes bend apart so that each can be seen and hovered."""
    seen: Counter = Counter()
    for item in items:
        pair = tuple(sorted((item["from"], item["to"])))
        if seen[pair]:
            item["curve"] = round(0.15 * seen[pair], 2)
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
    kinds = sorted({n["kind"] for n in nodes if n["shape"] != "box"})
    series = sorted({n["series"] for n in nodes})
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
    if any(n["border"] == CHOKEPOINT_BORDER for n in nodes):
        items.append(
            node_swatch("chokepoint (see its tooltip)", "#dddddd", border=CHOKEPOINT_BORDER, border_width=4)
        )
    if any(n["dashes"] for n in nodes):
        items.append(node_swatch("exited the market", "#dddddd", dashes=True))
    if any(n["shape"] == "box" for n in nodes):
        items.append(
            node_swatch("group of nodes not drawn one by one", "#dddddd", shape="box", border_width=2)
        )
    if any(e["label"] for e in edges):
        items.append(edge_swatch("×n: n links merged into one", "#888888", 2.5))
    return items


def chain_legend(edges: list[dict]) -> dict:
    chains = sorted({e["chain"] for e in edges})
    items = [edge_swatch(c, CHAIN_COLORS.get(c, "#888888")) for c in chains]
    if any(e["dashes"] for e in edges):
        items.append(
            edge_swatch("dashed: not a dependency (affects, issues, competes)", "#888888", dashes=True)
        )
    return section("Links: chain", items)


def dependency_legend(edges: list[dict]) -> dict:
    present = {e["color"] for e in edges}
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
        {"key": "kind", "title": "Class", "values": values(Counter(n["kind"] for n in scene.nodes))},
        {
            "key": "series",
            "title": "Series",
            "values": values(Counter(n["series"] for n in scene.nodes), "(none)"),
        },
        {"key": "chain", "title": "Chain", "values": values(Counter(e["chain"] for e in scene.edges))},
    ]


SCENES = {
    "ecosystem": ecosystem_scene,
    **{name: chain_scene(name) for name in CHAIN_VIEWS},
    "dependencies": dependencies_scene,
    "policy-2016": policy_scene,
}


# ---------------------------------------------------------------- rendering


def script_json(data: dict[str, list]) -> str:
    """JSON of lists, one item a line so that a change to one node is a one-line diff, escaped
    so that it cannot end its <script> element nor break a line in older JavaScript."""

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    text = (
        "{\n"
        + ",\n".join(
            f"{dumps(key)}:[\n" + ",\n".join(dumps(item) for item in items) + "\n]"
            for key, items in sorted(data.items())
        )
        + "\n}"
    )
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def fill(template: str, values: dict[str, str]) -> str:
    """One pass, so a value that happens to contain a %%MARK%% is never filled in again."""
    return re.sub(r"%%([A-Z]+)%%", lambda m: values[m.group(1)], template)


@cache
def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@cache
def vis_network() -> str:
    """vis-network's standalone build, as shipped inside the pyvis package."""
    from importlib.util import find_spec

    spec = find_spec("pyvis")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = sorted(Path(f).glob("lib/vis-*/vis-network.min.js") for f in folders)
    files = sorted((p for group in found for p in group), key=lambda p: version_key(p.parent.name))
    if not files:
        raise KgError("vis-network was not found in the pyvis package; reinstall kg (`pip install -e .`)")
    text = files[-1].read_text(encoding="utf-8")
    # A source map comment would make developer tools fetch a file that is not there.
    text = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise KgError(f"{files[-1]} contains '</script' or '<!--' and cannot be inlined; report this to kg")
    return text


def version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def csp(*scripts: str) -> str:
    """Only these exact scripts may run: no inline handler, no request of any kind."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts
    )
    return f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'"


def render_view(scene: Scene) -> bytes:
    data = {
        "colorModes": [{"key": k, "label": label} for k, label in scene.color_modes],
        "edges": scene.edges,
        "filters": filters(scene),
        "legend": scene.legend,
        "nodes": scene.nodes,
    }
    vis, app = vis_network(), template("view.js")
    notice = f'<p class="notice" id="notice">{html.escape(scene.notice)}</p>\n' if scene.notice else ""
    page = fill(
        template("view.html"),
        {
            "CSP": csp(vis, app),
            "TITLE": html.escape(scene.title),
            "ABOUT": html.escape(scene.about),
            "NOTICE": notice,
            "INDEX": html.escape(scene.index_href),
            "CSS": template("view.css"),
            "DATA": script_json(data),
            "VIS": vis,
            "APP": app,
        },
    )
    return page.encode("utf-8")


def render_index(context: Context) -> bytes:
    """The page that links to every view, with the graph's counts."""
    net = context.net
    views = "".join(
        f'<dt><a href="{name}.html">{html.escape(TITLES[name])}</a></dt><dd>{html.escape(ABOUT[name])}</dd>\n'
        for name in VIEW_NAMES
        if name in TITLES
    )
    body = [f"<h2>Views</h2>\n<dl>\n{views}</dl>", counts_html(context)]
    if context.pages:
        people = sorted(context.pages, key=lambda n: (context.label(n).lower(), n))
        items = "".join(
            f'<li><a href="participants/{slug}.html">{html.escape(display_name(net, n))}</a></li>\n'
            for n in people
            for slug in [context.pages[n]]
        )
        shown = len(context.pages)
        total = sum(1 for n in net if n in context.order and net.nodes[n]["kind"] not in ("Policy", "Zone"))
        note = "" if shown >= total else f" (the {shown:,} of highest PageRank of {total:,})"
        body.append(
            f"<h2>Participants</h2>\n<p>The view around each participant{html.escape(note)}: what it is "
            f'linked to, one and two hops away.</p>\n<ul class="participants">\n{items}</ul>'
        )
    page = fill(
        template("index.html"),
        {
            "TITLE": "kg: views of China’s import cross-border e-commerce",
            "ABOUT": "Each view is one page that opens offline in any browser: search by name (English or "
            "Chinese), filter by class, series and chain, hover or select a node for its facts and sources. "
            "Regenerate them with <code>kg export html --out exports</code>.",
            "BODY": "\n".join(body),
        },
    )
    return page.encode("utf-8")


def display_name(net: nx.MultiDiGraph, node: str) -> str:
    data = net.nodes[node]
    return data["label"] + (f" ({data['label_zh']})" if data["label_zh"] else "")


def counts_html(context: Context) -> str:
    net = context.net
    kinds = Counter(d["kind"] for _, d in net.nodes(data=True))
    chains = Counter(d["chain"] for *_, d in net.edges(data=True))
    dependencies = sum(1 for *_, d in net.edges(data=True) if d["dependency"])
    chokepoints = sum(1 for n in net if context.is_chokepoint(n))

    def table(title: str, counts: Counter) -> str:
        rows = "".join(
            f'<tr><td>{html.escape(k)}</td><td class="n">{n:,}</td></tr>\n' for k, n in sorted(counts.items())
        )
        return f"<table>\n<tr><th>{title}</th><th></th></tr>\n{rows}</table>"

    summary = (
        f"{len(net):,} nodes, {net.number_of_edges():,} links ({dependencies:,} of them dependencies), "
        f"{chokepoints:,} chokepoints."
    )
    return (
        f'<h2>The graph</h2>\n<p>{summary}</p>\n<div class="tables">\n{table("Class", kinds)}\n'
        f"{table('Chain', chains)}\n</div>"
    )


# ---------------------------------------------------------------- writing


PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.html)?")


def write_pages(out: Path, pages: dict[str, bytes], force: bool = False, prune: bool = False) -> list[Path]:
    """Write every page inside ``out``, after checking all of them, atomically one by one."""
    from kg.store import atomic_write, check_target

    root = output_folder(out)
    targets = {relative: target_path(root, relative) for relative in pages}
    for path in targets.values():
        check_target(path, force, replaceable=written_by_kg)
    stale = stale_pages(root, set(targets.values())) if prune else []
    for relative, path in targets.items():
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, pages[relative])
    for path in stale:
        path.unlink()
    return list(targets.values())


def output_folder(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise KgError(f"--out {out} is a file; give a folder for the views (e.g. --out exports)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KgError(
            f"cannot create the folder {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    return out


def target_path(root: Path, relative: str) -> Path:
    """``root/relative``, refused if a part could climb out of ``root`` or a symlink leads out of it."""
    parts = relative.split("/")
    if not all(PART.fullmatch(p) for p in parts) or not parts[-1].endswith(".html"):
        raise KgError(
            f"refusing to write '{relative}': view files are slugs such as participants/tmall-global.html"
        )
    path = root.joinpath(*parts)
    inside = root.resolve()
    if path.parent.exists() and not path.parent.resolve().is_relative_to(inside):
        raise KgError(f"refusing to write {path}: {path.parent} leads out of {root}; remove that symlink")
    return path


def written_by_kg(path: Path) -> bool:
    with open(path, "rb") as handle:
        return GENERATOR.encode("utf-8") in handle.read(2048)


def stale_pages(root: Path, keep: set[Path]) -> list[Path]:
    """Participant pages kg wrote earlier for participants that are gone."""
    folder = root / "participants"
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p
        for p in folder.glob("*.html")
        if p not in keep and p.is_file() and not p.is_symlink() and written_by_kg(p)
    )

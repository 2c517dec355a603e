"""What the graph knows, gathered once for every page: facts, the replay, PageRank, slugs."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from kg.analysis.centrality import to_igraph
from kg.analysis.chokepoints import chokepoints, is_participant
from kg.analysis.network import Filters, dependency_graph, local, project
from kg.analysis.scenarios import scenarios
from kg.analysis.simulation import simulate
from kg.views.style import CHOKEPOINT_MIN_SCORE, NODE_BUDGET, PARTICIPANT_PAGE_LIMIT, VIEW_SAMPLES
from kg.views.worlds import Impacts, Timeline, impacts, timeline
from kg.vocabulary import CBR, PREFIXES, SLUG, compact

if TYPE_CHECKING:
    import networkx as nx
    import pyoxigraph as ox


FACT_NAMES = {
    "comment": "",
    "foundingDate": "founded",
    "launchDate": "launched",
    "legislationDate": "issued",
    "effectiveDate": "in effect from",
    "approvalDate": "approved",
    "exitDate": "exited",
    "endDate": "ends",
    "customsCode": "customs code",
}
FACTS_QUERY = """
SELECT ?e ?p ?o {
  VALUES ?p { rdfs:comment schema:foundingDate cbec:launchDate schema:legislationDate
              cbec:effectiveDate cbec:approvalDate cbec:exitDate cbec:endDate cbec:customsCode }
  ?e ?p ?o FILTER(lang(?o) = "" || langMatches(lang(?o), "en"))
}"""
SOURCES_QUERY = "SELECT ?e ?source { ?e prov:wasDerivedFrom ?source }"
ROUNDS_QUERY = """
SELECT ?link ?round ?amount ?currency {
  ?link cbec:fundingRound ?round .
  OPTIONAL { ?link cbec:amount ?amount }
  OPTIONAL { ?link cbec:currency ?currency }
}"""
TITLES_QUERY = "SELECT ?source ?title { ?source a cbec:Source ; dcterms:title ?title }"


@dataclass
class Facts:
    """What tooltips say beyond the projection: facts, sources and source titles."""

    about: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    # Each entity's dates by property (launchDate, exitDate, ...) and each link's funding round.
    dates: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    rounds: dict[str, str] = field(default_factory=dict)
    replay: object = None
    # The named scenarios, each run on the world of its date (kg.views.pages.Run).
    runs: list = field(default_factory=list)

    def source_line(self, sources: list[str]) -> str:
        titles = sorted({self.titles.get(s, compact(s)) for s in sources})
        return "Sources: " + "; ".join(titles) if titles else "Sources: none recorded"


# The policy view replays this scenario of the store (see kg/analysis/scenarios.py).
REPLAY_SCENARIO = "april-2016-reform"


def replay_of(graph: ox.Store):
    """The simulation of REPLAY_SCENARIO on the world of its date, or None without it."""

    found = [s for s in scenarios(graph) if s.name == REPLAY_SCENARIO]
    if not found:
        return None
    s = found[0]
    net = project(graph, Filters(as_of=s.as_of))
    present = [p for p in s.policies if p in net]
    return simulate(net, remove=[r for r in s.removes if r in net], policies=present)


def load_facts(graph: ox.Store) -> Facts:
    """Three queries for every entity at once, rather than one describe() per entity."""

    def rows(text: str):
        return graph.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)

    facts = Facts()
    about: dict[str, list[tuple[int, str]]] = defaultdict(list)
    dates: dict[str, set[tuple[str, str]]] = defaultdict(set)
    order = list(FACT_NAMES)
    for row in rows(FACTS_QUERY):
        name = local(row["p"].value)
        text = row["o"].value if name == "comment" else f"{FACT_NAMES[name]} {row['o'].value}"
        about[row["e"].value].append((order.index(name), text))
        if name.endswith("Date"):
            dates[row["e"].value].add((name, row["o"].value))
    facts.dates = {e: sorted(d) for e, d in dates.items()}
    for row in rows(ROUNDS_QUERY):
        amount = ""
        if row["amount"] is not None:
            amount = f", {float(row['amount'].value):,.0f} {row['currency'].value if row['currency'] else ''}"
        facts.rounds[row["link"].value] = row["round"].value + amount.rstrip()
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
    line: Timeline

    @classmethod
    def of(cls, net: nx.MultiDiGraph, facts: Facts) -> Context:

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
            line=timeline(net),
        )

    @cached_property
    def impacts(self) -> Impacts | None:
        """Computed when a page first asks: the timeline and scenario pages never do."""
        return world_impacts(self.net, self.line)

    def label(self, node: str) -> str:
        return self.net.nodes[node]["label"] if node in self.net else local(node)

    def is_chokepoint(self, node: str) -> bool:
        return any(f.score >= CHOKEPOINT_MIN_SCORE for f in self.findings.get(node, []))


def world_impacts(net: nx.MultiDiGraph, line: Timeline) -> Impacts | None:
    """Each distinct world's failure impacts, sampled in the latest; None above the node budget,
    where a cascade per node and world would keep the export waiting (`kg analyze chokepoints`
    ranks them for one date)."""
    if len(net) > NODE_BUDGET:
        return None
    return impacts(net, [line.days[m] for m in line.starts], samples=VIEW_SAMPLES, seed=0)


def pagerank(net: nx.MultiDiGraph) -> dict[str, float]:
    """PageRank on the dependency network (igraph's PRPACK: fast and deterministic at any size)."""

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


def scenario_slug(named) -> str:
    """A scenario's file name: its name when that is a slug, else one made from its IRI."""
    return named.name if SLUG.fullmatch(named.name) else slug_of(named.iri)

"""RDF to NetworkX: a faithful projection of the industry chain.

Nodes are entities (participants, policies, zones), never literals, classes or concepts.
There is one edge per ``cbec:Link``, keyed by the link's IRI and carrying what the
statement knows. Business models are concepts, so a participant's reliance on them is
kept as a node attribute (``models``) rather than as edges to a hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.vocabulary import CBEC, PREFIXES

if TYPE_CHECKING:
    import networkx as nx

LEVEL_RANK = {"Low": 0, "Medium": 1, "High": 2}

NODES_QUERY = """
SELECT ?node ?label ?labelZh ?class ?series ?status ?exitDate {
  VALUES ?top { cbec:Participant cbec:Policy cbec:Zone }
  ?node a ?class . ?class rdfs:subClassOf* ?top .
  FILTER NOT EXISTS { ?node a ?sub . ?sub rdfs:subClassOf+ ?class }
  OPTIONAL { ?node rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL { ?node rdfs:label ?labelZh FILTER(langMatches(lang(?labelZh), "zh")) }
  OPTIONAL { ?node cbec:series ?series }
  OPTIONAL { ?node cbec:status ?status }
  OPTIONAL { ?node cbec:exitDate ?exitDate }
}"""

LINKS_QUERY = """
SELECT ?link ?s ?p ?o ?chain ?weight ?criticality ?confidence ?start ?end ?dep
       (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources) {
  ?link a cbec:Link ; cbec:subject ?s ; cbec:predicate ?p ; cbec:object ?o ;
        cbec:chain ?chain ; cbec:confidence ?confidence .
  OPTIONAL { ?link prov:wasDerivedFrom ?source }
  OPTIONAL { ?link cbec:weight ?weight }
  OPTIONAL { ?link cbec:criticality ?criticality }
  OPTIONAL { ?link schema:startDate ?start }
  OPTIONAL { ?link schema:endDate ?end }
  OPTIONAL { ?p rdfs:subPropertyOf cbec:dependsOn BIND(true AS ?dep) }
} GROUP BY ?link ?s ?p ?o ?chain ?weight ?criticality ?confidence ?start ?end ?dep"""


@dataclass(frozen=True)
class Filters:
    """Which links make it into the projection."""

    chains: frozenset[str] | None = None
    as_of: str | None = None
    min_confidence: str = "Low"

    def keeps(self, chain: str, confidence: str, start: str | None, end: str | None) -> bool:
        if self.chains is not None and chain not in self.chains:
            return False
        if LEVEL_RANK[confidence] < LEVEL_RANK[self.min_confidence]:
            return False
        if self.as_of is not None:
            # Dates may be years or months: compare as ISO text, padded to the day.
            if start and start > self.as_of:
                return False
            if end and end[: len(self.as_of)] < self.as_of[: len(end)]:
                return False
        return True


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def project(graph: ox.Store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The MultiDiGraph of entities and links, one edge per cbec:Link."""
    import networkx as nx

    filters = filters or Filters()
    net = nx.MultiDiGraph()
    for row in graph.query(NODES_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        iri = row["node"].value
        if iri in net:
            net.nodes[iri]["kinds"] = tuple(sorted({*net.nodes[iri]["kinds"], local(row["class"].value)}))
            net.nodes[iri]["kind"] = main_kind(net.nodes[iri]["kinds"])
            continue
        net.add_node(
            iri,
            label=row["label"].value if row["label"] else local(iri),
            label_zh=row["labelZh"].value if row["labelZh"] else "",
            kind=local(row["class"].value),
            kinds=(local(row["class"].value),),
            series=local(row["series"].value) if row["series"] else "",
            status=local(row["status"].value) if row["status"] else "Active",
            exit_date=row["exitDate"].value if row["exitDate"] else "",
            models={},
            affects_models={},
        )
    for row in graph.query(LINKS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        chain, confidence = local(row["chain"].value), local(row["confidence"].value)
        start = row["start"].value if row["start"] else None
        end = row["end"].value if row["end"] else None
        if not filters.keeps(chain, confidence, start, end):
            continue
        s, o, p = row["s"].value, row["o"].value, local(row["p"].value)
        weight = float(row["weight"].value) if row["weight"] else None
        if s not in net:
            continue
        if o not in net:
            # A concept such as cbec:BondedImport: kept on the node, not as a hub.
            if o.startswith(CBEC):
                strength = weight if weight is not None else 1.0
                if p == "affects":
                    net.nodes[s]["affects_models"][f"model:{local(o)}"] = strength
                else:
                    net.nodes[s]["models"][local(o)] = strength
            continue
        net.add_edge(
            s,
            o,
            key=row["link"].value,
            predicate=p,
            chain=chain,
            weight=weight,
            criticality=local(row["criticality"].value) if row["criticality"] else None,
            confidence=confidence,
            dependency=row["dep"] is not None,
            sources=row["sources"].value.split() if row["sources"] else [],
            start=start,
            end=end,
        )
    return net


def main_kind(kinds: tuple[str, ...]) -> str:
    """The class a node is shown as: a platform kind before Company, Investor and the rest."""
    return sorted(kinds, key=lambda k: (not k.endswith(("Platform", "Hypermarket")), k))[0]


def dependency_graph(net: nx.MultiDiGraph, chain: str | None = None) -> nx.DiGraph:
    """Collapsed weighted DiGraph of dependency edges (A -> B: A depends on B).

    Parallel links keep the strongest reliance (max weight); ``distance`` = 1/weight is
    what shortest-path measures use, so strong reliance means short distance.
    """
    import networkx as nx

    collapsed = nx.DiGraph()
    collapsed.add_nodes_from(net.nodes(data=True))
    for s, o, data in net.edges(data=True):
        if not data["dependency"] or (chain and data["chain"] != chain):
            continue
        weight = data["weight"] or 0.0
        if collapsed.has_edge(s, o) and collapsed[s][o]["weight"] >= weight:
            continue
        distance = 1.0 / weight if weight > 0 else 1e6
        collapsed.add_edge(s, o, weight=weight, distance=distance, chain=data["chain"])
    return collapsed


def undirected(net: nx.MultiDiGraph | nx.DiGraph) -> nx.Graph:
    """The undirected simple view, for articulation points and bridges."""
    import networkx as nx

    view = nx.Graph()
    view.add_nodes_from(net.nodes(data=True))
    view.add_edges_from((s, o) for s, o in net.edges() if s != o)
    return view

"""RDF to NetworkX: a faithful projection of the industry chain.

Nodes are entities (participants, policies, zones), never literals, classes or concepts.
There is one edge per ``cbec:Link``, keyed by the link's IRI and carrying what the
statement knows. Business models are concepts, so a participant's reliance on them is
kept as a node attribute (``models``) rather than as edges to a hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.vocabulary import CBEC, PREFIXES

if TYPE_CHECKING:
    import networkx as nx

LEVEL_RANK = {"Low": 0, "Medium": 1, "High": 2}

# Class membership is decided in Python from the ontology rather than with rdfs:subClassOf*
# paths, which some endpoints (Virtuoso 7) evaluate inconsistently.
NODES_QUERY = """
SELECT ?node ?class ?label ?labelZh ?series ?status ?exitDate {
  ?node a ?class .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/cbec/ontology#")
         && ?class NOT IN (cbec:Link, cbec:Claim, cbec:Source, cbec:Finding, cbec:CentralityScore,
                           cbec:SimulationOutcome, cbec:AnalysisRun))
  OPTIONAL { ?node rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL { ?node rdfs:label ?labelZh FILTER(langMatches(lang(?labelZh), "zh")) }
  OPTIONAL { ?node cbec:series ?series }
  OPTIONAL { ?node cbec:status ?status }
  OPTIONAL { ?node cbec:exitDate ?exitDate }
}"""
ENTITY_TOPS = frozenset(CBEC + top for top in ("Participant", "Policy", "Zone"))

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
            # Dates may be years or months: compare as ISO text, on the shorter of the two prefixes.
            if start and start > self.as_of:
                return False
            if end and end[: len(self.as_of)] < self.as_of[: len(end)]:
                return False
        return True


@lru_cache(maxsize=4096)
def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def project(graph: ox.Store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The MultiDiGraph of entities and links, one edge per cbec:Link."""
    import networkx as nx

    filters = filters or Filters()
    net = nx.MultiDiGraph()
    entities = entity_classes()
    classes: dict[str, set[str]] = {}
    for row in graph.query(NODES_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        iri, klass = row["node"].value, row["class"].value
        if klass not in entities:
            continue
        classes.setdefault(iri, set()).add(klass)
        if iri in net:
            continue
        net.add_node(
            iri,
            label=row["label"].value if row["label"] else local(iri),
            label_zh=row["labelZh"].value if row["labelZh"] else "",
            series=local(row["series"].value) if row["series"] else "",
            status=local(row["status"].value) if row["status"] else "Active",
            exit_date=row["exitDate"].value if row["exitDate"] else "",
            models={},
            affects_models={},
        )
    for iri, found in classes.items():
        kinds = tuple(sorted(local(c) for c in most_specific(found)))
        net.nodes[iri]["kinds"] = kinds
        net.nodes[iri]["kind"] = main_kind(kinds)
    edges = []
    for row in graph.query(LINKS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        link, s, p, o, chain, weight, criticality, confidence, start, end, dep, sources = row
        chain, confidence = local(chain.value), local(confidence.value)
        start = start.value if start is not None else None
        end = end.value if end is not None else None
        if s.value not in net or not filters.keeps(chain, confidence, start, end):
            continue
        p = local(p.value)
        weight = float(weight.value) if weight is not None else None
        if o.value not in net:
            # A concept such as cbec:BondedImport: kept on the node, not as a hub.
            if o.value.startswith(CBEC):
                strength = weight if weight is not None else 1.0
                if p == "affects":
                    net.nodes[s.value]["affects_models"][f"model:{local(o.value)}"] = strength
                else:
                    net.nodes[s.value]["models"][local(o.value)] = strength
            continue
        edges.append(
            (
                s.value,
                o.value,
                link.value,
                {
                    "predicate": p,
                    "chain": chain,
                    "weight": weight,
                    "criticality": local(criticality.value) if criticality is not None else None,
                    "confidence": confidence,
                    "dependency": dep is not None,
                    "sources": sources.value.split() if sources is not None else [],
                    "start": start,
                    "end": end,
                },
            )
        )
    net.add_edges_from(edges)
    return net


def entity_classes() -> frozenset[str]:
    """The ontology's classes of entities: Participant, Policy, Zone and their subclasses."""
    from kg.vocabulary import vocabulary

    return frozenset(c for c, sup in vocabulary().superclasses.items() if sup & ENTITY_TOPS)


def most_specific(classes: set[str]) -> set[str]:
    from kg.vocabulary import vocabulary

    supers = vocabulary().superclasses
    return {c for c in classes if not any(c != o and c in supers.get(o, ()) for o in classes)}


def main_kind(kinds: tuple[str, ...]) -> str:
    """The class a node is shown as: a platform kind before Company, Investor and the rest."""
    return sorted(kinds, key=lambda k: (not k.endswith(("Platform", "Hypermarket")), k))[0]


def dependency_graph(net: nx.MultiDiGraph, chain: str | None = None) -> nx.DiGraph:
    """Collapsed weighted DiGraph of dependency edges (A -> B: A depends on B).

    Parallel links keep the strongest reliance (max weight); ``distance`` = 1/weight is
    what shortest-path measures use, so strong reliance means short distance.
    """
    import networkx as nx

    strongest: dict[tuple[str, str], tuple[float, str]] = {}
    for s, o, data in net.edges(data=True):
        if not data["dependency"] or (chain and data["chain"] != chain):
            continue
        weight = data["weight"] or 0.0
        if strongest.get((s, o), (-1.0, ""))[0] < weight:
            strongest[(s, o)] = (weight, data["chain"])
    collapsed = nx.DiGraph()
    collapsed.add_nodes_from(net.nodes(data=True))
    collapsed.add_edges_from(
        (s, o, {"weight": w, "distance": 1.0 / w if w > 0 else 1e6, "chain": c})
        for (s, o), (w, c) in strongest.items()
    )
    return collapsed


def chain_graphs(net: nx.MultiDiGraph) -> dict[str, nx.DiGraph]:
    """One collapsed dependency graph per chain, holding only the nodes of that chain's links."""
    import networkx as nx

    strongest: dict[str, dict[tuple[str, str], float]] = {}
    for s, o, data in net.edges(data=True):
        if data["dependency"]:
            edges = strongest.setdefault(data["chain"], {})
            edges[(s, o)] = max(edges.get((s, o), -1.0), data["weight"] or 0.0)
    graphs = {}
    for chain, edges in sorted(strongest.items()):
        graph = nx.DiGraph()
        graph.add_edges_from((s, o, {"weight": w}) for (s, o), w in edges.items())
        graphs[chain] = graph
    return graphs


def dependency_ties(net: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph of dependency links between distinct nodes, for
    articulation points, bridges and node cuts (nodes without one are left out)."""
    import networkx as nx

    ties = nx.Graph()
    ties.add_edges_from((s, o) for s, o, dependency in net.edges(data="dependency") if dependency and s != o)
    return ties

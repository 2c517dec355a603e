"""RDF to NetworkX: a faithful projection of the industry chain.

Nodes are entities (participants, policies, zones) and the concepts links point at (business
models), never literals or classes. There is one edge per ``cbec:Link``, keyed by the link's
IRI and carrying what the statement knows, with the analysis roles its property declares in
the ontology (``cbec:analysisRole``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import TermError
from kg.vocabulary import CBEC, PREFIXES, closest, compact, node, vocabulary

if TYPE_CHECKING:
    import networkx as nx

LEVEL_RANK = {"Low": 0, "Medium": 1, "High": 2}

# Class membership is decided in Python from the ontology rather than with rdfs:subClassOf*
# paths, which some endpoints (Virtuoso 7) evaluate inconsistently.
NODES_QUERY = """
SELECT ?node ?class ?label ?labelZh ?series ?status ?exitDate ?launch ?founded ?approved
       ?effective ?issued ?ends ?placeholder {
  ?node a ?class .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/cbec/ontology#")
         && ?class NOT IN (cbec:Link, cbec:Claim, cbec:Source, cbec:Finding, cbec:CentralityScore,
                           cbec:SimulationOutcome, cbec:AnalysisRun, cbec:Scenario))
  OPTIONAL { ?node rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL { ?node rdfs:label ?labelZh FILTER(langMatches(lang(?labelZh), "zh")) }
  OPTIONAL { ?node cbec:series ?series }
  OPTIONAL { ?node cbec:status ?status }
  OPTIONAL { ?node cbec:exitDate ?exitDate }
  OPTIONAL { ?node cbec:launchDate ?launch }
  OPTIONAL { ?node schema:foundingDate ?founded }
  OPTIONAL { ?node cbec:approvalDate ?approved }
  OPTIONAL { ?node cbec:effectiveDate ?effective }
  OPTIONAL { ?node schema:legislationDate ?issued }
  OPTIONAL { ?node cbec:endDate ?ends }
  OPTIONAL { ?node cbec:placeholder ?placeholder }
}"""
ENTITY_TOPS = frozenset(CBEC + top for top in ("Participant", "Policy", "Zone"))

LINKS_QUERY = """
SELECT ?link ?s ?p ?o ?chain ?weight ?criticality ?confidence ?start ?end ?share ?dep
       (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources) {
  ?link a cbec:Link ; cbec:subject ?s ; cbec:predicate ?p ; cbec:object ?o ;
        cbec:chain ?chain ; cbec:confidence ?confidence .
  OPTIONAL { ?link prov:wasDerivedFrom ?source }
  OPTIONAL { ?link cbec:weight ?weight }
  OPTIONAL { ?link cbec:criticality ?criticality }
  OPTIONAL { ?link schema:startDate ?start }
  OPTIONAL { ?link schema:endDate ?end }
  OPTIONAL { ?link cbec:share ?share }
  OPTIONAL { ?p rdfs:subPropertyOf cbec:dependsOn BIND(true AS ?dep) }
} GROUP BY ?link ?s ?p ?o ?chain ?weight ?criticality ?confidence ?start ?end ?share ?dep"""

# Concepts that links point at (business models): nodes of the network, so that what many
# participants rely on can be a chokepoint, labelled from the ontology.
CONCEPTS_QUERY = """
SELECT ?concept ?scheme ?label ?labelZh {
  ?concept a skos:Concept ; skos:inScheme ?scheme .
  OPTIONAL { ?concept skos:prefLabel ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL { ?concept skos:prefLabel ?labelZh FILTER(langMatches(lang(?labelZh), "zh")) }
}"""


def day(text: str | None) -> str | None:
    """A date of any precision as the ISO day it starts on: 2016 -> 2016-01-01."""
    if not text:
        return None
    return text + "-01-01"[len(text) - 4 :] if len(text) < 10 else text[:10]


def alive(start: str | None, end: str | None, on: str) -> bool:
    """Whether [start, end) holds the day ``on``; a partial date means the first day of its period."""
    return (start is None or day(start) <= on) and (end is None or on < day(end))


@dataclass(frozen=True)
class Filters:
    """Which nodes and links make it into the projection.

    ``as_of`` is the world on that day: an entity takes part from its launch (else its founding
    or, for a zone, its approval) until its exit; a policy from its effective date (else its
    issue date) until its end date; a link from its start until its end, and only while both
    its ends take part. Intervals are half-open, so a successor can start the day its
    predecessor ends.
    """

    chains: frozenset[str] | None = None
    as_of: str | None = None
    min_confidence: str = "Low"

    def keeps(self, chain: str, confidence: str, start: str | None, end: str | None) -> bool:
        if self.chains is not None and chain not in self.chains:
            return False
        if LEVEL_RANK[confidence] < LEVEL_RANK[self.min_confidence]:
            return False
        return self.as_of is None or alive(start, end, day(self.as_of))


@lru_cache(maxsize=4096)
def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def value(term) -> str | None:
    return term.value if term is not None else None


def lifetime(row) -> tuple[str | None, str | None]:
    """When a node takes part: its launch, founding, approval or effective/issue date to its exit or end."""
    start = next(
        (value(row[k]) for k in ("launch", "effective", "founded", "approved", "issued") if row[k]), None
    )
    return start, value(row["exitDate"]) or value(row["ends"])


def chains() -> dict[str, str]:
    """The chains links belong to, by the name the network uses (LogisticsChain) to their IRI."""
    return {
        local(p.default_chain): p.default_chain
        for p in vocabulary().link_properties.values()
        if p.default_chain
    }


def chain_of(name: str | None) -> str | None:
    """The network's name of a chain written short (``logistics``), compact
    (``cbec:LogisticsChain``), as a full IRI or as the network spells it; None stays None."""
    if not name:
        return None
    known = chains()
    text = name.strip()
    if text in known:
        return text
    if ":" not in text:
        text = f"cbec:{text.capitalize()}" + ("" if text.lower().endswith("chain") else "Chain")
    iri = node(text).value
    if local(iri) in known and known[local(iri)] == iri:
        return local(iri)
    shorts = sorted(c.removesuffix("Chain").lower() for c in known)
    near = difflib.get_close_matches(local(iri).lower().removesuffix("chain"), shorts, n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise TermError(f"'{name}' is not a chain; choose one of {', '.join(shorts)}{hint}")


def resolve_nodes(net: nx.MultiDiGraph, terms: list[str] | None) -> list[str]:
    """Nodes named by compact names, IRIs or classes (``cbec:Supplier``: every node of it)."""
    found: list[str] = []
    for term in terms or []:
        iri = node(term).value
        if iri in vocabulary().classes:
            found += nodes_of_class(net, iri)
        elif iri in net:
            found.append(iri)
        else:
            raise TermError(
                f"{compact(iri)} is neither a class nor a node of the network{closest(iri, net)}; "
                "check it with `kg show`"
            )
    return sorted(set(found))


def project(graph: ox.Store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The MultiDiGraph of entities, the concepts links point at, and links: one edge per cbec:Link."""
    import networkx as nx

    filters = filters or Filters()
    net = nx.MultiDiGraph()
    net.graph["as_of"] = day(filters.as_of) if filters.as_of else None
    net.graph["absent"] = {}
    entities = entity_classes()
    tops = top_classes()
    classes: dict[str, set[str]] = {}
    for row in graph.query(NODES_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        iri, klass = row["node"].value, row["class"].value
        if klass not in entities:
            continue
        classes.setdefault(iri, set()).add(klass)
        if iri in net:
            continue
        start, end = lifetime(row)
        if filters.as_of is not None and not alive(start, end, day(filters.as_of)):
            # Kept aside, so that a shock naming it can say when it takes part.
            net.graph["absent"][iri] = (start, end)
            continue
        net.add_node(
            iri,
            label=row["label"].value if row["label"] else local(iri),
            label_zh=row["labelZh"].value if row["labelZh"] else "",
            series=local(row["series"].value) if row["series"] else "",
            status=local(row["status"].value) if row["status"] else "Active",
            exit_date=row["exitDate"].value if row["exitDate"] else "",
            start=start,
            end=end,
            placeholder=value(row["placeholder"]) == "true",
        )
    for iri, found in classes.items():
        if iri not in net:
            continue
        kinds = tuple(sorted(local(c) for c in most_specific(found)))
        net.nodes[iri]["kinds"] = kinds
        net.nodes[iri]["kind"] = main_kind(kinds)
        net.nodes[iri]["top"] = min((local(t) for c in found for t in tops.get(c, ())), default="")
    concepts = {
        row["concept"].value: row
        for row in graph.query(CONCEPTS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True)
    }
    properties = vocabulary().link_properties
    edges = []
    for row in graph.query(LINKS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        link, s, p, o, chain, weight, criticality, confidence, start, end, share, dep, sources = row
        chain, confidence = local(chain.value), local(confidence.value)
        start, end = value(start), value(end)
        if s.value not in net or not filters.keeps(chain, confidence, start, end):
            continue
        if o.value not in net:
            if o.value not in concepts:
                continue
            add_concept(net, o.value, concepts[o.value])
        known = properties.get(p.value)
        edges.append(
            (
                s.value,
                o.value,
                link.value,
                {
                    "predicate": local(p.value),
                    "chain": chain,
                    "weight": float(weight.value) if weight is not None else None,
                    "criticality": local(criticality.value) if criticality is not None else None,
                    "confidence": confidence,
                    "dependency": dep is not None,
                    "roles": known.roles if known else frozenset(),
                    "exposed_end": known.exposed_end if known else None,
                    "share": float(share.value)
                    if share is not None
                    else (known.default_share if known else None),
                    "sources": sources.value.split() if sources is not None else [],
                    "start": start,
                    "end": end,
                },
            )
        )
    net.add_edges_from(edges)
    return net


def add_concept(net: nx.MultiDiGraph, iri: str, row) -> None:
    kind = local(row["scheme"].value)
    net.add_node(
        iri,
        label=row["label"].value if row["label"] else local(iri),
        label_zh=row["labelZh"].value if row["labelZh"] else "",
        series="",
        status="Active",
        exit_date="",
        start=None,
        end=None,
        placeholder=False,
        kinds=(kind,),
        kind=kind,
        top="Concept",
    )


def top_classes() -> dict[str, frozenset[str]]:
    """For every entity class, the tops (Participant, Policy, Zone) it falls under."""
    return {c: sup & ENTITY_TOPS for c, sup in vocabulary().superclasses.items() if sup & ENTITY_TOPS}


def entity_classes() -> frozenset[str]:
    """The ontology's classes of entities: Participant, Policy, Zone and their subclasses."""
    return frozenset(c for c, sup in vocabulary().superclasses.items() if sup & ENTITY_TOPS)


def nodes_of_class(net: nx.MultiDiGraph, klass: str) -> list[str]:
    """The nodes of the network that are of ``klass`` (an IRI) or of one of its subclasses."""
    supers = vocabulary().superclasses
    wanted = {local(c) for c, sup in supers.items() if klass in sup} | {local(klass)}
    return sorted(n for n, d in net.nodes(data=True) if set(d.get("kinds", ())) & wanted)


def most_specific(classes: set[str]) -> set[str]:
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

    chain = chain_of(chain)
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


def world_on(net: nx.MultiDiGraph, on: str) -> nx.MultiDiGraph:
    """The world of one day cut from a projection of all dates, by the rules of ``Filters.as_of``:
    what ``project(graph, Filters(as_of=on))`` gives, without querying the store again (the
    views cut one world per month). A concept takes part while a link that takes part points at it."""
    import networkx as nx

    on = day(on)
    world = nx.MultiDiGraph(as_of=on, absent={})
    for n, d in net.nodes(data=True):
        if d.get("top") == "Concept":
            continue
        if alive(d.get("start"), d.get("end"), on):
            world.add_node(n, **d)
        else:
            world.graph["absent"][n] = (d.get("start"), d.get("end"))
    for s, o, key, d in net.edges(keys=True, data=True):
        if s not in world or not alive(d.get("start"), d.get("end"), on):
            continue
        if o not in world:
            if net.nodes[o].get("top") != "Concept":
                continue
            world.add_node(o, **net.nodes[o])
        world.add_edge(s, o, key=key, **d)
    return world

"""Small hand-built graphs for analysis tests, written as Turtle and parsed like a store."""

from __future__ import annotations

import random

import pyoxigraph as ox

from kg.vocabulary import with_ontology

HEADER = """@prefix cbec: <https://w3id.org/cbec/ontology#> .
@prefix cbr: <https://w3id.org/cbec/resource/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
cbr:source-test a cbec:Source ; dcterms:title "test" .
"""
CHAINS = {
    "sourcesFrom": "TradeChain",
    "sellsOn": "TradeChain",
    "fundedBy": "FinanceChain",
    "paysVia": "FinanceChain",
    "shipsVia": "LogisticsChain",
    "warehousesIn": "LogisticsChain",
    "regulatedBy": "RegulationChain",
    "subjectTo": "RegulationChain",
    "trafficFrom": "TrafficChain",
    "partOf": "OwnershipChain",
    "usesModel": "LogisticsChain",
    "affects": "RegulationChain",
    "issuedBy": "RegulationChain",
    "competesWith": "CompetitionChain",
}
NOT_DEPENDENCIES = {"affects", "issuedBy", "competesWith"}


ENTITY_PROPERTIES = {
    "launch": "cbec:launchDate",
    "founded": "schema:foundingDate",
    "exit": "cbec:exitDate",
    "effective": "cbec:effectiveDate",
    "issued": "schema:legislationDate",
    "ends": "cbec:endDate",
}
LINK_PROPERTIES = {"start": "schema:startDate", "end": "schema:endDate", "share": "cbec:share"}


def date_or_number(value) -> str:
    if isinstance(value, str):
        kind = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
        return f'"{value}"^^xsd:{kind}'
    return str(value)


def turtle(entities: dict[str, str | tuple], links: list[tuple]) -> str:
    """entities: slug -> class local name, or (class, {launch|founded|exit|effective|issued|ends:
    date, placeholder: True}); links: (s, p, o, weight, criticality[, confidence[, {start|end|share}]])."""
    out = [HEADER]
    for slug, spec in entities.items():
        klass, extra = (spec, {}) if isinstance(spec, str) else spec
        props = "".join(
            f" ; {ENTITY_PROPERTIES[k]} {date_or_number(v)}"
            for k, v in extra.items()
            if k in ENTITY_PROPERTIES
        )
        props += " ; cbec:placeholder true" if extra.get("placeholder") else ""
        props += " ; cbec:issuedBy cbr:issuer" if klass == "Policy" else ""
        label = f'rdfs:label "{slug}"@en'
        out.append(f"cbr:{slug} a cbec:{klass} ; {label} ; prov:wasDerivedFrom cbr:source-test{props} .")
    for n, (s, p, o, weight, crit, *rest) in enumerate(links):
        confidence = rest[0] if rest else "High"
        extra = rest[1] if len(rest) > 1 else {}
        obj = f"cbec:{o}" if o[0].isupper() else f"cbr:{o}"
        out.append(f"cbr:{s} cbec:{p} {obj} .")
        if p not in NOT_DEPENDENCIES:
            out.append(f"cbr:{s} cbec:dependsOn {obj} .")
        more = f" ; cbec:weight {weight}" if weight is not None else ""
        more += f" ; cbec:criticality cbec:{crit}" if crit else ""
        more += "".join(f" ; {LINK_PROPERTIES[k]} {date_or_number(v)}" for k, v in extra.items())
        out.append(
            f"cbr:l{n} a cbec:Link ; cbec:subject cbr:{s} ; cbec:predicate cbec:{p} ; cbec:object {obj} ; "
            f"cbec:chain cbec:{CHAINS[p]} ; cbec:confidence cbec:{confidence} ; "
            f"prov:wasDerivedFrom cbr:source-test{more} ."
        )
    return "\n".join(out) + "\n"


def store(entities: dict[str, str], links: list[tuple]) -> ox.Store:
    graph = ox.Store()
    graph.load(turtle(entities, links), format=ox.RdfFormat.TURTLE)
    return with_ontology(graph)


def random_ecosystem(nodes: int, edges: int, seed: int) -> tuple[dict[str, str], list[tuple]]:
    """A seeded random dependency graph of platforms and providers."""
    rng = random.Random(seed)
    kinds = ["Platform", "LogisticsProvider", "PaymentProvider", "Supplier", "Investor"]
    entities = {f"n{i}": rng.choice(kinds) for i in range(nodes)}
    preds = {
        "LogisticsProvider": "shipsVia",
        "PaymentProvider": "paysVia",
        "Supplier": "sourcesFrom",
        "Investor": "fundedBy",
        "Platform": "trafficFrom",
    }
    links, seen = [], set()
    names = list(entities)
    while len(links) < edges:
        s, o = rng.sample(names, 2)
        p = preds[entities[o]]
        if (s, o) in seen:
            continue
        seen.add((s, o))
        links.append((s, p, o, round(rng.uniform(0.05, 1.0), 2), rng.choice(["High", "Medium", "Low"])))
    return entities, links

"""Named scenarios: shocks stated as data (cbec:Scenario) in the store, replayed by name."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.analysis.network import nodes_of_class
from kg.errors import TermError
from kg.vocabulary import CBR, PREFIXES, closest

PREFIX = "scenario-"
SCENARIOS_QUERY = """
SELECT ?scenario ?label ?comment ?asOf ?class ?damage
       (GROUP_CONCAT(DISTINCT STR(?policy); separator=" ") AS ?policies)
       (GROUP_CONCAT(DISTINCT STR(?removed); separator=" ") AS ?removes)
       (GROUP_CONCAT(DISTINCT STR(?closed); separator=" ") AS ?closes)
       (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources) {
  ?scenario a cbec:Scenario ; cbec:asOf ?asOf .
  OPTIONAL { ?scenario rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL { ?scenario rdfs:comment ?comment FILTER(langMatches(lang(?comment), "en")) }
  OPTIONAL { ?scenario cbec:appliesPolicy ?policy }
  OPTIONAL { ?scenario cbec:removes ?removed }
  OPTIONAL { ?scenario cbec:closes ?closed }
  OPTIONAL { ?scenario cbec:damagesClass ?class ; cbec:damage ?damage }
  OPTIONAL { ?scenario prov:wasDerivedFrom ?source }
} GROUP BY ?scenario ?label ?comment ?asOf ?class ?damage ORDER BY ?asOf ?scenario"""


@dataclass(frozen=True)
class Scenario:
    """A named shock on the world of one date."""

    iri: str
    name: str
    label: str
    comment: str
    as_of: str
    policies: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)
    damaged_class: str | None = None
    damage: float | None = None
    sources: list[str] = field(default_factory=list)


def name_of(iri: str) -> str:
    slug = iri.removeprefix(CBR)
    return slug.removeprefix(PREFIX) if slug != iri else iri


def scenarios(graph: ox.Store) -> list[Scenario]:
    """Every scenario of the store, by date."""
    out = []
    for row in graph.query(SCENARIOS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True):
        iri = row["scenario"].value

        def words(key: str) -> list[str]:
            return sorted(row[key].value.split()) if row[key] is not None else []

        out.append(
            Scenario(
                iri=iri,
                name=name_of(iri),
                label=row["label"].value if row["label"] else name_of(iri),
                comment=row["comment"].value if row["comment"] else "",
                as_of=row["asOf"].value,
                policies=words("policies"),
                removes=words("removes"),
                closes=words("closes"),
                damaged_class=row["class"].value if row["class"] else None,
                damage=float(row["damage"].value) if row["damage"] else None,
                sources=words("sources"),
            )
        )
    return out


def damaged_by(net, named: Scenario) -> dict[str, float]:
    """What a scenario damages on the world of ``net``: every node of its class, by its damage."""
    if not (named.damaged_class and named.damage):
        return {}
    return {n: named.damage for n in nodes_of_class(net, named.damaged_class)}


def scenario(graph: ox.Store, name: str) -> Scenario:
    """One scenario by its name (april-2016-reform), compact IRI or full IRI."""
    found = scenarios(graph)
    for s in found:
        if name in (s.name, s.iri, f"cbr:{PREFIX}{s.name}", f"cbr:{s.iri.removeprefix(CBR)}"):
            return s
    known = {s.name for s in found}
    if not known:
        raise TermError(f"unknown scenario '{name}': the store holds no cbec:Scenario")
    raise TermError(
        f"unknown scenario '{name}'{closest(name, known)}; "
        f"`kg scenarios` lists them: {', '.join(sorted(known))}"
    )

"""pySHACL, the reference engine, behind ``engine="pyshacl"``: rdflib and pyshacl load only then."""

from __future__ import annotations

import re
from functools import cache

import pyoxigraph as ox

from kg.resources import resource_dir
from kg.validation.report import Problem
from kg.vocabulary import ONTOLOGY_FILES, compact


@cache
def _shapes_and_ontology():
    """The shapes for pySHACL, without their SPARQL constraints (kg runs those on Oxigraph:
    pySHACL re-parses a SPARQL constraint for every focus node, which costs seconds), and
    the ontology to mix into the data graph."""
    import rdflib
    from rdflib.namespace import SH

    shapes = rdflib.Graph()
    shapes.parse(resource_dir("ontology") / "shapes.ttl", format="turtle")
    shapes.remove((None, SH.sparql, None))
    ontology = rdflib.Graph()
    for name in ONTOLOGY_FILES:
        ontology.parse(resource_dir("ontology") / name, format="turtle")
    return shapes, ontology


def to_rdflib(graph: ox.Store):
    """An rdflib copy of an Oxigraph graph, through N-Triples (the fastest common format)."""
    import rdflib

    data = rdflib.Graph()
    ntriples = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in graph),
        format=ox.RdfFormat.N_TRIPLES,
    )
    data.parse(data=ntriples.decode("utf-8"), format="nt")
    return data


def shacl_problems(graph: ox.Store, focus: list[ox.NamedNode] | None) -> list[Problem]:
    """Run the shapes with pySHACL and turn its report into Problems."""
    if focus is not None and not focus:
        return []
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    shapes, ontology = _shapes_and_ontology()
    conforms, results, _ = pyshacl.validate(
        to_rdflib(graph),
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        allow_warnings=True,
        focus_nodes=None if focus is None else [rdflib.URIRef(n.value) for n in focus],
    )
    problems = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):

        def one(prop, result=result):
            return results.value(result, prop)

        severity = str(one(SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
        path = one(SH.resultPath)
        value = one(SH.value)
        problems.append(
            Problem(
                focus=short(one(SH.focusNode)),
                path=short(path) if isinstance(path, rdflib.URIRef) else "",
                message=shorten_iris(str(one(SH.resultMessage) or "constraint not met")),
                severity=severity,
                value=short(value) if value is not None else "",
            )
        )
    return problems


def short(term) -> str:
    """Compact spelling of an rdflib term."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return compact(str(term))
    return str(term)


def shorten_iris(message: str) -> str:
    """Replace the full IRIs pySHACL writes into its messages by prefixed names."""
    return re.sub(r"<?(https?://[^\s>]+)>?", lambda m: compact(m.group(1)), message)

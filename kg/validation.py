"""Validation: SHACL shapes plus the vocabulary check, over a whole graph or a change.

Every shape runs as SPARQL on Oxigraph: the core constraints compiled by kg/constraints.py,
the sh:sparql ones here. pySHACL, the reference engine, is kept behind `--engine pyshacl`
(rdflib is imported only then). The vocabulary check is ours: every predicate and every
class used must be declared by the ontology, so a misspelled term gets the closest spelling.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox

from kg.errors import KgError, ValidationError
from kg.resources import resource_dir
from kg.vocabulary import (
    ONTOLOGY_FILES,
    RDF_TYPE,
    closest,
    compact,
    vocabulary,
)

STATEMENT_PREDICATE = "https://w3id.org/cbec/ontology#predicate"
STATEMENT_ENDS = ("https://w3id.org/cbec/ontology#subject", "https://w3id.org/cbec/ontology#object")


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: a focus node, the path at fault, what is wrong and how bad."""

    focus: str
    path: str
    message: str
    severity: str = "Violation"
    value: str = ""


@dataclass
class Report:
    """The outcome of a validation run."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(p.severity == "Violation" for p in self.problems)

    def by_focus(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = {}
        for problem in sorted(set(self.problems)):
            grouped.setdefault(problem.focus, []).append(problem)
        return grouped

    def json(self) -> str:
        """The report as JSON: conforms, and the findings grouped by focus node."""
        import json

        groups = {
            focus: [
                {"severity": p.severity, "path": p.path, "message": p.message, "value": p.value} for p in ps
            ]
            for focus, ps in self.by_focus().items()
        }
        return json.dumps({"conforms": self.conforms, "results": groups}, ensure_ascii=False, indent=2)

    def text(self) -> str:
        """The report grouped by focus node, as printed by `kg validate`."""
        if not self.problems:
            return "The graph conforms: no violations."
        lines = []
        for focus, problems in self.by_focus().items():
            lines.append(focus)
            for p in problems:
                where = f"{p.path}: " if p.path else ""
                value = f" (value: {p.value})" if p.value and p.value not in p.message else ""
                lines.append(f"  {p.severity:<9} {where}{p.message}{value}")
        violations = sum(p.severity == "Violation" for p in self.problems)
        lines.append(
            f"{violations} violation(s), {len(self.problems) - violations} other finding(s) "
            f"on {len(self.by_focus())} node(s)."
        )
        return "\n".join(lines)


ENGINES = ("kg", "pyshacl")


def validate_graph(
    graph: ox.Store, focus: Iterable[ox.NamedNode] | None = None, engine: str = "kg"
) -> Report:
    """SHACL plus the vocabulary check; ``focus`` limits SHACL to those nodes.

    The "kg" engine runs every shape as SPARQL on Oxigraph (kg/constraints.py for the core
    constraints and its sh:sparql ones); "pyshacl" runs the core constraints through
    pySHACL instead, the reference implementation, which tests show agrees but is far slower.
    """
    problems = graph_vocabulary_problems(graph)
    return Report(problems + shape_problems(graph, None if focus is None else list(focus), engine))


def shape_problems(
    graph: ox.Store, focus: list[ox.NamedNode] | None, engine: str = "kg", view: ox.Store | None = None
) -> list[Problem]:
    """Every shape's findings over ``graph``, on one data-plus-ontology ``view`` (made if not given)."""
    from kg.constraints import core_problems, sparql_problems, validation_view

    if engine not in ENGINES:
        raise KgError(f"unknown validation engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if focus is not None and not focus:
        return []
    view = view if view is not None else validation_view(graph)
    core = core_problems(graph, focus, view) if engine == "kg" else shacl_problems(graph, focus)
    return core + sparql_problems(graph, focus, view)


def check_change(graph: ox.Store, added: set[ox.Quad], removed: set[ox.Quad]) -> None:
    """Raise ValidationError unless the changed graph is valid where the change touched it."""
    problems = vocabulary_problems(added)
    if not problems:
        problems = shape_problems(graph, sorted(touched_nodes(graph, added | removed), key=str))
    report = Report(problems)
    if not report.conforms:
        raise ValidationError(
            "the change was refused and nothing was written, because it would leave "
            "the graph invalid:\n" + report.text(),
            report,
        )


def touched_nodes(graph: ox.Store, quads: set[ox.Quad]) -> set[ox.NamedNode]:
    """The nodes whose shapes a change can break: the subjects it changed that still exist,
    and whatever still points at a node it deleted outright.

    Other objects are left out on purpose: the store may hand over only the neighbourhood of
    the change, in which they are not fully described.
    """
    subjects = {q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}
    existing = {s for s in subjects if any(graph.quads_for_pattern(s, None, None))}
    # A node that lost its class (or everything) breaks the class checks of what points at it.
    retyped = (subjects - existing) | {q.subject for q in quads if q.predicate == RDF_TYPE}
    pointing = {q.subject for d in retyped for q in graph.quads_for_pattern(None, None, d)}
    # A statement that went away leaves its direct triple bare: check both ends of it.
    ends = {q.object for q in quads if q.predicate.value in STATEMENT_ENDS}
    focus = existing | pointing | {e for e in ends if any(graph.quads_for_pattern(e, None, None))}
    return {n for n in focus if isinstance(n, ox.NamedNode)}


@cache
def hint(iri: str, kind: str) -> str:
    vocab = vocabulary()
    known = {"property": vocab.properties, "class": vocab.classes, "link": vocab.link_properties}[kind]
    return closest(iri, known)


def vocabulary_problems(quads: Iterable[ox.Quad | ox.Triple]) -> list[Problem]:
    """Predicates and classes the ontology does not declare, with the nearest known term."""
    vocab = vocabulary()
    problems = []
    for quad in quads:
        predicate = quad.predicate.value
        if predicate not in vocab.properties:
            problems.append(
                Problem(
                    compact(quad.subject),
                    compact(quad.predicate),
                    f"unknown property {compact(quad.predicate)}{hint(predicate, 'property')}",
                )
            )
        elif quad.predicate.value == STATEMENT_PREDICATE and quad.object.value not in vocab.link_properties:
            problems.append(
                Problem(
                    compact(quad.subject),
                    "cbec:predicate",
                    f"{compact(quad.object)} is not a link property{hint(quad.object.value, 'link')}",
                )
            )
        elif quad.predicate == RDF_TYPE and quad.object.value not in vocab.classes:
            problems.append(
                Problem(
                    compact(quad.subject),
                    "rdf:type",
                    f"unknown class {compact(quad.object)}{hint(quad.object.value, 'class')}",
                )
            )
    return problems


def graph_vocabulary_problems(graph: ox.Store) -> list[Problem]:
    """``vocabulary_problems`` of a whole store: the distinct predicates, classes and link
    properties are listed in Oxigraph, and only the quads using an unknown one are read."""
    vocab = vocabulary()
    statement_predicate = ox.NamedNode(STATEMENT_PREDICATE)
    lists = [
        ("SELECT DISTINCT ?t { ?s ?t ?o }", vocab.properties, lambda t: (None, t, None)),
        ("SELECT DISTINCT ?t { ?s a ?t }", vocab.classes, lambda t: (None, RDF_TYPE, t)),
        (
            f"SELECT DISTINCT ?t {{ ?s <{STATEMENT_PREDICATE}> ?t }}",
            vocab.link_properties,
            lambda t: (None, statement_predicate, t),
        ),
    ]
    suspects: list[ox.Quad] = []
    for query, known, pattern in lists:
        for row in graph.query(query):
            if row["t"].value not in known:
                found = graph.quads_for_pattern(*pattern(row["t"]), ox.DefaultGraph())
                suspects += itertools.islice(found, 200)
    return vocabulary_problems(suspects)


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


def validate_store(store, engine: str = "kg") -> Report:
    """Validate a whole store: every node, every shape, every term."""
    return validate_graph(store.load(), engine=engine)

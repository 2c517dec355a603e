"""Validation: SHACL shapes plus the vocabulary check, over a whole graph or a change.

Every shape runs as SPARQL on Oxigraph: the core constraints compiled by constraints.py, and
the sh:sparql ones. pySHACL, the reference engine, is kept behind `--engine pyshacl`
(rdflib is imported only then). The vocabulary check is ours: every predicate and every
class used must be declared by the ontology, so a misspelled term gets the closest spelling.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import cache

import pyoxigraph as ox

from kg.errors import KgError, ValidationError
from kg.limits import MAX_LITERAL
from kg.validation.constraints import (
    Check,
    Focus,
    core_problems,
    sourced_classes,
    sparql_problems,
    validation_view,
    violations,
)
from kg.validation.report import Problem, Report
from kg.validation.shacl import shacl_problems
from kg.vocabulary import (
    CBEC,
    CBR,
    RDF_TYPE,
    closest,
    compact,
    vocabulary,
)

STATEMENT_PREDICATE = "https://w3id.org/cbec/ontology#predicate"
STATEMENT_ENDS = ("https://w3id.org/cbec/ontology#subject", "https://w3id.org/cbec/ontology#object")


ENGINES = ("kg", "pyshacl")


def validate_graph(
    graph: ox.Store, focus: Iterable[ox.NamedNode] | None = None, engine: str = "kg"
) -> Report:
    """SHACL plus the vocabulary check; ``focus`` limits SHACL to those nodes.

    The "kg" engine runs every shape as SPARQL on Oxigraph (kg/validation/constraints.py for the core
    constraints and its sh:sparql ones); "pyshacl" runs the core constraints through
    pySHACL instead, the reference implementation, which tests show agrees but is far slower.
    """
    problems = graph_vocabulary_problems(graph)
    return Report(problems + shape_problems(graph, None if focus is None else list(focus), engine))


def shape_problems(
    graph: ox.Store, focus: Focus, engine: str = "kg", view: ox.Store | None = None
) -> list[Problem]:
    """Every shape's findings over ``graph``, on one data-plus-ontology ``view`` (made if not given)."""
    if engine not in ENGINES:
        raise KgError(f"unknown validation engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if focus is not None and not focus:
        return []
    view = view if view is not None else validation_view(graph)
    core = core_problems(graph, focus, view) if engine == "kg" else shacl_problems(graph, focus)
    return core + sparql_problems(graph, focus, view) + violations(anchor_checks(), graph, focus, view)


# Shapes target classes, so a cbr: node with no class would escape every one of them: each
# resource kg keeps has a class, and a source unless it is one or a shape already asks for
# one (those classes are read from the shapes). Hash-joined OPTIONALs: one pass each.
@cache
def anchor_checks() -> tuple[Check, ...]:
    exempt = " ".join(f"<{c}>" for c in sourced_classes() + [CBEC + "Source"])
    return (
        Check(
            f"""SELECT ?this WHERE {{
                {{ SELECT DISTINCT ?this {{ ?this ?p ?o FILTER(STRSTARTS(STR(?this), "{CBR}")) }} }}
                OPTIONAL {{ ?this rdf:type ?class }}
                FILTER(!BOUND(?class))
            }}""",
            "{$this} has no class: state what it is (rdf:type cbec:Platform, cbec:Source ...); "
            "a node without a class escapes every shape",
            "kg: every cbr: resource has a class",
        ),
        Check(
            f"""SELECT ?this WHERE {{
                {{ SELECT DISTINCT ?this {{ ?this rdf:type ?class FILTER(STRSTARTS(STR(?this), "{CBR}")) }} }}
                OPTIONAL {{ ?this prov:wasDerivedFrom ?source }}
                OPTIONAL {{ SELECT ?this (true AS ?exempt) {{
                    ?this rdf:type/rdfs:subClassOf* ?top VALUES ?top {{ {exempt} }} }} }}
                FILTER(!BOUND(?source) && !BOUND(?exempt))
            }}""",
            "{$this} has no source: add prov:wasDerivedFrom a cbec:Source (every fact kg keeps is sourced)",
            "kg: every cbr: resource has a source",
        ),
    )


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
        elif isinstance(quad.object, ox.Literal) and len(quad.object.value) > MAX_LITERAL:
            problems.append(Problem(compact(quad.subject), compact(quad.predicate), too_long(quad.object)))
    return problems


def too_long(literal: ox.Literal) -> str:
    return (
        f"a literal of {len(literal.value):,} characters, over kg's limit of {MAX_LITERAL:,}; "
        "keep long texts in a file and cite it as a source"
    )


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


def validate_store(store, engine: str = "kg") -> Report:
    """Validate a whole store: every node, every shape, every term."""
    return validate_graph(store.snapshot(), engine=engine)

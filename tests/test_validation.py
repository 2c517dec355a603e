"""The validator: SPARQL constraints run on Oxigraph agree with pySHACL running them itself."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

import pyoxigraph as ox
import pytest

from kg.resources import bundled_dataset, resource_dir
from kg.stores.files import parse_turtle
from kg.validation import validate_graph
from kg.validation.constraints import sparql_problems
from kg.validation.shacl import to_rdflib

CBR = "https://w3id.org/cbec/resource/"
CBEC = "https://w3id.org/cbec/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def node(local: str) -> ox.NamedNode:
    return ox.NamedNode(CBR + local if "#" not in local else CBEC + local.lstrip("#"))


def break_direct_triple(graph: ox.Store) -> None:
    graph.remove(ox.Quad(node("tmall-global"), node("#paysVia"), node("alipay")))
    graph.remove(ox.Quad(node("tmall-global"), node("#dependsOn"), node("alipay")))


def add_self_link(graph: ox.Store) -> None:
    link = node("link-kaola-competeswith-kaola")
    for p, o in [
        ("#subject", node("kaola")),
        ("#predicate", node("#competesWith")),
        ("#object", node("kaola")),
    ]:
        graph.add(ox.Quad(link, node(p), o))
    graph.add(ox.Quad(link, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), node("#Link")))
    graph.add(ox.Quad(node("kaola"), node("#competesWith"), node("kaola")))


def drop_depends_on(graph: ox.Store) -> None:
    graph.remove(ox.Quad(node("mi-tao"), node("#dependsOn"), node("vertex")))


def swap_policy_dates(graph: ox.Store) -> None:
    tax = node("tax-2016")
    graph.add(ox.Quad(tax, node("#endDate"), ox.Literal("2015-01-01", datatype=ox.NamedNode(XSD + "date"))))


def bare_direct_triple(graph: ox.Store) -> None:
    graph.add(ox.Quad(node("kaola"), node("#trafficFrom"), node("netease")))


VARIANTS = [None, break_direct_triple, add_self_link, drop_depends_on, swap_policy_dates, bare_direct_triple]


@contextlib.contextmanager
def sparql_parsed_once() -> Iterator[None]:
    """pySHACL hands rdflib the same SPARQL text once per focus node, thousands of times per
    validation, and rdflib's pyparsing parser took 3/4 of this test's time re-reading it. Each
    distinct text (with its base and prefixes) is parsed and translated once here; every focus
    node's query still runs through rdflib with its own bindings, as rdflib's prepareQuery allows,
    so pySHACL's results are the same."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.processor import SPARQLProcessor

    evaluate = SPARQLProcessor.query
    prepared = {}

    def query(self, text, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803
        if isinstance(text, str):
            key = (text, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = translateQuery(parseQuery(text), base, initNs)
            text = prepared[key]
        return evaluate(self, text, initBindings, initNs, base, DEBUG)

    with mock.patch.object(SPARQLProcessor, "query", query):
        yield


def pyshacl_sparql_focus(graph: ox.Store) -> set[tuple[str, str]]:
    """Focus nodes pySHACL reports from the SPARQL constraints, running them itself."""
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    shapes = rdflib.Graph().parse(resource_dir("ontology") / "shapes.ttl")
    data = to_rdflib(graph)
    # The ontology goes into the data graph itself, as kg does on Oxigraph: pySHACL's
    # ont_graph mixing does not show annotation triples (cbec:defaultChain) to SPARQL constraints.
    for name in ("cbec.ttl", "external.ttl"):
        data.parse(resource_dir("ontology") / name)
    with_sparql = sorted({str(s) for s in shapes.subjects(SH.sparql, None)})
    with sparql_parsed_once():
        _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", use_shapes=with_sparql)
    found = set()
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        if results.value(result, SH.sourceConstraintComponent) == SH.SPARQLConstraintComponent:
            found.add(str(results.value(result, SH.focusNode)))
    return found


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__ if v else "bundled")
def test_oxigraph_sparql_constraints_agree_with_pyshacl(variant) -> None:
    graph = parse_turtle(bundled_dataset())
    if variant:
        variant(graph)
    ours = {p.focus for p in sparql_problems(graph, None)}
    theirs = {f"cbr:{iri.removeprefix(CBR)}" for iri in pyshacl_sparql_focus(graph)}
    assert ours == theirs
    assert bool(ours) == (variant is not None)


def test_broken_variant_report_names_the_problem() -> None:
    graph = parse_turtle(bundled_dataset())
    break_direct_triple(graph)
    report = validate_graph(graph)
    assert not report.conforms
    assert (
        "the statement says cbr:tmall-global cbec:paysVia cbr:alipay but that direct triple is missing"
        in report.text()
    )

"""The SHACL core constraints compiled to SPARQL on Oxigraph report what pySHACL reports."""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import pyoxigraph as ox
import pytest

from bench.generate import generate
from kg.resources import bundled_dataset, resource_dir
from kg.stores.files import parse_turtle
from kg.validation.constraints import core_problems, sparql_problems
from kg.vocabulary import CBEC, CBR, DCTERMS, ONTOLOGY_FILES, PROV, RDFS, SCHEMA, XSD, compact
from kg.vocabulary import RDF as RDF_NS

Value = ox.NamedNode | ox.Literal


def node(local: str) -> ox.NamedNode:
    return ox.NamedNode(CBR + local)


def term(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(prefix + local)


def replace_objects(graph: ox.Store, subject: str, predicate: ox.NamedNode, new: Value) -> None:
    for quad in list(graph.quads_for_pattern(node(subject), predicate, None)):
        graph.remove(quad)
    graph.add(ox.Quad(node(subject), predicate, new))


def remove_objects(graph: ox.Store, subject: str, predicate: ox.NamedNode) -> None:
    for quad in list(graph.quads_for_pattern(node(subject), predicate, None)):
        graph.remove(quad)


LINK = "link-tmall-global-paysvia-alipay"


def missing_label(graph: ox.Store) -> None:
    remove_objects(graph, "alipay", term(RDFS, "label"))


def weight_above_one(graph: ox.Store) -> None:
    replace_objects(graph, LINK, term(CBEC, "weight"), ox.Literal("1.5", datatype=term(XSD, "decimal")))


def criticality_outside_scheme(graph: ox.Store) -> None:
    replace_objects(graph, LINK, term(CBEC, "criticality"), term(CBEC, "TradeChain"))


def ships_via_payment_provider(graph: ox.Store) -> None:
    graph.add(ox.Quad(node("tmall-global"), term(CBEC, "shipsVia"), node("alipay")))


def misspelled_property(graph: ox.Store) -> None:
    graph.add(ox.Quad(node("kaola"), term(CBEC, "serie"), term(CBEC, "PlatformSeries")))


def source_without_title(graph: ox.Store) -> None:
    remove_objects(graph, "source-alipay-declaration", term(DCTERMS, "title"))


def two_english_labels(graph: ox.Store) -> None:
    graph.add(ox.Quad(node("alipay"), term(RDFS, "label"), ox.Literal("Zhifubao", language="en")))


def ill_typed_date(graph: ox.Store) -> None:
    date = ox.Literal("2016-13-40", datatype=term(XSD, "date"))
    replace_objects(graph, "tax-2016", term(CBEC, "effectiveDate"), date)


def link_without_source(graph: ox.Store) -> None:
    remove_objects(graph, LINK, term(PROV, "wasDerivedFrom"))


def payment_provider_sells_on(graph: ox.Store) -> None:
    graph.add(ox.Quad(node("alipay"), term(CBEC, "sellsOn"), node("tmall-global")))


def link_details_malformed(graph: ox.Store) -> None:
    """A pattern, a node kind, a second value where one is allowed and a minimum, on one link."""
    replace_objects(graph, LINK, term(CBEC, "currency"), ox.Literal("usd"))
    replace_objects(graph, LINK, term(CBEC, "subject"), ox.Literal("tmall-global"))
    graph.add(ox.Quad(node(LINK), term(CBEC, "chain"), term(CBEC, "TradeChain")))
    replace_objects(graph, LINK, term(CBEC, "paragraph"), ox.Literal("0", datatype=term(XSD, "integer")))


def entity_values_malformed(graph: ox.Store) -> None:
    """sh:or alternatives, plain-string and anyURI datatypes and a claim's literal value."""
    graph.add(ox.Quad(node("kaola"), term(CBEC, "fundedBy"), node("tax-2016")))
    replace_objects(graph, "dalian-zone", term(SCHEMA, "location"), ox.Literal("Dalian", language="en"))
    replace_objects(graph, "source-alipay-declaration", term(SCHEMA, "url"), ox.Literal("https://alipay.com"))
    replace_objects(graph, "claim-market-share-2018-tmall-global", term(CBEC, "value"), node("kaola"))


# Each broken variant, with one finding (focus node, path) it must produce.
VARIANTS = [
    (missing_label, ("cbr:alipay", "rdfs:label")),
    (weight_above_one, (f"cbr:{LINK}", "cbec:weight")),
    (criticality_outside_scheme, (f"cbr:{LINK}", "cbec:criticality")),
    (ships_via_payment_provider, ("cbr:tmall-global", "cbec:shipsVia")),
    (misspelled_property, ("cbr:kaola", "cbec:serie")),
    (source_without_title, ("cbr:source-alipay-declaration", "dcterms:title")),
    (two_english_labels, ("cbr:alipay", "rdfs:label")),
    (ill_typed_date, ("cbr:tax-2016", "cbec:effectiveDate")),
    (link_without_source, (f"cbr:{LINK}", "prov:wasDerivedFrom")),
    (payment_provider_sells_on, ("cbr:alipay", "")),
    (link_details_malformed, (f"cbr:{LINK}", "cbec:currency")),
    (entity_values_malformed, ("cbr:kaola", "cbec:fundedBy")),
]


@cache
def pyshacl_inputs():
    """The core shapes (without their sh:sparql triples) and the ontology, as kg gave pySHACL."""
    import rdflib
    from rdflib.namespace import SH

    shapes = rdflib.Graph().parse(resource_dir("ontology") / "shapes.ttl")
    shapes.remove((None, SH.sparql, None))
    ontology = rdflib.Graph()
    for name in ONTOLOGY_FILES:
        ontology.parse(resource_dir("ontology") / name)
    return shapes, ontology


def pyshacl_findings(graph: ox.Store) -> set[tuple[str, str]]:
    """(focus node, path) of every result pySHACL reports for the core constraints; the
    sh:detail results nested under an sh:node result explain it and are not findings of their own."""
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    shapes, ontology = pyshacl_inputs()
    triples = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in graph), format=ox.RdfFormat.N_TRIPLES
    )
    data = rdflib.Graph().parse(data=triples.decode(), format="nt")
    _, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    found = set()
    for result in results.objects(None, SH.result):
        path = results.value(result, SH.resultPath)
        found.add((compact(str(results.value(result, SH.focusNode))), compact(str(path)) if path else ""))
    return found


def findings(graph: ox.Store) -> set[tuple[str, str]]:
    return {(p.focus, p.path) for p in core_problems(graph, None)}


def test_bundled_dataset_has_no_violation() -> None:
    graph = parse_turtle(bundled_dataset())
    assert core_problems(graph, None) == []
    assert pyshacl_findings(graph) == set()


@pytest.mark.parametrize(("variant", "expected"), VARIANTS, ids=[v.__name__ for v, _ in VARIANTS])
def test_compiled_constraints_agree_with_pyshacl(variant, expected) -> None:
    graph = parse_turtle(bundled_dataset())
    variant(graph)
    ours = findings(graph)
    assert expected in ours
    assert ours == pyshacl_findings(graph)


def test_messages_name_the_constraint_and_the_expected_value() -> None:
    graph = parse_turtle(bundled_dataset())
    misspelled_property(graph)
    ships_via_payment_provider(graph)
    payment_provider_sells_on(graph)
    messages = {(p.focus, p.message) for p in core_problems(graph, None)}
    assert ("cbr:kaola", "property cbec:serie is not allowed on a closed shape") in messages
    assert ("cbr:tmall-global", "value must be an instance of cbec:LogisticsProvider") in messages
    assert (
        "cbr:alipay",
        "must be an instance of cbec:Supplier (required by cbsh:SellsOnSubject)",
    ) in messages


def test_shape_message_is_used_when_the_shape_has_one() -> None:
    graph = parse_turtle(bundled_dataset())
    weight_above_one(graph)
    (problem,) = core_problems(graph, None)
    assert problem.message == "cbec:weight must be one xsd:decimal between 0 and 1"
    assert problem.value == "1.5"


def test_focus_keeps_only_the_findings_about_those_nodes() -> None:
    graph = parse_turtle(bundled_dataset())
    missing_label(graph)
    misspelled_property(graph)
    assert {p.focus for p in core_problems(graph, [node("kaola")])} == {"cbr:kaola"}
    assert core_problems(graph, [node("tmall-global")]) == []
    assert core_problems(graph, []) == []


def test_ill_typed_year_month_is_refused_where_pyshacl_lets_it_pass() -> None:
    """rdflib does not check xsd:gYearMonth lexical forms; Oxigraph does, so kg is stricter here."""
    graph = parse_turtle(bundled_dataset())
    month = ox.Literal("2016-13", datatype=term(XSD, "gYearMonth"))
    replace_objects(graph, "dalian-zone", term(CBEC, "approvalDate"), month)
    assert findings(graph) == {("cbr:dalian-zone", "cbec:approvalDate")}
    assert pyshacl_findings(graph) == set()


def test_synthetic_100k_graph_validates_clean() -> None:
    """Scale note: when this was written, the compiled constraints checked these 88,000 triples in
    about 1 s and pySHACL in about 16 s; `python -m bench.validation` measures a million."""
    graph = ox.Store()
    graph.load(generate(100_000), format=ox.RdfFormat.TURTLE)
    assert len(graph) > 80_000
    assert core_problems(graph, None) == []


def test_flat_synthetic_graph_validates_clean_and_its_broken_links_are_found() -> None:
    """The anti-joins of cbsh:DirectLinkHasStatement, on the flat shape whose providers carry
    hundreds of links each: a direct triple without its statement and a bare dependsOn."""
    graph = ox.Store()
    graph.load(generate(20_000, shape="flat"), format=ox.RdfFormat.TURTLE)
    assert core_problems(graph, None) == [] and sparql_problems(graph, None) == []
    busy = node("logisticsprovider-0")
    statement = next(graph.quads_for_pattern(None, term(CBEC, "object"), busy)).subject
    subject = next(graph.quads_for_pattern(statement, term(CBEC, "subject"), None)).object
    prop = next(graph.quads_for_pattern(statement, term(CBEC, "predicate"), None)).object
    for other in list(graph.quads_for_pattern(None, term(CBEC, "object"), busy)):
        stated = next(graph.quads_for_pattern(other.subject, term(CBEC, "subject"), None)).object
        said = next(graph.quads_for_pattern(other.subject, term(CBEC, "predicate"), None)).object
        if (stated, said) == (subject, prop):
            for quad in list(graph.quads_for_pattern(other.subject, None, None)):
                graph.remove(quad)
    graph.add(ox.Quad(node("supplier-3"), term(CBEC, "dependsOn"), busy))
    found = {(p.focus, p.path, p.value) for p in sparql_problems(graph, None)}
    assert found == {
        (compact(subject), compact(prop), "cbr:logisticsprovider-0"),
        ("cbr:supplier-3", "", "cbr:logisticsprovider-0"),
    }


def test_compiler_does_not_import_rdflib() -> None:
    code = (
        "import sys; from kg.validation.constraints import core_problems;"
        "from kg.stores.files import parse_turtle;"
        "from kg.resources import bundled_dataset;"
        "core_problems(parse_turtle(bundled_dataset()), None); print('rdflib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "select",
    [
        "SELECT $this { $this <http://p.org/p> ?where }",
        "SELECT $this ?where WHERE { $this <http://p.org/p> ?where }",
        'SELECT $this WHERE { $this <http://p.org/p> "WHERE {" }',
    ],
)
def test_a_sparql_constraint_is_focused_whatever_its_spelling(select: str) -> None:
    from kg.validation.constraints import focused

    query = focused(select, "{ ?this a <http://p.org/C> }", "cbsh:Test")
    graph = ox.Store()
    graph.add(ox.Quad(node("a"), ox.NamedNode("http://p.org/p"), ox.Literal("WHERE {")))
    graph.add(ox.Quad(node("a"), term(RDF_NS, "type"), ox.NamedNode("http://p.org/C")))
    graph.add(ox.Quad(node("b"), ox.NamedNode("http://p.org/p"), ox.Literal("WHERE {")))
    assert [r["this"] for r in graph.query(query)] == [node("a")]


def test_a_sparql_constraint_without_a_group_is_named() -> None:
    from kg.errors import KgError
    from kg.validation.constraints import focused

    with pytest.raises(KgError, match=r"the sh:select of cbsh:Test in shapes.ttl has no \{ \} group"):
        focused("SELECT $this", "{ ?this a <http://p.org/C> }", "cbsh:Test")

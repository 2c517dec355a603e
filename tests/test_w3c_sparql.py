"""The W3C SPARQL 1.1 test suite, run through kg's own query path.

Syntax tests (the "syntax-query" suite and the negative syntax tests of the evaluation folders)
run as query files through ``kg.queries.run_query`` on an empty store: a positive test must be
answered, a negative one refused with a QueryError, never a crash. Evaluation tests load their
data into a fresh Oxigraph store, pass kg's safety check and run through
``kg.queries.run_sparql``; the answer must equal the expected results as a multiset of
solutions (blank nodes replaced by one placeholder), in order when the query has ORDER BY.

The data is a subset of the suite (tests/data/README.md says where it comes from). The tests
kg does not pass, by design or not, are listed with their reason in
tests/data/w3c-sparql11/expected-failures.txt and run as strict expected failures, so that a
test that starts passing, or a new failure, is noticed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import QueryError
from kg.queries import run_query, run_sparql
from kg.sparql import check_query_safety, strip_strings_and_comments
from kg.stores import TurtleStore, init_store

SUITE = Path(__file__).resolve().parent / "data" / "w3c-sparql11"
EXPECTED_FAILURES = SUITE / "expected-failures.txt"
# Where the W3C published the suite: test IRIs, and the base IRI of every file in it.
W3C = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SYNTAX_FOLDERS = ["syntax-query"]
EVALUATION_FOLDERS = [
    "aggregates",
    "bind",
    "bindings",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
]
RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
}
RESULT_FORMATS = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON}
BLANK = "_:blank"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMBERS = {"integer": Decimal, "decimal": Decimal, "double": float, "float": float}


@dataclass(frozen=True)
class Case:
    """One test of a manifest: its IRI, kind, query file, data files and expected results."""

    iri: str
    kind: str
    query: Path
    data: tuple[Path, ...] = ()
    graph_data: tuple[Path, ...] = ()
    result: Path | None = None

    @property
    def name(self) -> str:
        return self.iri.removeprefix(W3C).replace("/manifest#", "/")


def local(iri: str) -> Path:
    """The file in tests/data of a W3C file IRI."""
    assert iri.startswith(W3C), iri
    return SUITE / iri.removeprefix(W3C)


def manifest_cases(folder: str) -> list[Case]:
    """The tests a folder's manifest lists in mf:entries, in the manifest's order."""
    graph = ox.Store()
    graph.load(
        path=str(SUITE / folder / "manifest.ttl"),
        format=ox.RdfFormat.TURTLE,
        base_iri=f"{W3C}{folder}/manifest.ttl",
    )

    def objects(subject, predicate: str) -> list:
        return [q.object for q in graph.quads_for_pattern(subject, ox.NamedNode(predicate), None)]

    entries = []
    (head,) = objects(None, MF + "entries")
    while head != ox.NamedNode(RDF + "nil"):
        entries += objects(head, RDF + "first")
        (head,) = objects(head, RDF + "rest")
    cases = []
    for entry in entries:
        (kind,) = (t.value.removeprefix(MF) for t in objects(entry, RDF + "type"))
        (action,) = objects(entry, MF + "action")
        if isinstance(action, ox.NamedNode):  # a syntax test names its query file
            cases.append(Case(entry.value, kind, local(action.value)))
            continue
        (query,) = objects(action, QT + "query")
        (result,) = objects(entry, MF + "result")
        cases.append(
            Case(
                entry.value,
                kind,
                local(query.value),
                tuple(local(d.value) for d in objects(action, QT + "data")),
                tuple(local(d.value) for d in objects(action, QT + "graphData")),
                local(result.value),
            )
        )
    return cases


def expected_failures() -> dict[str, str]:
    """Test IRI -> why kg does not pass it, from expected-failures.txt."""
    failures = {}
    for line in EXPECTED_FAILURES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            iri, reason = line.split(None, 1)
            assert iri not in failures, f"{iri} is listed twice"
            failures[iri] = reason.strip()
    return failures


SYNTAX_KINDS = {"PositiveSyntaxTest11", "NegativeSyntaxTest11"}
ALL_CASES = [case for folder in SYNTAX_FOLDERS + EVALUATION_FOLDERS for case in manifest_cases(folder)]
SYNTAX_CASES = [c for c in ALL_CASES if c.kind in SYNTAX_KINDS]
EVALUATION_CASES = [c for c in ALL_CASES if c.kind == "QueryEvaluationTest"]
FAILURES = expected_failures()


# How each kind of expected failure shows: anything else is a failure of its own.
SHOWS_AS = {
    "policy": QueryError,
    "no-base": QueryError,
    "oxigraph": (QueryError, AssertionError),
    "rdf-1.1": AssertionError,
    "order": AssertionError,
}


def params(cases: list[Case]) -> list:
    """One pytest parameter per case; a listed failure is a strict xfail with its reason."""
    out = []
    for case in cases:
        marks = []
        if case.iri in FAILURES:
            reason = FAILURES[case.iri]
            kind = reason.split(":", 1)[0]
            marks.append(pytest.mark.xfail(strict=True, raises=SHOWS_AS[kind], reason=reason))
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


# ---------------------------------------------------------------- syntax


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> TurtleStore:
    """An empty Turtle store: queries see nothing but the ontology."""
    store = init_store(str(tmp_path_factory.mktemp("w3c") / "empty.ttl"), empty=True)
    assert isinstance(store, TurtleStore)
    return store


@pytest.mark.parametrize("case", params(SYNTAX_CASES))
def test_syntax(case: Case, empty_store: TurtleStore) -> None:
    if case.kind == "PositiveSyntaxTest11":
        run_query(empty_store, str(case.query))
    else:
        with pytest.raises(QueryError):
            run_query(empty_store, str(case.query))


# ---------------------------------------------------------------- evaluation


def dataset(case: Case) -> ox.Store:
    """The test's default graph and named graphs, each file read with its W3C IRI as base."""
    store = ox.Store()
    for path in case.data:
        store.load(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=W3C + rel(path))
    for path in case.graph_data:
        store.load(
            path=str(path),
            format=RDF_FORMATS[path.suffix],
            base_iri=W3C + rel(path),
            to_graph=ox.NamedNode(W3C + rel(path)),
        )
    return store


def rel(path: Path) -> str:
    return path.relative_to(SUITE).as_posix()


def term_key(term) -> str:
    """A term as text, with every blank node the same placeholder and every number by its value
    (Oxigraph writes the canonical form, 1 rather than 1.0, 3.21E4 rather than 32100)."""
    if isinstance(term, ox.BlankNode):
        return BLANK
    if isinstance(term, ox.Literal) and term.datatype.value.removeprefix(XSD) in NUMBERS:
        kind = NUMBERS[term.datatype.value.removeprefix(XSD)]
        try:
            value = kind(term.value.strip())
            text = str(value.normalize()) if isinstance(value, Decimal) else repr(value)
            return f"{text}^^{term.datatype}"
        except (ArithmeticError, ValueError):
            pass  # an ill-typed literal is kept as written
    return str(term)


def triple_key(triple) -> str:
    return " ".join(term_key(t) for t in (triple.subject, triple.predicate, triple.object))


def solution_key(variables: list[str], row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((v, term_key(t)) for v, t in zip(variables, row, strict=True) if t is not None))


def is_ordered(query: str) -> bool:
    """Whether the outermost query has ORDER BY (not only a subquery)."""
    bare = strip_strings_and_comments(query)
    return re.search(r"\bORDER\s+BY\b", bare[bare.rfind("}") :], re.IGNORECASE) is not None


@pytest.mark.parametrize("case", params(EVALUATION_CASES))
def test_evaluation(case: Case) -> None:
    text = case.query.read_text(encoding="utf-8")
    check_query_safety(text, allow_update=False)
    answer = run_sparql(dataset(case), text)
    assert case.result is not None
    if answer.triples is not None:
        expected_graph = ox.parse(
            path=str(case.result), format=RDF_FORMATS[case.result.suffix], base_iri=W3C + rel(case.result)
        )
        assert Counter(map(triple_key, answer.triples)) == Counter(map(triple_key, expected_graph))
        return
    expected = ox.parse_query_results(path=str(case.result), format=RESULT_FORMATS[case.result.suffix])
    if isinstance(expected, ox.QueryBoolean):
        assert answer.boolean is bool(expected)
        return
    variables = [v.value for v in expected.variables]
    wanted = [solution_key(variables, [row[v] for v in variables]) for row in expected]
    got = [solution_key(answer.variables, row) for row in answer.rows]
    assert Counter(got) == Counter(wanted)
    if is_ordered(text):
        assert got == wanted


def test_the_expected_failures_name_tests_of_the_suite() -> None:
    """A test removed from the data, or a typo in the list, is noticed too."""
    assert set(FAILURES) <= {case.iri for case in ALL_CASES}
    assert {reason.split(":", 1)[0] for reason in FAILURES.values()} <= set(SHOWS_AS)
    assert (len(SYNTAX_CASES), len(EVALUATION_CASES)) == (95, 173)


def test_a_refused_function_is_not_blamed_on_param(empty_store: TurtleStore) -> None:
    """A query file with no --param at all, refused by the engine: the message must say why,
    not send the user to fix a --param they never gave."""
    with pytest.raises(QueryError) as refused:
        run_query(empty_store, str(SUITE / "syntax-query" / "syntax-select-expr-04.rq"))
    assert "custom function <http://example/function> is not supported" in str(refused.value)
    assert "--param" not in str(refused.value)

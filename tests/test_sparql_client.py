"""The SPARQL 1.1 Protocol client, against a real Virtuoso on 127.0.0.1 (tests/virtuoso.py)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.errors import StoreError
from kg.resources import bundled_dataset
from kg.stores import sparql_client
from kg.stores.base import split_blank
from kg.stores.files import parse_turtle
from kg.stores.sparql_client import SparqlEndpoint

# The Virtuoso fixtures: virtuoso_server, virtuoso_endpoint and virtuoso_graph.

XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://example.org/"
SUBJECT = ox.NamedNode(EX + "alibaba")


def triple(predicate: str, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.Triple:
    return ox.Triple(SUBJECT, ox.NamedNode(EX + predicate), value)


TERMS = {
    "iri": ox.NamedNode(EX + "tmall-global"),
    "chinese": ox.Literal("跨境电商综合试验区", language="zh"),
    "english": ox.Literal("Cross-border e-commerce", language="en"),
    "decimal": ox.Literal("12.5", datatype=ox.NamedNode(XSD + "decimal")),
    "date": ox.Literal("2024-03-05", datatype=ox.NamedNode(XSD + "date")),
    "year_month": ox.Literal("2024-03", datatype=ox.NamedNode(XSD + "gYearMonth")),
    "integer": ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    "awkward": ox.Literal('say "hi" \\ C:\\path\\n, then\nnext line\r\n\ttab \' end\\'),
}
SAMPLE = [triple(name, term) for name, term in TERMS.items()]


def objects(endpoint: SparqlEndpoint, graph: str) -> dict[str, ox.NamedNode | ox.Literal]:
    _, rows = endpoint.select(f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ <{SUBJECT.value}> ?p ?o }} }}")
    return {row["p"].value.removeprefix(EX): row["o"] for row in rows}


def to_rdflib(triples: list[ox.Triple]) -> Graph:
    return Graph().parse(data="".join(f"{t} .\n" for t in triples), format="nt")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------ with no server


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/sparql", "localhost:8890/sparql", ""])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(StoreError, match="not an http"):
        SparqlEndpoint(url)


def test_a_closed_port_is_a_clean_store_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}/sparql"
    with pytest.raises(StoreError) as caught:
        SparqlEndpoint(url, timeout=5).ask("ASK {}")
    message = str(caught.value)
    assert url in message and "is the server running? check the `store` URL" in message


def test_a_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        with pytest.raises(StoreError, match=r"did not answer within 0.5 s; is the server running"):
            SparqlEndpoint(url, timeout=0.5).ask("ASK {}")


class Moved(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(301)
        self.send_header("Location", "ftp://127.0.0.1/sparql")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def moved_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    server.server_close()


def test_redirects_are_reported_not_followed(moved_url: str) -> None:
    with pytest.raises(StoreError, match="HTTP 301.*moved to ftp://127.0.0.1/sparql"):
        SparqlEndpoint(moved_url).ask("ASK {}")


def test_virtuoso_typed_literal_bindings_are_read() -> None:
    binding = {"type": "typed-literal", "datatype": XSD + "decimal", "value": "1.5"}
    assert sparql_client._term(binding, "http://x") == ox.Literal(
        "1.5", datatype=ox.NamedNode(XSD + "decimal")
    )
    assert sparql_client._term({"type": "bnode", "value": "nodeID://b10007"}, "http://x") == ox.BlankNode(
        "b10007"
    )
    langstring = {"type": "literal", "value": "中国", "xml:lang": "zh"}
    assert sparql_client._term(langstring, "http://x") == ox.Literal("中国", language="zh")


def test_unreadable_bindings_are_clean_store_errors() -> None:
    for binding in (
        {"type": "triple", "value": "x"},
        {"type": "uri"},
        {"type": "uri", "value": "not an iri"},
    ):
        with pytest.raises(StoreError, match="sent a term kg cannot read"):
            sparql_client._term(binding, "http://x")


def test_html_error_pages_are_reduced_to_their_text() -> None:
    page = (
        b"<!DOCTYPE HTML>\n<html><head><title>Error 22023</title></head>\n"
        b"<body><h3>Error 22023</h3><pre>\nHT057: too long\n</pre>"
    )
    assert sparql_client._first_line(page) == "Error 22023 HT057: too long"


def test_triples_sharing_blank_nodes_are_grouped() -> None:
    a, b = ox.BlankNode("a"), ox.BlankNode("b")
    linked = [
        triple("x", a),
        ox.Triple(b, ox.NamedNode(EX + "y"), TERMS["iri"]),
        ox.Triple(a, ox.NamedNode(EX + "z"), b),
    ]
    plain, groups = split_blank([*SAMPLE, *linked])
    assert len(plain) == len(SAMPLE)
    assert [sorted(map(str, group)) for group in groups] == [sorted(map(str, linked))]


# ------------------------------------------------------------------ against Virtuoso


def test_terms_survive_the_round_trip(virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str) -> None:
    assert virtuoso_endpoint.insert_triples(SAMPLE, virtuoso_graph) == len(SAMPLE)
    assert objects(virtuoso_endpoint, virtuoso_graph) == TERMS
    assert type(objects(virtuoso_endpoint, virtuoso_graph)["iri"]) is ox.NamedNode


def test_select_lists_variables_and_leaves_unbound_ones_out(
    virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str
) -> None:
    virtuoso_endpoint.insert_triples(SAMPLE, virtuoso_graph)
    variables, rows = virtuoso_endpoint.select(
        f"SELECT ?o ?missing WHERE {{ GRAPH <{virtuoso_graph}> {{ ?s <{EX}date> ?o }} "
        f"OPTIONAL {{ ?s <{EX}nothing> ?missing }} }}"
    )
    assert variables == ["o", "missing"]
    assert rows == [{"o": TERMS["date"]}]


def test_ask(virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str) -> None:
    virtuoso_endpoint.insert_triples(SAMPLE, virtuoso_graph)
    assert virtuoso_endpoint.ask(f'ASK {{ GRAPH <{virtuoso_graph}> {{ ?s ?p "跨境电商综合试验区"@zh }} }}')
    assert not virtuoso_endpoint.ask(f'ASK {{ GRAPH <{virtuoso_graph}> {{ ?s ?p "absent" }} }}')


def test_construct(virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str) -> None:
    virtuoso_endpoint.insert_triples(SAMPLE, virtuoso_graph)
    got = virtuoso_endpoint.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{virtuoso_graph}> {{ ?s ?p ?o }} }}"
    )
    assert sorted(map(str, got)) == sorted(map(str, SAMPLE))


def test_delete_data_removes_only_what_it_names(
    virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str
) -> None:
    virtuoso_endpoint.insert_triples(SAMPLE, virtuoso_graph)
    gone = {"awkward", "chinese", "decimal"}
    virtuoso_endpoint.delete_triples([triple(name, TERMS[name]) for name in gone], virtuoso_graph)
    assert objects(virtuoso_endpoint, virtuoso_graph) == {k: v for k, v in TERMS.items() if k not in gone}


def test_blank_nodes_are_inserted_and_deleted(virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str) -> None:
    address = ox.BlankNode("address-1.x")
    linked = [
        triple("address", address),
        ox.Triple(address, ox.NamedNode(EX + "city"), ox.Literal("杭州", language="zh")),
    ]
    virtuoso_endpoint.insert_triples([*SAMPLE, *linked], virtuoso_graph)
    stored = list(virtuoso_endpoint.triples(virtuoso_graph))
    assert isomorphic(to_rdflib(stored), to_rdflib([*SAMPLE, *linked]))
    virtuoso_endpoint.delete_triples(linked, virtuoso_graph)
    assert sorted(map(str, virtuoso_endpoint.triples(virtuoso_graph))) == sorted(map(str, SAMPLE))


def test_booleans_read_alike_from_select_and_construct(
    virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str
) -> None:
    flags = [
        triple(name, ox.Literal(name, datatype=ox.NamedNode(XSD + "boolean"))) for name in ("true", "false")
    ]
    virtuoso_endpoint.insert_triples(flags, virtuoso_graph)
    assert set(objects(virtuoso_endpoint, virtuoso_graph).values()) == {t.object for t in flags}
    assert set(virtuoso_endpoint.triples(virtuoso_graph)) == set(flags)


def test_default_and_named_graphs_set_the_dataset(virtuoso_endpoint: SparqlEndpoint) -> None:
    data, results = "urn:kg:test:dataset-data", "urn:kg:test:dataset-results"
    virtuoso_endpoint.insert_triples([triple("in", TERMS["iri"])], data)
    virtuoso_endpoint.insert_triples([triple("result", TERMS["decimal"])], results)
    try:
        query = "SELECT ?p WHERE { ?s ?p ?o }"
        _, rows = virtuoso_endpoint.select(query, default_graphs=[data])
        assert rows == [{"p": ox.NamedNode(EX + "in")}]
        _, rows = virtuoso_endpoint.select(query, default_graphs=[data, results])
        assert {row["p"].value for row in rows} == {EX + "in", EX + "result"}
        ask = f"ASK {{ ?s <{EX}in> ?o GRAPH <{results}> {{ ?s <{EX}result> ?r }} }}"
        assert virtuoso_endpoint.ask(ask, default_graphs=[data], named_graphs=[results])
        construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        assert virtuoso_endpoint.construct(construct, default_graphs=[results]) == [
            triple("result", TERMS["decimal"])
        ]
    finally:
        for graph in (data, results):
            virtuoso_endpoint.update(f"DROP SILENT GRAPH <{graph}>")


def test_bundled_dataset_round_trip(virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str) -> None:
    dataset = [quad.triple for quad in parse_turtle(bundled_dataset())]
    assert virtuoso_endpoint.insert_triples(dataset, virtuoso_graph) == len(dataset)
    back = list(virtuoso_endpoint.triples(virtuoso_graph, page_size=1000))
    assert len(back) == len(dataset)
    assert isomorphic(to_rdflib(back), to_rdflib(dataset))
    # The dataset writes numbers canonically, so Virtuoso's normalising them changes nothing.
    assert set(back) == set(dataset)


def test_large_graphs_are_paged_past_virtuoso_row_limits(
    virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str
) -> None:
    many = [
        ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "n"), ox.Literal(str(i)))
        for i in range(12_345)
    ]
    virtuoso_endpoint.insert_triples(many, virtuoso_graph)
    assert set(virtuoso_endpoint.triples(virtuoso_graph)) == set(many)
    with pytest.raises(StoreError, match="stopped at its limit of 10000 rows"):
        virtuoso_endpoint.select(f"SELECT * WHERE {{ GRAPH <{virtuoso_graph}> {{ ?s ?p ?o }} }}")


def test_requests_stay_under_virtuoso_size_limits(
    virtuoso_endpoint: SparqlEndpoint, virtuoso_graph: str
) -> None:
    """36 literals of 300 kB: 10.8 MB in all, more than Virtuoso takes in one request.

    Not longer literals: Virtuoso parses a literal in time quadratic in its length (1 MB: 0.7 s)."""
    big = [triple(f"part{i}", ox.Literal(f"{i}:" + "y" * 300_000)) for i in range(36)]
    virtuoso_endpoint.insert_triples(big, virtuoso_graph)
    assert set(virtuoso_endpoint.triples(virtuoso_graph, page_size=None)) == set(big)


def test_a_bad_query_is_a_clean_store_error(virtuoso_endpoint: SparqlEndpoint) -> None:
    with pytest.raises(StoreError) as caught:
        virtuoso_endpoint.select("SELECT * WHERE { ?s ?p }")
    message = str(caught.value)
    assert virtuoso_endpoint.query_url in message and "HTTP 400" in message and "SP030" in message
    assert "\n" not in message


def test_a_refused_update_is_a_clean_store_error(virtuoso_endpoint: SparqlEndpoint) -> None:
    with pytest.raises(StoreError, match="HTTP 400: Virtuoso 37000 Error SP031"):
        virtuoso_endpoint.insert_triples(SAMPLE, graph=None)


def test_a_wrong_path_is_a_clean_store_error(virtuoso_server) -> None:
    url = virtuoso_server.url.replace("/sparql", "/no-such-endpoint")
    with pytest.raises(StoreError, match="HTTP 404.*check the endpoint path in the `store` URL"):
        SparqlEndpoint(url).ask("ASK {}")


def test_digest_authentication(virtuoso_server, virtuoso_graph: str) -> None:
    url = virtuoso_server.url + "-auth"
    with pytest.raises(StoreError, match="HTTP 401.*check the user and password"):
        SparqlEndpoint(url).ask("ASK {}")
    with pytest.raises(StoreError, match="HTTP 401"):
        SparqlEndpoint(url, user="dba", password="wrong").ask("ASK {}")
    endpoint = SparqlEndpoint(url, user="dba", password="dba")
    endpoint.insert_triples(SAMPLE, virtuoso_graph)
    assert endpoint.ask(f"ASK {{ GRAPH <{virtuoso_graph}> {{ ?s ?p ?o }} }}")


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers requests from the server's script in turn: (status, JSON body) or "drop"."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append(self.headers["Content-Type"].split(";")[0])
        answer = self.server.script.pop(0)
        if answer == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, body = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator:
    servers = []

    def start(*script) -> tuple[str, http.server.HTTPServer]:
        server = http.server.HTTPServer(("127.0.0.1", 0), Scripted)
        server.script, server.seen = list(script), []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/sparql", server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


TRUE = b'{"head": {}, "boolean": true}'


def test_virtuoso_ask_answered_as_a_select_row_is_read(scripted) -> None:
    """Virtuoso without CaseMode = 2 answers ASK as a one-row SELECT of __ASK_RETVAL."""
    row = b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": '
    url, _ = scripted(
        (200, row + b'{"type": "literal", "value": "1"}}]}}'),
        (200, row + b'{"type": "literal", "value": "0"}}]}}'),
        (200, b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}'),
    )
    endpoint = SparqlEndpoint(url)
    assert endpoint.ask("ASK {}") is True
    assert endpoint.ask("ASK {}") is False
    with pytest.raises(StoreError, match="sent an ASK answer without a boolean"):
        endpoint.ask("ASK {}")


def test_a_query_is_repeated_after_a_passing_fault(scripted) -> None:
    url, server = scripted((503, b"busy"), "drop", (200, TRUE))
    assert SparqlEndpoint(url, timeout=5).ask("ASK {}") is True
    assert server.seen == ["application/x-www-form-urlencoded"] * 3


def test_a_query_gives_up_after_three_faults_and_names_the_endpoint(scripted) -> None:
    url, server = scripted((503, b"busy"), (502, b"gateway"), (504, b"gateway timeout"), (200, TRUE))
    with pytest.raises(StoreError, match=rf"the SPARQL endpoint {url} answered HTTP 504"):
        SparqlEndpoint(url, timeout=5).ask("ASK {}")
    assert len(server.seen) == 3


def test_an_update_is_never_repeated_blind(scripted) -> None:
    url, server = scripted((503, b"busy"), (200, b""))
    with pytest.raises(StoreError, match="The update was not repeated: it may or may not have been applied"):
        SparqlEndpoint(url, timeout=5).update("INSERT DATA { <http://x.org/a> <http://x.org/b> 1 }")
    assert server.seen == ["application/sparql-update"]


def test_a_refused_query_is_not_repeated(scripted) -> None:
    url, server = scripted((400, b"syntax error"), (200, TRUE))
    with pytest.raises(StoreError, match="HTTP 400"):
        SparqlEndpoint(url, timeout=5).ask("ASK {}")
    assert len(server.seen) == 1

"""A small SPARQL 1.1 Protocol client (standard library only) for remote stores.

Tested against Virtuoso 7.2; written to the protocol so Fuseki and GraphDB work too.
Terms come back as pyoxigraph objects, so the rest of kg never sees the wire format.

Queries travel as URL-encoded POST (``query=...``) rather than as a direct
``application/sparql-query`` body: both are SPARQL 1.1 Protocol, but Virtuoso 7.2 never
answers the direct form (openlink/virtuoso-opensource#842), and every server takes the
URL-encoded one. Updates use the direct ``application/sparql-update`` body.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from kg.errors import StoreError
from kg.stores.base import split_blank

Term = ox.NamedNode | ox.BlankNode | ox.Literal

# Virtuoso's SPARQL parser runs out of stack near 5000 triples in one INSERT DATA and
# refuses any request over 10 MB, so chunks stay well below both.
CHUNK_TRIPLES = 1000
CHUNK_BYTES = 1_000_000
# Virtuoso silently cuts every answer at ResultSetMaxRows (10000 by default), so pages
# must stay below that.
PAGE_SIZE = 5000
# Virtuoso sends this header when a SELECT answer reached ResultSetMaxRows (and so may
# be cut short). It sends nothing when it cuts a CONSTRUCT answer.
TRUNCATED_HEADER = "X-SPARQL-MaxRows"

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
# Virtuoso keeps booleans as integers: its SELECT answers say "1" where CONSTRUCT says "true".
BOOLEAN_LEXICAL = {"1": "true", "0": "false"}
CONNECT_HINT = "is the server running? check the `store` URL"


class SparqlEndpoint:
    """A SPARQL 1.1 Query (and optionally Update) endpoint reached over HTTP(S)."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        timeout: float = 60,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.query_url = _checked_url(query_url)
        self.update_url = _checked_url(update_url or query_url)
        self.timeout = timeout
        self._opener = _opener(user, password, {self.query_url, self.update_url})

    def __repr__(self) -> str:
        return f"SparqlEndpoint({self.query_url!r}, update_url={self.update_url!r})"

    def select(
        self, query: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> tuple[list[str], list[dict[str, Term]]]:
        """The variables and the rows of a SELECT query; unbound variables are absent from a row.

        ``default_graphs`` and ``named_graphs`` set the query's dataset (the protocol's
        default-graph-uri and named-graph-uri). Without them Virtuoso's default graph is the
        union of every graph it holds, its own system graph included.
        """
        answer = self._json(query, default_graphs, named_graphs)
        try:
            variables = list(answer["head"]["vars"])
            rows = [
                {name: _term(value, self.query_url) for name, value in binding.items()}
                for binding in answer["results"]["bindings"]
            ]
        except (KeyError, TypeError):
            raise self._bad_answer("a SELECT answer without head.vars and results.bindings") from None
        return variables, rows

    def ask(
        self, query: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> bool:
        answer = self._json(query, default_graphs, named_graphs)
        if isinstance(answer.get("boolean"), bool):
            return answer["boolean"]
        # Virtuoso in its built-in case mode (no CaseMode = 2) answers ASK as a one-row SELECT.
        with contextlib.suppress(KeyError, TypeError, IndexError):
            if answer["head"]["vars"] == ["__ASK_RETVAL"]:
                value = answer["results"]["bindings"][0]["__ASK_RETVAL"]["value"]
                if value in ("0", "1"):
                    return value == "1"
        raise self._bad_answer("an ASK answer without a boolean")

    def construct(
        self, query: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query (dataset as for ``select``).

        Virtuoso cuts a CONSTRUCT answer at ResultSetMaxRows without saying so: read whole
        graphs with ``triples``, which pages below that limit.
        """
        body, media_type = self._post_query(query, N_TRIPLES, default_graphs, named_graphs)
        return _parse_triples(body, media_type, self.query_url)

    def update(self, update: str) -> None:
        request = self._request(self.update_url, update.encode(), "application/sparql-update", "*/*")
        self._send(request)

    def insert_triples(self, triples: Iterable[ox.Triple | ox.Quad], graph: str | None = None) -> int:
        """Add ``triples`` to ``graph`` (the default graph when None); returns how many were sent.

        INSERT DATA may not hold blank nodes (Virtuoso refuses them), so triples with blank
        nodes go by INSERT ... WHERE {}, every triple that shares a blank node in the same
        request: a label names a fresh node in each request.
        """
        plain, linked = split_blank(triples)
        for chunk in _chunks(plain):
            self.update(f"INSERT DATA {{ {_block(chunk, graph)} }}")
        for chunk in _chunks(linked):
            self.update(f"INSERT {{ {_block(chunk, graph)} }} WHERE {{}}")
        return len(plain) + len(linked)

    def delete_triples(self, triples: Iterable[ox.Triple | ox.Quad], graph: str | None = None) -> int:
        """Remove ``triples`` from ``graph``; returns how many were sent.

        DELETE DATA cannot name blank nodes, so triples with blank nodes are removed by
        DELETE WHERE, each blank node a variable: triples linked by one blank node go
        together and are removed only where they all match.
        """
        plain, linked = split_blank(triples)
        for chunk in _chunks(plain):
            self.update(f"DELETE DATA {{ {_block(chunk, graph)} }}")
        for group in linked:
            self.update(f"DELETE WHERE {{ {_block(group, graph, blank_as_variable=True)} }}")
        return len(plain) + sum(len(group) for group in linked)

    def triples(self, graph: str | None = None, page_size: int | None = PAGE_SIZE) -> Iterator[ox.Triple]:
        """Every triple of ``graph`` (the endpoint's default graph when None), a page at a time.

        Pages are cut from an ordered sub-select: Virtuoso refuses ORDER BY with an OFFSET past
        its MaxSortedTopRows, but not an OFFSET applied outside the ordered sub-select.
        ``page_size=None`` asks for everything in one CONSTRUCT.
        """
        pattern = _block_pattern(graph)
        if page_size is None:
            yield from self.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}")
            return
        offset = 0
        while True:
            page = self.construct(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ {pattern} }} "
                f"ORDER BY ?s ?p ?o }} }} LIMIT {page_size} OFFSET {offset}"
            )
            yield from page
            if len(page) < page_size:
                return
            offset += page_size

    def _json(self, query: str, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> dict:
        body, _ = self._post_query(query, RESULTS_JSON, default_graphs, named_graphs)
        try:
            answer = json.loads(body)
        except ValueError:
            raise self._bad_answer(f"not JSON: {_first_line(body)}") from None
        if not isinstance(answer, dict):
            raise self._bad_answer("a JSON answer that is not an object")
        return answer

    def _post_query(
        self, query: str, accept: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> tuple[bytes, str]:
        fields = [("query", query)]
        fields += [("default-graph-uri", _graph(graph).value) for graph in default_graphs]
        fields += [("named-graph-uri", _graph(graph).value) for graph in named_graphs]
        form = urllib.parse.urlencode(fields).encode()
        request = self._request(self.query_url, form, "application/x-www-form-urlencoded", accept)
        return self._send(request, safe=True)

    def _request(self, url: str, body: bytes, content_type: str, accept: str) -> urllib.request.Request:
        headers = {"Content-Type": f"{content_type}; charset=utf-8", "Accept": accept}
        return urllib.request.Request(url, data=body, headers=headers, method="POST")

    def _send(self, request: urllib.request.Request, safe: bool = False) -> tuple[bytes, str]:
        """The body and media type of the answer; every failure becomes a StoreError.

        A query (``safe``) that meets a dropped connection, a timeout or a 502/503/504 is sent
        again, after 0.5 s and then 1 s; an update never is, since it may have been applied
        before the answer was lost: its error says so."""
        for wait in RETRY_WAITS if safe else ():
            try:
                return self._send_once(request)
            except StoreError as exc:
                if not exc.transient:
                    raise
            time.sleep(wait)
        try:
            return self._send_once(request)
        except StoreError as exc:
            if safe or not exc.transient:
                raise
            raise StoreError(
                f"{exc} The update was not repeated: it may or may not have been applied; "
                "run the command again, which finishes or redoes it"
            ) from None

    def _send_once(self, request: urllib.request.Request) -> tuple[bytes, str]:
        url = request.full_url
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                if response.headers.get(TRUNCATED_HEADER):
                    raise _truncated(url, response.headers[TRUNCATED_HEADER])
                return body, response.headers.get_content_type()
        except urllib.error.HTTPError as exc:
            raise transient(_http_error(url, exc), exc.code in (502, 503, 504)) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise transient(self._timed_out(url)) from None
            raise transient(
                StoreError(f"cannot reach the SPARQL endpoint {url}: {exc.reason}; {CONNECT_HINT}")
            ) from None
        except TimeoutError:
            raise transient(self._timed_out(url)) from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise transient(
                StoreError(f"the SPARQL endpoint {url} broke off the answer: {exc}; {CONNECT_HINT}")
            ) from None

    def _timed_out(self, url: str) -> StoreError:
        return StoreError(
            f"the SPARQL endpoint {url} did not answer within {self.timeout:g} s; {CONNECT_HINT}, "
            "or give it a longer timeout"
        )

    def _bad_answer(self, what: str) -> StoreError:
        return StoreError(
            f"the SPARQL endpoint {self.query_url} sent {what}; check that the `store` URL names a "
            "SPARQL 1.1 endpoint (for Virtuoso: http://host:8890/sparql)"
        )


def _checked_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreError(
            f"{url!r} is not an http(s) URL; give the SPARQL endpoint as "
            "http://host:port/path (for Virtuoso: http://localhost:8890/sparql)"
        )
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp:// and turn a redirected POST into a bodiless GET;
    a moved endpoint is better reported than half-followed."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> None:
        return None


def _opener(user: str | None, password: str | None, urls: set[str]) -> urllib.request.OpenerDirector:
    """An opener that answers Digest (Virtuoso's /sparql-auth) and Basic challenges alike."""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        for url in urls:
            passwords.add_password(None, url, user, password or "")
        handlers += [
            urllib.request.HTTPDigestAuthHandler(passwords),
            urllib.request.HTTPBasicAuthHandler(passwords),
        ]
    return urllib.request.build_opener(*handlers)


RETRY_WAITS = (0.5, 1.0)


def transient(error: StoreError, yes: bool = True) -> StoreError:
    """``error``, marked as a fault that may pass (worth repeating a query for)."""
    error.transient = yes
    return error


def _http_error(url: str, exc: urllib.error.HTTPError) -> StoreError:
    try:
        detail = _first_line(exc.read())
    except OSError:
        detail = ""
    answer = f"HTTP {exc.code}" + (f": {detail}" if detail else f" {exc.reason}")
    if 300 <= exc.code < 400:
        step = f"the endpoint has moved to {exc.headers.get('Location')}; give that URL as the `store`"
    elif exc.code in (401, 403):
        step = "check the user and password, and that this user may run SPARQL updates"
    elif exc.code == 404:
        step = "check the endpoint path in the `store` URL (Virtuoso's is /sparql)"
    elif 400 <= exc.code < 500 or "SPARQL" in detail or "Error" in detail:
        step = "the endpoint refused the request; fix the query or the data it names"
    else:
        step = CONNECT_HINT
    return StoreError(f"the SPARQL endpoint {url} answered {answer}; {step}")


def _truncated(url: str, limit: str) -> StoreError:
    return StoreError(
        f"the SPARQL endpoint {url} stopped at its limit of {limit} rows (Virtuoso's ResultSetMaxRows), "
        "so the answer may be cut short; page the query with LIMIT/OFFSET below that, "
        "or raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini"
    )


def _first_line(body: bytes) -> str:
    """The gist of an error answer: its first line, or the text of an HTML error page."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        lines = [line.strip() for line in re.sub(r"<[^>]*>", "\n", text).splitlines()]
        text = " ".join(dict.fromkeys(line for line in lines if line))
    return text.splitlines()[0][:300] if text else ""


def _term(value: dict, url: str) -> Term:
    """A pyoxigraph term from one SPARQL JSON binding (W3C and Virtuoso's typed-literal)."""
    try:
        return _parse_term(value)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"the SPARQL endpoint {url} sent a term kg cannot read, {value}: {exc}; "
            "use a query that returns IRIs, blank nodes and literals only"
        ) from None


def _parse_term(value: dict) -> Term:
    kind = value.get("type")
    text = value.get("value")
    if not isinstance(text, str):
        raise ValueError("no value")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode(_blank_id(text))
    if kind in ("literal", "typed-literal"):
        return _literal(text, value.get("datatype"), value.get("xml:lang"))
    raise ValueError(f"unknown term type {kind!r}")


def _literal(text: str, datatype: str | None, language: str | None) -> ox.Literal:
    if language:
        return ox.Literal(text, language=language)
    if datatype == XSD_BOOLEAN:
        text = BOOLEAN_LEXICAL.get(text, text)
    if datatype and datatype != RDF_LANG_STRING:
        return ox.Literal(text, datatype=ox.NamedNode(datatype))
    return ox.Literal(text)


def _blank_id(label: str) -> str:
    """Virtuoso names blank nodes ``nodeID://b123``; keep only characters a label may hold."""
    label = label.removeprefix("nodeID://").removeprefix("_:")
    return re.sub(r"[^A-Za-z0-9_]", "_", label) or "b"


def _parse_triples(body: bytes, media_type: str, url: str) -> list[ox.Triple]:
    rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
    try:
        return [quad.triple for quad in ox.parse(input=body, format=rdf_format)]
    except SyntaxError as exc:
        raise StoreError(
            f"the SPARQL endpoint {url} sent {rdf_format} that does not parse: {exc}; "
            "check that the `store` URL names a SPARQL 1.1 endpoint"
        ) from None


def _chunks(groups: list[list[ox.Triple]]) -> Iterator[list[ox.Triple]]:
    """Groups packed into requests of at most CHUNK_TRIPLES triples and CHUNK_BYTES bytes;
    a group larger than that goes alone rather than be split."""
    chunk: list[ox.Triple] = []
    size = 0
    for group in groups:
        group_size = sum(len(str(triple)) + 3 for triple in group)
        if chunk and (len(chunk) + len(group) > CHUNK_TRIPLES or size + group_size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.extend(group)
        size += group_size
    if chunk:
        yield chunk


def _block(triples: list[ox.Triple], graph: str | None, blank_as_variable: bool = False) -> str:
    """Triples in SPARQL syntax, inside ``GRAPH <graph>`` when one is named.

    ``str(term)`` is N-Triples syntax, which SPARQL reads as is: the terms are pyoxigraph
    objects whose IRIs and escapes pyoxigraph has already checked, never raw user text.
    """
    render = _variable_or_term if blank_as_variable else str
    body = "\n".join(f"{render(t.subject)} {render(t.predicate)} {render(t.object)} ." for t in triples)
    if graph is None:
        return body
    return f"GRAPH {_graph(graph)} {{\n{body}\n}}"


def _variable_or_term(term: Term) -> str:
    if not isinstance(term, ox.BlankNode):
        return str(term)
    # A label may hold '-' and '.', which a variable name may not; spell them out.
    return "?b_" + re.sub(r"[^A-Za-z0-9]", lambda match: f"_{ord(match.group()):x}_", term.value)


def _block_pattern(graph: str | None) -> str:
    return "?s ?p ?o" if graph is None else f"GRAPH {_graph(graph)} {{ ?s ?p ?o }}"


def _graph(graph: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(graph)
    except ValueError:
        raise StoreError(
            f"{graph!r} is not an IRI; name the graph with an absolute IRI such as urn:kg:data"
        ) from None

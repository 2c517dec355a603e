"""A store on any SPARQL 1.1 Query and Update endpoint (Virtuoso, Fuseki, GraphDB, Neptune).

The data lives in the named graph <https://w3id.org/cbec/data>, the ontology and analysis
results in theirs; every query is sent with those three as its default graph. Values bound
with --param travel as a VALUES clause whose terms are written by Oxigraph's serializer, so
user text is never pasted into a query. Changes are computed locally on the neighbourhood of
what they touch, validated there, and sent as one update request (kg.stores.base.data_update);
imports and copies go through a staging graph moved by one ADD (``RemoteStore.add_all``).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from kg.errors import KgWarning, QueryError, StoreError
from kg.sparql import QUERY_FORMS, bind_values, query_form
from kg.stores.base import ANALYSIS_GRAPH, DATA_GRAPH, Store, data_update, neighbourhood_of
from kg.vocabulary import ONTOLOGY_GRAPH, PREFIXES, ontology_fingerprint, ontology_store

# Where an import or a copy waits before one ADD moves it into the data graph.
STAGING_PREFIX = "https://w3id.org/cbec/staging/"


class RemoteStore(Store):
    """A kg store on a SPARQL endpoint, given by its URL, or by its query URL and its update
    URL separated by a space (Oxigraph's server: ``http://host:7878/query http://host:7878/update``)."""

    def __init__(self, url: str) -> None:
        # http.client and urllib load only for an endpoint: a file store never needs them.
        from kg.stores.sparql_client import SparqlEndpoint

        urls = url.split()
        if len(urls) not in (1, 2):
            raise StoreError(
                f"'{url}' names {len(urls)} URLs; give the endpoint's URL, or its query URL and its "
                "update URL separated by a space"
            )
        self.location = url
        self.endpoint = SparqlEndpoint(urls[0], urls[-1])
        self._synced = False

    def sync(self) -> None:
        """Load this kg version's ontology into its graph once, identified by a fingerprint."""
        if self._synced:
            return
        self.drop_unfinished()
        marker = ox.Triple(
            ONTOLOGY_GRAPH,
            ox.NamedNode(PREFIXES["dcterms"] + "identifier"),
            ox.Literal(ontology_fingerprint()),
        )
        if not self.endpoint.ask(
            f"ASK {{ GRAPH {ONTOLOGY_GRAPH} {{ {marker.subject} {marker.predicate} {marker.object} }} }}"
        ):
            self.endpoint.update(f"CLEAR SILENT GRAPH {ONTOLOGY_GRAPH}")
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ontology_store()] + [marker]
            self.endpoint.insert_triples(triples, ONTOLOGY_GRAPH.value)
        self._synced = True

    def initialise(self, seed: list[ox.Triple]) -> None:
        self.sync()  # first, so that a copy a crash cut off leaves no staging graph behind
        if self.size():
            raise StoreError(f"{self.location} already holds kg data in {DATA_GRAPH}; open it as the `store`")
        self.add_all(seed)

    def triples(self) -> Iterator[ox.Triple]:
        return self.endpoint.triples(DATA_GRAPH.value)

    def size(self) -> int:
        _, rows = self.endpoint.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {DATA_GRAPH} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value)

    def query_view(self) -> RemoteView:
        self.sync()
        return RemoteView(self.endpoint)

    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        self.sync()
        return neighbourhood_of(RemotePatterns(self.endpoint), nodes)

    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:

        self.endpoint.update(data_update(removed, added, DATA_GRAPH))

    def add_all(self, triples: Iterable[ox.Triple | ox.Quad]) -> None:
        """Add ``triples`` (distinct ones) all or nothing: sent into a staging graph of their own, then moved
        into the data graph by one update (ADD), and the staging graph dropped. A crash or a
        fault leaves at most a staging graph, which the next command removes (``sync``)."""
        self.sync()
        staging = ox.NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}")
        sent = self.endpoint.insert_triples(triples, staging.value)
        # Another kg process removes staging graphs it finds (sync): had it removed part of
        # this one, the count says so, and nothing partial is moved.
        _, rows = self.endpoint.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {staging} {{ ?s ?p ?o }} }}")
        if int(rows[0]["n"].value) < sent:
            raise StoreError(
                f"{self.location}: the staging graph {staging} lost triples while they were sent (another "
                "kg command removed it); nothing was added: run the command again"
            )
        self.endpoint.update(f"ADD SILENT {staging} TO {DATA_GRAPH}")
        self.endpoint.update(f"DROP SILENT GRAPH {staging}")

    def drop_unfinished(self) -> None:
        """Remove the staging graphs of imports or copies that a crash or a fault cut off."""
        _, rows = self.endpoint.select(
            f'SELECT DISTINCT ?g {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}'
        )
        for row in rows:
            self.endpoint.update(f"DROP SILENT GRAPH {row['g']}")
            warnings.warn(
                f"{self.location}: removed {row['g']}, the staging graph of an import or copy that "
                "did not finish (cut off before its ADD, the data graph holds none of it; after, all)",
                KgWarning,
                stacklevel=2,
            )

    def load_analysis(self) -> list[ox.Triple]:
        return list(self.endpoint.triples(ANALYSIS_GRAPH.value))

    def save_analysis(self, triples: list[ox.Triple]) -> None:
        self.endpoint.update(f"CLEAR SILENT GRAPH {ANALYSIS_GRAPH}")
        self.endpoint.insert_triples(triples, ANALYSIS_GRAPH.value)


class RemotePatterns:
    """quads_for_pattern over the endpoint's data graph, for neighbourhood_of."""

    def __init__(self, endpoint) -> None:
        self.endpoint = endpoint

    def quads_for_pattern(self, subject, predicate, obj, graph=None) -> list[ox.Quad]:
        if any(isinstance(t, ox.BlankNode) for t in (subject, obj)):
            return []  # a blank node in a pattern stands for any node; `describe` fetches them
        terms = {"s": subject, "p": predicate, "o": obj}
        pattern = " ".join(str(t) if t is not None else f"?{k}" for k, t in terms.items())
        construct = f"CONSTRUCT {{ {pattern} }} WHERE {{ GRAPH {DATA_GRAPH} {{ {pattern} }} }}"
        return [ox.Quad(t.subject, t.predicate, t.object) for t in self.endpoint.construct(construct)]

    def describe(self, subject: ox.NamedNode | ox.BlankNode) -> list[ox.Quad]:
        """The subject's triples and those of the blank nodes under it, BLANK_DEPTH levels deep,
        in one answer: a blank node cannot be named in a later request."""
        if isinstance(subject, ox.BlankNode):
            return []
        levels = ["?s0 ?p0 ?o0 ."] + [f"?o{i - 1} ?p{i} ?o{i} ." for i in range(1, BLANK_DEPTH + 1)]
        where = ""
        for i in range(BLANK_DEPTH, 0, -1):
            where = f"OPTIONAL {{ FILTER(isBlank(?o{i - 1})) ?o{i - 1} ?p{i} ?o{i} {where} }}"
        construct = (
            f"CONSTRUCT {{ {' '.join(levels)} }} WHERE {{ GRAPH {DATA_GRAPH} {{ "
            f"?s0 ?p0 ?o0 {where} }} VALUES ?s0 {{ {subject} }} }}"
        )
        return [ox.Quad(t.subject, t.predicate, t.object) for t in self.endpoint.construct(construct)]


# How deep blank nodes under an entity are fetched and removed with it on an endpoint.
BLANK_DEPTH = 4


class RemoteView:
    """Oxigraph's ``query`` signature over the endpoint: data, ontology and results as one graph."""

    def __init__(self, endpoint) -> None:
        self.endpoint = endpoint

    def query(self, text, prefixes=None, use_default_graph_as_union=False, substitutions=None, **_):
        graphs = [DATA_GRAPH.value, ONTOLOGY_GRAPH.value, ANALYSIS_GRAPH.value]
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or {}).items())
        full = prologue + bind_values(text, substitutions or {})
        form = query_form(text)
        if form not in QUERY_FORMS:
            raise QueryError(f"only queries run through the query view, not a {form or 'malformed'} request")
        if form == "ASK":
            return self.endpoint.ask(full, default_graphs=graphs, named_graphs=graphs)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self.endpoint.construct(full, default_graphs=graphs, named_graphs=graphs)
        names, rows = self.endpoint.select(full, default_graphs=graphs, named_graphs=graphs)
        return Solutions(names, rows)


class Solutions:
    """SELECT results shaped like pyoxigraph's QuerySolutions."""

    def __init__(self, names: list[str], rows: list[dict]) -> None:
        self.variables = [ox.Variable(n) for n in names]
        self._rows = [Solution(names, row) for row in rows]

    def __iter__(self):
        return iter(self._rows)


class Solution:
    def __init__(self, names: list[str], row: dict) -> None:
        self._names = names
        self._values = [row.get(n) for n in names]

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._values[key]
        name = key.value if isinstance(key, ox.Variable) else key
        return self._values[self._names.index(name)] if name in self._names else None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

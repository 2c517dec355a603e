"""The store interface: where the graph lives, and the one path by which it changes.

Reads go through ``query_view()``, something with Oxigraph's ``query`` method that sees the
data, the ontology and the analysis results. Every edit takes one path, ``write``: lock, fetch
the neighbourhood of the nodes it touches, change that copy, validate what changed, then apply
the difference atomically. Imports (kg/transfer.py) validate their staging graph before merging.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import pyoxigraph as ox

from kg.errors import StoreError
from kg.validation import Report, check_change, vocabulary_problems
from kg.vocabulary import PREFIXES, RDF_TYPE

T = TypeVar("T")
ANALYSIS_GRAPH = ox.NamedNode("https://w3id.org/cbec/analysis")
DATA_GRAPH = ox.NamedNode("https://w3id.org/cbec/data")


class Store(ABC):
    """A graph kg can read and change."""

    location: str
    read_only: bool = False

    @abstractmethod
    def triples(self) -> Iterator[ox.Triple]:
        """Every triple of the data (not the ontology, not analysis results)."""

    @abstractmethod
    def query_view(self):
        """An object with Oxigraph's ``query`` signature over data, ontology and results."""

    @abstractmethod
    def neighbourhood(self, nodes: Sequence[ox.NamedNode]) -> ox.Store:
        """An in-memory copy holding all a change to ``nodes`` needs to see and validate."""

    @abstractmethod
    def apply(self, added: set[ox.Quad], removed: set[ox.Quad], changed: ox.Store) -> None:
        """Persist a validated difference atomically (``changed`` is the changed copy)."""

    @abstractmethod
    def load_analysis(self) -> list[ox.Triple]:
        """The stored analysis results (see kg/analysis/results.py); empty when there are none."""

    @abstractmethod
    def save_analysis(self, triples: list[ox.Triple]) -> None:
        """Replace every stored analysis result by ``triples``."""

    def size(self) -> int:
        """How many data triples the store holds."""
        return sum(1 for _ in self.triples())

    def check(self) -> str:
        """Read the whole store back; damage raises a StoreError naming it."""
        return f"{self.location}: {self.size()} triples read back; no damage found"

    def snapshot(self) -> ox.Store:
        """The whole data graph in memory, to read and never to change."""
        return self.load()

    def load(self) -> ox.Store:
        """The whole data graph as an in-memory copy the caller may change."""
        graph = ox.Store()
        graph.extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.triples())
        return graph

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held while a change is read, validated and applied."""
        yield

    def write(self, change: Callable[[ox.Store], T], scope: Sequence[ox.NamedNode] = ()) -> T:
        """Apply ``change`` to the neighbourhood of ``scope``, validate it, persist the difference."""
        self.check_writable()
        with self.locked():
            graph = self.neighbourhood(list(scope))
            before = set(graph)
            result = change(graph)
            after = set(graph)
            if before != after:
                added, removed = after - before, before - after
                check_change(graph, added=added, removed=removed)
                self.apply(added, removed, graph)
        return result

    def replace_analysis(self, command: str, triples: list[ox.Triple]) -> None:
        """Replace the results of one analysis command by ``triples``."""
        self.check_writable()
        report = Report(vocabulary_problems(triples))
        if not report.conforms:
            raise StoreError("analysis results use unknown terms; nothing was written:\n" + report.text())
        with self.locked():
            results = ox.Store()
            results.extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.load_analysis())
            old = results.query(
                "SELECT DISTINCT ?c ?x { ?run cbec:command ?c . "
                "{ ?run a cbec:AnalysisRun BIND(?run AS ?x) } UNION { ?x prov:wasGeneratedBy ?run } }",
                prefixes=PREFIXES,
                substitutions={ox.Variable("c"): ox.Literal(command)},
            )
            for row in list(old):
                for quad in list(results.quads_for_pattern(row["x"], None, None)):
                    results.remove(quad)
            results.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            self.save_analysis([ox.Triple(q.subject, q.predicate, q.object) for q in results])

    def check_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"{self.location} is the dataset bundled inside the installed package and is "
                "read-only; make your own copy with `kg init my-store.ttl` (kg.init_store in Python) "
                "and open that one as the `store` (or KG_STORE)"
            )


def neighbourhood_of(source, nodes: Sequence[ox.NamedNode]) -> ox.Store:
    """What a change to ``nodes`` needs: their triples and the triples pointing at them, the
    full description of every node in those triples (statements, claims, neighbours) and the
    types of everything those descriptions mention, so that shapes can check classes."""
    graph = ox.Store()
    default = ox.DefaultGraph()

    def describe(subject) -> list[ox.Quad]:
        """The subject's triples and those of the blank nodes it points at, to any depth."""
        if hasattr(source, "describe"):
            return source.describe(subject)
        found, pending, seen = [], [subject], set()
        while pending:
            for quad in source.quads_for_pattern(pending.pop(), None, None, default):
                found.append(quad)
                if isinstance(quad.object, ox.BlankNode) and quad.object not in seen:
                    seen.add(quad.object)
                    pending.append(quad.object)
        return found

    first = {q for n in nodes for q in describe(n)}
    first |= {q for n in nodes for q in source.quads_for_pattern(None, None, n, default)}
    described = {q.subject for q in first} | {q.object for q in first if isinstance(q.object, ox.NamedNode)}
    # A neighbour's shapes look at the statement nodes of its own links too.
    stated_by = ox.NamedNode(PREFIXES["cbec"] + "subject")
    described |= {
        q.subject
        for d in list(described)
        if isinstance(d, ox.NamedNode)
        for q in source.quads_for_pattern(None, stated_by, d, default)
    }
    full = {q for subject in described for q in describe(subject)}
    mentioned = {q.object for q in full if isinstance(q.object, ox.NamedNode)} - described
    types = {q for m in mentioned for q in source.quads_for_pattern(m, RDF_TYPE, None, default)}
    graph.extend(ox.Quad(q.subject, q.predicate, q.object) for q in first | full | types)
    return graph


def data_update(
    removed: Iterable[ox.Quad], added: Iterable[ox.Quad], graph: ox.NamedNode | None = None
) -> str:
    """One SPARQL update for a change, terms written by Oxigraph's own serializer.

    SPARQL forbids blank nodes in DELETE DATA, and a blank node in a pattern stands for any
    node: so the removed triples with blank nodes go by DELETE ... WHERE, each blank node a
    variable, the WHERE naming every removed triple of the node, so it matches that node's
    structure only (one DELETE ... WHERE per group of triples that share blank nodes: in one
    pattern, a structure already gone would keep the others from matching)."""

    def block(triples: list[ox.Triple]) -> str:
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8") if triples else ""
        return f"GRAPH {graph} {{ {body} }}" if graph is not None else body

    plain, linked = split_blank(removed)
    parts = []
    if plain:
        parts.append(f"DELETE DATA {{ {block([g[0] for g in plain])} }}")
    for group in linked:
        template, where = pattern_block(group, graph)
        parts.append(f"DELETE {{ {template} }} WHERE {{ {where} }}")
    plain, linked = split_blank(added)
    if plain:
        parts.append(f"INSERT DATA {{ {block([g[0] for g in plain])} }}")
    if linked:
        # Virtuoso refuses blank nodes in INSERT DATA; in a template each label is one new node.
        parts.append(f"INSERT {{ {block([t for g in linked for t in g])} }} WHERE {{}}")
    return " ;\n".join(parts) or "INSERT DATA { }"


def split_blank(
    triples: Iterable[ox.Triple | ox.Quad],
) -> tuple[list[list[ox.Triple]], list[list[ox.Triple]]]:
    """One-triple groups without blank nodes, and the triples with blank nodes grouped so
    that triples sharing a blank node (directly or through others) are in one group."""
    plain: list[list[ox.Triple]] = []
    groups: dict[str, list[ox.Triple]] = {}
    for item in triples:
        triple = item.triple if isinstance(item, ox.Quad) else item
        blanks = [term.value for term in (triple.subject, triple.object) if isinstance(term, ox.BlankNode)]
        if not blanks:
            plain.append([triple])
            continue
        group = [triple]
        for label in blanks:
            other = groups.get(label)
            if other is not None and other is not group:
                group = merge_groups(other, group, groups)
        for label in blanks:
            groups[label] = group
    unique = {id(group): group for group in groups.values()}
    return plain, list(unique.values())


def merge_groups(
    into: list[ox.Triple], group: list[ox.Triple], groups: dict[str, list[ox.Triple]]
) -> list[ox.Triple]:
    into.extend(group)
    for label, known in groups.items():
        if known is group:
            groups[label] = into
    return into


def pattern_block(triples: list[ox.Triple], graph: ox.NamedNode | None) -> tuple[str, str]:
    """Triples as a DELETE template and its WHERE pattern: every blank node a variable (?b0,
    ?b1 ...) that the pattern holds to blank nodes, every other term as N-Triples writes it."""
    names: dict[str, str] = {}

    def term(t) -> str:
        if isinstance(t, ox.BlankNode):
            return names.setdefault(t.value, f"?b{len(names)}")
        return str(t)

    body = " ".join(f"{term(t.subject)} {term(t.predicate)} {term(t.object)} ." for t in triples)
    # A variable would match an IRI too: another entity's triple of the same shape.
    where = body + "".join(f" FILTER(isBlank({v}))" for v in names.values())

    def graphed(text: str) -> str:
        return f"GRAPH {graph} {{ {text} }}" if graph is not None else text

    return graphed(body), graphed(where)

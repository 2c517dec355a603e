"""The Python face of kg: open a store, ask it questions, change it.

    import kg
    with kg.open("my-store.ttl") as g:
        g.query("dependencies-of", participant="cbr:mi-tao").rows
        g.chokepoints(chain="logistics")

Names may be written compact (``cbr:tmall-global``, ``cbec:Platform``) or as full IRIs, and
chains short (``logistics``) wherever a name is taken. The command line is a thin layer over
this class: each command is one of its methods, printed.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from kg.analysis.centrality import Centrality, centrality
from kg.analysis.chokepoints import KINDS, Findings, chokepoints
from kg.analysis.network import Filters, chain_of, project
from kg.analysis.results import finding_triples, outcome_triples, run_triples, score_triples
from kg.analysis.scenarios import Scenario, damaged_by, scenario, scenarios
from kg.analysis.simulation import DEFAULT_THRESHOLD, Simulation, World, shock_of, simulate, sweep
from kg.edits import (
    EditResult,
    EntitySpec,
    LinkSpec,
    SourceSpec,
    add_entity,
    add_link,
    add_source,
    remove_entity,
    remove_link,
)
from kg.errors import KgError, KgWarning
from kg.lookup import index, labelled_description, labels, query_warnings, relabelled, resolve
from kg.queries import (
    QUERY_THREAD,
    QueryResult,
    describe,
    find_query,
    param_value,
    parse_param,
    run_query_text,
    stats,
)
from kg.resources import bundled_dataset
from kg.stores import Store, open_store
from kg.transfer import export_graph, import_files
from kg.validation import Report, validate_store
from kg.views.export import export_views
from kg.vocabulary import XSD, compact, date_literal, level, plain_value

if TYPE_CHECKING:
    import networkx as nx
    import pandas

T = TypeVar("T")


@dataclass
class Result:
    """A query's answer: ``rows`` as dicts of plain Python values (IRIs as strings, numbers,
    dates), ``boolean`` for ASK, ``triples`` for CONSTRUCT and DESCRIBE; ``warnings`` for
    names in the query or its parameters that match nothing (each also a ``KgWarning``)."""

    answer: QueryResult
    warnings: list[str] = field(default_factory=list)

    @property
    def variables(self) -> list[str]:
        return self.answer.variables

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.plain_rows()

    def plain_rows(self, compact_iris: bool = False) -> list[dict[str, Any]]:
        """The rows as dicts; ``compact_iris`` writes IRIs as ``cbr:mia`` rather than in full."""

        def plain(term):
            return compact(term) if compact_iris and isinstance(term, ox.NamedNode) else plain_value(term)

        return [
            {v: plain(term) for v, term in zip(self.variables, row, strict=True)} for row in self.answer.rows
        ]

    @property
    def boolean(self) -> bool | None:
        return self.answer.boolean

    @property
    def triples(self) -> list[ox.Triple] | None:
        return self.answer.triples

    def render(self, fmt: str = "table") -> str:
        """The answer as ``kg query`` prints it: table, csv, tsv or json."""
        return self.answer.render(fmt)

    def to_pandas(self, compact_iris: bool = False) -> pandas.DataFrame:
        """The rows as a DataFrame, one column per variable (needs the ``kg[pandas]`` extra);
        ``compact_iris`` as in ``plain_rows``."""
        try:
            import pandas
        except ImportError:
            raise KgError("to_pandas needs pandas: pip install 'kg[pandas]'") from None
        return pandas.DataFrame(self.plain_rows(compact_iris), columns=self.variables)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.answer.rows)


def today() -> str:
    return datetime.date.today().isoformat()


class KnowledgeGraph:
    """A kg store opened for reading, analysis and validated change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._calls = 0  # public calls under way (see ``releasing``)
        # Projections kept while one command runs several analyses (see ``sharing``).
        self._projections: dict[tuple, nx.MultiDiGraph] | None = None

    def _changed(self, result: T) -> T:
        """A write's result, after the shared projections it made stale are dropped."""
        if self._projections:
            self._projections.clear()
        return result

    @contextlib.contextmanager
    def sharing(self) -> Iterator[KnowledgeGraph]:
        """Within the block, analyses of the same world share one projection of the store,
        which they only read; outside it every call projects the store as it is then."""
        outer = self._projections
        self._projections = {} if outer is None else outer
        try:
            yield self
        finally:
            self._projections = outer
            if outer is None and not self._calls:
                self.close()

    @property
    def location(self) -> str:
        return self.store.location

    def close(self) -> None:
        """Let the store go at once (an Oxigraph database's lock is released)."""
        closer = getattr(self.store, "close", None)
        if closer is not None:
            closer()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<kg.KnowledgeGraph {self.location}>"

    # ------------------------------------------------------------ reading

    def query(
        self,
        query: str,
        *,
        update: bool = False,
        params: Sequence[str] = (),
        lang: str | None = None,
        timeout: float | None = None,
        **bindings: Any,
    ) -> Result:
        """Run a bundled query (by name), a ``.rq`` file or SPARQL text, binding any of its
        variables: ``participant="cbr:mi-tao"`` (numbers and dates as Python values or text), or
        ``params=["participant=cbr:mi-tao"]`` as the command line writes them. Updates run only
        with ``update``.

        With ``lang`` (``"zh"``), label columns hold labels in that language where the entity
        has one: a column ``label`` the label of the nearest IRI to its left in the row, a
        column ``xLabel`` that of column ``x``. An IRI bound or written in the query that
        names nothing in the store gives a warning naming the closest known term.

        ``timeout``: seconds the query may run (default KG_QUERY_TIMEOUT, else 60; 0: no
        limit), past which it raises ``kg.QueryTimeoutError``."""
        bindings = {name: binding(value) for name, value in bindings.items()}
        bindings.update(parse_param(text) for text in params)
        answer = run_query_text(self.store, query, bindings, allow_update=update, timeout=timeout)
        if isinstance(answer, str):  # an update ran: shared projections are stale
            self._changed(answer)
        # Only a query that ran gets warnings: a refused one has its error to say.
        found = query_warnings(self.store, find_query(query).text, bindings)
        for line in found:
            warnings.warn(line, KgWarning, stacklevel=2)
        if isinstance(answer, str):
            return Result(QueryResult(["result"], [[ox.Literal(answer)]]), found)
        if lang is not None:
            answer = relabelled(answer, labels(self.store, lang))
        return Result(answer, found)

    def describe(self, name: str, lang: str | None = None) -> dict:
        """What the store says about one entity: its facts and its links in and out. ``name``
        is an IRI, a prefixed name or the entity's label (English, Chinese or alternative);
        with ``lang`` the entity and its link ends carry their labels in that language."""
        description = describe(self.store, resolve(self.store, name))
        return labelled_description(description, labels(self.store, lang)) if lang else description

    def search(self, text: str, klass: str | None = None, limit: int | None = 20) -> list[dict]:
        """Entities whose label (English or Chinese), alternative label or id matches ``text``,
        best first: exact, prefix, word prefix, substring, then fuzzy; case, spaces and hyphens
        aside. Each has its ``iri``, ``label``, ``label_zh``, ``class`` (most specific),
        ``series`` and the name it ``matched`` by; ``klass`` keeps those of that class or its
        subclasses; ``limit`` 0 or None lists all."""
        return index(self.store).search(text, klass, limit)

    def nearest(self, text: str) -> dict | None:
        """The entity whose name is nearest to ``text`` of any class, however loosely (the "did
        you mean" of a search that found nothing), or None."""
        return index(self.store).nearest(text)

    def labels(self, lang: str = "en") -> dict[str, str]:
        """Every labelled IRI's label in ``lang``, falling back to English."""
        return {iri: text.value for iri, text in labels(self.store, lang).items()}

    def stats(self) -> dict:
        """Triples, entities by class, links by chain, claims, sources, queries, scenarios."""
        return stats(self.store)

    def validate(self, engine: str = "kg") -> Report:
        """SHACL shapes plus the vocabulary check over the whole store."""
        return validate_store(self.store, engine)

    def scenarios(self) -> list[Scenario]:
        """The named shocks the store keeps as data (``cbec:Scenario``)."""
        return scenarios(self.store.query_view())

    # ------------------------------------------------------------ analysis

    def network(
        self, as_of: str | datetime.date | None = None, chain: str | None = None, min_confidence: str = "low"
    ) -> nx.MultiDiGraph:
        """The store as a MultiDiGraph of the world on ``as_of`` (default today), optionally one
        chain only (``logistics``, ``cbec:LogisticsChain``) and links of at least ``min_confidence``."""
        day = date_literal(day_of(as_of or today()), "`as_of`").value
        confidence = level(min_confidence, "`min_confidence`").value.rsplit("#", 1)[-1]
        name = chain_of(chain)
        key = (day, confidence, name)
        if self._projections is not None and key in self._projections:
            return self._projections[key]
        filters = Filters(chains=frozenset({name}) if name else None, as_of=day, min_confidence=confidence)
        net = project(self.store.query_view(), filters)
        net.graph["chain"] = name
        if self._projections is not None:
            self._projections[key] = net
        return net

    def centrality(
        self,
        as_of: str | datetime.date | None = None,
        chain: str | None = None,
        min_confidence: str = "low",
        engine: str = "auto",
        write: bool = False,
    ) -> Centrality:
        """PageRank, betweenness, harmonic closeness, Katz and weighted degrees on dependencies;
        ``write`` keeps the scores in the store as an analysis run."""
        net = self.network(as_of, chain, min_confidence)
        result = centrality(net, engine)
        result.net = net
        if write:
            params = {"chain": chain, "as_of": net.graph["as_of"], "min_confidence": min_confidence}
            run, triples = run_triples("centrality", params, net.graph["as_of"])
            self.store.replace_analysis("centrality", triples + score_triples(run, result.scores))
        return result

    def chokepoints(
        self,
        chain: str | None = None,
        as_of: str | datetime.date | None = None,
        sources: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
        threshold: float | None = None,
        samples: int = 0,
        seed: int = 0,
        kinds: Sequence[str] | None = None,
        min_confidence: str = "low",
        write: bool = False,
    ) -> Findings:
        """Failure impacts first (who falls if each node fails), then dominators, articulation
        points, bridges, single sources and, with ``sources`` and ``targets``, the node cut.
        ``samples`` draws the weights within their confidence to give each impact a probability."""
        unknown = sorted(set(kinds or ()) - set(KINDS))
        if unknown:
            raise KgError(f"`kinds` {', '.join(unknown)} unknown; choose from {', '.join(KINDS)}")
        net = self.network(as_of, chain, min_confidence)
        findings = chokepoints(
            net,
            list(sources or []),
            list(targets or []),
            chain=net.graph["chain"],
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
            samples=samples,
            seed=seed,
            impacts=not kinds or "impact" in kinds,
        )
        if kinds:
            findings[:] = [f for f in findings if f.kind in kinds]
        findings.net = net
        if write:
            params = {
                "from": list(sources or []),
                "to": list(targets or []),
                "chain": chain,
                "samples": samples,
                "seed": seed,
                "min_confidence": min_confidence,
                "as_of": net.graph["as_of"],
            }
            run, triples = run_triples("chokepoints", params, net.graph["as_of"])
            self.store.replace_analysis("chokepoints", triples + finding_triples(run, findings))
        return findings

    def shock(
        self,
        remove: Sequence[str] = (),
        policies: Sequence[str] = (),
        close: Sequence[str] = (),
        scenario: str | None = None,
        as_of: str | datetime.date | None = None,
        min_confidence: str = "low",
    ) -> Shocked:
        """The network of the shock's date and what the shock names (a scenario's names added)."""
        remove, policies, close, damaged = list(remove), list(policies), list(close), {}
        named = None
        if scenario:
            named = self.scenario(scenario)
            remove, policies, close = remove + named.removes, policies + named.policies, close + named.closes
            as_of = as_of or named.as_of
        net = self.network(as_of, None, min_confidence)
        if named:
            damaged = damaged_by(net, named)
        return Shocked(net, remove, policies, close, damaged)

    def scenario(self, name: str) -> Scenario:
        """One named scenario of the store (``cbr:april-2016-reform`` or ``april-2016-reform``)."""
        return scenario(self.store.query_view(), name)

    def simulate(
        self,
        remove: Sequence[str] = (),
        policies: Sequence[str] = (),
        close: Sequence[str] = (),
        scenario: str | None = None,
        as_of: str | datetime.date | None = None,
        threshold: float | None = None,
        samples: int = 0,
        seed: int = 0,
        threshold_range: tuple[float, float] | str | None = None,
        min_confidence: str = "low",
        write: bool = False,
    ) -> Simulation:
        """A shock on the world of ``as_of`` (a scenario's own date by default): ``remove``
        takes participants out (or repeals a policy), ``policies`` applies policies in force,
        ``close`` closes a regulator. Returns the rounds of failures with their causes, who
        stands and why, and with ``samples`` how likely each outcome is."""
        shocked = self.shock(remove, policies, close, scenario, as_of, min_confidence)
        level_ = DEFAULT_THRESHOLD if threshold is None else threshold
        result = simulate(
            shocked.net,
            shocked.remove,
            shocked.policies,
            shocked.close,
            shocked.damaged,
            threshold=level_,
            samples=samples,
            seed=seed,
            threshold_range=value_range(threshold_range, 2, "threshold_range"),
        )
        result.net = shocked.net
        if write:
            params = {
                "remove": shocked.remove,
                "policy": shocked.policies,
                "close": shocked.close,
                "scenario": scenario,
                "threshold": level_,
                "samples": samples,
                "seed": seed,
                "as_of": result.as_of,
                "min_confidence": min_confidence,
            }
            run, triples = run_triples("simulate", params, result.as_of)
            self.store.replace_analysis("simulate", triples + outcome_triples(run, result))
        return result

    def sweep(
        self,
        thresholds: tuple[float, float, float] | str,
        remove: Sequence[str] = (),
        policies: Sequence[str] = (),
        close: Sequence[str] = (),
        scenario: str | None = None,
        as_of: str | datetime.date | None = None,
        min_confidence: str = "low",
    ) -> Sweep:
        """Who fails under the shock at each threshold from LO to HI by STEP."""
        low, high, step = value_range(thresholds, 3, "thresholds")
        shocked = self.shock(remove, policies, close, scenario, as_of, min_confidence)
        world = World.of(shocked.net)
        shock = shock_of(
            shocked.net, world, shocked.remove, shocked.policies, shocked.close, shocked.damaged
        )[0]
        return Sweep(shocked.net, sweep(world, shock, low, high, step))

    # ------------------------------------------------------------ changing

    def add_entity(
        self,
        iri: str,
        type: str | Sequence[str],
        label: str,
        source: str | Sequence[str],
        label_zh: str | None = None,
        comment: str | None = None,
        series: str | None = None,
        status: str | None = None,
        exit_date: str | None = None,
        founded: str | None = None,
        launched: str | None = None,
    ) -> EditResult:
        """Add an entity, validated before it is written; identical facts are not repeated."""
        spec = EntitySpec(
            iri, names(type), label, names(source), label_zh, comment, series, status,
            exit_date, founded, launched,
        )  # fmt: skip
        return self._changed(add_entity(self.store, spec))

    def add_link(
        self,
        subject: str,
        predicate: str,
        object: str,
        source: str | Sequence[str],
        confidence: str,
        weight: float | str | None = None,
        criticality: str | None = None,
        chain: str | None = None,
        paragraph: int | None = None,
        rationale: str | None = None,
        start: str | None = None,
        end: str | None = None,
        comment: str | None = None,
    ) -> EditResult:
        """State a link of the industry chain with its sources, confidence and (for a
        dependency) weight and criticality, validated before it is written."""
        spec = LinkSpec(
            subject, predicate, object, names(source), confidence,
            None if weight is None else str(weight), criticality, chain, paragraph, rationale,
            start, end, comment,
        )  # fmt: skip
        return self._changed(add_link(self.store, spec))

    def add_source(
        self,
        iri: str,
        title: str,
        url: str | None = None,
        date: str | None = None,
        publisher: str | None = None,
    ) -> EditResult:
        """Add a document later facts can cite as their ``source``."""
        return self._changed(add_source(self.store, SourceSpec(iri, title, url, date, publisher)))

    def remove_link(self, subject: str, predicate: str, object: str) -> EditResult:
        """Remove one link with its statements."""
        return self._changed(remove_link(self.store, subject, predicate, object))

    def remove_entity(self, iri: str) -> EditResult:
        """Remove an entity with every link and statement it takes part in."""
        return self._changed(remove_entity(self.store, iri))

    # ------------------------------------------------------------ views

    def exports_folder(self) -> Path | None:
        """Where the views of this store go by default: ``exports/`` beside a store file or
        database (beside the repository's ``data/`` for the bundled dataset of a checkout); None
        for the dataset inside an installed package or a SPARQL endpoint, which have no folder
        of the user's."""
        path = getattr(self.store, "path", None)
        if path is None or self.store.read_only:
            return None
        folder = Path(path).resolve().parent
        if Path(path).resolve() == bundled_dataset().resolve():
            folder = folder.parent
        return folder / "exports"

    def export_views(
        self, out: str | Path | None = None, views: Sequence[str] | None = None, force: bool = False
    ) -> list[Path]:
        """Write the offline HTML views into ``out`` (default: ``exports_folder()``); returns
        the files written."""
        folder = Path(out) if out else self.exports_folder()
        if folder is None:
            raise KgError(f"{self.location} has no folder of yours to put views in; give a folder as `out`")
        return export_views(self.store, folder, list(views) if views else None, force)

    # ------------------------------------------------------------ files

    def export(
        self,
        fmt: str,
        out: Path | str | None = None,
        force: bool = False,
        as_of: str | datetime.date | None = None,
    ) -> bytes | list[Path]:
        """The graph as ttl, nt, jsonld, graphml, gexf or csv: written to ``out`` (the files
        written are returned), else returned as bytes. GraphML and GEXF carry the analysis of
        ``as_of`` (default today) on every node."""
        day = day_of(as_of) if as_of else None
        return export_graph(self.store, fmt, Path(out) if out else None, force=force, as_of=day)

    def import_files(self, paths: Sequence[Path | str], progress: Callable[[int], None] | None = None):
        """Import Turtle, N-Triples, N-Quads, JSON-LD, RDF/XML or CSV files: all or nothing."""
        return self._changed(import_files(self.store, [Path(p) for p in paths], progress=progress))

    def check(self) -> str:
        """Read the whole store back; damage raises a StoreError naming it."""
        return self.store.check()


def releasing(method: Callable) -> Callable:
    """``method``, after which an Oxigraph database is let go: RocksDB lets one process hold it,
    and a notebook that keeps a KnowledgeGraph must not lock out the `kg` commands run beside
    it until garbage collection. Calls within calls let it go once, at the outermost."""

    @functools.wraps(method)
    def call(self: KnowledgeGraph, *args: Any, **kwargs: Any) -> Any:
        self._calls += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self._calls -= 1
            if not self._calls and self._projections is None and not queries_running():
                self.close()

    return call


def queries_running() -> bool:
    """Whether a query abandoned at its time limit still runs on the database: closing would
    only make the next call open a second handle, which RocksDB refuses to the same process."""
    return any(t.name == QUERY_THREAD and t.is_alive() for t in threading.enumerate())


for _name, _method in list(vars(KnowledgeGraph).items()):
    if callable(_method) and not _name.startswith("_") and _name not in ("close", "sharing"):
        setattr(KnowledgeGraph, _name, releasing(_method))


@dataclass
class Shocked:
    """A shock made ready: the network of its date and the nodes it names."""

    net: nx.MultiDiGraph
    remove: list[str]
    policies: list[str]
    close: list[str]
    damaged: dict[str, float]


@dataclass
class Sweep:
    """Who fails at each threshold, on the network of the shock's date."""

    net: nx.MultiDiGraph
    rows: list[tuple[float, list[str]]]

    @property
    def as_of(self) -> str:
        return self.net.graph["as_of"]


def open(store: str | Path | None = None) -> KnowledgeGraph:  # noqa: A001 - kg.open is the API's name
    """Open a store: ``PATH.ttl``, ``oxigraph:PATH``, ``http(s)://`` SPARQL endpoint, or None
    for $KG_STORE, else the bundled dataset (read-only inside an installed package)."""
    return KnowledgeGraph(open_store(store))


def day_of(value: str | datetime.date) -> str:
    """A date as kg reads it (YYYY-MM-DD, YYYY-MM or YYYY); a datetime counts by its day."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def names(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def binding(value: Any) -> ox.NamedNode | ox.Literal:
    """A Python value as the RDF term a query parameter binds."""
    if isinstance(value, (ox.NamedNode, ox.Literal)):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(value)
    if isinstance(value, float):
        # As xsd:decimal, the type kg stores weights and shares in, so that 0.5 matches them.
        return param_value(format(Decimal(repr(value)), "f"))
    if isinstance(value, datetime.date):
        return date_literal(day_of(value), "date parameter")
    return param_value(str(value))


def value_range(value, parts: int, what: str) -> tuple[float, ...] | None:
    """LO:HI or LO:HI:STEP, as text or numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            numbers = tuple(float(v) for v in value.split(":"))
        except ValueError:
            numbers = ()
    else:
        numbers = tuple(float(v) for v in value)
    if len(numbers) != parts:
        shape, example = ("LO:HI", "0.3:0.7") if parts == 2 else ("LO:HI:STEP", "0.3:0.7:0.1")
        raise KgError(f"`{what}` '{value}' must be {shape}, e.g. {example}")
    return numbers

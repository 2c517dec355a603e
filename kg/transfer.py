"""Whole graphs in and out: import files, export formats, copy between backends.

Nothing is written unless every file parses and validates: each is parsed into a staging
graph first (on disk for the Oxigraph backend, so a million triples need bounded memory),
checked against the vocabulary and the shapes, and only then merged. A bad file changes
nothing and its line is named. The merge is all or nothing on every backend: into a Turtle
store one atomic rename; into Oxigraph a journal committed by a rename, then replayed
(OxigraphStore.add_all); into an endpoint a staging graph moved by one ADD (RemoteStore.add_all).
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.analysis.centrality import centrality
from kg.analysis.chokepoints import chokepoints
from kg.analysis.network import Filters, day, project
from kg.edits import EntitySpec, LinkSpec, entity_triples, link_statement_triples, placed_statement
from kg.errors import KgError, ParseError, StoreError, TermError, ValidationError
from kg.formats import csv_text
from kg.jsonld import check_jsonld
from kg.limits import MAX_LITERAL, check_file
from kg.queries import query_graph
from kg.stores import OxigraphStore, Store, TurtleStore, init_store, open_store
from kg.stores.base import neighbourhood_of
from kg.stores.files import atomic_write, check_target, serialize_turtle
from kg.validation import Problem, Report, graph_vocabulary_problems, shape_problems
from kg.validation.checks import too_long
from kg.vocabulary import CBR, SLUG, checked_iri, compact, date_literal, node, with_ontology

if TYPE_CHECKING:
    import networkx as nx

RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
ENTITY_COLUMNS = ("id", "type", "label", "source")
LINK_COLUMNS = ("subject", "predicate", "object", "confidence", "source")
Progress = Callable[[int], None]
# Where an import's staging graph keeps the store's own neighbourhood of the imported nodes.
CONTEXT = ox.NamedNode("https://w3id.org/cbec/import-context")


@dataclass(frozen=True)
class ImportResult:
    files: int
    triples: int
    new: int
    # Seconds spent in each step (parse, iris, vocabulary, neighbourhood, shapes, merge).
    seconds: dict[str, float] = field(default_factory=dict, compare=False)

    def text(self) -> str:
        return f"imported {self.files} file(s): {self.triples} triples read, {self.new} new"


# ---------------------------------------------------------------- import


def import_files(store: Store, paths: list[Path], progress: Progress | None = None) -> ImportResult:
    """Parse, check and merge ``paths`` into ``store``: all of them or nothing."""
    store.check_writable()
    # ignore_cleanup_errors: after an unexpected error the staging database may still be open.
    with tempfile.TemporaryDirectory(prefix="kg-import-", ignore_cleanup_errors=True) as folder:
        on_disk = stages_on_disk(store, paths)
        staging = ox.Store(folder) if on_disk else ox.Store()
        try:
            return staged_import(store, staging, paths, progress, on_disk)
        except KgError as exc:
            # The traceback's frames hold the staging database open, and RocksDB keeps writing
            # into its folder until it is closed: let it go before the folder is removed.
            raise exc.with_traceback(None) from None
        finally:
            del staging


# In memory the checks run about three times faster than on RocksDB, at about 360 bytes a
# triple; above this much input (some 1.5M triples of Turtle, 0.5M of N-Triples) an import
# into Oxigraph stages on disk, so that memory stays bounded whatever the size.
STAGE_IN_MEMORY_BYTES = 48 << 20


def stages_on_disk(store: Store, paths: list[Path]) -> bool:
    if not isinstance(store, OxigraphStore):
        return False
    return sum(Path(p).stat().st_size for p in paths if Path(p).is_file()) > STAGE_IN_MEMORY_BYTES


def staged_import(
    store: Store, staging: ox.Store, paths: list[Path], progress: Progress | None, on_disk: bool
) -> ImportResult:
    clock = Clock()
    read = 0
    links: list[LinkRow] = []
    for path in paths:
        read += stage(staging, Path(path), progress, links, on_disk)
    clock.lap("parse")
    problems = iri_problems(staging)
    clock.lap("iris")
    problems = problems or graph_vocabulary_problems(staging)
    clock.lap("vocabulary")
    if problems:
        raise_invalid(Report(problems[:200]), paths)
    with store.locked():
        # Placed under the lock, against the store as it is and every file of this import.
        read += place_links(store, staging, links)
        # Counted once: the neighbourhood and the merge both need the store's size before.
        size = None if isinstance(store, TurtleStore) else store.size()
        add_neighbourhood(store, staging, size)
        clock.lap("neighbourhood")
        # The checks run on the staging store itself: no in-memory copy of a large import. Only
        # findings about the import's own subjects count, not the store's neighbourhood.
        with_ontology(staging)
        report = Report(shape_problems(staging, ox.DefaultGraph(), view=staging))
        clock.lap("shapes")
        if not report.conforms:
            raise_invalid(report, paths)
        new = merge(store, staging, progress, size)
        clock.lap("merge")
    return ImportResult(len(paths), read, new, clock.seconds)


class Clock:
    """Seconds per step, for the benchmarks' account of where an import's time goes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self.last
        self.last = now


def stage(
    staging: ox.Store, path: Path, progress: Progress | None, links: list[LinkRow], on_disk: bool = False
) -> int:
    """Parse one file into the staging graph, and a CSV file's link rows into ``links``; an
    error names the file and line."""
    try:
        check_file(path)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".csv":
        triples = csv_triples(path, links)
        staging.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        if progress:
            progress(len(triples))
        return len(triples)
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(RDF_FORMATS) + [".csv"])
        raise KgError(f"{path}: unknown file type '{path.suffix}'; kg imports {known}")
    if fmt == ox.RdfFormat.JSON_LD:
        check_jsonld(path)
    before = len(staging)
    try:
        if on_disk:
            # Streamed in chunks, so that memory stays bounded whatever the size: Store.bulk_load
            # held 2.5 times more (238 MB against 96 MB for 300k triples).
            with open(path, "rb") as handle:
                for chunk in chunks(ox.parse(handle, fmt), 50_000):
                    staging.bulk_extend(chunk)
        else:
            # In memory, loaded inside Oxigraph without a Python object per triple (1.9 times
            # faster); a file that does not parse may leave part of itself in staging, which
            # is thrown away.
            staging.bulk_load(path=str(path), format=fmt)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise ParseError(
            f"{where}: {exc.msg}; nothing was imported: fix the file and run the import again"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if any(True for _ in staging.named_graphs()):
        # N-Quads, or JSON-LD's {"@id": ..., "@graph": [...]}: only the default graph is merged.
        raise KgError(f"{path}: named graphs are not imported; kg keeps its data in one graph")
    count = len(staging) - before
    if progress:
        progress(count)
    return count


def chunks(items: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@dataclass(frozen=True)
class LinkRow:
    path: Path
    line: int
    spec: object  # kg.edits.LinkSpec, imported only when a CSV file is read


def csv_triples(path: Path, links: list[LinkRow]) -> list[ox.Triple]:
    """The entities of a CSV file, mapped by its header (see README: Import); its link rows,
    every value checked, go to ``links`` for place_links."""

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError:
        raise KgError(f"{path}: not UTF-8 text; save it as UTF-8 CSV") from None
    if not rows:
        return []
    columns = set(rows[0])
    triples: list[ox.Triple] = []
    for line, row in enumerate(rows, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            if set(ENTITY_COLUMNS) <= columns:
                spec = EntitySpec(
                    iri=values["id"],
                    types=values["type"].split(),
                    label=values["label"],
                    sources=values["source"].split(),
                    label_zh=values.get("label_zh") or None,
                    comment=values.get("comment") or None,
                    series=values.get("series") or None,
                    status=values.get("status") or None,
                    exit_date=values.get("exit_date") or None,
                    founded=values.get("founded") or None,
                    launched=values.get("launched") or None,
                )
                triples += entity_triples(spec)[1]
            elif set(LINK_COLUMNS) <= columns:
                spec = LinkSpec(
                    subject=values["subject"],
                    predicate=values["predicate"],
                    object=values["object"],
                    sources=values["source"].split(),
                    confidence=values["confidence"],
                    weight=values.get("weight") or None,
                    criticality=values.get("criticality") or None,
                    chain=values.get("chain") or None,
                    paragraph=paragraph_number(values.get("paragraph")),
                    rationale=values.get("rationale") or None,
                    start=values.get("start") or None,
                    end=values.get("end") or None,
                )
                link_statement_triples(spec, ox.NamedNode(CBR + "link-check"))  # checks every value
                links.append(LinkRow(path, line, spec))
            else:
                raise KgError(
                    "the header names neither entities (id,type,label,source,...) nor links "
                    "(subject,predicate,object,confidence,source,...)"
                )
        except (KgError, ValueError) as exc:
            raise KgError(f"{path}:{line}: {exc}; nothing was imported") from None
    return triples


def place_links(store: Store, staging: ox.Store, links: list[LinkRow]) -> int:
    """Add the CSV link rows to staging as `kg add link` places them: a row the store, another
    file or an earlier row already states adds nothing, another source's reading becomes a
    statement beside it (``-2``), and the same sources with other values are refused."""

    if not links:
        return 0
    ends = sorted({node(end) for row in links for end in (row.spec.subject, row.spec.object)}, key=str)
    known = store.neighbourhood(ends)
    known.extend(neighbourhood_of(staging, ends))
    added = 0
    for row in links:
        try:
            link, stated = placed_statement(known, row.spec)
        except KgError as exc:
            raise KgError(f"{row.path}:{row.line}: {exc}; nothing was imported") from None
        if not stated:
            triples = link_statement_triples(row.spec, link)
            quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
            known.extend(quads)
            staging.extend(quads)
            added += len(quads)
    return added


# Every IRI that checked_iri could refuse, found by Oxigraph so that Python sees only those (a
# million imported IRIs cost 2 s one by one): another scheme, a character RFC 3987 forbids, or a
# cbr: local name that is not a slug. checked_iri then words the refusal.
SUSPECT_IRIS = rf"""SELECT ?n {{
    {{ SELECT DISTINCT ?n {{ {{ ?n ?p ?o }} UNION {{ ?s ?n ?o }} UNION {{ ?s ?p ?n }} FILTER(isIRI(?n)) }} }}
    BIND(STR(?n) AS ?text)
    FILTER(!REGEX(?text, "^(https?|urn):", "i")
           || REGEX(?text, "[\\x00-\\x20<>\"{{}}|^`\\\\\\x7f]")
           || (STRSTARTS(?text, "{CBR}") && !CONTAINS(?text, "#")
               && !REGEX(STRAFTER(?text, "{CBR}"), "^{SLUG.pattern}$")))
}}"""


def iri_problems(staging: ox.Store) -> list:
    """What the parser let through but kg refuses: IRIs outside http, https and urn, bad
    slugs, and literals holding a NUL (a lone surrogate cannot reach a pyoxigraph literal)."""

    problems = []
    for iri in distinct_iris(staging, SUSPECT_IRIS):
        try:
            checked_iri(iri.value)
        except TermError as exc:
            problems.append(Problem(f"<{iri.value}>", "", str(exc)))
    # One scan for both: a NUL, and a literal the Turtle store could write but never read back.
    literals = (
        "SELECT ?s ?p ?o { ?s ?p ?o FILTER(isLiteral(?o) && "
        f'(CONTAINS(STR(?o), "\\u0000") || STRLEN(STR(?o)) > {MAX_LITERAL})) }}'
    )
    for row in staging.query(literals):
        why = too_long(row["o"]) if len(row["o"].value) > MAX_LITERAL else "a literal holds a NUL"
        problems.append(Problem(compact(row["s"]), compact(row["p"]), why))
    return problems


def distinct_iris(graph: ox.Store, query: str) -> list[ox.NamedNode]:
    """The ?n of ``query`` over the default graph; the scan runs in Oxigraph, not Python."""
    return [row["n"] for row in graph.query(query)]


def paragraph_number(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise KgError(f"paragraph '{text}' is not a whole number; write e.g. 2")
    return int(text)


def add_neighbourhood(store: Store, staging: ox.Store, size: int | None) -> None:
    """Copy into staging, in a graph of its own, what the store already says around the imported
    nodes, so that the shapes see the classes of existing entities the import links to; only
    the default graph, the import itself, is merged."""
    if isinstance(store, TurtleStore):
        staging.extend(ox.Quad(t.subject, t.predicate, t.object, CONTEXT) for t in store.triples())
        return
    if size == 0:
        return
    nodes = distinct_iris(staging, NODES)
    if isinstance(store, OxigraphStore) and size < len(nodes):
        # A store smaller than the import: its own nodes, probed in staging, are the shared ones.
        nodes = [n for n in distinct_iris(store.db, NODES) if mentioned(staging, n)]
    existing = store.neighbourhood(nodes)
    staging.extend(ox.Quad(q.subject, q.predicate, q.object, CONTEXT) for q in existing)


NODES = "SELECT DISTINCT ?n { { ?n ?p ?o } UNION { ?s ?p ?n } FILTER(isIRI(?n)) }"


def mentioned(graph: ox.Store, iri: ox.NamedNode) -> bool:
    """Whether ``iri`` is a subject or object of ``graph``."""
    return any(True for _ in graph.quads_for_pattern(iri, None, None)) or any(
        True for _ in graph.quads_for_pattern(None, None, iri)
    )


def raise_invalid(report, paths: list[Path]) -> None:

    names = ", ".join(str(p) for p in paths)
    raise ValidationError(
        f"{names}: the import was refused and nothing was written:\n{report.text()}", report
    )


def merge(store: Store, staging: ox.Store, progress: Progress | None, before: int | None) -> int:
    """Add the staged triples to the store (``before`` triples, None for a Turtle store, which
    counts its own); returns how many were new."""
    quads = staging.quads_for_pattern(None, None, None, ox.DefaultGraph())
    if isinstance(store, TurtleStore):
        graph = store.load()
        before = len(graph)
        graph.extend(quads)
        atomic_write(store.path, serialize_turtle(graph))
        return len(graph) - before
    store.add_all(staging if isinstance(store, OxigraphStore) else quads)
    return store.size() - before


# ---------------------------------------------------------------- export


def export_graph(
    store: Store, fmt: str, out: Path | None, force: bool = False, as_of: str | None = None
) -> list[Path] | bytes:
    """Write the store in ``fmt``; returns the files written, or the bytes when ``out`` is None.
    ``as_of`` is the day whose analysis GraphML and GEXF carry (default: today)."""
    if fmt not in EXPORTS:
        raise KgError(f"unknown export format '{fmt}'; choose one of {', '.join(EXPORTS)}")
    if fmt == "csv":
        if out is None:
            raise KgError("csv export writes two files (nodes.csv, edges.csv): give a folder as `out`")
        return export_csv(store, out, force)
    if out is None:
        return EXPORTS[fmt](store, as_of)
    # Before the work: a graph export runs the analysis, which a refused target would waste.
    check_target(out, force)
    atomic_write(out, EXPORTS[fmt](store, as_of))
    return [out]


def turtle_bytes(store: Store, as_of: str | None = None) -> bytes:
    return serialize_turtle(store.triples())


def ntriples_bytes(store: Store, as_of: str | None = None) -> bytes:
    lines = ox.serialize(store.triples(), format=ox.RdfFormat.N_TRIPLES).decode("utf-8").split("\n")
    lines = [line for line in lines if line]
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8") if lines else b""


def jsonld_bytes(store: Store, as_of: str | None = None) -> bytes:
    return ox.serialize(sorted(store.triples(), key=str), format=ox.RdfFormat.JSON_LD)


GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def network_xml(store: Store, fmt: str, as_of: str | None = None) -> bytes:
    """GraphML or GEXF of the projection, for Gephi and Cytoscape.

    Nodes and edges are those of every date (``whole_network``); GEXF gives each its lifetime
    as a time interval (``start``/``end``, dynamic mode), so Gephi's timeline shows who takes
    part when. ``pagerank``, ``impact`` and ``chokepoint`` describe one day, ``as_of`` (default:
    today, as `kg analyze` without --as-of): the numbers `kg analyze centrality` and `kg analyze
    chokepoints` give for it. A node that does not take part that day has 0.0 and no chokepoint.
    The day is named in the file: GraphML's graph attribute ``as_of``, GEXF's meta description.
    See ``flat`` for how attributes are typed and dates written.
    """
    import networkx as nx

    graph = query_graph(store)
    net = flat(whole_network(store, graph))
    when = date_literal(as_of or datetime.date.today().isoformat(), "`as_of`").value
    dated = project(graph, Filters(as_of=when))
    add_analysis(net, dated)
    net.graph["as_of"] = dated.graph["as_of"]
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(net, buffer, encoding="utf-8")
        return graphml_fixed(buffer.getvalue())
    for _, _, key, data in net.edges(keys=True, data=True):
        data["id"] = key  # the GEXF edge id: the link's IRI, not a counter
    nx.write_gexf(net, buffer, encoding="utf-8")
    return gexf_fixed(buffer.getvalue(), net.graph["as_of"])


def whole_network(store: Store, graph=None) -> nx.MultiDiGraph:
    """The projection across every date: exports show the whole history, not one day."""

    return project(query_graph(store) if graph is None else graph)


def add_analysis(net: nx.MultiDiGraph, dated: nx.MultiDiGraph) -> None:
    """Give every node of ``net`` its PageRank, failure impact and chokepoint kinds in ``dated``.

    ``impact`` is the score of the node's impact finding (participants that fall when it fails
    alone), 0.0 without one. ``chokepoint`` holds the structural kinds (dominator, articulation
    point, bridge, single source) joined by ';': the impact has its own column.
    """
    scores = centrality(dated).scores
    impact: dict[str, float] = {}
    kinds: dict[str, set[str]] = defaultdict(set)
    for finding in chokepoints(dated):
        if finding.kind == "impact":
            impact[finding.node] = float(finding.score)
        else:
            kinds[finding.node].add(finding.kind)
    for name, data in net.nodes(data=True):
        data["pagerank"] = float(scores.get(name, {}).get("pagerank", 0.0))
        data["impact"] = impact.get(name, 0.0)
        data["chokepoint"] = ";".join(sorted(kinds.get(name, ())))


# Dates kg stores at the precision written (2016, 2016-04 or 2016-04-08), and what the export
# makes of them: the lifetime bounds as days, the others as written.
LIFETIME_DATES = ("start", "end")
WRITTEN_DATES = ("exit_date",)
ISO_DATE = re.compile(r"\d{4}(-\d{2}){0,2}")


def written_date(text: str) -> str:
    """The ISO date as written, without the time zone an xsd:date may carry."""
    match = ISO_DATE.match(text)
    return match.group(0) if match else text


def flat(net: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attributes GraphML and GEXF readers take as they are.

    Each attribute has one type across all nodes (and one across all edges): booleans stay
    booleans, numbers are floats once any value is, anything else becomes text. Lists and
    sets are sorted and joined with ';'; None and empty text are left out. ``start`` and
    ``end`` are the first day of the period written (2016-04 -> 2016-04-01), as ``--as-of``
    reads them, since GEXF's time intervals take only full dates; ``start_as_written`` and
    ``end_as_written`` keep the precision the analyst gave, as ``exit_date`` does. Edges keep
    the link's IRI as their key, written as the edge id.
    """
    import networkx as nx

    def scalar(value):
        if isinstance(value, (list, tuple, set, frozenset)):
            # Sorted: a link's sources come in whatever order the backend groups them.
            return ";".join(sorted(map(str, value)))
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True, ensure_ascii=False)
        return value

    def attributes(data: dict) -> dict:
        out = {}
        for key, value in data.items():
            value = scalar(value)
            if value is None or value == "":
                continue
            if key in LIFETIME_DATES:
                out[f"{key}_as_written"] = written_date(str(value))
                value = day(out[f"{key}_as_written"])
            elif key in WRITTEN_DATES:
                value = written_date(str(value))
            out[key] = value
        return out

    nodes = [(n, attributes(d)) for n, d in sorted(net.nodes(data=True))]
    edges = [
        (s, o, k, attributes(d))
        for s, o, k, d in sorted(net.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    ]
    one_type_each([d for _, d in nodes])
    one_type_each([d for *_, d in edges])
    out = nx.MultiDiGraph()
    out.add_nodes_from(nodes)
    out.add_edges_from(edges)
    return out


def one_type_each(records: list[dict]) -> None:
    """Convert, in place, each attribute's values to the one type all of them fit: a key that is
    a number on one node and text on another would make Gephi drop or misread a column."""
    types: dict[str, set[type]] = {}
    for data in records:
        for key, value in data.items():
            types.setdefault(key, set()).add(type(value))
    convert = {}
    for key, found in types.items():
        if found in ({bool}, {int}, {float}):
            continue
        if found <= {int, float}:
            convert[key] = float
        else:
            convert[key] = lambda v: str(v).lower() if isinstance(v, bool) else str(v)
    for data in records:
        for key in data.keys() & convert.keys():
            data[key] = convert[key](data[key])


def graphml_fixed(data: bytes) -> bytes:
    """networkx writes GraphML booleans as Python prints them (True); the format says true."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(data)
    q = f"{{{GRAPHML_NS}}}"
    booleans = {k.get("id") for k in root.iter(q + "key") if k.get("attr.type") == "boolean"}
    for element in root.iter(q + "data"):
        if element.get("key") in booleans and element.text:
            element.text = element.text.strip().lower()
    return xml_bytes(root, GRAPHML_NS)


def gexf_fixed(data: bytes, as_of: str) -> bytes:
    """Drop the ``networkx_key`` column networkx adds for a multigraph's keys (the edge id holds
    the link already), and name the analysis day, which GEXF has no graph attribute for."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(data)
    ns = root.tag[1:].split("}", 1)[0]
    q = f"{{{ns}}}"
    dropped = set()
    for declared in root.iter(q + "attributes"):
        for attribute in list(declared):
            if attribute.get("title") == "networkx_key":
                declared.remove(attribute)
                dropped.add(attribute.get("id"))
    for edge in root.iter(q + "edge"):
        for values in edge.findall(q + "attvalues"):
            for value in list(values):
                if value.get("for") in dropped:
                    values.remove(value)
            if not len(values):
                edge.remove(values)
    meta = root.find(q + "meta")
    if meta is None:
        meta = ET.Element(q + "meta")
        root.insert(0, meta)
    description = ET.SubElement(meta, q + "description")
    description.text = f"kg network projection; pagerank, impact and chokepoint as of {as_of} (as_of={as_of})"
    return xml_bytes(root, ns)


def xml_bytes(root, namespace: str) -> bytes:
    """Serialize with the document's namespace as the default one, as networkx writes it:
    ElementTree's own default_namespace refuses the formats' unqualified attributes."""
    import xml.etree.ElementTree as ET

    prefix = f"{{{namespace}}}"
    for element in root.iter():
        if element.tag.startswith(prefix):
            element.tag = element.tag[len(prefix) :]
    attributes = {"xmlns": namespace, **root.attrib}
    root.attrib.clear()
    root.attrib.update(attributes)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def export_csv(store: Store, folder: Path, force: bool) -> list[Path]:
    """nodes.csv (one row per entity) and edges.csv (one row per link) of the projection."""

    if folder.exists() and not folder.is_dir():
        raise KgError(f"{folder} is a file; csv export writes nodes.csv and edges.csv into a folder")
    for name in ("nodes.csv", "edges.csv"):
        check_target(folder / name, force)
    net = whole_network(store)
    folder.mkdir(parents=True, exist_ok=True)
    node_fields = ["id", "label", "label_zh", "kind", "series", "status", "exit_date"]
    edge_fields = [
        "link",
        "source",
        "target",
        "predicate",
        "chain",
        "weight",
        "criticality",
        "confidence",
        "dependency",
        "sources",
        "start",
        "end",
    ]
    nodes = [[n] + [data.get(f, "") for f in node_fields[1:]] for n, data in sorted(net.nodes(data=True))]
    edges = [
        [k, s, o]
        + [" ".join(d[f]) if f == "sources" else ("" if d.get(f) is None else d[f]) for f in edge_fields[3:]]
        for s, o, k, d in sorted(net.edges(keys=True, data=True), key=lambda e: e[2])
    ]
    written = []
    for name, header, rows in (("nodes.csv", node_fields, nodes), ("edges.csv", edge_fields, edges)):
        target = folder / name
        atomic_write(target, csv_text(header, rows).encode("utf-8"))
        written.append(target)
    return written


# ---------------------------------------------------------------- copy


def copy_store(source: Store, target: Store, progress: Progress | None = None) -> int:
    """Copy every triple of ``source`` into ``target`` (made empty first); returns the count."""
    target.check_writable()
    if target.size():
        raise StoreError(f"{target.location} is not empty; copy into a new store (`kg init --empty`)")
    triples = list(source.triples()) if not isinstance(source, OxigraphStore) else None
    if isinstance(target, TurtleStore):
        atomic_write(target.path, serialize_turtle(triples or source.triples()))
    else:
        target.add_all(triples or source.triples())
    count = target.size()
    if progress:
        progress(count)
    return count


def copy_into(source_spec: str, target_spec: str) -> str:
    """`kg store copy`: create the target store (it must not exist yet) and copy into it."""

    source = open_store(source_spec)
    target = init_store(target_spec, empty=True)
    count = copy_store(source, target)
    return f"copied {count} triples from {source.location} to {target.location}"


# One entry per export format: what it writes for a store (csv writes a folder, see export_csv).
EXPORTS: dict[str, Callable[[Store, str | None], bytes] | None] = {
    "ttl": turtle_bytes,
    "nt": ntriples_bytes,
    "jsonld": jsonld_bytes,
    "graphml": lambda store, as_of=None: network_xml(store, "graphml", as_of),
    "gexf": lambda store, as_of=None: network_xml(store, "gexf", as_of),
    "csv": None,
}

"""SPARQL: the bundled queries, running a query safely, and the summaries built on queries.

Parameters are bound as values with Oxigraph's substitutions, never pasted into the
text. Query files run read-only; SERVICE, LOAD and FROM outside the store are refused
before anything runs, so a query file cannot reach the network.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from kg.errors import QueryError, QueryTimeoutError, ValueFormatError
from kg.formats import table_text
from kg.resources import resource_dir
from kg.sparql import bind_values, check_query_safety
from kg.stores import Store, TurtleStore
from kg.vocabulary import (
    PREFIXES,
    XSD,
    compact,
    date_literal,
    node,
)

FORMATS = ("table", "csv", "tsv", "json")
HEADER = re.compile(r"#\s*(title|question|param)\s*:\s*(.*)")


@dataclass(frozen=True)
class Param:
    """A parameter a bundled query declares in its header."""

    name: str
    description: str


@dataclass(frozen=True)
class QueryFile:
    """A SPARQL file with its header: title, the question it answers, its parameters."""

    name: str
    path: Path
    title: str
    question: str
    params: tuple[Param, ...] = field(default=())
    inline: str | None = None

    @property
    def text(self) -> str:
        return self.inline if self.inline is not None else self.path.read_text(encoding="utf-8")


def read_query_file(path: Path) -> QueryFile:
    """A query file with the comment header parsed (title, question, param lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"cannot read query file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise QueryError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    title, question, params = "", "", []
    for line in text.splitlines():
        match = HEADER.match(line.strip())
        if not line.startswith("#"):
            break
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            title = value.strip()
        elif key == "question":
            question = (question + " " + value.strip()).strip()
        else:
            name, _, description = value.partition(" ")
            params.append(Param(name.strip().lstrip("?$"), description.strip(" -:")))
    return QueryFile(path.stem, path, title or path.stem, question, tuple(params))


def bundled_queries() -> list[QueryFile]:
    """The queries shipped in ``queries/``, sorted by name."""
    return [read_query_file(p) for p in sorted(resource_dir("queries").glob("*.rq"))]


def find_query(name_or_path: str) -> QueryFile:
    """A bundled query by name, a query file by path, or the text of a query."""
    if looks_like_sparql(name_or_path):
        return QueryFile("query", Path("<query text>"), "query", "", (), name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".rq" or path.exists():
        if not path.is_file():
            raise QueryError(
                f"no query file at {path}; give a path to a .rq file or a name from `kg queries`"
            )
        return read_query_file(path)
    bundled = resource_dir("queries") / f"{name_or_path}.rq"
    if bundled.is_file():
        return read_query_file(bundled)
    names = [q.name for q in bundled_queries()]
    near = difflib.get_close_matches(name_or_path, names, n=1)
    hint = f"; did you mean {near[0]}?" if near else "; `kg queries` lists them"
    raise QueryError(f"no bundled query named '{name_or_path}'{hint}")


def looks_like_sparql(text: str) -> bool:
    """Query text rather than a name or a path: it has a group, or a query keyword followed by
    a space (``select-count.rq`` is a file, ``SELECT ?x ...`` a query)."""
    if "{" in text or "\n" in text:
        return True
    return re.match(r"\s*(PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE)\s", text, re.I) is not None and not (
        text.strip().endswith(".rq")
    )


def parse_param(text: str) -> tuple[str, ox.NamedNode | ox.Literal]:
    """``name=value`` into a variable name and an RDF term.

    The value is an IRI when written as a prefixed name (cbr:mi-tao) or <...> or http(s)://;
    an integer, decimal or date when it looks like one; otherwise a plain string.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise QueryError(f"`param` '{text}' must be name=value, e.g. participant=cbr:mi-tao")
    return name, param_value(value)


def param_value(value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term a --param value stands for (see ``parse_param``)."""
    stripped = value.strip()
    prefix = stripped.split(":", 1)[0]
    if (
        stripped.startswith("<")
        or (":" in stripped and prefix in PREFIXES)
        or re.match(r"https?://", stripped)
    ):
        return node(stripped)
    if re.fullmatch(r"[+-]?\d+", stripped):
        return ox.Literal(stripped, datatype=ox.NamedNode(XSD + "integer"))
    if re.fullmatch(r"[+-]?\d*\.\d+", stripped):
        return ox.Literal(stripped, datatype=ox.NamedNode(XSD + "decimal"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stripped):
        return date_literal(stripped, "`param` date")
    if "\x00" in value:
        raise ValueFormatError("`param` value contains a NUL character")
    return ox.Literal(value)


def query_graph(store: Store):
    """What queries run on: the store's data with the ontology and analysis results beside it."""
    return store.query_view()


@dataclass
class QueryResult:
    """The answer to a SELECT, ASK or CONSTRUCT query, ready to print."""

    variables: list[str]
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None

    def render(self, fmt: str = "table") -> str:
        if fmt not in FORMATS:
            raise QueryError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
        if self.boolean is not None:
            return (
                json.dumps({"head": {}, "boolean": self.boolean})
                if fmt == "json"
                else str(self.boolean).lower()
            )
        if self.triples is not None:
            return ox.serialize(self.triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
        return {"table": self.table, "csv": self.csv, "tsv": self.tsv, "json": self.json}[fmt]()

    def table(self) -> str:
        cells = [[cell_text(v) for v in row] for row in self.rows]
        count = f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})"
        return table_text(self.variables, cells) + "\n" + count

    def csv(self, delimiter: str = ",") -> str:
        """SPARQL 1.1 CSV results: full IRIs, lexical values."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow(["" if v is None else v.value for v in row])
        return buffer.getvalue()

    def tsv(self) -> str:
        """SPARQL 1.1 TSV results: terms in Turtle/N-Triples syntax."""
        lines = ["\t".join(f"?{v}" for v in self.variables)]
        lines += ["\t".join("" if v is None else str(v) for v in row) for row in self.rows]
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        """SPARQL 1.1 Query Results JSON Format."""
        bindings = [
            {var: json_term(v) for var, v in zip(self.variables, row, strict=True) if v is not None}
            for row in self.rows
        ]
        doc = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, indent=2)


def cell_text(term) -> str:
    """A table cell: prefixed names for IRIs, also inside GROUP_CONCAT lists of IRIs."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and term.value.startswith(("http://", "https://")):
        return " ".join(
            compact(t) if t.startswith(("http://", "https://")) else t for t in term.value.split(" ")
        )
    return compact(term)


def json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


T = TypeVar("T")
QUERY_THREAD = "kg-query"
# Seconds a query may run (``timeout``, `kg query --timeout`, KG_QUERY_TIMEOUT); 0: no limit.
DEFAULT_TIMEOUT = 60.0


def query_timeout(seconds: float | None = None) -> float:
    """The time limit: ``seconds`` if given, else KG_QUERY_TIMEOUT, else DEFAULT_TIMEOUT."""
    if seconds is not None:
        value, where = seconds, "the timeout"
    else:
        text = os.environ.get("KG_QUERY_TIMEOUT", "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        where = f"KG_QUERY_TIMEOUT={text!r}"
        try:
            value = float(text)
        except ValueError:
            raise QueryError(f"{where} is not a number of seconds; write e.g. KG_QUERY_TIMEOUT=120") from None
    if not (value >= 0 and math.isfinite(value)):
        raise QueryError(f"{where} must be 0 (no limit) or a number of seconds, not {value}")
    return value


def bounded(work: Callable[[], T], seconds: float) -> T:
    """``work()``, given up after ``seconds`` (0: never).

    Oxigraph answers a query inside one call that neither Ctrl-C nor a signal handler can
    enter, but it lets other threads run meanwhile: so the work runs in a thread of its own,
    and the caller stops waiting for it. `kg` then exits, taking the thread with it; in a
    notebook the abandoned thread runs on to its end in the background (Oxigraph has no way
    to stop it), its answer dropped."""
    if not seconds:
        return work()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed over to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name=QUERY_THREAD, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise QueryTimeoutError(
            f"the query ran past its time limit of {seconds:g} s and was stopped; narrow it (a LIMIT, "
            "fewer patterns that match everything) or give it longer with --timeout SECONDS "
            "(or KG_QUERY_TIMEOUT; 0: no limit)"
        )
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_sparql(
    graph: ox.Store,
    text: str,
    bindings: dict[str, ox.NamedNode | ox.Literal] | None = None,
    timeout: float = 0,
) -> QueryResult:
    """Run a read-only query over ``graph`` (data plus the ontology graph), for at most
    ``timeout`` seconds (0: no limit)."""
    return bounded(lambda: evaluate(graph, text, bindings), timeout)


def evaluate(
    graph: ox.Store, text: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None
) -> QueryResult:
    substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
    try:
        try:
            answer = graph.query(
                text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions
            )
        except RuntimeError as exc:
            if not (substitutions and "projection" in str(exc)):
                raise
            # Oxigraph substitutes only variables the query projects (SPARQL SEP-0007); any
            # other variable is bound by a VALUES block of terms Oxigraph serializes itself.
            answer = graph.query(
                bind_values(text, substitutions), prefixes=PREFIXES, use_default_graph_as_union=True
            )
    except SyntaxError as exc:
        raise QueryError(f"the query does not parse: {exc.msg}") from None
    except RuntimeError as exc:
        raise QueryError(f"the query failed: {exc}") from None
    except OSError as exc:
        raise QueryError(f"the query failed: {exc}") from None
    if isinstance(answer, (ox.QueryBoolean, bool)):
        return QueryResult([], [], boolean=bool(answer))
    if isinstance(answer, (ox.QueryTriples, list)):
        return QueryResult([], [], triples=list(answer))
    variables = [v.value for v in answer.variables]
    return QueryResult(variables, [[row[v] for v in variables] for row in answer])


def run_query(
    store: Store,
    name_or_path: str,
    params: list[str] | None = None,
    allow_update: bool = False,
    timeout: float | None = None,
) -> QueryResult | str:
    """Run a bundled query (by name) or a query file (by path) with ``name=value`` bindings."""
    bindings = dict(parse_param(p) for p in params or [])
    return run_query_text(store, name_or_path, bindings, allow_update, timeout)


def run_query_text(
    store: Store,
    query_name: str,
    bindings: dict[str, ox.NamedNode | ox.Literal],
    allow_update: bool = False,
    timeout: float | None = None,
) -> QueryResult | str:
    """Run a bundled query (by name), a query file (by path) or query text with bindings, for
    at most ``timeout`` seconds (default: ``query_timeout()``)."""
    limit = query_timeout(timeout)
    query = find_query(query_name)
    text = query.text
    is_update = check_query_safety(text, allow_update)
    declared = {p.name for p in query.params}
    if declared:
        unknown = sorted(set(bindings) - declared)
        if unknown:
            raise QueryError(
                f"{query.name} has no parameter {', '.join(unknown)}; it takes: "
                + ", ".join(sorted(declared))
            )
        missing = sorted(
            p.name for p in query.params if p.name not in bindings and "optional" not in p.description
        )
        if missing:
            example = next(p for p in query.params if p.name == missing[0]).description
            raise QueryError(f"{query.name} needs a value for {missing[0]} ({missing[0]}=...: {example})")
    if is_update:
        return run_update(store, text)
    for name in bindings:
        if not re.search(rf"[?$]{name}\b", text):
            raise QueryError(f"{query.name} has no variable ?{name} to bind {name} to")
    try:
        return run_sparql(query_graph(store), text, bindings, limit)
    except QueryTimeoutError:
        raise
    except QueryError as exc:
        raise QueryError(f"{query.path}: {exc}" if query.inline is None else str(exc)) from None


def run_update(store: Store, text: str) -> str:
    """Apply a SPARQL update through the store's validated write path."""

    def change(graph: ox.Store) -> str:
        before = len(graph)
        try:
            graph.update(text, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise QueryError(f"the update does not parse: {exc.msg}") from None
        return f"update applied: {before} -> {len(graph)} triples"

    if not isinstance(store, TurtleStore):
        raise QueryError(
            f"SPARQL updates through `kg query --update` run on Turtle stores; {store.location} is not one: "
            "use `kg add`, `kg remove` or `kg import` there"
        )
    return store.write(change)


# ---------------------------------------------------------------- summaries


def stats(store: Store) -> dict:
    """Counts a user checks first: triples, entities by class, links by chain, sources."""
    graph = query_graph(store)

    def pairs(text: str) -> dict[str, int]:
        return {compact(r[0]): int(r[1].value) for r in run_sparql(graph, text).rows}

    def number(text: str) -> int:
        return int(run_sparql(graph, text).rows[0][0].value)

    entity_filter = "VALUES ?top { cbec:Participant cbec:Policy cbec:Zone }"
    return {
        "store": store.location,
        "triples": store.size(),
        "entities": number(
            f"SELECT (COUNT(DISTINCT ?e) AS ?n) {{ {entity_filter} ?e a/rdfs:subClassOf* ?top }}"
        ),
        "entities_by_class": pairs(
            "SELECT ?c (COUNT(DISTINCT ?e) AS ?n) { ?e a ?c . "
            "?c rdfs:subClassOf* ?top VALUES ?top { cbec:Participant cbec:Policy cbec:Zone } "
            "FILTER(STRSTARTS(STR(?e), 'https://w3id.org/cbec/resource/')) } GROUP BY ?c ORDER BY DESC(?n) ?c"
        ),
        "links": number("SELECT (COUNT(?l) AS ?n) { ?l a cbec:Link }"),
        "links_by_chain": pairs(
            "SELECT ?chain (COUNT(?l) AS ?n) { ?l a cbec:Link ; cbec:chain ?chain } "
            "GROUP BY ?chain ORDER BY DESC(?n) ?chain"
        ),
        "dependency_links": number(
            "SELECT (COUNT(?l) AS ?n) { ?l a cbec:Link ; cbec:predicate ?p . "
            "?p rdfs:subPropertyOf cbec:dependsOn }"
        ),
        "claims": number("SELECT (COUNT(?c) AS ?n) { ?c a cbec:Claim }"),
        "conflicting_claims": number(
            "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?c a cbec:Claim ; cbec:conflictsWith ?d }"
        ),
        "sources": number("SELECT (COUNT(?s) AS ?n) { ?s a cbec:Source }"),
        "bundled_queries": len(bundled_queries()),
    }


def stats_text(summary: dict) -> str:
    """The summary as a short readable block."""
    lines = [f"store: {summary['store']}", f"triples: {summary['triples']}"]
    lines.append(f"entities: {summary['entities']}")
    lines += [f"  {name:<28} {n}" for name, n in summary["entities_by_class"].items()]
    lines.append(f"links: {summary['links']} ({summary['dependency_links']} dependencies)")
    lines += [f"  {name:<28} {n}" for name, n in summary["links_by_chain"].items()]
    lines.append(f"claims: {summary['claims']} ({summary['conflicting_claims']} in conflict)")
    lines.append(f"sources: {summary['sources']}")
    lines.append(f"bundled queries: {summary['bundled_queries']}")
    return "\n".join(lines)


def describe(store: Store, entity: ox.NamedNode) -> dict:
    """Everything the graph says about one entity (found by ``kg.lookup.resolve``): facts,
    links out and in, claims."""
    graph = query_graph(store)
    bind = {"e": entity}
    facts = run_sparql(
        graph,
        "SELECT ?e ?p ?o { ?e ?p ?o FILTER NOT EXISTS { ?p cbec:defaultChain ?c } "
        "FILTER(?p != cbec:dependsOn) } ORDER BY ?p ?o",
        bind,
    )
    link_query = """
        SELECT ?e ?link ?subject ?p ?object ?chain ?weight ?criticality ?confidence
               (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources) {
          ?link a cbec:Link ; cbec:subject ?subject ; cbec:predicate ?p ; cbec:object ?object ;
                cbec:chain ?chain ; cbec:confidence ?confidence ; prov:wasDerivedFrom ?src .
          OPTIONAL { ?link cbec:weight ?weight } OPTIONAL { ?link cbec:criticality ?criticality }
          FILTER(?%s = ?e)
        } GROUP BY ?e ?link ?subject ?p ?object ?chain ?weight ?criticality ?confidence
        ORDER BY ?chain DESC(?weight) ?link"""
    claims = run_sparql(
        graph,
        "SELECT ?e ?claim ?text ?confidence { ?claim cbec:about ?e ; cbec:claimText ?text ; "
        "cbec:confidence ?confidence } ORDER BY ?claim",
        bind,
    )
    return {
        "iri": entity.value,
        "facts": [(compact(p), term_text(o)) for _, p, o in facts.rows],
        "links_out": [link_row(r) for r in run_sparql(graph, link_query % "subject", bind).rows],
        "links_in": [link_row(r) for r in run_sparql(graph, link_query % "object", bind).rows],
        "claims": [(compact(c), t.value, compact(k)) for _, c, t, k in claims.rows],
    }


def term_text(term) -> str:
    if isinstance(term, ox.Literal) and term.language:
        return f"{term.value} @{term.language}"
    return compact(term)


def link_row(row: list) -> dict:
    _, link, subject, p, obj, chain, weight, criticality, confidence, sources = row
    return {
        "link": compact(link),
        "subject": compact(subject),
        "predicate": compact(p),
        "object": compact(obj),
        "chain": compact(chain),
        "weight": float(weight.value) if weight is not None else None,
        "criticality": compact(criticality) if criticality is not None else None,
        "confidence": compact(confidence),
        "sources": [compact(s) for s in sources.value.split()],
    }


def describe_text(description: dict) -> str:
    """`kg show` output: the entity's facts, then its links, then the claims about it."""
    label = f"  {description['label']}" if description.get("label") else ""
    lines = [compact(description["iri"]) + label]
    lines += [f"  {p:<22} {o}" for p, o in description["facts"]]
    for title, key, end in (
        ("depends on / links to", "links_out", "object"),
        ("linked from", "links_in", "subject"),
    ):
        rows = description[key]
        if rows:
            lines.append(f"{title} ({len(rows)}):")
        for r in rows:
            weight = f" w={r['weight']:g}" if r["weight"] is not None else ""
            crit = f" {r['criticality'].removeprefix('cbec:').lower()}" if r["criticality"] else ""
            named = f" ({r[end + '_label']})" if r.get(end + "_label") else ""
            lines.append(
                f"  [{r['chain'].removeprefix('cbec:').removesuffix('Chain').lower()}] "
                f"{r['predicate']} {r[end]}{named}{weight}{crit} "
                f"(confidence {r['confidence'].removeprefix('cbec:').lower()}; {', '.join(r['sources'])})"
            )
    if description["claims"]:
        lines.append(f"claims ({len(description['claims'])}):")
        lines += [f"  {c} [{k.removeprefix('cbec:').lower()}] {t}" for c, t, k in description["claims"]]
    return "\n".join(lines)


def queries_text(queries: list[QueryFile]) -> str:
    """`kg queries`: one line per query with its question, and its parameters."""
    width = max((len(q.name) for q in queries), default=0)
    lines = []
    for q in queries:
        lines.append(f"{q.name:<{width}}  {q.question or q.title}")
        for p in q.params:
            lines.append(f"{'':<{width}}    --param {p.name}=...  {p.description}")
    return "\n".join(lines)

"""The vocabulary: namespaces, prefixed names, IRI checks and the ontology's terms.

Everything that turns a user's spelling of a term into an IRI, or refuses it, lives here,
so that the CLI, the store and the validator agree on what a term is.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from kg.errors import TermError, ValueFormatError
from kg.resources import resource_dir

CBEC = "https://w3id.org/cbec/ontology#"
CBR = "https://w3id.org/cbec/resource/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES: dict[str, str] = {
    "cbec": CBEC,
    "cbr": CBR,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "org": ORG,
    "sh": SH,
}

ONTOLOGY_GRAPH = ox.NamedNode("https://w3id.org/cbec/ontology")
ONTOLOGY_FILES = ("cbec.ttl", "external.ttl")

RDF_TYPE = ox.NamedNode(RDF + "type")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
DEPENDS_ON = ox.NamedNode(CBEC + "dependsOn")

ALLOWED_SCHEMES = ("http", "https", "urn")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# RFC 3987 forbids these anywhere in an IRI; lenient parsers let them through.
FORBIDDEN_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
PREFIXED = re.compile(r"([A-Za-z][\w.-]*)?:(.*)")


def cbec(local: str) -> ox.NamedNode:
    """The IRI of a term of the kg ontology, by its local name."""
    return ox.NamedNode(CBEC + local)


def node(term: str) -> ox.NamedNode:
    """The IRI of a term written as ``prefix:local``, ``<iri>`` or a bare http(s) IRI."""
    text = term.strip()
    if text.startswith("<") and text.endswith(">"):
        return checked_iri(text[1:-1])
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text) or text.startswith("urn:"):
        return checked_iri(text)
    match = PREFIXED.fullmatch(text)
    if not match or match.group(1) not in PREFIXES:
        known = ", ".join(f"{p}:" for p in PREFIXES)
        raise TermError(
            f"'{term}' is neither a full IRI nor a prefixed name with a known prefix "
            f"({known}); write it as cbr:some-slug or <https://...>"
        )
    return checked_iri(PREFIXES[match.group(1)] + match.group(2))


def checked_iri(iri: str) -> ox.NamedNode:
    """A NamedNode for ``iri``, refusing what lenient parsers would wave through."""
    if FORBIDDEN_IRI_CHARS.search(iri):
        bad = FORBIDDEN_IRI_CHARS.search(iri).group(0)
        raise TermError(
            f"'{iri}' is not a valid IRI: it contains {bad!r}; "
            "percent-encode it or use a slug such as cbr:tmall-global"
        )
    scheme = iri.split(":", 1)[0].lower() if ":" in iri else ""
    if scheme not in ALLOWED_SCHEMES:
        raise TermError(
            f"'{iri}' has scheme '{scheme or '(none)'}'; kg accepts only {', '.join(ALLOWED_SCHEMES)} IRIs"
        )
    if iri.startswith(CBR) and "#" not in iri:
        local = iri[len(CBR) :]
        if not SLUG.fullmatch(local):
            raise TermError(
                f"'cbr:{local}' is not a valid resource name: local names in cbr: are "
                "lower-case ASCII slugs with single hyphens, such as cbr:tmall-global"
            )
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise TermError(f"'{iri}' is not a valid IRI: {exc}") from None


def compact(term: ox.NamedNode | ox.BlankNode | ox.Literal | str) -> str:
    """The shortest readable spelling of a term: ``cbr:kaola`` rather than the full IRI."""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    iri = term.value if isinstance(term, ox.NamedNode) else term
    for prefix, base in PREFIXES.items():
        if iri.startswith(base):
            local = iri[len(base) :]
            if local and re.fullmatch(r"[\w][\w.-]*", local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return f"<{iri}>"


@dataclass(frozen=True)
class LinkProperty:
    """A property of the industry chain, stated as a direct triple plus a cbec:Link node."""

    iri: str
    is_dependency: bool
    default_chain: str | None
    symmetric: bool
    # What its links mean to the analysis (cbec:analysisRole), by local name: SupplyRole, ...
    roles: frozenset[str] = frozenset()
    # For an exposure: the end a shock reaches, SubjectEnd or ObjectEnd (cbec:exposedEnd).
    exposed_end: str | None = None
    # For backing: the ownership share of a link that states none (cbec:defaultShare).
    default_share: float | None = None


@dataclass(frozen=True)
class Vocabulary:
    """The terms the ontology declares, read from ``ontology/*.ttl``."""

    classes: frozenset[str]
    properties: frozenset[str]
    concepts: frozenset[str]
    link_properties: dict[str, LinkProperty]
    superclasses: dict[str, frozenset[str]]

    def klass(self, term: str) -> ox.NamedNode:
        """The IRI of a known class, or an error naming the closest known class."""
        iri = node(term)
        if iri.value not in self.classes:
            raise TermError(f"unknown class '{term}'{closest(iri.value, self.classes)}")
        return iri

    def link_property(self, term: str) -> LinkProperty:
        """A property that links two entities, or an error naming the closest one."""
        iri = node(term)
        if iri.value not in self.link_properties:
            raise TermError(
                f"'{term}' is not a link property{closest(iri.value, self.link_properties)}; "
                "`kg add link` takes one of: " + ", ".join(sorted(compact(p) for p in self.link_properties))
            )
        return self.link_properties[iri.value]

    def concept(self, term: str) -> ox.NamedNode:
        """The IRI of a known SKOS concept (series, chain, level, model, status, pole)."""
        iri = node(term)
        if iri.value not in self.concepts:
            raise TermError(f"unknown concept '{term}'{closest(iri.value, self.concepts)}")
        return iri


def closest(iri: str, known: object) -> str:
    """A hint naming the known term whose spelling is nearest to ``iri``."""
    names = {compact(k): k for k in known}
    wanted = compact(iri)
    by_local = {n.split(":", 1)[-1].lower(): n for n in names}
    match = difflib.get_close_matches(wanted.split(":", 1)[-1].lower(), by_local, n=1, cutoff=0.5)
    if match:
        return f"; did you mean {by_local[match[0]]}?"
    match = difflib.get_close_matches(wanted, names, n=1, cutoff=0.4)
    return f"; did you mean {match[0]}?" if match else ""


@cache
def ontology_store() -> ox.Store:
    """The ontology and the reused axioms, parsed once per process."""
    store = ox.Store()
    for name in ONTOLOGY_FILES:
        store.load(path=str(resource_dir("ontology") / name), format=ox.RdfFormat.TURTLE)
    return store


@cache
def vocabulary() -> Vocabulary:
    """The terms declared by the ontology, with the facts kg needs about each."""
    store = ontology_store()

    def column(query: str) -> frozenset[str]:
        return frozenset(row[0].value for row in store.query(query, prefixes=PREFIXES))

    classes = column("SELECT DISTINCT ?c { { ?c a owl:Class } UNION { ?c a rdfs:Class } }")
    properties = column(
        "SELECT DISTINCT ?p { VALUES ?k { rdf:Property owl:ObjectProperty owl:DatatypeProperty"
        " owl:AnnotationProperty owl:SymmetricProperty } ?p a ?k }"
    )
    concepts = column("SELECT DISTINCT ?c { ?c a skos:Concept }")
    superclasses: dict[str, set[str]] = {c: {c} for c in classes}
    for row in store.query("SELECT ?c ?s { ?c rdfs:subClassOf+ ?s FILTER(isIRI(?s)) }", prefixes=PREFIXES):
        superclasses.setdefault(row[0].value, {row[0].value}).add(row[1].value)
    links = {}
    for row in store.query(
        """SELECT ?p ?chain (BOUND(?dep) AS ?isdep) (BOUND(?sym) AS ?issym) ?end ?share
                  (GROUP_CONCAT(STRAFTER(STR(?role), "#"); separator=" ") AS ?roles) {
             ?p cbec:defaultChain ?chain .
             OPTIONAL { ?p rdfs:subPropertyOf cbec:dependsOn BIND(true AS ?dep) }
             OPTIONAL { ?p a owl:SymmetricProperty BIND(true AS ?sym) }
             OPTIONAL { ?p cbec:analysisRole ?role }
             OPTIONAL { ?p cbec:exposedEnd ?end }
             OPTIONAL { ?p cbec:defaultShare ?share }
           } GROUP BY ?p ?chain ?dep ?sym ?end ?share""",
        prefixes=PREFIXES,
    ):
        iri = row["p"].value
        links[iri] = LinkProperty(
            iri=iri,
            is_dependency=row["isdep"].value == "true",
            default_chain=row["chain"].value,
            symmetric=row["issym"].value == "true",
            roles=frozenset(row["roles"].value.split()),
            exposed_end=row["end"].value.rsplit("#", 1)[-1] if row["end"] else None,
            default_share=float(row["share"].value) if row["share"] else None,
        )
    return Vocabulary(
        classes=classes,
        properties=properties,
        concepts=concepts,
        link_properties=links,
        superclasses={k: frozenset(v) for k, v in superclasses.items()},
    )


DATE_PATTERNS = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "date"),
    (re.compile(r"\d{4}-\d{2}"), "gYearMonth"),
    (re.compile(r"\d{4}"), "gYear"),
)
LEVELS = ("High", "Medium", "Low")


def date_literal(text: str, what: str = "date") -> ox.Literal:
    """A date at the precision given: 2016-04-08, 2016-04 or 2016."""
    import datetime

    text = text.strip()
    for pattern, datatype in DATE_PATTERNS:
        if pattern.fullmatch(text):
            padded = {"date": text, "gYearMonth": text + "-01", "gYear": text + "-01-01"}[datatype]
            try:
                datetime.date.fromisoformat(padded)
            except ValueError:
                break
            return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))
    raise ValueFormatError(
        f"{what} '{text}' is not a real date; write YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2016-04-08)"
    )


def decimal_literal(text: str, what: str, low: float | None = None, high: float | None = None):
    """An xsd:decimal from a user's number, refused when ill-formed or out of range."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueFormatError(f"{what} '{text}' is not a number; write e.g. 0.6") from None
    if not value.is_finite() or (low is not None and value < low) or (high is not None and value > high):
        bounds = f" between {low} and {high}" if low is not None and high is not None else ""
        raise ValueFormatError(f"{what} '{text}' must be a finite number{bounds}")
    return ox.Literal(format(value.normalize(), "f"), datatype=ox.NamedNode(XSD + "decimal"))


def level(text: str, what: str) -> ox.NamedNode:
    """cbec:High, cbec:Medium or cbec:Low from 'high', 'High' or 'cbec:High'."""
    name = text.strip().removeprefix("cbec:").removeprefix(CBEC).capitalize()
    if name not in LEVELS:
        raise ValueFormatError(f"{what} '{text}' must be one of high, medium, low")
    return ox.NamedNode(CBEC + name)


def text_literal(text: str, what: str, language: str | None = None) -> ox.Literal:
    """A string literal, refusing what cannot be stored as valid UTF-8 RDF text."""
    if "\x00" in text:
        raise ValueFormatError(f"{what} contains a NUL character; remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueFormatError(
            f"{what} contains a lone surrogate (broken UTF-16); re-type or re-copy the text"
        ) from None
    return ox.Literal(text, language=language) if language else ox.Literal(text)


def ontology_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ONTOLOGY_FILES:
        digest.update((resource_dir("ontology") / name).read_bytes())
    return digest.hexdigest()


def with_ontology(graph: ox.Store) -> ox.Store:
    """Add the ontology to ``graph`` as the named graph <https://w3id.org/cbec/ontology>."""
    graph.extend(ox.Quad(q.subject, q.predicate, q.object, ONTOLOGY_GRAPH) for q in ontology_store())
    return graph


PLAIN_TYPES = {
    XSD + "integer": int,
    XSD + "int": int,
    XSD + "long": int,
    XSD + "nonNegativeInteger": int,
    XSD + "positiveInteger": int,
    XSD + "decimal": float,
    XSD + "double": float,
    XSD + "float": float,
}


def plain_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None):
    """An RDF term as a plain Python value: an IRI as its string, a number as int or float,
    xsd:boolean as bool, xsd:date and xsd:dateTime as date and datetime, other literals as text."""
    import datetime

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal):
        return str(term)
    datatype = term.datatype.value
    try:
        if datatype in PLAIN_TYPES:
            return PLAIN_TYPES[datatype](term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
        if datatype == XSD + "date":
            return datetime.date.fromisoformat(term.value)
        if datatype == XSD + "dateTime":
            return datetime.datetime.fromisoformat(term.value)
    except ValueError:
        pass  # an ill-typed literal is kept as the text it is
    return term.value

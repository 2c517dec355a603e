"""Edits: the triples that adding or removing an entity or a link writes.

Each public function checks its arguments before touching the store, then hands one
change to ``Store.write``, which validates the result and persists it atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import KgError, NotFoundError, TermError
from kg.stores import Store
from kg.vocabulary import (
    CBEC,
    CBR,
    DCTERMS,
    DEPENDS_ON,
    PROV,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    XSD,
    cbec,
    checked_iri,
    compact,
    date_literal,
    decimal_literal,
    level,
    node,
    text_literal,
    vocabulary,
)

WAS_DERIVED_FROM = ox.NamedNode(PROV + "wasDerivedFrom")
INTEGER = ox.NamedNode(XSD + "integer")
ANY_URI = ox.NamedNode(XSD + "anyURI")
LINK = ox.NamedNode(CBEC + "Link")
SOURCE = ox.NamedNode(CBEC + "Source")
L_SUBJECT = ox.NamedNode(CBEC + "subject")
L_PREDICATE = ox.NamedNode(CBEC + "predicate")
L_OBJECT = ox.NamedNode(CBEC + "object")


@dataclass(frozen=True)
class EditResult:
    """What an edit did, in words a user can read."""

    changed: bool
    message: str


@dataclass(frozen=True)
class EntitySpec:
    """The facts `kg add entity` states about one entity."""

    iri: str
    types: Sequence[str]
    label: str
    sources: Sequence[str]
    label_zh: str | None = None
    comment: str | None = None
    series: str | None = None
    status: str | None = None
    exit_date: str | None = None
    founded: str | None = None
    launched: str | None = None


@dataclass(frozen=True)
class LinkSpec:
    """The facts `kg add link` states about one link of the industry chain."""

    subject: str
    predicate: str
    object: str
    sources: Sequence[str]
    confidence: str
    weight: str | None = None
    criticality: str | None = None
    chain: str | None = None
    paragraph: int | None = None
    rationale: str | None = None
    start: str | None = None
    end: str | None = None
    comment: str | None = None


def entity_triples(spec: EntitySpec) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The triples of an entity, every value checked; nothing is written here."""
    vocab = vocabulary()
    subject = node(spec.iri)
    if not spec.types:
        raise TermError("an entity needs at least one `type`, e.g. cbec:Platform")
    if not spec.sources:
        raise KgError("every fact needs a `source`, e.g. cbr:source-...")
    facts: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, vocab.klass(t)) for t in spec.types
    ]
    facts.append((ox.NamedNode(RDFS + "label"), text_literal(spec.label, "`label`", "en")))
    if spec.label_zh:
        facts.append((ox.NamedNode(RDFS + "label"), text_literal(spec.label_zh, "`label_zh`", "zh")))
    if spec.comment:
        facts.append((ox.NamedNode(RDFS + "comment"), text_literal(spec.comment, "`comment`", "en")))
    if spec.series:
        facts.append((cbec("series"), vocab.concept(spec.series)))
    if spec.status:
        facts.append((cbec("status"), vocab.concept(spec.status)))
    if spec.exit_date:
        facts.append((cbec("exitDate"), date_literal(spec.exit_date, "`exit_date`")))
    if spec.founded:
        facts.append((ox.NamedNode(SCHEMA + "foundingDate"), date_literal(spec.founded, "`founded`")))
    if spec.launched:
        facts.append((cbec("launchDate"), date_literal(spec.launched, "`launched`")))
    facts += [(WAS_DERIVED_FROM, node(s)) for s in spec.sources]
    return subject, [ox.Triple(subject, p, o) for p, o in facts]


def add_entity(store: Store, spec: EntitySpec) -> EditResult:
    """Add an entity (or new facts about an existing one); identical facts are not repeated."""
    subject, triples = entity_triples(spec)

    def change(graph: ox.Store) -> EditResult:
        require_sources(graph, [t.object for t in triples if t.predicate == WAS_DERIVED_FROM])
        new = [t for t in triples if not contains(graph, t)]
        if not new:
            return EditResult(False, f"{compact(subject)} already has all these facts; nothing changed")
        existed = has_subject(graph, subject)
        for triple in new:
            graph.add(ox.Quad(triple.subject, triple.predicate, triple.object))
        verb = "updated" if existed else "added"
        return EditResult(True, f"{verb} {compact(subject)} ({len(new)} new fact(s))")

    return store.write(change, [subject, *sources_of(triples)])


@dataclass(frozen=True)
class SourceSpec:
    """A document facts are derived from."""

    iri: str
    title: str
    url: str | None = None
    date: str | None = None
    publisher: str | None = None


def add_source(store: Store, spec: SourceSpec) -> EditResult:
    """Add a cbec:Source that later facts can cite with --source."""
    subject = node(spec.iri)
    facts: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, SOURCE),
        (ox.NamedNode(DCTERMS + "title"), text_literal(spec.title, "`title`")),
    ]
    if spec.url:
        if not spec.url.startswith(("http://", "https://")):
            raise TermError(f"`url` '{spec.url}' must start with http:// or https://")
        checked_iri(spec.url)
        facts.append((ox.NamedNode(SCHEMA + "url"), ox.Literal(spec.url, datatype=ANY_URI)))
    if spec.date:
        facts.append((ox.NamedNode(DCTERMS + "date"), date_literal(spec.date, "`date`")))
    if spec.publisher:
        facts.append((ox.NamedNode(DCTERMS + "publisher"), text_literal(spec.publisher, "`publisher`")))
    triples = [ox.Triple(subject, p, o) for p, o in facts]

    def change(graph: ox.Store) -> EditResult:
        new = [t for t in triples if not contains(graph, t)]
        if not new:
            return EditResult(False, f"{compact(subject)} already has all these facts; nothing changed")
        for triple in new:
            graph.add(ox.Quad(triple.subject, triple.predicate, triple.object))
        return EditResult(True, f"added source {compact(subject)}")

    return store.write(change, [subject])


def link_triples(spec: LinkSpec, link: ox.NamedNode) -> list[ox.Triple]:
    """The statement node's triples for ``spec``, every value checked."""
    vocab = vocabulary()
    prop = vocab.link_property(spec.predicate)
    subject, obj = node(spec.subject), node(spec.object)
    if prop.is_dependency and (spec.weight is None or spec.criticality is None):
        raise KgError(
            f"{compact(prop.iri)} is a dependency: give `weight` (0 to 1, how much "
            f"{compact(subject)} relies on it) and `criticality` (high, medium or low)"
        )
    if not spec.sources:
        raise KgError("every link needs a `source`, e.g. cbr:source-...")
    chain = vocab.concept(spec.chain) if spec.chain else ox.NamedNode(prop.default_chain)
    facts: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, LINK),
        (L_SUBJECT, subject),
        (L_PREDICATE, ox.NamedNode(prop.iri)),
        (L_OBJECT, obj),
        (cbec("chain"), chain),
        (cbec("confidence"), level(spec.confidence, "`confidence`")),
    ]
    if spec.weight is not None:
        facts.append((cbec("weight"), decimal_literal(spec.weight, "`weight`", 0, 1)))
    if spec.criticality is not None:
        facts.append((cbec("criticality"), level(spec.criticality, "`criticality`")))
    if spec.paragraph is not None:
        if spec.paragraph < 1:
            raise KgError(f"`paragraph` {spec.paragraph}: paragraphs are numbered from 1")
        facts.append((cbec("paragraph"), ox.Literal(str(spec.paragraph), datatype=INTEGER)))
    if spec.rationale:
        facts.append((cbec("rationale"), text_literal(spec.rationale, "`rationale`")))
    if spec.comment:
        facts.append((ox.NamedNode(RDFS + "comment"), text_literal(spec.comment, "`comment`", "en")))
    if spec.start:
        facts.append((ox.NamedNode(SCHEMA + "startDate"), date_literal(spec.start, "`start`")))
    if spec.end:
        facts.append((ox.NamedNode(SCHEMA + "endDate"), date_literal(spec.end, "`end`")))
    facts += [(WAS_DERIVED_FROM, node(s)) for s in spec.sources]
    return [ox.Triple(link, p, o) for p, o in facts]


def link_statement_triples(spec: LinkSpec, link: ox.NamedNode) -> list[ox.Triple]:
    """Everything one link states: the direct triple, dependsOn for a dependency, and the
    statement node ``link``."""
    prop = vocabulary().link_property(spec.predicate)
    subject, obj, predicate = node(spec.subject), node(spec.object), ox.NamedNode(prop.iri)
    triples = [ox.Triple(subject, predicate, obj)]
    if prop.is_dependency:
        triples.append(ox.Triple(subject, DEPENDS_ON, obj))
    return triples + link_triples(spec, link)


def placed_statement(graph: ox.Store, spec: LinkSpec) -> tuple[ox.NamedNode, bool]:
    """Where ``spec`` goes in ``graph``: the statement that already says exactly this (True),
    or a new statement node beside the others (False), as disagreeing sources should have.
    The same sources stating other values is refused: that is a correction, not a reading."""
    predicate = ox.NamedNode(vocabulary().link_property(spec.predicate).iri)
    subject, obj = node(spec.subject), node(spec.object)
    sources = {node(s) for s in spec.sources}
    for link in statements(graph, subject, predicate, obj):
        if statement_facts(graph, link) == {(t.predicate, t.object) for t in link_triples(spec, link)}:
            return link, True
        if set(graph_objects(graph, link, WAS_DERIVED_FROM)) == sources:
            raise KgError(
                f"{describe_link(subject, predicate, obj)} is already stated from these sources "
                f"with other values ({compact(link)}); run `kg remove link "
                f"{compact(subject)} {compact(predicate)} {compact(obj)}` first to restate it, "
                "or cite another source to record a second reading"
            )
    return new_link_iri(graph, subject, predicate, obj), False


def add_link(store: Store, spec: LinkSpec) -> EditResult:
    """State a link: the direct triple, dependsOn for a dependency, and its statement node.

    The same link stated again from the same sources changes nothing; from other sources it
    becomes a second statement beside the first, as disagreeing sources should.
    """
    prop = vocabulary().link_property(spec.predicate)
    subject, obj = node(spec.subject), node(spec.object)
    predicate = ox.NamedNode(prop.iri)
    link_triples(spec, ox.NamedNode(CBR + "link-check"))  # check every value before locking

    def change(graph: ox.Store) -> EditResult:
        for end in (subject, obj):
            if not has_subject(graph, end) and end.value not in vocabulary().concepts:
                raise NotFoundError(f"{compact(end)} is not in the store; add it first with `kg add entity`")
        require_sources(graph, [node(s) for s in spec.sources])
        link, stated = placed_statement(graph, spec)
        if stated:
            return EditResult(
                False, f"{describe_link(subject, predicate, obj)} is already stated; nothing changed"
            )
        for triple in link_statement_triples(spec, link):
            graph.add(ox.Quad(triple.subject, triple.predicate, triple.object))
        return EditResult(True, f"added {describe_link(subject, predicate, obj)} as {compact(link)}")

    return store.write(change, [subject, obj, *(node(x) for x in spec.sources)])


def remove_link(store: Store, subject: str, predicate: str, obj: str) -> EditResult:
    """Remove one link: its direct triple, its statement nodes and a dependsOn left bare."""
    prop = vocabulary().link_property(predicate)
    s, p, o = node(subject), ox.NamedNode(prop.iri), node(obj)

    def change(graph: ox.Store) -> EditResult:
        links = statements(graph, s, p, o)
        if not links and not contains(graph, ox.Triple(s, p, o)):
            raise NotFoundError(f"there is no link {describe_link(s, p, o)} in the store")
        for link in links:
            remove_subject(graph, link)
        graph.remove(ox.Quad(s, p, o))
        if prop.symmetric:
            # statements() found the statements of both directions: the reverse triple goes too.
            graph.remove(ox.Quad(o, p, s))
        drop_bare_dependency(graph, s, o)
        return EditResult(True, f"removed {describe_link(s, p, o)} ({len(links)} statement(s))")

    return store.write(change, [s, o])


def remove_entity(store: Store, iri: str) -> EditResult:
    """Remove an entity with every link and statement it takes part in."""
    entity = node(iri)

    def change(graph: ox.Store) -> EditResult:
        if not has_subject(graph, entity):
            raise NotFoundError(f"{compact(entity)} is not in the store; check the spelling with `kg show`")
        citing = {q.subject for q in graph.quads_for_pattern(None, WAS_DERIVED_FROM, entity)}
        if citing:
            raise KgError(
                f"{compact(entity)} is the source of {len(citing)} fact(s) "
                f"(e.g. {compact(sorted(citing, key=str)[0])}); remove or re-source them first"
            )
        statements_of = {
            q.subject for role in (L_SUBJECT, L_OBJECT) for q in graph.quads_for_pattern(None, role, entity)
        }
        for link in statements_of:
            remove_subject(graph, link)
        about = ox.NamedNode(CBEC + "about")
        for quad in list(graph.quads_for_pattern(None, None, entity)):
            graph.remove(quad)
            if quad.predicate == about and not any(graph.quads_for_pattern(quad.subject, about, None)):
                remove_subject(graph, quad.subject)
        remove_subject(graph, entity)
        return EditResult(True, f"removed {compact(entity)} and {len(statements_of)} link(s) it took part in")

    return store.write(change, [entity])


# ---------------------------------------------------------------- helpers on a graph


def sources_of(triples: list[ox.Triple]) -> list:
    return [t.object for t in triples if t.predicate == WAS_DERIVED_FROM]


def contains(graph: ox.Store, triple: ox.Triple) -> bool:
    return any(graph.quads_for_pattern(triple.subject, triple.predicate, triple.object))


def has_subject(graph: ox.Store, term: ox.NamedNode) -> bool:
    return any(graph.quads_for_pattern(term, None, None))


def graph_objects(graph: ox.Store, subject, predicate) -> list:
    return [q.object for q in graph.quads_for_pattern(subject, predicate, None)]


def remove_subject(graph: ox.Store, subject) -> None:
    """Remove the subject's triples, and those of the blank nodes only it pointed at (they
    describe it and nothing else: its concise bounded description)."""
    pending = [subject]
    while pending:
        for quad in list(graph.quads_for_pattern(pending.pop(), None, None)):
            graph.remove(quad)
            blank = quad.object
            if isinstance(blank, ox.BlankNode) and not any(graph.quads_for_pattern(None, None, blank)):
                pending.append(blank)


def require_sources(graph: ox.Store, sources: list) -> None:
    for source in sources:
        if not contains(graph, ox.Triple(source, RDF_TYPE, SOURCE)):
            raise NotFoundError(
                f"source {compact(source)} is not a cbec:Source in the store; add it first "
                f"(`kg add source {compact(source)} --title ...`) or pick one from "
                "`kg query sources`"
            )


def statements(graph: ox.Store, s, p, o) -> list[ox.NamedNode]:
    """The statement nodes of the link ``s p o`` (either direction for a symmetric one)."""
    found = []
    ends = [(s, o)]
    if vocabulary().link_properties[p.value].symmetric:
        ends.append((o, s))
    for a, b in ends:
        for quad in graph.quads_for_pattern(None, L_SUBJECT, a):
            link = quad.subject
            if contains(graph, ox.Triple(link, L_PREDICATE, p)) and contains(
                graph, ox.Triple(link, L_OBJECT, b)
            ):
                found.append(link)
    return sorted(found, key=str)


def statement_facts(graph: ox.Store, link: ox.NamedNode) -> set[tuple]:
    return {(q.predicate, q.object) for q in graph.quads_for_pattern(link, None, None)}


def new_link_iri(graph: ox.Store, s, p, o) -> ox.NamedNode:
    """cbr:link-<subject>-<property>-<object>, with -2, -3 for further statements."""
    if s.value.startswith(CBR) and o.value.startswith(CBR):
        base = f"link-{slug(s)}-{p.value.rsplit('#', 1)[-1].lower()}-{slug(o)}"
    else:
        digest = hashlib.sha1(f"{s.value} {p.value} {o.value}".encode()).hexdigest()[:16]
        base = f"link-{digest}"
    candidate, n = ox.NamedNode(CBR + base), 1
    while has_subject(graph, candidate):
        n += 1
        candidate = ox.NamedNode(f"{CBR}{base}-{n}")
    return candidate


def slug(term: ox.NamedNode) -> str:
    return term.value[len(CBR) :]


def drop_bare_dependency(graph: ox.Store, s, o) -> None:
    """Remove ``s dependsOn o`` once no dependency property links them any more."""
    deps = [p for p, info in vocabulary().link_properties.items() if info.is_dependency]
    if not any(contains(graph, ox.Triple(s, ox.NamedNode(p), o)) for p in deps):
        graph.remove(ox.Quad(s, DEPENDS_ON, o))


def describe_link(s, p, o) -> str:
    return f"{compact(s)} {compact(p)} {compact(o)}"

"""Finding entities by name: search, the resolver behind ``kg show``, labels in a language, and
the closest-term hints a query gets for names that match nothing.

Every query here is constant text: what the user typed is matched in Python over the names
fetched once, or bound as a value, never written into SPARQL.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox

from kg.analysis.network import entity_classes, local, main_kind, most_specific
from kg.errors import NotFoundError, TermError, ValueFormatError
from kg.queries import QueryResult, query_graph, run_sparql
from kg.sparql import QUERY_FORMS, prefix_declarations, query_form, written_terms
from kg.stores import Store
from kg.vocabulary import CBEC, CBR, PREFIXES, RDF_TYPE, closest, compact, node, ontology_store, vocabulary

NAMES_QUERY = """
SELECT ?e ?p ?text {
  VALUES ?p { rdfs:label skos:altLabel }
  ?e ?p ?text FILTER(isIRI(?e) && isLiteral(?text))
}"""
FACTS_QUERY = """
SELECT ?e ?class ?series {
  { ?e a ?class } UNION { ?e cbec:series ?series }
  FILTER(isIRI(?e))
}"""
LABELS_QUERY = """
SELECT ?e ?p ?text {
  VALUES ?p { rdfs:label skos:prefLabel }
  ?e ?p ?text FILTER(isIRI(?e) && isLiteral(?text))
}"""
MENTIONED_QUERY = "ASK { { ?e ?p ?o } UNION { ?s ?e ?o } UNION { ?s ?p ?e } }"
SUBJECTS_QUERY = "SELECT DISTINCT ?s { ?s ?p ?o FILTER(isIRI(?s)) }"

RDFS_LABEL = PREFIXES["rdfs"] + "label"
# Terms of the ontology and of the vocabularies it reuses are not entities of the store:
# search and label lookup leave them out (classes, properties and concepts have labels too).
VOCABULARY_NAMESPACES = tuple(base for prefix, base in PREFIXES.items() if prefix != "cbr")

EXACT, PREFIX, WORD_PREFIX, SUBSTRING, FUZZY = range(5)
# Ratio (difflib) a name or one of its words must reach to be a fuzzy match...
FUZZY_CUTOFF = 0.75
# ...and the looser one for the single "did you mean" of a search that found nothing.
NEAREST_CUTOFF = 0.5
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_]+")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def folded(text: str) -> str:
    """A name as search compares it: full-width folded, case-folded, without spaces or hyphens."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def label_key(text: str) -> str:
    """A label as the resolver compares it: case-insensitive, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", unicodedata.normalize("NFKC", text).casefold()) if w]


def match(wanted: str, name: str) -> tuple[int, float] | None:
    """How well ``name`` matches the folded search text: (tier, closeness within the tier),
    lower first; None for no match."""
    name_folded = folded(name)
    if not name_folded:
        return None
    extra = len(name_folded) - len(wanted)
    if name_folded == wanted:
        return EXACT, 0
    if name_folded.startswith(wanted):
        return PREFIX, extra
    parts = words(name)
    if any("".join(parts[i:]).startswith(wanted) for i in range(1, len(parts))):
        return WORD_PREFIX, extra
    if wanted in name_folded:
        return SUBSTRING, extra
    ratio = max(difflib.SequenceMatcher(None, wanted, n).ratio() for n in [name_folded, *parts])
    return (FUZZY, -ratio) if ratio >= FUZZY_CUTOFF else None


@dataclass
class Entity:
    """A resource of the store with the names it can be found by."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)  # language tag -> rdfs:label
    alt_labels: list[str] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)
    series: str | None = None

    def label(self, lang: str) -> str:
        return next((text for tag, text in self.labels.items() if tag_matches(tag, lang)), "")

    @property
    def english(self) -> str:
        return self.label("en") or self.labels.get("", "") or local(self.iri)

    @property
    def label_names(self) -> list[str]:
        return [*self.labels.values(), *self.alt_labels]

    @property
    def names(self) -> list[str]:
        return [*self.label_names, local(self.iri)]

    @property
    def klass(self) -> str | None:
        """The most specific class, a platform kind before Company and Investor."""
        specific = {local(c): c for c in most_specific(self.classes & vocabulary().classes)}
        return specific[main_kind(tuple(specific))] if specific else None

    def is_a(self, klass: str) -> bool:
        supers = vocabulary().superclasses
        return any(klass in supers.get(c, {c}) for c in self.classes)

    def as_dict(self, matched: str | None = None) -> dict:
        found = {
            "iri": compact(self.iri),
            "label": self.english,
            "label_zh": self.label("zh"),
            "class": compact(self.klass) if self.klass else None,
            "series": compact(self.series) if self.series else None,
        }
        return {**found, "matched": matched} if matched is not None else found


def tag_matches(tag: str, lang: str) -> bool:
    """langMatches: ``zh`` takes ``zh`` and ``zh-Hans``."""
    return tag.lower() == lang.lower() or tag.lower().startswith(lang.lower() + "-")


class Index:
    """The store's entities by name, fetched with two constant queries."""

    def __init__(self, entities: dict[str, Entity]) -> None:
        self.entities = entities

    @classmethod
    def of(cls, graph) -> Index:
        entities: dict[str, Entity] = {}
        for e, p, text in run_sparql(graph, NAMES_QUERY).rows:
            if e.value.startswith(VOCABULARY_NAMESPACES):
                continue
            entity = entities.setdefault(e.value, Entity(e.value))
            if p.value == RDFS_LABEL:
                entity.labels.setdefault(text.language or "", text.value)
            else:
                entity.alt_labels.append(text.value)
        kinds = entity_classes()
        for e, klass, series in run_sparql(graph, FACTS_QUERY).rows:
            if e.value.startswith(VOCABULARY_NAMESPACES):
                continue
            # A resource without a name is an entity only by its class (Participant, Policy, Zone).
            if e.value not in entities and not (klass is not None and klass.value in kinds):
                continue
            entity = entities.setdefault(e.value, Entity(e.value))
            if klass is not None:
                entity.classes.add(klass.value)
            if series is not None:
                entity.series = series.value
        return cls(entities)

    def ranked(self, text: str) -> list[tuple[tuple, Entity, str]]:
        """Every entity some name of which matches ``text``, best first, with that name."""
        wanted = folded(text)
        if not wanted:
            return []
        found = []
        for entity in self.entities.values():
            scored = [(m, name) for name in entity.names if (m := match(wanted, name)) is not None]
            if scored:
                best, name = min(scored)
                found.append(((*best, entity.english.casefold(), entity.iri), entity, name))
        return sorted(found, key=lambda f: f[0])

    def search(self, text: str, klass: str | None = None, limit: int | None = 20) -> list[dict]:
        if not text.strip():
            raise ValueFormatError("`text` is empty; give a name or part of one, e.g. tmall")
        if limit is not None and limit < 0:
            raise ValueFormatError(f"`limit` {limit} must be 0 (all) or more")
        wanted = vocabulary().klass(klass).value if klass else None
        found = [(e, name) for _, e, name in self.ranked(text) if wanted is None or e.is_a(wanted)]
        return [e.as_dict(name) for e, name in found[: limit or None]]

    def nearest(self, text: str) -> dict | None:
        """The best match of any class, else the entity with the nearest name, however loosely."""
        ranked = self.ranked(text)
        if ranked:
            return ranked[0][1].as_dict(ranked[0][2])
        names = {folded(n): e for e in self.entities.values() for n in e.names}
        near = difflib.get_close_matches(folded(text), names, n=1, cutoff=NEAREST_CUTOFF)
        return names[near[0]].as_dict() if near else None

    def named(self, text: str) -> list[Entity]:
        """The entities ``text`` is a label or an alternative label of, case-insensitively."""
        key = label_key(text)
        return [e for e in self.entities.values() if key in {label_key(n) for n in e.label_names}]


def index(store: Store) -> Index:
    return Index.of(query_graph(store))


def suggestion(found: dict | None) -> str:
    return f"; did you mean {found['label']} ({found['iri']})?" if found else ""


def resolve(store: Store, name: str) -> ox.NamedNode:
    """The IRI of the entity ``name`` names: an IRI or prefixed name the store mentions, or an
    entity's label or alternative label (case-insensitive)."""
    graph = query_graph(store)
    try:
        iri = node(name)
    except TermError as not_an_iri:
        found = Index.of(graph)
        named = found.named(name)
        if len(named) == 1:
            return ox.NamedNode(named[0].iri)
        if named:
            listed = ", ".join(f"{compact(e.iri)} ({e.english})" for e in sorted(named, key=lambda e: e.iri))
            raise TermError(f"'{name}' is the label of {len(named)} entities: {listed}; name one by its IRI")
        if looks_like_iri(name):
            raise  # what is wrong with the IRI is the answer, not that no label matches it
        raise NotFoundError(f"{not_an_iri}; nor is it an entity's label{suggestion(found.nearest(name))}")
    if not mentioned(graph, iri):
        hint = closest(iri.value, known_near(graph, iri.value)) or "; `kg search` finds entities by name"
        raise NotFoundError(f"{compact(iri)} is not in the store{hint}")
    return iri


def looks_like_iri(text: str) -> bool:
    """Written as an IRI is meant: <...>, scheme:// or urn:, or a known prefix and a colon."""
    stripped = text.strip()
    return (
        stripped.startswith("<")
        or re.match(r"[A-Za-z][A-Za-z0-9+.-]*://|urn:", stripped) is not None
        or stripped.split(":", 1)[0] in PREFIXES
        and ":" in stripped
    )


def mentioned(graph, iri: ox.NamedNode) -> bool:
    """Whether any triple of the store (or the ontology beside it) has ``iri`` in any place."""
    return bool(run_sparql(graph, MENTIONED_QUERY, {"e": iri}).boolean)


@cache
def declared_terms() -> frozenset[str]:
    """Every ``cbec:`` IRI the ontology says something about."""
    return frozenset(
        q.subject.value
        for q in ontology_store().quads_for_pattern(None, RDF_TYPE, None)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(CBEC)
    )


def namespace(iri: str) -> str:
    cut = max(iri.rfind("/"), iri.rfind("#"), iri.find(":"))
    return iri[: cut + 1]


def known_near(graph, iri: str) -> list[str]:
    """The terms a misspelling of ``iri`` may have meant: the ontology's for ``cbec:``, else
    the store's subjects in the same namespace."""
    if iri.startswith(CBEC):
        return sorted(declared_terms())
    space = namespace(iri)
    return [s.value for (s,) in run_sparql(graph, SUBJECTS_QUERY).rows if s.value.startswith(space)]


def query_warnings(store: Store, text: str, bindings: dict[str, ox.NamedNode | ox.Literal]) -> list[str]:
    """A line for each IRI bound as a parameter that names nothing in the store, and each
    ``cbec:`` term of the query the ontology does not declare or ``cbr:`` term no triple has."""
    graph = query_graph(store)
    warnings: dict[str, str] = {}

    def absent(iri: str) -> str | None:
        if mentioned(graph, ox.NamedNode(iri)):
            return None
        return f"{compact(iri)} names nothing in the store{closest(iri, known_near(graph, iri))}"

    for value in bindings.values():
        if isinstance(value, ox.NamedNode) and value.value not in warnings:
            warnings[value.value] = absent(value.value)
    # An update's cbr: names are usually what it is about to add.
    if query_form(text) in QUERY_FORMS:
        for iri in ontology_terms(text):
            if iri in warnings:
                continue
            if iri.startswith(CBEC):
                warnings[iri] = (
                    None
                    if iri in declared_terms()
                    else f"{compact(iri)} is not declared by the ontology{closest(iri, declared_terms())}"
                )
            else:
                warnings[iri] = absent(iri)
    return [w for w in warnings.values() if w]


def ontology_terms(text: str) -> list[str]:
    """The ``cbec:`` and ``cbr:`` IRIs a query writes, as prefixed names or in full, in order;
    a prefix the query declares itself counts as declared."""
    prefixes = {**PREFIXES, **prefix_declarations(text)}
    found = []
    for prefix, term in written_terms(text):
        iri = term if prefix is None else prefixes[prefix] + term if prefix in prefixes else None
        if iri is None:
            continue
        for space in (CBEC, CBR):
            if iri.startswith(space) and len(iri) > len(space) and iri not in found:
                found.append(iri)
    return found


def checked_language(lang: str) -> str:
    if not LANGUAGE_TAG.fullmatch(lang or ""):
        raise ValueFormatError(f"`lang` '{lang}' is not a language tag; write e.g. en or zh")
    return lang


def labels(store: Store, lang: str) -> dict[str, ox.Literal]:
    """Every labelled IRI's label in ``lang``, else in English, else without a language tag:
    rdfs:label before skos:prefLabel (concepts)."""
    lang = checked_language(lang)
    best: dict[str, tuple[tuple[int, int], ox.Literal]] = {}
    for e, p, text in run_sparql(query_graph(store), LABELS_QUERY).rows:
        tag = text.language or ""
        rank = 0 if tag_matches(tag, lang) else 1 if tag_matches(tag, "en") else 2 if not tag else None
        if rank is None:
            continue
        key = (rank, 0 if p.value == RDFS_LABEL else 1)
        if e.value not in best or key < best[e.value][0]:
            best[e.value] = (key, text)
    return {iri: text for iri, (_, text) in best.items()}


def label_sources(variables: list[str]) -> dict[int, int | None]:
    """For each label column, the column of the entity it names: ``xLabel`` or ``x_label``
    names column ``x``; ``label`` the nearest column to its left holding an IRI (None)."""
    sources: dict[int, int | None] = {}
    for i, name in enumerate(variables):
        base = name[: -len("Label")] if name.endswith("Label") else name.removesuffix("_label")
        if name == "label":
            sources[i] = None
        elif base != name and base in variables:
            sources[i] = variables.index(base)
    return sources


def relabelled(answer: QueryResult, names: dict[str, ox.Literal]) -> QueryResult:
    """The answer with its label columns (see ``label_sources``) in the labels ``names`` gives."""
    if answer.boolean is not None or answer.triples is not None:
        return answer
    sources = label_sources(answer.variables)
    if not sources:
        return answer
    rows = []
    for row in answer.rows:
        row = list(row)
        for i, source in sources.items():
            entity = (
                row[source]
                if source is not None
                else next((t for t in reversed(row[:i]) if isinstance(t, ox.NamedNode)), None)
            )
            if isinstance(entity, ox.NamedNode) and entity.value in names:
                row[i] = names[entity.value]
        rows.append(row)
    return QueryResult(answer.variables, rows)


def labelled_description(description: dict, names: dict[str, ox.Literal]) -> dict:
    """A ``describe`` answer with the entity's label and its link ends' labels added."""

    def name_of(term: str) -> str | None:
        try:
            iri = node(term).value
        except TermError:
            return None
        return names[iri].value if iri in names else None

    out = {**description, "label": name_of(description["iri"])}
    for key in ("links_out", "links_in"):
        out[key] = [
            {**r, "subject_label": name_of(r["subject"]), "object_label": name_of(r["object"])}
            for r in description[key]
        ]
    return out

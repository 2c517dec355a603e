"""Property tests: random edits against a model of the store, the term validators, the HTML escaping.

Hypothesis draws the inputs; each property is what a user relies on: an edit lands exactly as
stated or is refused with nothing written, a validator accepts exactly what it promises, and a
label is shown as text, never as markup.
"""

from __future__ import annotations

import datetime
import html.parser
import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kg import edits
from kg.analysis.network import project
from kg.cli import cli
from kg.errors import KgError, TermError, ValueFormatError
from kg.stores import TurtleStore, init_store
from kg.validation import validate_store
from kg.views.export import build_pages
from kg.vocabulary import (
    CBEC,
    CBR,
    DCTERMS,
    PROV,
    RDF,
    RDFS,
    XSD,
    checked_iri,
    date_literal,
    decimal_literal,
    node,
    text_literal,
)
from tests import graphs

# ---------------------------------------------------------------- a model of the store

ENTITY_SLUGS = ["acme", "bolt", "cargo", "depot"]
SOURCE_SLUGS = ["source-test", "source-two"]
CLASSES = ["MarketplacePlatform", "Supplier", "LogisticsProvider", "Zone"]
PARTICIPANTS = {"MarketplacePlatform", "Supplier", "LogisticsProvider"}
PROPERTIES = ["sourcesFrom", "shipsVia", "warehousesIn", "competesWith"]
SYMMETRIC = {"competesWith"}
DEPENDENCIES = {"sourcesFrom", "shipsVia", "warehousesIn"}
CHAINS = {
    "sourcesFrom": "TradeChain",
    "shipsVia": "LogisticsChain",
    "warehousesIn": "LogisticsChain",
    "competesWith": "CompetitionChain",
}
LEVELS = {"high": "High", "medium": "Medium", "low": "Low", "Low": "Low", "cbec:High": "High"}
RDF_TYPE, LABEL, DERIVED = RDF + "type", RDFS + "label", PROV + "wasDerivedFrom"


def nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass
class Entity:
    types: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Statement:
    """One cbec:Link statement of a link: what `kg add link` was given, normalised."""

    source: str
    confidence: str
    weight: str | None
    criticality: str | None


@dataclass
class Model:
    """What the store should hold: sources, entities and the statements of each link s p o
    (in the order they were added, which is the order of their IRIs: base, base-2, ...)."""

    sources: dict[str, set[str]] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    links: dict[tuple[str, str, str], list[Statement]] = field(default_factory=dict)
    iris: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def copy(self) -> Model:
        return Model(
            {k: set(v) for k, v in self.sources.items()},
            {k: Entity(set(e.types), set(e.labels), set(e.sources)) for k, e in self.entities.items()},
            {k: list(v) for k, v in self.links.items()},
            {k: list(v) for k, v in self.iris.items()},
        )

    def subjects(self) -> set[str]:
        return set(self.sources) | set(self.entities) | {i for v in self.iris.values() for i in v}

    def new_iri(self, s: str, p: str, o: str) -> str:
        base, n = f"link-{s}-{p.lower()}-{o}", 1
        candidate = base
        while candidate in self.subjects():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def valid(self) -> bool:
        """The shapes, for this pool of classes and properties."""
        for entity in self.entities.values():
            if len(entity.labels) != 1 or not entity.types <= set(CLASSES):
                return False
        for (s, p, o), statements in self.links.items():
            if not statements:
                continue
            subject, obj = self.entities[s].types, self.entities[o].types
            if s == o or "Zone" in subject or not subject & PARTICIPANTS:
                return False
            wanted = {
                "sourcesFrom": "Supplier",
                "shipsVia": "LogisticsProvider",
                "warehousesIn": "Zone",
                "competesWith": None,
            }[p]
            if p == "sourcesFrom" and "MarketplacePlatform" not in subject:
                return False
            if (wanted and wanted not in obj) or (not wanted and not obj & PARTICIPANTS):
                return False
        return True

    def triples(self) -> set[str]:
        out: set[tuple] = set()
        for slug, titles in self.sources.items():
            out.add((nn(CBR + slug), nn(RDF_TYPE), nn(CBEC + "Source")))
            out |= {(nn(CBR + slug), nn(DCTERMS + "title"), ox.Literal(t)) for t in titles}
        for slug, entity in self.entities.items():
            subject = nn(CBR + slug)
            out |= {(subject, nn(RDF_TYPE), nn(CBEC + c)) for c in entity.types}
            out |= {(subject, nn(LABEL), ox.Literal(label, language="en")) for label in entity.labels}
            out |= {(subject, nn(DERIVED), nn(CBR + src)) for src in entity.sources}
        for (s, p, o), statements in self.links.items():
            if not statements:
                continue
            out.add((nn(CBR + s), nn(CBEC + p), nn(CBR + o)))
            if p in DEPENDENCIES:
                out.add((nn(CBR + s), nn(CBEC + "dependsOn"), nn(CBR + o)))
            for iri, stated in zip(self.iris[(s, p, o)], statements, strict=True):
                link = nn(CBR + iri)
                facts = [
                    (RDF_TYPE, nn(CBEC + "Link")),
                    (CBEC + "subject", nn(CBR + s)),
                    (CBEC + "predicate", nn(CBEC + p)),
                    (CBEC + "object", nn(CBR + o)),
                    (CBEC + "chain", nn(CBEC + CHAINS[p])),
                    (CBEC + "confidence", nn(CBEC + stated.confidence)),
                    (DERIVED, nn(CBR + stated.source)),
                ]
                if stated.weight is not None:
                    facts.append((CBEC + "weight", ox.Literal(stated.weight, datatype=nn(XSD + "decimal"))))
                if stated.criticality is not None:
                    facts.append((CBEC + "criticality", nn(CBEC + stated.criticality)))
                out |= {(link, nn(p2), value) for p2, value in facts}
        return {" ".join(map(str, t)) for t in out}


def over_budget(model: Model, subject: str) -> bool:
    """Whether ``subject``'s supply weights in some chain sum above 1, each fact at its largest reading."""
    from decimal import Decimal

    sums: dict[str, Decimal] = {}
    for (s, p, _), statements in model.links.items():
        weights = [Decimal(x.weight) for x in statements if x.weight is not None]
        if s == subject and p in DEPENDENCIES and weights:
            sums[CHAINS[p]] = sums.get(CHAINS[p], Decimal(0)) + max(weights)
    return any(total > 1 for total in sums.values())


def weight_of(text: str | None) -> str | None:
    """The lexical form kg stores for a weight; ValueError when it must be refused."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValueError(text)
    return format(value.normalize(), "f")


def level_of(text: str | None) -> str | None:
    if text is None:
        return None
    if text not in LEVELS:
        raise ValueError(text)
    return LEVELS[text]


class RefusedError(Exception):
    """The model says kg must refuse the command."""


def mostly(valid: list, invalid: list) -> st.SearchStrategy:
    """Each valid value three times as likely as each invalid one."""
    return st.sampled_from(valid * 3 + invalid)


SLUG_OR_BAD = mostly(ENTITY_SLUGS, ["Bad_Slug"])
# U+0085, U+2028 and U+2029 once broke the Turtle store: test_a_label_with_a_line_separator_...
LINE_SEPARATORS = "\x85\u2028\u2029"
TEXT = st.text(st.characters(), min_size=1, max_size=6)
# None: the entity's usual label, so that adding an entity again can agree with the store.
LABELS = st.one_of(mostly([None], ["bad\x00label", "lone \ud800 half"]), TEXT)
SOURCE_CHOICE = mostly([["source-test"], ["source-test"], ["source-two"]], [["source-none"], []])
# None: the entity's usual class, so that most links find ends of the right classes.
TYPES = st.one_of(
    st.just(None),
    st.just(None),
    st.lists(st.sampled_from(CLASSES), min_size=1, max_size=2),
    st.sampled_from([[], ["Platfrom"], ["Source"]]),
)
USUAL_CLASS = dict(zip(ENTITY_SLUGS, CLASSES, strict=True))
LINK_END = mostly(ENTITY_SLUGS, ["ghost"])
PREDICATES = mostly(PROPERTIES, ["shipVia", "dependsOn"])
LINK_SOURCE = mostly(["source-test", "source-test", "source-two"], ["source-none"])
WEIGHTS = mostly(["0.5", "0.50", "1", "0", "0.25"], [None, "1.5", "-0.1", "NaN", "heavy"])
CRITICALITIES = mostly(["high", "Low", "medium"], [None, "extreme"])
CONFIDENCES = mostly(["high", "medium", "low", "cbec:High"], ["sure"])
# Links between the usual classes that the shapes accept, so that states grow links.
SENSIBLE_LINKS = [
    ("acme", "sourcesFrom", "bolt"),
    ("acme", "shipsVia", "cargo"),
    ("acme", "warehousesIn", "depot"),
    ("bolt", "shipsVia", "cargo"),
    ("cargo", "warehousesIn", "depot"),
    ("acme", "competesWith", "bolt"),
    ("bolt", "competesWith", "acme"),
]


class EditsMachine(RuleBasedStateMachine):
    """kg.edits on a Turtle store, step by step beside the model."""

    @initialize(first=st.one_of(st.just(ENTITY_SLUGS), st.lists(st.sampled_from(ENTITY_SLUGS), unique=True)))
    def start(self, first: list[str]) -> None:
        """An empty store with one source, then the first entities (a command each)."""
        self.folder = Path(tempfile.mkdtemp(prefix="kg-properties-"))
        self.path = self.folder / "store.ttl"
        self.store = init_store(str(self.path), empty=True)
        edits.add_source(self.store, edits.SourceSpec("cbr:source-test", "Test notes"))
        self.model = Model(sources={"source-test": {"Test notes"}})
        for slug in first:
            self.add_usual_entity(slug)

    def teardown(self) -> None:
        if hasattr(self, "folder"):
            shutil.rmtree(self.folder, ignore_errors=True)

    def apply(self, command, expected) -> None:
        """Run ``command`` on the store and ``expected`` on a copy of the model: both succeed
        and agree, or kg raises a KgError, the model refuses too and the file is unchanged."""
        before = self.path.read_bytes()
        try:
            model = expected(self.model.copy())
            if not model.valid():
                raise RefusedError
        except (RefusedError, ValueError):
            model = None
        try:
            command()
        except KgError as error:
            assert model is None, f"kg refused what the model accepts: {error}"
            assert self.path.read_bytes() == before, "a refused command changed the store"
            return
        assert model is not None, "kg accepted what the model refuses"
        self.model = model

    @rule(slug=st.sampled_from(SOURCE_SLUGS), title=st.sampled_from(["Test notes", "Second", "bad\x00"]))
    def add_source(self, slug: str, title: str) -> None:
        def expected(model: Model) -> Model:
            if "\x00" in title or (slug in model.sources and title not in model.sources[slug]):
                raise RefusedError  # a NUL, or a second title
            model.sources[slug] = {title}
            return model

        self.apply(lambda: edits.add_source(self.store, edits.SourceSpec(f"cbr:{slug}", title)), expected)

    @rule(slug=SLUG_OR_BAD, types=TYPES, label=LABELS, sources=SOURCE_CHOICE)
    def add_entity(self, slug: str, types: list[str] | None, label: str | None, sources: list[str]) -> None:
        label = f"{slug.title()} Ltd" if label is None else label
        types = [USUAL_CLASS.get(slug, "Supplier")] if types is None else types

        def expected(model: Model) -> Model:
            if slug == "Bad_Slug" or not types or not sources or not set(types) <= {*CLASSES, "Source"}:
                raise RefusedError
            if re.search(r"[\x00\ud800-\udfff]", label) or not set(sources) <= set(model.sources):
                raise RefusedError
            if "Source" in types:
                raise RefusedError  # an entity cannot be a cbec:Source (no title; it cites a source)
            entity = model.entities.setdefault(slug, Entity())
            entity.types |= set(types)
            entity.labels.add(label)
            entity.sources |= set(sources)
            return model

        spec = edits.EntitySpec(
            f"cbr:{slug}", [f"cbec:{t}" for t in types], label, [f"cbr:{s}" for s in sources]
        )
        self.apply(lambda: edits.add_entity(self.store, spec), expected)

    @rule(
        s=LINK_END,
        p=PREDICATES,
        o=LINK_END,
        source=LINK_SOURCE,
        weight=WEIGHTS,
        criticality=CRITICALITIES,
        confidence=CONFIDENCES,
    )
    def add_link(self, s, p, o, source, weight, criticality, confidence) -> None:
        def expected(model: Model) -> Model:
            if p not in PROPERTIES or (p in DEPENDENCIES and (weight is None or criticality is None)):
                raise RefusedError
            stated = Statement(source, level_of(confidence), weight_of(weight), level_of(criticality))
            if s not in model.entities or o not in model.entities or source not in model.sources:
                raise RefusedError
            existing = [((s, o), x) for x in model.links.get((s, p, o), [])]
            if p in SYMMETRIC:
                existing += [((o, s), x) for x in model.links.get((o, p, s), [])]
            for ends, other in existing:
                if ends == (s, o) and other == stated:
                    return model  # already stated: nothing changes
                if other.source == source:
                    raise RefusedError  # stated from this source with other values
            iri = model.new_iri(s, p, o)
            model.links.setdefault((s, p, o), []).append(stated)
            model.iris.setdefault((s, p, o), []).append(iri)
            if over_budget(model, s):
                raise RefusedError  # the weight-sum rule: a chain's supply weights sum to at most 1
            return model

        spec = edits.LinkSpec(
            f"cbr:{s}", f"cbec:{p}", f"cbr:{o}", [f"cbr:{source}"], confidence, weight, criticality
        )
        self.apply(lambda: edits.add_link(self.store, spec), expected)

    @rule(slug=st.sampled_from(ENTITY_SLUGS))
    def add_usual_entity(self, slug: str) -> None:
        self.add_entity(slug, None, None, ["source-test"])

    @rule(
        link=st.sampled_from(SENSIBLE_LINKS),
        source=st.sampled_from(["source-test", "source-test", "source-test", "source-two"]),
        weight=st.sampled_from(["0.5", "1", "0.25"]),
        criticality=st.sampled_from(["high", "low"]),
        confidence=st.sampled_from(["high", "medium"]),
    )
    def add_sensible_link(self, link: tuple[str, str, str], source, weight, criticality, confidence) -> None:
        self.add_link(*link, source, weight, criticality, confidence)

    @rule(data=st.data())
    def remove_a_stated_link(self, data: st.DataObject) -> None:
        stated = sorted(k for k, v in self.model.links.items() if v)
        if stated:
            self.remove_link(*data.draw(st.sampled_from(stated), label="link"))

    @rule(s=LINK_END, p=PREDICATES, o=LINK_END)
    def remove_link(self, s: str, p: str, o: str) -> None:
        def expected(model: Model) -> Model:
            # A symmetric link is one link whichever way it was stated: both directions go.
            ways = [(s, p, o), (o, p, s)] if p in SYMMETRIC else [(s, p, o)]
            stated = [way for way in ways if model.links.get(way)]
            if p not in PROPERTIES or not stated:
                raise RefusedError
            for way in stated:
                del model.links[way], model.iris[way]
            return model

        self.apply(lambda: edits.remove_link(self.store, f"cbr:{s}", f"cbec:{p}", f"cbr:{o}"), expected)

    @rule(slug=st.sampled_from([*ENTITY_SLUGS, "ghost", *SOURCE_SLUGS, "Bad_Slug"]))
    def remove_entity(self, slug: str) -> None:
        def expected(model: Model) -> Model:
            if slug in model.sources:
                cited = any(slug in e.sources for e in model.entities.values()) or any(
                    x.source == slug for v in model.links.values() for x in v
                )
                if cited:
                    raise RefusedError
                del model.sources[slug]
                return model
            if slug not in model.entities:
                raise RefusedError
            del model.entities[slug]
            for key in [k for k in model.links if slug in (k[0], k[2])]:
                del model.links[key], model.iris[key]
            return model

        self.apply(lambda: edits.remove_entity(self.store, f"cbr:{slug}"), expected)

    @invariant()
    def the_store_is_the_model(self) -> None:
        if not hasattr(self, "store"):
            return
        stored = {f"{t.subject} {t.predicate} {t.object}" for t in TurtleStore(self.path).triples()}
        assert stored == self.model.triples()

    @invariant()
    def the_store_validates(self) -> None:
        if hasattr(self, "store"):
            assert validate_store(self.store).conforms


EditsMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_edits_leave_the_store_equal_to_the_model = EditsMachine.TestCase


def test_removing_a_link_stated_both_ways_leaves_a_valid_store(tmp_path: Path) -> None:
    """cbec:competesWith is symmetric: stated a->b from one source and b->a from another, removing
    a->b must not leave b->a as a bare triple whose statement node went with a->b."""
    store = init_store(str(tmp_path / "store.ttl"), empty=True)
    for slug, title in (("source-test", "Test notes"), ("source-two", "Second")):
        edits.add_source(store, edits.SourceSpec(f"cbr:{slug}", title))
    for slug in ("a", "b"):
        edits.add_entity(store, edits.EntitySpec(f"cbr:{slug}", ["cbec:Supplier"], slug, ["cbr:source-test"]))
    edits.add_link(store, edits.LinkSpec("cbr:a", "cbec:competesWith", "cbr:b", ["cbr:source-test"], "high"))
    edits.add_link(store, edits.LinkSpec("cbr:b", "cbec:competesWith", "cbr:a", ["cbr:source-two"], "high"))
    edits.remove_link(store, "cbr:a", "cbec:competesWith", "cbr:b")
    triples = {(t.subject.value, t.predicate.value, t.object.value) for t in store.triples()}
    assert (CBR + "a", CBEC + "competesWith", CBR + "b") not in triples
    reverse_stated = any(p == CBEC + "subject" and o == CBR + "b" for _, p, o in triples)
    reverse_direct = (CBR + "b", CBEC + "competesWith", CBR + "a") in triples
    assert reverse_direct == reverse_stated, "b competesWith a and its statement must go together"
    assert validate_store(store).conforms, validate_store(store).text()


# ---------------------------------------------------------------- IRIs

SLUGS = st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True)
HOSTS = st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*", fullmatch=True)
# RFC 3987 ipchar: unreserved (with a few non-ASCII letters), sub-delims, ':' and '@', %HH.
SAFE = "abcXYZ0189-._~!$&'()*+,;=:@éü中文"
SEGMENTS = st.lists(
    st.one_of(st.text(SAFE, max_size=6), st.from_regex(r"%[0-9A-F]{2}", fullmatch=True)), max_size=4
).map("".join)
HTTP_IRIS = st.builds(
    lambda scheme, host, port, path, query, fragment: f"{scheme}://{host}{port}{path}{query}{fragment}",
    st.sampled_from(["http", "https"]),
    HOSTS,
    st.sampled_from(["", ":8080"]),
    st.lists(SEGMENTS, max_size=3).map(lambda parts: "".join("/" + p for p in parts)),
    st.one_of(st.just(""), SEGMENTS.map(lambda q: "?" + q)),
    st.one_of(st.just(""), SEGMENTS.map(lambda f: "#" + f)),
).filter(lambda iri: not iri.startswith(CBR))
CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
FORBIDDEN = st.sampled_from([" ", "<", ">", '"', "{", "}", "|", "^", "`", "\\", *CONTROLS])
OTHER_SCHEMES = st.from_regex(r"[a-z][a-z0-9+.-]{0,8}", fullmatch=True).filter(
    lambda s: s not in ("http", "https", "urn")
)


@given(SLUGS)
def test_every_slug_is_a_resource_name(slug: str) -> None:
    for spelling in (f"cbr:{slug}", f"<{CBR}{slug}>", CBR + slug):
        assert node(spelling).value == CBR + slug
    assert checked_iri(CBR + slug).value == CBR + slug


@given(
    st.text("abcXYZ09_-.~%/", max_size=8).filter(
        lambda local: not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", local)
    )
)
def test_a_resource_name_that_is_not_a_slug_is_refused(local: str) -> None:
    with pytest.raises(TermError):
        node(f"cbr:{local}")


@given(HTTP_IRIS)
def test_http_iris_of_safe_characters_are_accepted(iri: str) -> None:
    assert checked_iri(iri).value == iri
    assert node(iri).value == iri and node(f"<{iri}>").value == iri


@given(HTTP_IRIS, FORBIDDEN, st.data())
def test_iris_with_a_forbidden_character_are_refused(iri: str, bad: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(iri)), label="at")
    with pytest.raises(TermError):
        checked_iri(iri[:at] + bad + iri[at:])
    inside = data.draw(st.integers(1, len(iri) - 1), label="inside")  # node() trims the ends
    with pytest.raises(TermError):
        node(iri[:inside] + bad + iri[inside:])


@given(OTHER_SCHEMES, st.sampled_from(["://example.org/x", ":x", ":alert(1)"]))
def test_schemes_other_than_http_https_urn_are_refused(scheme: str, rest: str) -> None:
    assume(scheme.lower() not in ("http", "https", "urn"))
    with pytest.raises(TermError):
        checked_iri(scheme + rest)
    if rest.startswith("://"):
        with pytest.raises(TermError):
            node(scheme + rest)


def test_urn_iris_are_accepted() -> None:
    assert checked_iri("urn:isbn:9780262510875").value == "urn:isbn:9780262510875"
    assert node("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66").value.startswith("urn:uuid:")


# ---------------------------------------------------------------- text

# Any text a user can type: no NUL, no lone surrogate.
TEXTS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """An empty store with one source, copied for each example."""
    path = tmp_path_factory.mktemp("seeded") / "store.ttl"
    store = init_store(str(path), empty=True)
    edits.add_source(store, edits.SourceSpec("cbr:source-test", "Test notes"))
    return path


def round_trip(seeded: Path, text: str) -> None:
    """`kg add entity --label TEXT`, then the label as `kg show --format json` and the store give it."""
    folder = Path(tempfile.mkdtemp(prefix="kg-label-"))
    try:
        path = folder / "store.ttl"
        shutil.copyfile(seeded, path)
        before = {str(t) for t in TurtleStore(path).triples()}
        run = CliRunner().invoke
        added = run(
            cli,
            ["--store", str(path), "add", "entity", "cbr:probe", "--type", "cbec:Supplier"]
            + [f"--label={text}", "--source", "cbr:source-test"],
        )
        assert added.exit_code == 0, added.output
        shown = run(cli, ["--store", str(path), "show", "cbr:probe", "--format", "json"])
        assert shown.exit_code == 0, shown.output
        assert ["rdfs:label", f"{text} @en"] in json.loads(shown.output)["facts"]
        new = [t for t in TurtleStore(path).triples() if str(t) not in before]
        assert len(new) == 3  # type, label, source: nothing else
        labels = [t.object for t in new if t.predicate.value == RDFS + "label"]
        assert [(label.value, label.language) for label in labels] == [(text, "en")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_any_text_round_trips_as_a_label(seeded: Path, text: str) -> None:
    round_trip(seeded, text)


@pytest.mark.parametrize("separator", list(LINE_SEPARATORS), ids=["U+0085", "U+2028", "U+2029"])
def test_a_label_with_a_line_separator_round_trips(seeded: Path, separator: str) -> None:
    round_trip(seeded, f"first line{separator}second line")


@given(TEXTS, st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]), st.data())
def test_nul_and_lone_surrogates_are_refused(text: str, bad: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)), label="at")
    with pytest.raises(ValueFormatError):
        text_literal(text[:at] + bad + text[at:], "--label")
    literal = text_literal(text, "--label", "en")
    assert (literal.value, literal.language) == (text, "en")


# ---------------------------------------------------------------- dates and numbers


def real_date(year: int, month: int = 1, day: int = 1) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


@given(st.dates())
def test_every_real_date_is_accepted_at_each_precision(day: datetime.date) -> None:
    for text, datatype in (
        (day.isoformat(), "date"),
        (f"{day.year:04d}-{day.month:02d}", "gYearMonth"),
        (f"{day.year:04d}", "gYear"),
    ):
        literal = date_literal(text)
        assert (literal.value, literal.datatype.value) == (text, XSD + datatype)


@given(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99))
def test_only_real_dates_are_accepted(year: int, month: int, day: int) -> None:
    for text, real in (
        (f"{year:04d}-{month:02d}-{day:02d}", real_date(year, month, day)),
        (f"{year:04d}-{month:02d}", real_date(year, month)),
        (f"{year:04d}", real_date(year)),
    ):
        if real:
            assert date_literal(text).value == text
        else:
            with pytest.raises(ValueFormatError):
                date_literal(text)


@given(st.text(max_size=12))
def test_text_that_is_not_a_date_is_refused(text: str) -> None:
    shapes = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", r"[0-9]{4}-[0-9]{2}", r"[0-9]{4}")
    assume(not any(re.fullmatch(shape, text.strip()) for shape in shapes))
    with pytest.raises(ValueFormatError):
        date_literal(text)


NUMBERS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(min_value=0, max_value=1, places=6).map(str),
    st.sampled_from(["0", "1", "-0", "0.5", ".5", "+0.5", "1e-3", "1.0000", "1.0001", "-0.0001"]),
)
XSD_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


@given(NUMBERS)
def test_weights_accept_exactly_the_finite_numbers_from_0_to_1(text: str) -> None:
    value = Decimal(text) if text not in ("inf", "-inf", "nan") else Decimal(text.replace("inf", "Infinity"))
    if value.is_finite() and 0 <= value <= 1:
        literal = decimal_literal(text, "--weight", 0, 1)
        assert literal.datatype.value == XSD + "decimal" and XSD_DECIMAL.fullmatch(literal.value)
        digits = "".join(map(str, value.as_tuple().digits)).strip("0")
        if len(digits) <= 28:  # kg normalises at Decimal's precision of 28 digits
            assert Decimal(literal.value) == value
    else:
        with pytest.raises(ValueFormatError):
            decimal_literal(text, "--weight", 0, 1)


@pytest.mark.parametrize("text", ["", " ", "abc", "0,5", "1/2", "0.5.1", "½", "0x1", "1e", "--0.5"])
def test_text_that_is_not_a_number_is_refused_as_a_weight(text: str) -> None:
    with pytest.raises(ValueFormatError):
        decimal_literal(text, "--weight", 0, 1)


# ---------------------------------------------------------------- HTML views


class Markup(html.parser.HTMLParser):
    """The tags of a page: what a label must never add to."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        self.tags["/" + tag] += 1


def ecosystem_page(label: str) -> str:
    """The ecosystem view of a platform labelled ``label`` sourcing from one supplier."""
    graph = graphs.store(
        {"shop": "Platform", "maker": "Supplier"}, [("shop", "sourcesFrom", "maker", 0.5, "High")]
    )
    shop, rdfs_label = ox.NamedNode(CBR + "shop"), ox.NamedNode(RDFS + "label")
    for quad in list(graph.quads_for_pattern(shop, rdfs_label, None)):
        graph.remove(quad)
    graph.add(ox.Quad(shop, rdfs_label, ox.Literal(label, language="en")))
    return build_pages(project(graph), ["ecosystem"])["ecosystem.html"].decode("utf-8")


def island(page: str) -> str:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.DOTALL)
    assert match, "the page has no data island"
    return match.group(1)


HOSTILE = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
    st.lists(
        st.sampled_from(
            ["<", ">", "&", '"', "'", "</script>", "<!--", "<script>", "\u2028", "\u2029", "x", " "]
        ),
        min_size=1,
    ).map("".join),
)


@pytest.fixture(scope="module")
def plain_page() -> str:
    return ecosystem_page("x")


@settings(max_examples=60, deadline=None)
@given(HOSTILE)
def test_labels_are_text_never_markup(plain_page: str, label: str) -> None:
    page = ecosystem_page(label)
    plain, tags = Markup(), Markup()
    plain.feed(plain_page)
    tags.feed(page)
    assert tags.tags == plain.tags  # no element, no closed <script>, from the label
    assert page.count("<") == plain_page.count("<")
    data = island(page)
    assert "</script" not in data.lower() and "<!--" not in data and "\u2028" not in page
    nodes = {n["id"]: n for n in json.loads(data)["nodes"]}
    assert nodes["cbr:shop"]["label"] == label

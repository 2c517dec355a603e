"""The SHACL core constraints of ontology/shapes.ttl, compiled to SPARQL and run on Oxigraph.

pySHACL checks one focus node at a time in Python, which takes minutes on a million triples;
one query per constraint over all of a shape's focus nodes takes seconds. Queries are built from
the shapes file alone, never from user input. A SHACL term the compiler does not know stops
compilation instead of being skipped, since a silently unchecked constraint would pass
invalid data as valid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from kg.errors import KgError, QueryError
from kg.resources import resource_dir
from kg.sparql import outer_group
from kg.validation.report import Problem
from kg.vocabulary import PREFIXES, RDF, RDFS, SH, XSD, compact, with_ontology

Term = ox.NamedNode | ox.BlankNode | ox.Literal
SHAPES_FILE = "shapes.ttl"
CBSH = "https://w3id.org/cbec/shapes#"

# Oxigraph's cast to these datatypes fails exactly on ill-typed literals ("2016-13-40"^^xsd:date).
CASTABLE = frozenset(
    XSD + name
    for name in ("boolean", "integer", "decimal", "float", "double", "date", "dateTime", "time")
    + ("duration", "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay")
)
NODE_KINDS = {
    "IRI": ("isIRI({})", "be an IRI"),
    "BlankNode": ("isBlank({})", "be a blank node"),
    "Literal": ("isLiteral({})", "be a literal"),
    "BlankNodeOrIRI": ("!isLiteral({})", "be a blank node or an IRI"),
    "BlankNodeOrLiteral": ("!isIRI({})", "be a blank node or a literal"),
    "IRIOrLiteral": ("!isBlank({})", "be an IRI or a literal"),
}
# Terms that name or describe a shape without constraining anything.
DESCRIPTIVE = frozenset({RDF + "type", RDFS + "label", RDFS + "comment", SH + "message"})
TARGETS = frozenset({SH + "targetClass", SH + "targetSubjectsOf"})
# Compiled by sparql_checks, not by the core compiler.
SPARQL_TERMS = frozenset({SH + "sparql"})
NODE_SHAPE_TERMS = TARGETS | SPARQL_TERMS | {SH + "property", SH + "closed", SH + "ignoredProperties"}
PROPERTY_SHAPE_TERMS = frozenset({SH + "path", SH + "minCount", SH + "maxCount", SH + "uniqueLang"})


@dataclass(frozen=True)
class Test:
    """A condition on one node: a SPARQL expression that is true (never an error) when the
    node meets it, the graph patterns that bind the expression's variables, and its wording
    after "value must"."""

    expression: str
    wording: str
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT whose rows (?this, ?path, ?value) are its violations."""

    query: str
    message: str
    name: str = ""  # the shape and what it checks, for a benchmark that times each constraint


class Shapes:
    """The shapes graph, read with pyoxigraph."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        return [q.object for q in self.store.quads_for_pattern(subject, ox.NamedNode(predicate), None)]

    def one(self, subject: Term, predicate: str) -> Term | None:
        values = self.objects(subject, predicate)
        return values[0] if values else None

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        members = []
        while head != ox.NamedNode(RDF + "nil"):
            members.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return members

    def predicates(self, subject: Term) -> set[str]:
        return {q.predicate.value for q in self.store.quads_for_pattern(subject, None, None)}

    def refuse_unknown(self, shape: Term, known: frozenset[str]) -> None:
        unknown = self.predicates(shape) - known - DESCRIPTIVE - TESTS.keys()
        if unknown:
            names = ", ".join(sorted(compact(p) for p in unknown))
            raise NotImplementedError(
                f"kg cannot compile {names} of shape {shape_name(shape)} in {SHAPES_FILE} to SPARQL; "
                "extend kg/validation/constraints.py before using it"
            )


def shape_name(shape: Term) -> str:
    """cbsh:Date for a shape of the shapes file (kg.vocabulary does not know the cbsh: prefix)."""
    return "cbsh:" + shape.value.removeprefix(CBSH) if shape.value.startswith(CBSH) else compact(shape)


def class_test(shapes: Shapes, klass: Term, var: str) -> Test:
    # An OPTIONAL over all instances, hash-joined once: FILTER EXISTS walked the class
    # hierarchy again for every value, 25 times slower on a million triples.
    flag = "?is_" + hashlib.sha1(f"{var} {klass}".encode()).hexdigest()[:12]
    instances = f"SELECT DISTINCT {var} (true AS {flag}) WHERE {{ {var} rdf:type/rdfs:subClassOf* {klass} }}"
    return Test(f"BOUND({flag})", f"be an instance of {compact(klass)}", (f"OPTIONAL {{ {instances} }}",))


def datatype_test(shapes: Shapes, datatype: Term, var: str) -> Test:
    if datatype.value == RDF + "langString":
        expression = f'lang({var}) != ""'
    else:
        expression = f"sameTerm(datatype({var}), {datatype})"
        if datatype.value in CASTABLE:
            expression += f" && isLiteral({datatype}({var}))"
    return Test(f"COALESCE({expression}, false)", f"be a literal of datatype {compact(datatype)}")


def node_kind_test(shapes: Shapes, kind: Term, var: str) -> Test:
    expression, wording = NODE_KINDS[kind.value.removeprefix(SH)]
    return Test(expression.format(var), wording)


def in_test(shapes: Shapes, head: Term, var: str) -> Test:
    members = shapes.items(head)
    expression = " || ".join(f"sameTerm({var}, {m})" for m in members) or "false"
    return Test(f"({expression})", "be one of " + ", ".join(compact(m) for m in members))


def or_test(shapes: Shapes, head: Term, var: str) -> Test:
    options = [shape_test(shapes, alternative, var) for alternative in shapes.items(head)]
    return Test(
        "(" + (" || ".join(o.expression for o in options) or "false") + ")",
        "either " + " or ".join(o.wording for o in options),
        patterns_of(options),
    )


def node_test(shapes: Shapes, shape: Term, var: str) -> Test:
    message = shapes.one(shape, SH + "message")
    explained = f" ({message.value})" if message else ""
    test = shape_test(shapes, shape, var)
    return Test(test.expression, f"conform to {shape_name(shape)}{explained}", test.patterns)


def min_inclusive_test(shapes: Shapes, bound: Term, var: str) -> Test:
    return Test(f"COALESCE({bound} <= {var}, false)", f"be at least {compact(bound)}")


def max_inclusive_test(shapes: Shapes, bound: Term, var: str) -> Test:
    return Test(f"COALESCE({var} <= {bound}, false)", f"be at most {compact(bound)}")


def pattern_test(shapes: Shapes, pattern: Term, var: str) -> Test:
    # SHACL: a blank node never matches a pattern; IRIs are matched on their text.
    return Test(
        f"COALESCE(!isBlank({var}) && regex(str({var}), {ox.Literal(pattern.value)}), false)",
        f"match the pattern {pattern.value}",
    )


TESTS: dict[str, Callable[[Shapes, Term, str], Test]] = {
    SH + "class": class_test,
    SH + "datatype": datatype_test,
    SH + "nodeKind": node_kind_test,
    SH + "in": in_test,
    SH + "or": or_test,
    SH + "node": node_test,
    SH + "minInclusive": min_inclusive_test,
    SH + "maxInclusive": max_inclusive_test,
    SH + "pattern": pattern_test,
}


def tests_of(shapes: Shapes, shape: Term, var: str) -> list[Test]:
    """One test per value constraint a shape declares."""
    return [
        TESTS[predicate](shapes, value, var)
        for predicate in sorted(shapes.predicates(shape) & TESTS.keys())
        for value in shapes.objects(shape, predicate)
    ]


def shape_test(shapes: Shapes, shape: Term, var: str) -> Test:
    """All of a value shape's constraints as one test (for sh:node and sh:or)."""
    shapes.refuse_unknown(shape, frozenset())
    tests = tests_of(shapes, shape, var)
    return Test(
        "(" + (" && ".join(t.expression for t in tests) or "true") + ")",
        " and ".join(t.wording for t in tests) or "be anything",
        patterns_of(tests),
    )


def patterns_of(tests: list[Test]) -> tuple[str, ...]:
    """The patterns several tests need, each once."""
    return tuple(dict.fromkeys(p for t in tests for p in t.patterns))


def target_union(shapes: Shapes, shape: Term) -> str:
    """The shape's focus nodes as ?this, as a UNION of its targets (a node may come twice)."""
    classes = shapes.objects(shape, SH + "targetClass")
    patterns = [f"{{ ?this rdf:type/rdfs:subClassOf* {c} }}" for c in classes]
    patterns += [f"{{ ?this {p} ?target }}" for p in shapes.objects(shape, SH + "targetSubjectsOf")]
    return " UNION ".join(patterns)


def target_pattern(union: str) -> str:
    """The focus nodes of ``target_union``, each once.

    A subquery: joined directly, a UNION of targets made Oxigraph re-run it for every
    candidate row (3.3 s instead of 0.3 s for one constraint on a million triples).
    """
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def node_checks(shapes: Shapes, shape: Term, targets: str) -> list[Check]:
    """Constraints on the focus node itself (sh:class, sh:nodeKind ... on the node shape)."""
    message = shapes.one(shape, SH + "message")
    return [
        Check(
            f"SELECT DISTINCT ?this ?value WHERE {{ {targets} {' '.join(test.patterns)} "
            f"FILTER(!{test.expression}) BIND(?this AS ?value) }}",
            message.value if message else f"must {test.wording} (required by {shape_name(shape)})",
        )
        for test in tests_of(shapes, shape, "?this")
    ]


def closed_check(shapes: Shapes, shape: Term, targets: str) -> list[Check]:
    closed = shapes.one(shape, SH + "closed")
    if closed is None or closed.value != "true":
        return []
    allowed = [shapes.one(p, SH + "path") for p in shapes.objects(shape, SH + "property")]
    for head in shapes.objects(shape, SH + "ignoredProperties"):
        allowed += shapes.items(head)
    message = shapes.one(shape, SH + "message")
    # OPTIONAL makes Oxigraph look up each focus node's triples; a plain join scanned the
    # whole graph, even for a shape with no focus node.
    query = (
        f"SELECT DISTINCT ?this ?path ?value WHERE {{ {targets} OPTIONAL {{ ?this ?path ?value }} "
        f"FILTER(BOUND(?path) && ?path NOT IN ({', '.join(str(p) for p in allowed)})) }}"
    )
    return [Check(query, message.value if message else "property {?path} is not allowed on a closed shape")]


def count_checks(shapes: Shapes, shape: Term, path: Term, targets: str, union: str) -> list[Check]:
    checks = []
    least, most = shapes.one(shape, SH + "minCount"), shapes.one(shape, SH + "maxCount")
    needs = (
        f"needs at least {least.value} {plural('value', least)} of {compact(path)}"
        if least is not None
        else ""
    )
    if least is not None and least.value == "1":
        # An index lookup per focus node: grouping every focus node's values cost 2.5 times more.
        checks.append(
            Check(
                f"SELECT ?this ({path} AS ?path) WHERE {{ {targets} "
                f"FILTER NOT EXISTS {{ ?this {path} ?value }} }}",
                needs,
            )
        )
    elif least is not None:
        checks.append(
            Check(
                f"SELECT ?this ({path} AS ?path) WHERE {{ {targets} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {least.value})",
                needs,
            )
        )
    if most is not None:
        # From the selective side: the property's triples grouped first, and only a node with
        # too many values tested for being a focus node (2.3 times faster than from the targets).
        checks.append(
            Check(
                f"SELECT ?this ({path} AS ?path) WHERE {{ {{ SELECT ?this WHERE {{ ?this {path} ?value }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {most.value}) }} "
                f"FILTER EXISTS {{ {union} }} }}",
                f"allows at most {most.value} {plural('value', most)} of {compact(path)}",
            )
        )
    return checks


def plural(noun: str, count: Term) -> str:
    return noun if count.value == "1" else noun + "s"


def unique_lang_check(shapes: Shapes, shape: Term, path: Term, targets: str) -> list[Check]:
    unique = shapes.one(shape, SH + "uniqueLang")
    if unique is None or unique.value != "true":
        return []
    # One row per focus node and duplicated language, as SHACL reports it.
    query = (
        f"SELECT DISTINCT ?this ?path ?language WHERE {{ {targets} ?this {path} ?a, ?b "
        f'FILTER(!sameTerm(?a, ?b) && lang(?a) != "" && LCASE(lang(?a)) = LCASE(lang(?b))) '
        f"BIND(LCASE(lang(?a)) AS ?language) BIND({path} AS ?path) }}"
    )
    return [Check(query, f"needs at most one value of {compact(path)} per language")]


def value_checks(shapes: Shapes, shape: Term, path: Term, targets: str) -> list[Check]:
    return [
        Check(
            f"SELECT DISTINCT ?this ?path ?value WHERE {{ {targets} ?this {path} ?value "
            f"{' '.join(test.patterns)} FILTER(!{test.expression}) BIND({path} AS ?path) }}",
            f"value must {test.wording}",
        )
        for test in tests_of(shapes, shape, "?value")
    ]


def property_checks(shapes: Shapes, shape: Term, targets: str, union: str) -> list[Check]:
    shapes.refuse_unknown(shape, PROPERTY_SHAPE_TERMS)
    path = shapes.one(shape, SH + "path")
    if not isinstance(path, ox.NamedNode):
        raise NotImplementedError(f"kg compiles only single-property paths, not {path} in {SHAPES_FILE}")
    message = shapes.one(shape, SH + "message")
    checks = [
        *count_checks(shapes, shape, path, targets, union),
        *unique_lang_check(shapes, shape, path, targets),
        *value_checks(shapes, shape, path, targets),
    ]
    return [Check(c.query, message.value) for c in checks] if message else checks


@cache
def compiled_checks() -> tuple[Check, ...]:
    """Every core constraint of every targeted shape in ontology/shapes.ttl, as SPARQL."""
    store = shapes_graph()
    shapes = Shapes(store)
    targeted = {q.subject for t in TARGETS for q in store.quads_for_pattern(None, ox.NamedNode(t), None)}
    checks = []
    for shape in sorted(targeted, key=str):
        shapes.refuse_unknown(shape, NODE_SHAPE_TERMS)
        union = target_union(shapes, shape)
        targets = target_pattern(union)
        found = node_checks(shapes, shape, targets) + closed_check(shapes, shape, targets)
        checks += [named(c, shape_name(shape)) for c in found]
        for property_shape in shapes.objects(shape, SH + "property"):
            path = compact(shapes.one(property_shape, SH + "path"))
            found = property_checks(shapes, property_shape, targets, union)
            checks += [named(c, f"{shape_name(shape)} {path}") for c in found]
    return tuple(checks)


def named(check: Check, where: str) -> Check:
    """The check named by its shape (and path) and the first words of what it reports."""
    return Check(check.query, check.message, f"{where}: {check.message[:48]}")


@cache
def shapes_graph() -> ox.Store:
    """ontology/shapes.ttl, parsed once."""
    store = ox.Store()
    store.load(path=str(resource_dir("ontology") / SHAPES_FILE), format=ox.RdfFormat.TURTLE)
    return store


@cache
def sparql_checks() -> tuple[Check, ...]:
    """The shapes' sh:sparql constraints, each turned into one query over all its targets.

    $this becomes ?this, bound by the shape's targets (sh:targetClass with subclasses,
    sh:targetSubjectsOf); the text comes from the shapes file, never from a user.
    """
    shapes = Shapes(shapes_graph())
    rows = shapes.store.query(
        """SELECT ?shape ?select ?message {
             ?shape sh:sparql ?c . ?c sh:select ?select .
             OPTIONAL { ?c sh:message ?message }
           }""",
        prefixes=PREFIXES,
    )
    checks = []
    for row in rows:
        # The focus nodes as a DISTINCT subquery: a bare UNION was re-run for every row
        # (1.5 s instead of 0.3 s for one constraint on the flat benchmark graph of 1M triples).
        targets = target_pattern(target_union(shapes, row["shape"]))
        query = focused(row["select"].value, targets, shape_name(row["shape"]))
        message = row["message"].value if row["message"] else "SPARQL constraint not met"
        checks.append(named(Check(query, message), shape_name(row["shape"]) + " sh:sparql"))
    return tuple(checks)


def sourced_classes() -> list[str]:
    """The classes whose shapes already require prov:wasDerivedFrom (sh:minCount 1 or more)."""
    rows = shapes_graph().query(
        """SELECT DISTINCT ?class {
             ?shape sh:targetClass ?class ; sh:property ?p .
             ?p sh:path prov:wasDerivedFrom ; sh:minCount ?least FILTER(?least >= 1)
           }""",
        prefixes=PREFIXES,
    )
    return sorted(row["class"].value for row in rows)


def focused(select: str, targets: str, shape: str) -> str:
    """An sh:select with $this as ?this, bound by ``targets`` at the head of its WHERE group
    (found by kg.sparql's tokenizer: the WHERE keyword is optional, and a ?where or a brace
    in a string is not it)."""
    body = select.replace("$this", "?this")
    try:
        where = outer_group(body)
    except QueryError:
        raise KgError(
            f"the sh:select of {shape} in {SHAPES_FILE} has no {{ }} group; "
            "write it as SELECT $this WHERE { ... }"
        ) from None
    return body[: where + 1] + f" {targets} " + body[where + 1 :]


def validation_view(graph: ox.Store) -> ox.Store:
    """``graph`` plus the ontology, which the checks' class and subclass patterns need."""
    view = with_ontology(ox.Store())
    view.extend(graph)
    return view


# Whose findings count: the nodes listed, the subjects of the view's default graph (an import's
# own nodes, beside the store's neighbourhood in another graph), or every node (None).
Focus = Collection[ox.NamedNode] | ox.DefaultGraph | None


def core_problems(graph: ox.Store, focus: Focus, view: ox.Store | None = None) -> list[Problem]:
    """Run the compiled core constraints on the graph plus the ontology; ``focus`` keeps only
    the results about those nodes. ``view``: that union, if already made."""
    return violations(compiled_checks(), graph, focus, view)


def sparql_problems(graph: ox.Store, focus: Focus, view: ox.Store | None = None) -> list[Problem]:
    """Run the shapes' sh:sparql constraints, as ``core_problems`` runs the core ones."""
    return violations(sparql_checks(), graph, focus, view)


def violations(
    checks: tuple[Check, ...], graph: ox.Store, focus: Focus, view: ox.Store | None
) -> list[Problem]:
    if focus is not None and not focus:
        return []
    view = view if view is not None else validation_view(graph)
    wanted = kept(view, focus)
    problems = set()
    for check in checks:
        solutions = view.query(check.query, prefixes=PREFIXES, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        for row in solutions:
            if not wanted(row["this"]):
                continue
            values = {name: row[name] for name in names}
            path, value = values.get("path"), values.get("value")
            problems.add(
                Problem(
                    focus=compact(row["this"]),
                    path=compact(path) if path is not None else "",
                    message=fill(check.message, values),
                    value=compact(value) if value is not None else "",
                )
            )
    return sorted(problems)


def kept(view: ox.Store, focus: Focus) -> Callable[[Term], bool]:
    """Whether a finding about a node counts; looked up per finding, so that a million imported
    nodes are never listed in Python."""
    if focus is None:
        return lambda node: True
    if isinstance(focus, ox.DefaultGraph):
        return lambda node: any(True for _ in view.quads_for_pattern(node, None, None, focus))
    wanted = set(focus)
    return wanted.__contains__


def fill(message: str, values: dict) -> str:
    """Substitute SHACL's {$this} and {?name} placeholders with the named terms, compacted."""

    def term(match: re.Match) -> str:
        value = values.get(match.group(1))
        return compact(value) if value is not None else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", term, message)

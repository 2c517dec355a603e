"""SPARQL text as kg inspects it before anything runs: its form, and what it may not do.

Read by the query runner and by the endpoint client, below both of them.
"""

from __future__ import annotations

import re

from kg.errors import QueryError

STRINGS_AND_COMMENTS = re.compile(
    # A backslash outside strings escapes one character of a name (cbr:x\#): it is neither a
    # comment nor the start of a string, so it is consumed first.
    r"\\."
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.DOTALL,
)


def strip_strings_and_comments(query: str) -> str:
    """The query with string literals, IRIs and comments blanked, for keyword checks."""
    return STRINGS_AND_COMMENTS.sub(lambda m: "<>" if m.group(0).startswith("<") else " ", query)


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[\w.-]*:\s*<>|BASE\s*<>)\s*)*", re.IGNORECASE)


def query_form(text: str) -> str:
    """The first keyword after the prologue: SELECT, ASK, CONSTRUCT, DESCRIBE or an update's."""
    bare = strip_strings_and_comments(text)
    match = re.match(r"\s*([A-Za-z]+)", bare[PROLOGUE.match(bare).end() :])
    return match.group(1).upper() if match else ""


MAX_NESTING = 500


def nesting_depth(bare: str) -> int:
    """The deepest nesting of { } and ( ) (the parser's stack runs out near 3,000 levels)."""
    depth = deepest = 0
    for char in bare:
        if char in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})":
            depth -= 1
    return deepest


def keyword(text: str, word: str) -> bool:
    """Whether ``word`` stands as a SPARQL keyword (not ?word, prefix:word or in an IRI)."""
    return re.search(rf"(?<![\w?$:]){word}(?![\w:])", text, re.IGNORECASE) is not None


def check_query_safety(query: str, allow_update: bool) -> bool:
    """Refuse network access and, unless allowed, updates. Returns True for an update."""
    bare = strip_strings_and_comments(query)
    depth = nesting_depth(bare)
    if depth > MAX_NESTING:
        raise QueryError(f"the query nests {depth} levels deep; kg accepts at most {MAX_NESTING}")
    if re.search(r"(?<![\w?$])(bif|sql):", bare, re.IGNORECASE) or re.search(r"<\s*(bif|sql):", query, re.I):
        raise QueryError("server built-in functions (bif:, sql:) are refused: they can reach the network")
    if keyword(bare, "SERVICE"):
        raise QueryError("SERVICE is refused: kg queries never reach the network")
    if keyword(bare, "LOAD"):
        raise QueryError("LOAD is refused: kg queries never reach the network; use `kg import`")
    if re.search(r"(?<![\w?$:])FROM(?![\w:])", bare, re.IGNORECASE):
        raise QueryError(
            "FROM / FROM NAMED is refused: queries run over the store's own graph; remove the clause"
        )
    is_update = query_form(query) not in QUERY_FORMS
    if is_update and not allow_update:
        raise QueryError(
            "this is a SPARQL update and query files run read-only; pass `update` to change the store"
        )
    return is_update


def bind_values(text: str, substitutions: dict) -> str:
    """Bound values as a VALUES block opening the query's WHERE group (Virtuoso 7 refuses a
    trailing VALUES clause); each term is written by Oxigraph's serializer, never raw text."""
    if not substitutions:
        return text
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    values = f"VALUES ({names}) {{ ({terms}) }}"
    bare = blank_strings_and_comments(text)
    short = re.search(r"\bCONSTRUCT\s+WHERE\s*\{", bare, re.IGNORECASE)
    if short and query_form(text) == "CONSTRUCT":
        # CONSTRUCT WHERE { P } may hold triples only: written out as CONSTRUCT { P } WHERE { VALUES P }.
        start = short.end() - 1
        end = closing(bare, start)
        pattern = text[start + 1 : end]
        return (
            f"{text[: short.start()]}CONSTRUCT {{{pattern}}} WHERE {{ {values} {pattern}}}{text[end + 1 :]}"
        )
    brace = outer_group(text)
    return f"{text[: brace + 1]} {values} {text[brace + 1 :]}"


def closing(bare: str, start: int) -> int:
    """Where the ``{`` at ``start`` of blanked text closes."""
    depth = 0
    for at in range(start, len(bare)):
        depth += {"{": 1, "}": -1}.get(bare[at], 0)
        if depth == 0:
            return at
    raise QueryError("the query's { } groups do not close")


def outer_group(text: str) -> int:
    """Where the query's own WHERE group opens: its first ``{`` at depth 0 (the WHERE keyword
    is optional, and a subquery's WHERE comes later), or the second for a CONSTRUCT template."""
    bare = blank_strings_and_comments(text)
    opens = []
    depth = 0
    for at, char in enumerate(bare):
        if char == "{":
            if depth == 0:
                opens.append(at)
            depth += 1
        elif char == "}":
            depth -= 1
    if not opens:
        raise QueryError("the query has no { } group to bind values in")
    short_construct = re.search(r"\bCONSTRUCT\s+WHERE\b", bare, re.IGNORECASE)
    if query_form(text) == "CONSTRUCT" and not short_construct and len(opens) > 1:
        return opens[1]
    return opens[0]


def blank_strings_and_comments(text: str) -> str:
    """The query with strings, IRIs and comments replaced by spaces of the same length."""
    return STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group(0)), text)


# A prefixed name: PN_PREFIX ':' PN_LOCAL, neither ending in a dot (that ends the triple).
PREFIXED_NAME = re.compile(r"(?<![\w?$:.-])([A-Za-z](?:[\w.-]*[\w-])?)?:([\w-](?:[\w.-]*[\w-])?)")
PREFIX_DECLARATION = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*|):\s*<([^<>\"{}|^`\\\s]*)>", re.IGNORECASE)


def written_terms(query: str) -> list[tuple[str | None, str]]:
    """The terms a query writes outside strings and comments, in order: (prefix, local name)
    for a prefixed name, (None, IRI) for an IRI written in full. A name with a backslash
    escape is left out: its spelling is not its IRI."""
    found: list[tuple[int, str | None, str]] = []
    for match in STRINGS_AND_COMMENTS.finditer(query):
        if match.group(0).startswith("<"):
            found.append((match.start(), None, match.group(0)[1:-1]))
    # Blanked to the same length, so that positions (and the escapes after a name) still line up.
    bare = STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group(0)), query)
    for match in PREFIXED_NAME.finditer(bare):
        if query[match.end() : match.end() + 1] != "\\":
            found.append((match.start(), match.group(1) or "", match.group(2)))
    return [(prefix, term) for _, prefix, term in sorted(found, key=lambda f: f[0])]


def prefix_declarations(query: str) -> dict[str, str]:
    """The prefixes a query declares itself (PREFIX p: <iri>), outside strings and comments."""
    kept = STRINGS_AND_COMMENTS.sub(lambda m: m.group(0) if m.group(0).startswith("<") else " ", query)
    return {prefix: iri for prefix, iri in PREFIX_DECLARATION.findall(kept)}

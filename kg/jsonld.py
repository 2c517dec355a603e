"""A strict reading of JSON-LD before the parser sees it.

JSON-LD expansion drops what it cannot turn into RDF without a word: a node whose ``@id`` is
not an IRI, a property or type with a space in it, a term the context never defines, a bad
language tag, a relative ``@id`` in a file without ``@base``, an unknown ``@keyword``, a
blank-node property. Oxigraph's parser follows the specification there, so an import would
report success and lose the facts. Data the format leaves uninterpreted (JSON literals, the
keys of language, index, id and type maps) is skipped. This module walks
the file's tokens as a stream (memory stays flat whatever the size) and refuses such files,
naming the line, before anything is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg.errors import ParseError
from kg.vocabulary import FORBIDDEN_IRI_CHARS

MAX_JSON_DEPTH = 1000
MAX_PROBLEMS = 20
BLOCK_CHARS = 1 << 16
# A string (a key when a colon follows), a bracket, or a lone quote: the start of a string
# that the block does not finish, which is carried into the next block.
TOKEN = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|([{}\[\]])|"', re.DOTALL)
TRAILING_SPACE = re.compile(r"\s*\Z")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# The keywords of JSON-LD 1.1; expansion drops any other key of the form @name.
KEYWORDS = frozenset(
    "@base @container @context @direction @graph @id @import @included @index @json @language "
    "@list @nest @none @prefix @propagate @protected @reverse @set @type @value @version @vocab".split()
)
# A term with one of these containers maps data keys (languages, indexes, ids, types) to values.
MAP_CONTAINERS = frozenset({"@language", "@index", "@id", "@type"})
IRI_VALUED = frozenset({"@id", "@type", "@reverse"})


class Frame:
    """An object or array being read: ``owner`` is the key whose value it is, ``key`` the
    object's latest key."""

    __slots__ = ("owner", "in_context", "opaque", "key")

    def __init__(self, owner: str | None, in_context: bool, opaque: bool) -> None:
        self.owner = owner
        self.in_context = in_context
        self.opaque = opaque
        self.key = owner


@dataclass
class Findings:
    problems: list[tuple[int, str]] = field(default_factory=list)
    used_terms: dict[str, int] = field(default_factory=dict)
    defined_terms: set[str] = field(default_factory=set)
    has_vocab: bool = False
    has_base: bool = False
    has_remote_context: bool = False
    relative_ids: dict[str, int] = field(default_factory=dict)
    type_terms: dict[str, int] = field(default_factory=dict)
    data_terms: set[str] = field(default_factory=set)

    def add(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((line, message))


class Reader:
    """The file's tokens block by block; a token's line is counted only when a finding needs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = ""
        self.first_line = 1
        self.position = 0

    def tokens(self) -> Iterator[re.Match]:
        """Every string and bracket; numbers, literals, commas and colons are skipped."""
        carry = ""
        with open(self.path, encoding="utf-8", errors="surrogateescape") as handle:
            while True:
                # A long string is carried whole: reading at least its length again keeps
                # the rescans linear in the file's size.
                block = handle.read(max(BLOCK_CHARS, len(carry)))
                self.text = carry + block
                cut = len(self.text)
                for match in TOKEN.finditer(self.text):
                    if block and unfinished(match, self.text):
                        cut = match.start()
                        break
                    if match.group() == '"':
                        return  # a string the file never closes: the parser names the line
                    self.position = match.start()
                    yield match
                if not block:
                    return
                self.first_line += self.text.count("\n", 0, cut)
                carry = self.text[cut:]

    def line(self) -> int:
        return self.first_line + self.text.count("\n", 0, self.position)


def unfinished(match: re.Match, text: str) -> bool:
    """A string the block cuts off, or one that may be a key whose colon is in the next block."""
    if match.group() == '"':
        return True
    return (
        match.group(1) is not None
        and match.group(2) is None
        and bool(TRAILING_SPACE.match(text, match.end()))
    )


def check_jsonld(path: Path) -> None:
    """Refuse a JSON-LD file whose facts the parser would drop, or that nests too deep."""
    findings = Findings()
    reader = Reader(path)
    stack: list[Frame] = []
    for match in reader.tokens():
        string, colon, bracket = match.groups()
        if bracket == "{" or bracket == "[":
            stack.append(opened(stack, findings))
            if len(stack) > MAX_JSON_DEPTH:
                raise ParseError(
                    f"{path}: JSON nested more than {MAX_JSON_DEPTH} levels deep; nothing was imported"
                )
        elif bracket:
            if not stack:
                break  # not JSON: the parser names the line
            stack.pop()
        elif colon and stack:
            stack[-1].key = decoded(string)
            on_key(stack[-1], stack[-1].key, reader, findings)
        elif stack and not stack[-1].opaque:
            on_value(stack, string, reader, findings)
    finish(findings)
    if findings.problems:
        line, message = min(findings.problems)
        more = len(findings.problems) - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ParseError(
            f"{path}:{line}: {message}{also}; nothing was imported: fix the file and run the import again"
        )


def decoded(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:
        return token[1:-1]  # the parser names the bad escape


def opened(stack: list[Frame], findings: Findings) -> Frame:
    if not stack:
        return Frame(None, False, False)
    parent = stack[-1]
    # An array's values belong to the key that holds the array.
    owner = parent.key
    # A JSON literal ("@value": {...}, a term typed @json) and the keys of a language, index,
    # id or type map are data, not JSON-LD.
    opaque = parent.opaque or owner == "@value" or (not parent.in_context and owner in findings.data_terms)
    return Frame(owner, parent.in_context or owner == "@context", opaque)


def on_key(frame: Frame, key: str, reader: Reader, findings: Findings) -> None:
    if frame.opaque:
        return
    if frame.in_context:
        if frame.owner == "@context" and not key.startswith("@"):
            findings.defined_terms.add(key)
        return
    if key.startswith("@"):
        if key not in KEYWORDS and key[1:].isalpha():
            findings.add(reader.line(), f"{key!r} is not a JSON-LD keyword, so JSON-LD would drop its values")
    elif key.startswith("_:"):
        findings.add(
            reader.line(),
            f"property {key!r} is a blank node, which RDF does not allow as a property, "
            "so JSON-LD would drop its values",
        )
    elif ":" in key:
        check_iri(f"property {key!r}", key, "its values", reader, findings)
    elif key not in findings.used_terms:
        findings.used_terms[key] = reader.line()


def on_value(stack: list[Frame], token: str, reader: Reader, findings: Findings) -> None:
    frame = stack[-1]
    key = frame.key
    if not key or (key[0] != "@" and not (frame.in_context and frame.owner == "@context")):
        return  # a plain literal: the common case, left undecoded
    value = decoded(token)
    if frame.in_context and key in ("@container", "@type"):
        # In a term definition, or in its "@container": [...] array one level down.
        term = stack[-2].owner if frame.owner == key and len(stack) > 1 else frame.owner
        if value in MAP_CONTAINERS or (key == "@type" and value == "@json"):
            findings.data_terms.add(term)
    if key == "@context":
        findings.has_remote_context = True
        findings.add(
            reader.line(),
            f"the remote @context {value!r} is not fetched, as kg reads no network; copy it into the file",
        )
    elif key == "@language":
        if not is_language_tag(value):
            findings.add(
                reader.line(),
                f"{value!r} is not a language tag (like en or zh-Hans), so JSON-LD would drop the value",
            )
    elif key in ("@vocab", "@base"):
        findings.has_vocab |= key == "@vocab"
        findings.has_base |= key == "@base"
        check_iri(f"{key} {value!r}", value, "every term it expands", reader, findings)
    elif key in IRI_VALUED and not value.startswith("@"):
        dropped = "its node" if key == "@id" else "the type" if key == "@type" else "its values"
        check_iri(f"{key} {value!r}", value, dropped, reader, findings)
        relative = not SCHEME.match(value) and not value.startswith("_:")
        if relative and not frame.in_context:
            seen = findings.type_terms if key == "@type" else findings.relative_ids
            if key in ("@type", "@id") and value not in seen:
                seen[value] = reader.line()
    elif frame.in_context and frame.owner == "@context" and not key.startswith("@"):
        check_iri(
            f"the @context term '{key}' maps to {value!r}, which", value, "its values", reader, findings
        )


@lru_cache(maxsize=1024)
def is_language_tag(tag: str) -> bool:
    """What Oxigraph accepts as a language tag (BCP 47), which is what its parser keeps."""
    try:
        ox.Literal("", language=tag)
    except ValueError:
        return False
    return True


def check_iri(subject: str, value: str, dropped: str, reader: Reader, findings: Findings) -> None:
    bad = FORBIDDEN_IRI_CHARS.search(value)
    if bad:
        char = "a space" if bad.group() == " " else f"the character {bad.group()!r}"
        findings.add(
            reader.line(), f"{subject} is not an IRI (it holds {char}), so JSON-LD would drop {dropped}"
        )


def finish(findings: Findings) -> None:
    if not findings.has_vocab and not findings.has_remote_context:
        for term, line in findings.used_terms.items():
            if term not in findings.defined_terms:
                findings.add(
                    line,
                    f"{term!r} is neither an IRI nor a term the @context defines, "
                    "so JSON-LD would drop its values",
                )
        if not findings.has_base:  # a type that is no term resolves against @base
            for term, line in findings.type_terms.items():
                if term not in findings.defined_terms:
                    findings.add(
                        line,
                        f"@type {term!r} is neither an IRI nor a term the @context defines, "
                        "so JSON-LD would drop the type",
                    )
    if not findings.has_base:
        for value, line in findings.relative_ids.items():
            findings.add(
                line,
                f"@id {value!r} is a relative IRI and the file sets no @base, so JSON-LD would drop its node",
            )

"""What an imported file may hold, checked before it is parsed: so that one hostile file can
neither exhaust memory nor leave a store kg cannot read back.

- XML entities (RDF/XML): no external or parameter entities; an entity's expansion at most
  MAX_LITERAL characters, and all expansions of the document together at most MAX_EXPANSION
  (a 911-byte "billion laughs" file expanded to a 300 MB label).
- Lines of line-based formats (N-Triples, N-Quads, Turtle): at most MAX_LINE bytes, so that a
  literal over the limit written on one line is named by its line.
- Literals (every format, and every edit): at most MAX_LITERAL characters; the Turtle store's
  own parser stops at 16 MB, so a longer one would be written and never read again.
- Files: at most MAX_FILE bytes each.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import ParseError

MAX_LITERAL = 1_000_000
MAX_LINE = MAX_LITERAL + 64_000  # a literal at the limit, with its subject and predicate
MAX_EXPANSION = 64_000_000
MAX_FILE = 16 << 30
LINE_BASED = (".nt", ".nq", ".ttl")
XML = (".rdf", ".xml", ".owl")
BLOCK = 8 << 20
DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL)
ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s%;]+)\s+([^>]*)>", re.DOTALL)
QUOTED = re.compile(rb"""\s*(?:"([^"]*)"|'([^']*)')\s*""", re.DOTALL)
REFERENCE = re.compile(rb"&([A-Za-z_][\w.-]*);")


def refuse(path: Path, line: int | None, why: str) -> ParseError:
    where = f"{path}:{line}" if line else str(path)
    return ParseError(f"{where}: {why}; nothing was imported")


def check_file(path: Path) -> None:
    """Refuse ``path`` if it breaks a limit, naming the file and the line."""
    size = path.stat().st_size
    if size > MAX_FILE:
        raise refuse(path, None, f"the file is {size:,} bytes, over kg's limit of {MAX_FILE:,}; split it")
    suffix = path.suffix.lower()
    if suffix in LINE_BASED:
        check_lines(path)
    if suffix in XML:
        check_entities(path)


def check_lines(path: Path) -> None:
    """No line longer than MAX_LINE bytes: the scan runs in the regex engine, block by block."""
    too_long = re.compile(rb"[^\n]{%d}" % (MAX_LINE + 1))
    lines_before = 0
    carry = b""
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            text = carry + block
            if too_long.search(text):
                start = too_long.search(text).start()
                line = lines_before + text.count(b"\n", 0, start) + 1
                raise refuse(path, line, f"the line is longer than {MAX_LINE:,} bytes, over kg's limit")
            cut = text.rfind(b"\n") + 1
            lines_before += text.count(b"\n", 0, cut)
            carry = text[cut:]


def check_entities(path: Path) -> None:
    """RDF/XML's internal DTD: every entity's expansion, and their total over the document."""
    with open(path, "rb") as handle:
        head = handle.read(BLOCK)
    doctype = DOCTYPE.search(head)
    if doctype is None:
        return
    line = head.count(b"\n", 0, doctype.start()) + 1
    values: dict[bytes, bytes] = {}
    for match in ENTITY.finditer(doctype.group(1)):
        name, rest = match.group(2), match.group(3)
        quoted = QUOTED.fullmatch(rest)
        if match.group(1) or quoted is None:
            raise refuse(
                path,
                line,
                f"the XML entity {name.decode(errors='replace')} is external or a "
                "parameter entity, which kg does not read",
            )
        values[name] = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    sizes: dict[bytes, int] = {}

    def size(name: bytes, depth: int = 0) -> int:
        if name not in sizes:
            if depth > len(values):
                raise refuse(path, line, f"the XML entity {name.decode(errors='replace')} refers to itself")
            text = values.get(name, b"")
            inner = REFERENCE.findall(text)
            sizes[name] = len(REFERENCE.sub(b"", text)) + sum(
                size(n, depth + 1) for n in inner if n in values
            )
        return sizes[name]

    for name in values:
        if size(name) > MAX_LITERAL:
            raise refuse(
                path,
                line,
                f"the XML entity {name.decode(errors='replace')} expands to "
                f"{size(name):,} characters, over kg's limit of {MAX_LITERAL:,} (an entity bomb?)",
            )
    if values:
        check_expansion(path, line, doctype.end(), sizes)


def check_expansion(path: Path, line: int, start: int, sizes: dict[bytes, int]) -> None:
    """The expansions of every entity reference after the DTD, added up block by block."""
    total = 0
    with open(path, "rb") as handle:
        handle.seek(start)
        carry = b""
        while block := handle.read(BLOCK):
            text = carry + block
            # A reference cut by the block's end (a short tail after the last &) waits for the next.
            cut = text.rfind(b"&")
            partial = cut >= 0 and len(text) - cut < 256 and b";" not in text[cut:]
            done, carry = (text[:cut], text[cut:]) if partial else (text, b"")
            total += sum(sizes.get(name, 0) for name in REFERENCE.findall(done))
            if total > MAX_EXPANSION:
                raise refuse(
                    path,
                    line,
                    f"the XML entities of this file expand to more than {MAX_EXPANSION:,} "
                    "characters, over kg's limit (an entity bomb?)",
                )
        total += sum(sizes.get(name, 0) for name in REFERENCE.findall(carry))
    if total > MAX_EXPANSION:
        raise refuse(
            path, line, f"the XML entities of this file expand to more than {MAX_EXPANSION:,} characters"
        )

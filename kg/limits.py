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
ENTITY = re.compile(rb"""<!ENTITY\s+(%\s*)?([^\s%;]+)\s+((?:"[^"]*"|'[^']*'|[^>"'])*)>""", re.DOTALL)
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
    # Anchored at line starts (each block starts at one): unanchored, the search would restart
    # at every byte of a long line.
    too_long = re.compile(rb"(?m)^[^\n]{%d}" % (MAX_LINE + 1))
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
    start = head.find(b"<!DOCTYPE")
    if start < 0:
        return
    line = head.count(b"\n", 0, start) + 1
    subset, end = internal_subset(head, start)
    if end is None:
        raise refuse(
            path, line, f"the DOCTYPE does not end within its first {BLOCK:,} bytes; kg reads no larger one"
        )
    values: dict[bytes, bytes] = {}
    for match in ENTITY.finditer(subset):
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
    if subset.count(b"<!ENTITY") != len(values):
        raise refuse(
            path, line, 'an XML entity declaration kg cannot read; write each as <!ENTITY name "text">'
        )
    sizes = expanded_sizes(path, line, values)
    for name, size in sizes.items():
        if size > MAX_LITERAL:
            raise refuse(
                path,
                line,
                f"the XML entity {name.decode(errors='replace')} expands to "
                f"{size:,} characters, over kg's limit of {MAX_LITERAL:,} (an entity bomb?)",
            )
    if values:
        check_expansion(path, line, end, sizes)


def internal_subset(head: bytes, start: int) -> tuple[bytes, int | None]:
    """The DOCTYPE's [ ... ] and where the DOCTYPE ends, reading quoted text and comments as
    text (so that a "]>" inside an entity's value does not end it); None when it does not end
    within ``head``."""
    quote, opened, closed, at = None, None, None, start
    while at < len(head):
        char = head[at : at + 1]
        if quote:
            quote = None if char == quote else quote
        elif head.startswith(b"<!--", at):
            finish = head.find(b"-->", at + 4)
            if finish < 0:
                return b"", None
            at = finish + 2
        elif char in (b'"', b"'"):
            quote = char
        elif char == b"[" and opened is None:
            opened = at
        elif char == b"]" and opened is not None and closed is None:
            closed = at
        elif char == b">" and (opened is None or closed is not None):
            return (head[opened + 1 : closed] if opened is not None else b""), at + 1
        at += 1
    return b"", None


def expanded_sizes(path: Path, line: int, values: dict[bytes, bytes]) -> dict[bytes, int]:
    """Each entity's length once expanded, computed from the inside out (never recursing)."""
    inner = {name: REFERENCE.findall(text) for name, text in values.items()}
    sizes: dict[bytes, int] = {}
    for _ in range(len(values) + 1):
        for name, text in values.items():
            if name not in sizes and all(n in sizes or n not in values for n in inner[name]):
                own = len(REFERENCE.sub(b"", text))
                sizes[name] = min(own + sum(sizes.get(n, 0) for n in inner[name]), MAX_EXPANSION + 1)
        if len(sizes) == len(values):
            return sizes
    raise refuse(path, line, "the XML entities refer to each other in a loop")


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

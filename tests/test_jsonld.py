"""The strict JSON-LD reading (kg/jsonld.py) against what pyoxigraph's parser keeps.

Valid documents must pass and lose nothing; documents the parser would thin out must be
refused at the right line; and the verdict must not depend on where the 64 KiB reading blocks
happen to fall.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.jsonld
from kg.errors import ParseError
from kg.jsonld import check_jsonld

EX = "http://example.org/"
VALID = {
    "language map": {
        "@context": {"label": {"@id": EX + "label", "@container": "@language"}},
        "@id": EX + "a",
        "label": {"en": "Tmall Global", "zh-Hans": "天猫国际"},
    },
    "index map": {
        "@context": {"post": {"@id": EX + "post", "@container": ["@index", "@set"]}},
        "@id": EX + "a",
        "post": {"first": {"@id": EX + "p1"}, "second": {"@id": EX + "p2"}},
    },
    "JSON literal term": {
        "@context": {"data": {"@id": EX + "data", "@type": "@json"}},
        "@id": EX + "a",
        "data": {"any key": [1, {"nested": "x"}]},
    },
    "type resolved against @base": {"@context": {"@base": EX}, "@id": "a", "@type": "Person"},
    "vocab": {"@context": {"@vocab": EX}, "@id": "_:b", "@type": "T", "name": "n"},
    "graph, list, set, reverse, included": {
        "@context": {"ex": EX},
        "@graph": [
            {"@id": "ex:a", "ex:items": {"@list": ["x", {"@id": "ex:b"}]}, "ex:tags": {"@set": ["t"]}},
            {
                "@id": "ex:c",
                "@reverse": {"ex:knows": {"@id": "ex:a"}},
                "@included": [{"@id": "ex:d", "ex:p": 1}],
            },
        ],
    },
    "strings full of JSON": {
        "@id": EX + "a",
        EX + "p": ['a " , { ] : \\ } [', "\\\\", '\\"', "tab\there", "行\n2"],
    },
}
DROPPED = {
    "one-letter language tag": (
        {"@id": EX + "a", EX + "p": {"@value": "v", "@language": "x"}},
        3,
        "'x' is not a language tag",
    ),
    "private-use language tag": (
        {"@id": EX + "a", EX + "p": {"@value": "v", "@language": "en-x"}},
        3,
        "'en-x' is not a language tag",
    ),
    "unknown keyword": ({"@id": EX + "a", "@foo": "v"}, 2, "'@foo' is not a JSON-LD keyword"),
    "blank-node property": ({"@id": EX + "a", "_:p": "v"}, 2, "property '_:p' is a blank node"),
    "relative IRI with a colon": ({"@id": "a/b:c", EX + "p": "v"}, 1, "@id 'a/b:c' is a relative IRI"),
    "undefined type": ({"@id": EX + "a", "@type": "Person"}, 2, "@type 'Person' is neither an IRI"),
}


def write(folder: Path, document) -> Path:
    path = folder / "doc.jsonld"
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def verdict(path: Path) -> str | None:
    try:
        check_jsonld(path)
    except ParseError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("case", VALID)
def test_valid_jsonld_passes_and_parses(tmp_path: Path, case: str) -> None:
    path = write(tmp_path, VALID[case])
    assert verdict(path) is None
    assert list(ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD))


@pytest.mark.parametrize("case", DROPPED)
def test_what_the_parser_drops_is_named_with_its_line(tmp_path: Path, case: str) -> None:
    document, line, message = DROPPED[case]
    path = tmp_path / "doc.jsonld"
    path.write_text(json.dumps(document).replace(", ", ",\n"), encoding="utf-8")  # one key a line
    found = verdict(path)
    assert found is not None and found.startswith(f"{path}:{line}: {message}"), found


def test_a_truncated_file_is_left_to_the_parser_to_name(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonld"
    path.write_text('{"@id": "http://example.org/abc', encoding="utf-8")
    assert verdict(path) is None  # no traceback; the parser then reports the line
    with pytest.raises(SyntaxError):
        list(ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD))


def corpus() -> list[str]:
    """Valid and dropped documents, written with the separators pretty-printers use."""
    texts = []
    rng = random.Random(11)
    documents = list(VALID.values()) + [d for d, _, _ in DROPPED.values()]
    for document in documents:
        for separators in ((",", ":"), (", ", ": "), (" , ", " : "), (",\n", " :\n  ")):
            text = json.dumps(document, separators=separators, ensure_ascii=rng.random() < 0.5)
            texts.append(text)
    return texts


def test_the_verdict_does_not_depend_on_where_blocks_fall(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "doc.jsonld"
    expected = {}
    for text in corpus():
        path.write_text(text, encoding="utf-8")
        expected[text] = verdict(path)
    for size in range(1, 48):
        monkeypatch.setattr(kg.jsonld, "BLOCK_CHARS", size)
        for text, whole in expected.items():
            path.write_text(text, encoding="utf-8")
            assert verdict(path) == whole, (size, text)


def test_a_long_string_is_scanned_in_linear_time(tmp_path: Path, monkeypatch) -> None:
    """A string longer than a block is carried whole; rescanning it block after block would
    scan the file's square."""
    scanned = []
    token = kg.jsonld.TOKEN

    class Counting:
        def finditer(self, text: str):
            scanned.append(len(text))
            return token.finditer(text)

    monkeypatch.setattr(kg.jsonld, "TOKEN", Counting())
    monkeypatch.setattr(kg.jsonld, "BLOCK_CHARS", 64)
    path = write(tmp_path, {"@id": EX + "a", EX + "p": "x" * 200_000})
    assert verdict(path) is None
    assert sum(scanned) < 4 * path.stat().st_size, (len(scanned), sum(scanned))

"""Bad input, each answered by a clear error naming the file, line or term, with nothing lost:
malformed Turtle, bad IRIs, unknown terms and values, hostile and international text,
duplicates, deep nesting and oversized imports.

Where kg misbehaves, the test is written as it should pass and marked ``xfail(strict=True)``
with the bug in its reason, so that the fix turns it into a failure to un-mark.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.stores import TurtleStore, open_store
from tests.conftest import build_once, snapshot
from tests.hardening import (
    CBEC,
    CBR,
    ENTITY,
    HEADER,
    HEADER_LINES,
    LINK,
    NOT_IMPORTED,
    PROV_DERIVED,
    RDF_TYPE,
    RDFS,
    SOURCE,
    assert_clean_exit,
    error_line,
    kg_process,
    platform,
    refused,
    run,
    turtle,
    write,
)

# ---------------------------------------------------------------- bad input: malformed Turtle


MALFORMED = {
    # name: (body lines, the line the error must name, a word of the parser's reason)
    "missing dot": (
        [ENTITY.format(slug="a", label="A").removesuffix(" ."), ENTITY.format(slug="b", label="B")],
        7,
        "dot",
    ),
    "unterminated string": (
        [
            'cbr:a a cbec:Platform ; rdfs:label "Open@en ;',
            "    prov:wasDerivedFrom cbr:source-market-analysis .",
        ],
        6,
        "end of file",
    ),
    "undeclared prefix": (
        ['cbr:a a cbec:Platform ; rdfs:label "A"@en ; prov:wasDerivedFrom foo:source-market-analysis .'],
        6,
        "foo:",
    ),
    "truncated file": (['cbr:a a cbec:Platform ; rdfs:label "A"@en ; prov:wasDerivedFrom cbr:sou'], 6, "end"),
    "truncated mid-string": (['cbr:a a cbec:Platform ; rdfs:label "Trunc'], 6, "end"),
    "IRI with a space": (
        [platform("<http://x/a b>")],
        6,
        "' '",
    ),
    "lone surrogate escape": (
        [platform("cbr:a", '"a\\uD800b"@en')],
        6,
        "D800",
    ),
    "error after 2,000 good lines": (
        [ENTITY.format(slug=f"good-{i}", label=f"Good {i}") for i in range(2000)]
        + ['cbr:bad a cbec:Platform ; rdfs:label Bad"@en .'],
        HEADER_LINES + 2001,
        "Bad",
    ),
}


def test_malformed_turtle_names_file_and_line_and_changes_nothing(store_spec: str, tmp_path: Path) -> None:
    before = snapshot(store_spec)
    for name, (body, line, reason) in MALFORMED.items():
        text = turtle(*body).removesuffix("\n") if name.startswith("truncated") else turtle(*body)
        path = write(tmp_path, name.replace(" ", "-").replace(",", "") + ".ttl", text)
        result = run(store_spec, "import", str(path))
        refused(result)
        error = error_line(result)
        assert error.startswith(f"Error: {path}:{line}: "), (name, error)
        assert error.endswith(NOT_IMPORTED), (name, error)
        assert reason.lower() in error.lower(), (name, error)
    invalid_utf8 = write(
        tmp_path,
        "latin1.ttl",
        (HEADER + 'cbr:a a cbec:Platform ; rdfs:label "caf').encode() + b'\xe9"@en .\n',
    )
    error = error_line(run(store_spec, "import", str(invalid_utf8)))
    assert error.startswith(f"Error: {invalid_utf8}:6: ") and "UTF-8" in error, error
    assert snapshot(store_spec) == before


# ---------------------------------------------------------------- bad input: IRIs


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "<file:///etc/passwd>",
            "Error: 'file:///etc/passwd' has scheme 'file'; kg accepts only http, https, urn IRIs",
        ),
        (
            "<data:text/plain,hi>",
            "Error: 'data:text/plain,hi' has scheme 'data'; kg accepts only http, https, urn IRIs",
        ),
        (
            "<JAVASCRIPT:alert(1)>",
            "Error: 'JAVASCRIPT:alert(1)' has scheme 'javascript'; kg accepts only http",
        ),
        ("<http://x/a\tb>", "Error: 'http://x/a\tb' is not a valid IRI: it contains '\\t'"),
        ('<http://x/a"b>', "Error: 'http://x/a\"b' is not a valid IRI: it contains '\"'"),
        ("http://x/{a}", "Error: 'http://x/{a}' is not a valid IRI: it contains '{'"),
        ("<cbr:mi-tao>", "Error: 'cbr:mi-tao' has scheme 'cbr'; kg accepts only http, https, urn IRIs"),
    ],
)
def test_cli_refuses_iris_lenient_parsers_accept(kg, store_path: Path, argument: str, message: str) -> None:
    before = snapshot(str(store_path))
    entity = ["--type", "cbec:Platform", "--label", "X", "--source", SOURCE]
    link = ["--weight", "0.5", "--criticality", "low", "--confidence", "low", "--source", SOURCE]
    attempts = {
        "entity IRI": ["add", "entity", argument, *entity],
        "source of an entity": ["add", "entity", "cbr:x", *entity[:-1], argument],
        "class": ["add", "entity", "cbr:x", "--type", argument, *entity[2:]],
        "object of a link": ["add", "link", "cbr:kaola", "cbec:shipsVia", argument, *link],
        "source IRI": ["add", "source", argument, "--title", "T"],
        "entity to remove": ["remove", "entity", argument],
    }
    for where, args in attempts.items():
        result = kg(*args)
        assert result.exit_code == 1, (where, result.output)
        assert result.output.startswith(message), (where, result.output)
    assert snapshot(str(store_path)) == before


def test_source_urls_must_be_web_addresses(kg, store_path: Path) -> None:
    before = snapshot(str(store_path))
    for url, message in {
        "javascript:alert(1)": "Error: --url 'javascript:alert(1)' must start with http:// or https://",
        "file:///etc/passwd": "Error: --url 'file:///etc/passwd' must start with http:// or https://",
        "data:text/html,<b>": "Error: --url 'data:text/html,<b>' must start with http:// or https://",
        "http://x/a b": "Error: 'http://x/a b' is not a valid IRI: it contains ' '",
    }.items():
        result = kg("add", "source", "cbr:source-x", "--title", "X", "--url", url)
        assert result.exit_code == 1 and result.output.startswith(message), result.output
    assert snapshot(str(store_path)) == before


def bad_iri_files(folder: Path, iri: str) -> dict[str, Path]:
    """One file per format, each stating a platform whose subject or object is ``iri``."""
    facts = f'a cbec:Platform ; rdfs:label "J"@en ; prov:wasDerivedFrom {SOURCE}'
    jsonld = {
        "@id": iri,
        "@type": CBEC + "Platform",
        RDFS + "label": {"@value": "J", "@language": "en"},
        PROV_DERIVED: {"@id": CBR + SOURCE[4:]},
    }
    rdfxml = (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        f'<rdf:Description rdf:about="{iri}"><rdf:type rdf:resource="{CBEC}Platform"/>'
        '<rdfs:label xml:lang="en">J</rdfs:label></rdf:Description>\n</rdf:RDF>\n'
    )
    return {
        "Turtle subject": write(folder, "subject.ttl", turtle(f"<{iri}> {facts} .")),
        "Turtle object": write(folder, "object.ttl", turtle(f"cbr:evil {facts} , <{iri}> .")),
        "N-Triples": write(folder, "triple.nt", f"<{CBR}evil> <{PROV_DERIVED}> <{iri}> .\n"),
        "JSON-LD": write(folder, "node.jsonld", json.dumps(jsonld)),
        "RDF/XML": write(folder, "node.rdf", rdfxml),
        "CSV": write(folder, "rows.csv", f'id,type,label,source\n"<{iri}>",cbec:Platform,J,{SOURCE}\n'),
    }


@pytest.mark.parametrize("iri", ["javascript:alert(1)", "file:///etc/passwd", "data:text/plain,hi"])
def test_imports_refuse_iris_outside_the_allow_list_and_name_them(
    store_spec: str, tmp_path: Path, iri
) -> None:
    before = snapshot(store_spec)
    scheme = iri.split(":")[0]
    for fmt, path in bad_iri_files(tmp_path, iri).items():
        result = run(store_spec, "import", str(path))
        output = refused(result)
        if fmt == "CSV":
            assert error_line(result) == (
                f"Error: {path}:2: '{iri}' has scheme '{scheme}'; kg accepts only http, https, urn IRIs; "
                "nothing was imported"
            )
        else:
            assert f"Error: {path}: the import was refused and nothing was written:" in output, (fmt, output)
            assert f"<{iri}>\n  Violation '{iri}' has scheme '{scheme}'" in output, (fmt, output)
    assert snapshot(store_spec) == before


def test_a_base_iri_cannot_smuggle_a_file_iri_into_an_import(kg, store_path: Path, tmp_path: Path) -> None:
    body = '<passwd> a cbec:Platform ; rdfs:label "P"@en ; prov:wasDerivedFrom cbr:source-market-analysis .'
    path = write(tmp_path, "base.ttl", "@base <file:///etc/> .\n" + turtle(body))
    before = snapshot(str(store_path))
    output = refused(run(store_path, "import", str(path)))
    assert "<file:///etc/passwd>\n  Violation 'file:///etc/passwd' has scheme 'file'" in output
    assert snapshot(str(store_path)) == before


def test_jsonld_with_an_invalid_iri_is_refused_not_silently_dropped(
    kg, store_path: Path, tmp_path: Path
) -> None:
    path = bad_iri_files(tmp_path, "http://x/a b")["JSON-LD"]
    before = snapshot(str(store_path))
    result = run(store_path, "import", str(path))
    assert result.exit_code == 1, result.output
    assert error_line(result).startswith(f"Error: {path}") and "http://x/a b" in result.output
    assert snapshot(str(store_path)) == before


JSONLD_DROPS = {
    "object @id": (
        {"@id": CBR + "a", PROV_DERIVED: {"@id": "http://x/b c"}},
        "@id 'http://x/b c' is not an IRI",
    ),
    "property": ({"@id": CBR + "a", "http://x/p q": "v"}, "property 'http://x/p q' is not an IRI"),
    "@type": ({"@id": CBR + "a", "@type": "http://x/T y"}, "@type 'http://x/T y' is not an IRI"),
    "relative @id": (
        {"@id": "a", RDFS + "label": "v"},
        "@id 'a' is a relative IRI and the file sets no @base",
    ),
    "undefined term": (
        {"@id": CBR + "a", "label": "v"},
        "'label' is neither an IRI nor a term the @context defines",
    ),
    "@context term": (
        {"@context": {"label": "http://x/l m"}, "@id": CBR + "a", "label": "v"},
        "the @context term 'label' maps to 'http://x/l m', which is not an IRI",
    ),
    "language tag": (
        {"@id": CBR + "a", RDFS + "label": {"@value": "v", "@language": "e n"}},
        "'e n' is not a language tag",
    ),
    "remote @context": (
        {"@context": "https://schema.org/", "@id": CBR + "a", "name": "v"},
        "the remote @context 'https://schema.org/' is not fetched, as kg reads no network",
    ),
}


@pytest.mark.parametrize("case", JSONLD_DROPS)
def test_jsonld_that_the_parser_would_drop_is_refused_with_its_line(
    store_path: Path, tmp_path: Path, case: str
) -> None:
    document, message = JSONLD_DROPS[case]
    path = write(tmp_path, "drop.jsonld", json.dumps(document, indent=1))
    before = snapshot(str(store_path))
    result = run(store_path, "import", str(path))
    line = error_line(result)
    assert result.exit_code == 1 and line.startswith(f"Error: {path}:"), result.output
    assert message in line and line.endswith(NOT_IMPORTED), line
    assert snapshot(str(store_path)) == before


def test_jsonld_with_a_context_imports_every_fact(empty_store: Path, tmp_path: Path) -> None:
    context = {
        "cbr": CBR,
        "label": {"@id": RDFS + "label", "@language": "en"},
        "Platform": CBEC + "Platform",
        "source": {"@id": PROV_DERIVED, "@type": "@id"},
    }
    document = {
        "@context": context,
        "@id": "cbr:jsonld-platform",
        "@type": "Platform",
        "label": 'Quoted " , { ] : text',
        "source": "cbr:source-test",
    }
    path = write(tmp_path, "ok.jsonld", json.dumps(document, indent=1))
    before = snapshot(str(empty_store))
    result = run(empty_store, "import", str(path))
    assert result.exit_code == 0, result.output
    assert len(snapshot(str(empty_store)) - before) == 3


# ---------------------------------------------------------------- bad input: unknown terms, bad values


def test_misspelled_classes_and_properties_in_an_import_name_the_closest_term(
    store_spec: str, tmp_path: Path
) -> None:
    entity = ENTITY.format(slug="newcomer", label="Newcomer")
    cases = {
        "lower-case class": (
            entity.replace("cbec:Platform", "cbec:platform"),
            "rdf:type: unknown class cbec:platform; did you mean cbec:Platform?",
        ),
        "misspelled class": (
            entity.replace("cbec:Platform", "cbec:Platfrom"),
            "rdf:type: unknown class cbec:Platfrom; did you mean cbec:Platform?",
        ),
        "misspelled label": (
            entity.replace("rdfs:label", "rdfs:lable"),
            "rdfs:lable: unknown property rdfs:lable; did you mean rdfs:label?",
        ),
        "misspelled source": (
            entity.replace("prov:wasDerivedFrom", "prov:wasDerivedfrom"),
            "prov:wasDerivedfrom: unknown property prov:wasDerivedfrom; did you mean prov:wasDerivedFrom?",
        ),
        "misspelled link": (
            entity.replace(" .", " ; cbec:shipVia cbr:cainiao ."),
            "cbec:shipVia: unknown property cbec:shipVia; did you mean cbec:shipsVia?",
        ),
    }
    before = snapshot(store_spec)
    for name, (body, message) in cases.items():
        path = write(tmp_path, name.replace(" ", "-") + ".ttl", turtle(body))
        output = refused(run(store_spec, "import", str(path)))
        assert f"Error: {path}: the import was refused and nothing was written:" in output, (name, output)
        assert f"cbr:newcomer\n  Violation {message}\n" in output, (name, output)
    assert snapshot(store_spec) == before


def test_misspelled_link_property_of_a_statement_names_the_closest(
    kg, store_path: Path, tmp_path: Path
) -> None:
    body = LINK.format(weight="0.1", paragraph="3").replace(
        "cbec:predicate cbec:shipsVia", "cbec:predicate cbec:shipVia"
    )
    path = write(tmp_path, "statement.ttl", turtle(body))
    output = refused(run(store_path, "import", str(path)))
    assert "cbec:predicate" in output and "did you mean cbec:shipsVia?" in output, output


def test_ill_typed_values_are_refused_before_any_write(store_spec: str, tmp_path: Path) -> None:
    kaola = platform("cbr:kaola", '"NetEase Kaola"@en').removesuffix(" .")
    cases = {
        "paragraph abc": (
            LINK.format(weight="0.4", paragraph='"abc"^^xsd:integer'),
            "cbr:link-kaola-shipsvia-cainiao",
            r"Violation cbec:paragraph: .*\(value: abc\)",
        ),
        "weight 1.5": (
            LINK.format(weight="1.5", paragraph="3"),
            "cbr:link-kaola-shipsvia-cainiao",
            r"Violation cbec:weight: cbec:weight must be one xsd:decimal between 0 and 1 \(value: 1\.5\)",
        ),
        "weight NaN": (
            LINK.format(weight='"NaN"^^xsd:decimal', paragraph="3"),
            "cbr:link-kaola-shipsvia-cainiao",
            r"Violation cbec:weight: cbec:weight must be one xsd:decimal between 0 and 1 \(value: NaN\)",
        ),
        "exit date 2016-13-40": (
            f'{kaola} ; cbec:status cbec:Exited ; cbec:exitDate "2016-13-40"^^xsd:date .',
            "cbr:kaola",
            r"Violation cbec:exitDate: .*\(value: 2016-13-40\)",
        ),
        "exit date 2016-02-30": (
            f'{kaola} ; cbec:status cbec:Exited ; cbec:exitDate "2016-02-30"^^xsd:date .',
            "cbr:kaola",
            r"Violation cbec:exitDate: .*\(value: 2016-02-30\)",
        ),
    }
    before = snapshot(store_spec)
    for name, (body, focus, pattern) in cases.items():
        path = write(tmp_path, name.replace(" ", "-") + ".ttl", turtle(body))
        output = refused(run(store_spec, "import", str(path)))
        assert f"Error: {path}: the import was refused and nothing was written:" in output, (name, output)
        assert re.search(rf"^{re.escape(focus)}\n(  .*\n)*  {pattern}$", output, re.MULTILINE), (name, output)
    assert snapshot(store_spec) == before


def test_ill_typed_csv_values_name_the_line(kg, store_path: Path, tmp_path: Path) -> None:
    links = "subject,predicate,object,weight,criticality,confidence,source,paragraph\n"
    row = f"cbr:kaola,cbec:shipsVia,cbr:cainiao,{{weight}},low,low,{SOURCE},3\n"
    cases = {
        "weight.csv": (
            links + "".join(row.format(weight=w) for w in ("0.2", "1.5")),
            3,
            "`weight` '1.5' must be a finite number between 0 and 1",
        ),
        "date.csv": (
            f"id,type,label,source,status,exit_date\ncbr:zz,cbec:Platform,ZZ,{SOURCE},cbec:Exited,2016-13-40\n",
            2,
            "`exit_date` '2016-13-40' is not a real date",
        ),
    }
    before = snapshot(str(store_path))
    for name, (text, line, message) in cases.items():
        path = write(tmp_path, name, text)
        error = error_line(run(store_path, "import", str(path)))
        assert error.startswith(f"Error: {path}:{line}: ") and message in error, error
        assert error.endswith("; nothing was imported"), error
    assert snapshot(str(store_path)) == before


def test_csv_paragraph_that_is_not_a_number_is_named(kg, store_path: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rows.csv",
        "subject,predicate,object,weight,criticality,confidence,source,paragraph\n"
        f"cbr:kaola,cbec:shipsVia,cbr:cainiao,0.2,low,low,{SOURCE},abc\n",
    )
    error = error_line(run(store_path, "import", str(path)))
    assert error.startswith(f"Error: {path}:2: ") and "paragraph 'abc'" in error, error
    assert "int()" not in error


# ---------------------------------------------------------------- bad input: hostile and international text


INJECTIONS = [
    'x" . ?s ?p ?o } #',
    '"""',
    "'''",
    'a """ b \'\'\' c "',
    "line one\nline two",
    "crlf\r\nend\r",
    "tab\tbackslash \\ and \\u0000 spelled out, \\n too",
    "} ; DROP ALL ; INSERT DATA { <http://x/s> <http://x/p> <http://x/o> } #",
    "<script>alert(1)</script> ]]> <!--",
    '@en "@zh ^^xsd:string',
    "\\",
    "trailing backslash \\",
    "%00 %0a &#0;",
]
INTERNATIONAL = [
    "网易考拉海购",
    "天猫国际 · 跨境电商（保税进口）",
    "🛒📦🇨🇳 emoji and flags",
    "👩‍👩‍👧 family (zero-width joiners)",
    "متجر عبر الحدود",
    "שוק \u200fחוצה\u200e גבולות",
    "mixed: Tmall \u202bعالمي\u202c 天猫",
    "combining: e\u0301 vs \u00e9, Å vs A\u030a",
    "\ufeffbyte order mark inside",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP 𠀀",
]


def literal(text: str, language: str | None = "en") -> str:
    return str(ox.Literal(text, language=language) if language else ox.Literal(text))


def assert_round_trip(store_spec: str, tmp_path: Path, texts: list[str], prefix: str) -> None:
    """Each text as a label, comment and source title: stored exactly, shown exactly, and the store
    exported as Turtle and imported into a fresh store gives back the same triples."""
    before = snapshot(store_spec)
    expected = set()
    for i, text in enumerate(texts):
        source, entity = f"cbr:source-{prefix}-{i}", f"cbr:{prefix}-{i}"
        added = run(store_spec, "add", "source", source, "--title", text)
        assert added.exit_code == 0, (text, added.output, added.exception)
        added = run(
            store_spec,
            "add",
            "entity",
            entity,
            "--type",
            "cbec:Platform",
            "--label",
            text,
            "--label-zh",
            text,
            "--comment",
            text,
            "--source",
            source,
        )
        assert added.exit_code == 0, (text, added.output, added.exception)
        s, src = CBR + entity[4:], CBR + source[4:]
        expected |= {
            (src, RDF_TYPE, f"<{CBEC}Source>"),
            (src, "http://purl.org/dc/terms/title", literal(text, None)),
            (s, RDF_TYPE, f"<{CBEC}Platform>"),
            (s, RDFS + "label", literal(text)),
            (s, RDFS + "label", literal(text, "zh")),
            (s, RDFS + "comment", literal(text)),
            (s, PROV_DERIVED, f"<{src}>"),
        }
        shown = run(store_spec, "show", entity, "--format", "json")
        assert shown.exit_code == 0, shown.output
        facts = json.loads(shown.output)["facts"]
        assert ["rdfs:label", f"{text} @en"] in facts and ["rdfs:comment", f"{text} @en"] in facts, facts
        assert ["rdfs:label", f"{text} @zh"] in facts, facts
    after = snapshot(store_spec)
    assert after - before == expected, "extra or missing triples"
    assert before <= after
    exported = tmp_path / f"{prefix}-export.ttl"
    assert run(store_spec, "export", "ttl", "--out", str(exported)).exit_code == 0
    fresh = tmp_path / f"{prefix}-fresh.ttl"
    assert run(fresh, "init", str(fresh), "--empty").exit_code == 0
    imported = run(fresh, "import", str(exported))
    assert imported.exit_code == 0, imported.output
    assert snapshot(str(fresh)) == after


def test_injection_strings_in_text_are_stored_exactly_and_round_trip(store_spec: str, tmp_path: Path) -> None:
    assert_round_trip(store_spec, tmp_path, INJECTIONS, "inject")


def test_chinese_emoji_and_right_to_left_text_round_trip(store_spec: str, tmp_path: Path) -> None:
    assert_round_trip(store_spec, tmp_path, INTERNATIONAL, "intl")


LINE_BREAKS_FOR_PYTHON = ["line\u2028separator", "paragraph\u2029separator", "next\x85line"]


def test_unicode_line_separators_round_trip(store_spec: str, tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 are line breaks to Python's str.splitlines, not to Turtle (fixed in
    2cf363e: they used to split a literal across lines and leave the Turtle store unreadable)."""
    assert_round_trip(store_spec, tmp_path, LINE_BREAKS_FOR_PYTHON, "sep")


@pytest.mark.parametrize("how", ["label", "IRI", "import"])
def test_a_line_separator_never_breaks_the_turtle_store(empty_store: Path, tmp_path: Path, how: str) -> None:
    args = {
        "label": [
            "add",
            "entity",
            "cbr:sep",
            "--type",
            "cbec:Platform",
            "--label",
            "a\u2028b",
            "--source",
            "cbr:source-test",
        ],
        "IRI": ["add", "source", "<https://example.org/a\u2028b>", "--title", "T"],
        "import": [
            "import",
            str(
                write(
                    tmp_path,
                    "sep.ttl",
                    turtle(platform("cbr:sep", '"a\\u2028b"@en', "cbr:source-test")),
                )
            ),
        ],
    }[how]
    before = snapshot(str(empty_store))
    result = run(empty_store, *args)
    stats = run(empty_store, "stats")
    assert stats.exit_code == 0, stats.output  # the store still loads
    if result.exit_code == 0:
        assert len(snapshot(str(empty_store)) - before) >= 1
    else:
        assert snapshot(str(empty_store)) == before and error_line(result)


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--label", "a\x00b", "Error: --label contains a NUL character; remove it"),
        ("--label-zh", "\x00", "Error: --label-zh contains a NUL character; remove it"),
        ("--comment", "end\x00", "Error: --comment contains a NUL character; remove it"),
        (
            "--label",
            "a\udcffb",
            "Error: --label contains a lone surrogate (broken UTF-16); re-type or re-copy the text",
        ),
        ("--label-zh", "\ud800", "Error: --label-zh contains a lone surrogate (broken UTF-16)"),
    ],
)
def test_nul_and_lone_surrogates_in_text_are_refused(kg, store_path: Path, option, text, message) -> None:
    before = snapshot(str(store_path))
    label = text if option == "--label" else "X"
    args = ["add", "entity", "cbr:x", "--type", "cbec:Platform", "--label", label, "--source", SOURCE]
    args += [] if option == "--label" else [option, text]
    result = kg(*args)
    assert result.exit_code == 1 and result.output.startswith(message), result.output
    assert snapshot(str(store_path)) == before


def test_undecodable_bytes_on_the_command_line_are_refused(store_path: Path) -> None:
    """A shell passes invalid UTF-8 as bytes; Python turns them into lone surrogates."""
    before = store_path.read_bytes()
    for option, value in ((b"--label", b"caf\xe9"), (b"--title", b"\xff\xfe")):
        command = (
            [b"add", b"source", b"cbr:source-bytes", option, value]
            if option == b"--title"
            else [
                b"add",
                b"entity",
                b"cbr:x",
                b"--type",
                b"cbec:Platform",
                option,
                value,
                b"--source",
                SOURCE.encode(),
            ]
        )
        proc = subprocess.run(
            [sys.executable.encode(), b"-m", b"kg.cli", b"--store", bytes(store_path), *command],
            capture_output=True,
            env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:surrogateescape"},
            timeout=60,
        )
        assert proc.returncode == 1, proc.stderr
        name = option.decode()
        assert proc.stderr.startswith(f"Error: {name} contains a lone surrogate (broken UTF-16)".encode()), (
            proc.stderr
        )
    assert store_path.read_bytes() == before


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (
            "ttl",
            turtle(platform("cbr:nul", '"a\\u0000b"@en')),
        ),
        (
            "jsonld",
            json.dumps(
                {
                    "@id": CBR + "nul",
                    "@type": CBEC + "Platform",
                    RDFS + "label": {"@value": "a\x00b", "@language": "en"},
                    PROV_DERIVED: {"@id": CBR + "source-market-analysis"},
                }
            ),
        ),
    ],
)
def test_nul_in_an_imported_label_is_refused(
    kg, store_path: Path, tmp_path: Path, fmt: str, text: str
) -> None:
    path = write(tmp_path, f"nul.{fmt}", text)
    before = snapshot(str(store_path))
    result = run(store_path, "import", str(path))
    assert result.exit_code == 1, result.output
    assert error_line(result).startswith(f"Error: {path}") and "NUL" in result.output
    assert snapshot(str(store_path)) == before


def test_invalid_text_in_imports_is_refused_with_file_and_line(kg, store_path: Path, tmp_path: Path) -> None:
    before = snapshot(str(store_path))
    csv_nul = write(tmp_path, "nul.csv", f"id,type,label,source\ncbr:nul,cbec:Platform,a\x00b,{SOURCE}\n")
    assert error_line(run(store_path, "import", str(csv_nul))) == (
        f"Error: {csv_nul}:2: `label` contains a NUL character; remove it; nothing was imported"
    )
    csv_bytes = write(
        tmp_path,
        "latin1.csv",
        f"id,type,label,source\ncbr:cafe,cbec:Platform,caf\xe9,{SOURCE}\n".encode("latin-1"),
    )
    assert (
        error_line(run(store_path, "import", str(csv_bytes)))
        == f"Error: {csv_bytes}: not UTF-8 text; save it as UTF-8 CSV"
    )
    surrogate = write(
        tmp_path,
        "surrogate.jsonld",
        json.dumps({"@id": CBR + "s", RDFS + "label": {"@value": "a@@"}}).replace("@@", "\\ud800b"),
    )
    error = error_line(run(store_path, "import", str(surrogate)))
    assert error.startswith(f"Error: {surrogate}:1: ") and error.endswith(NOT_IMPORTED), error
    assert snapshot(str(store_path)) == before


# ---------------------------------------------------------------- bad input: duplicates


def test_nothing_is_duplicated(store_spec: str, tmp_path: Path) -> None:
    source = ["add", "source", "cbr:source-dup", "--title", "Dup", "--url", "https://example.org/dup"]
    assert run(store_spec, *source).exit_code == 0
    entity = [
        "add",
        "entity",
        "cbr:dup",
        "--type",
        "cbec:Platform",
        "--label",
        "Dup",
        "--source",
        "cbr:source-dup",
    ]
    assert run(store_spec, *entity).exit_code == 0
    link = [
        "add",
        "link",
        "cbr:dup",
        "cbec:shipsVia",
        "cbr:cainiao",
        "--weight",
        "0.5",
        "--criticality",
        "High",
    ]
    link += ["--confidence", "low", "--source", SOURCE, "--source", "cbr:source-dup"]
    assert run(store_spec, *link).exit_code == 0
    once = snapshot(store_spec)

    again = {
        "source": (source, "cbr:source-dup already has all these facts; nothing changed"),
        "entity": (entity, "cbr:dup already has all these facts; nothing changed"),
        # same link, sources in the other order, criticality spelled differently
        "link": (
            link[:8] + ["high"] + link[9:12] + ["cbr:source-dup", "--source", SOURCE],
            "cbr:dup cbec:shipsVia cbr:cainiao is already stated; nothing changed",
        ),
    }
    for what, (args, message) in again.items():
        result = run(store_spec, *args)
        assert result.exit_code == 0 and message in result.output, (what, result.output)
    assert snapshot(store_spec) == once

    ttl = write(
        tmp_path,
        "twice.ttl",
        turtle(ENTITY.format(slug="twice", label="Twice"), ENTITY.format(slug="twice", label="Twice")),
    )
    csv = write(
        tmp_path,
        "links.csv",
        "subject,predicate,object,weight,criticality,confidence,source\n"
        f"cbr:twice,cbec:shipsVia,cbr:cainiao,0.3,low,low,{SOURCE}\n"
        f"cbr:twice,cbec:shipsVia,cbr:cainiao,0.3,low,low,{SOURCE}\n",
    )
    first = run(store_spec, "import", str(ttl), str(csv), str(ttl))
    assert first.exit_code == 0, first.output
    imported = snapshot(store_spec)
    assert len(imported - once) == 3 + 2 + 9  # the entity; the link's direct triples and statement
    for files in ([ttl], [csv], [ttl, csv, csv]):
        result = run(store_spec, "import", *map(str, files))
        assert (
            result.exit_code == 0 and result.output.rstrip().endswith(" new") and ", 0 new" in result.output
        )
        assert snapshot(store_spec) == imported
    # the store exported and imported into itself: nothing new
    exported = tmp_path / "all.nt"
    assert run(store_spec, "export", "nt", "--out", str(exported)).exit_code == 0
    result = run(store_spec, "import", str(exported))
    assert result.exit_code == 0 and result.output.rstrip().endswith(", 0 new"), result.output
    assert snapshot(store_spec) == imported


# ---------------------------------------------------------------- bad input: deep nesting


def nested(kind: str, depth: int) -> str:
    if kind == "blank nodes":
        return turtle("cbr:deep rdfs:comment " + "[ rdfs:comment " * depth + '"x"@en' + " ]" * depth + " .")
    if kind == "collections":
        return turtle("cbr:deep rdfs:comment " + "( " * depth + '"x"@en' + " )" * depth + " .")
    if kind == "JSON-LD objects":
        inner = f'{{"{RDFS}comment": ' * depth + '"x"' + "}" * depth
        return json.dumps({"@id": CBR + "deep", RDFS + "comment": "@@"}).replace('"@@"', inner)
    if kind == "groups":
        return "SELECT (COUNT(*) AS ?n) WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth + "\n"
    assert kind == "parentheses"
    condition = "(" * depth + 'STR(?o) = "Test notes"' + ")" * depth
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER({condition}) }}\n"


DEEP_IMPORTS = [
    pytest.param(kind, suffix, depth, id=f"{kind}-{depth}")
    for kind, suffix in (("blank nodes", "ttl"), ("collections", "ttl"), ("JSON-LD objects", "jsonld"))
    for depth in ((1000,) if kind == "collections" else (1000, 10_000))
]


@pytest.mark.parametrize(("kind", "suffix", "depth"), DEEP_IMPORTS)
def test_deeply_nested_imports_never_crash(empty_store: Path, tmp_path: Path, kind, suffix, depth) -> None:
    before = snapshot(str(empty_store))
    path = write(tmp_path, f"deep.{suffix}", nested(kind, depth))
    proc = kg_process("--store", str(empty_store), "import", str(path))
    assert_clean_exit(proc)
    after = snapshot(str(empty_store))
    if proc.returncode == 1:
        assert after == before
    else:  # a correct answer: every level landed
        assert len(after - before) == depth + 1


def count(store: Path, path: Path) -> subprocess.CompletedProcess:
    return kg_process("--store", str(store), "query", str(path), "--format", "csv")


@pytest.mark.parametrize(
    "depth",
    [
        1000,
        10_000,
    ],
)
def test_deeply_nested_query_files_never_crash(empty_store: Path, tmp_path: Path, depth: int) -> None:
    for kind in ("groups", "parentheses"):
        flat = count(empty_store, write(tmp_path, f"flat-{kind}.rq", nested(kind, 1)))
        assert flat.returncode == 0 and flat.stdout.split()[-1] != b"0", flat
        proc = count(empty_store, write(tmp_path, f"deep-{kind}.rq", nested(kind, depth)))
        assert_clean_exit(proc)
        if proc.returncode == 0:
            assert proc.stdout == flat.stdout, kind  # a correct answer


def test_a_misspelling_in_a_big_import_is_refused_as_fast_as_the_fix_imports(tmp_path: Path) -> None:
    lines = [ENTITY.format(slug=f"e-{i}", label=f"E {i}") for i in range(10_000)]
    timings = {}
    for name, text in {
        "right": turtle(*lines),
        "typo": turtle(*lines).replace("rdfs:label", "rdfs:lable"),
    }.items():
        store = tmp_path / f"{name}-store.ttl"
        assert run(store, "init", str(store), "--empty").exit_code == 0
        assert run(store, "add", "source", SOURCE, "--title", "Market analysis").exit_code == 0
        start = time.monotonic()
        proc = kg_process(
            "--store", str(store), "import", str(write(tmp_path, f"{name}.ttl", text)), text=True
        )
        timings[name] = time.monotonic() - start
        assert proc.returncode == (0 if name == "right" else 1), proc.stderr[-300:]
    assert "unknown property rdfs:lable; did you mean rdfs:label?" in proc.stderr
    assert timings["typo"] <= timings["right"] + 0.5, timings


# ---------------------------------------------------------------- bad input: an oversized import


BIG_TRIPLES = 300_000
# The Turtle backend keeps the graph in memory by design (one file, rewritten whole: README
# "Small by nature"); an import into it may take up to 2 KB per triple read.
TURTLE_BYTES_PER_TRIPLE = 2048
# The Oxigraph backend stages an import above kg.transfer.STAGE_IN_MEMORY_BYTES on disk "so
# memory stays bounded" (README): its peak must not grow with the file; 256 MB is room for kg,
# Oxigraph's caches and one chunk. Below that size it stages in memory, also within 256 MB here.
OXIGRAPH_PEAK_MB = 256
MEASURE = """
import os, resource, sys
import kg.transfer
from kg.cli import cli
if os.environ.get("KG_TEST_STAGE_ON_DISK"):
    kg.transfer.STAGE_IN_MEMORY_BYTES = 0
try:
    cli.main(sys.argv[1:], prog_name="kg")
finally:
    print(f"peak-rss-kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


@pytest.fixture(scope="module")
def big_imports(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, int, str]]:
    """A generated ~300k-triple file imported into a Turtle and an Oxigraph store at once, each
    import in its own process measuring its peak memory. Each store is read by one test only."""
    return build_once(tmp_path_factory, "big-imports", import_big_file)


def import_big_file(folder: Path) -> dict[str, tuple[subprocess.CompletedProcess, int, str]]:
    from bench.generate import generate
    from kg.stores import init_store

    data = write(folder, "big.ttl", generate(BIG_TRIPLES))
    specs = {
        "turtle": str(folder / "store.ttl"),
        "oxigraph": f"oxigraph:{folder / 'db'}",
        "oxigraph staged on disk": f"oxigraph:{folder / 'db-disk'}",
    }
    for spec in specs.values():
        init_store(spec, empty=True)
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", MEASURE, "--store", spec, "import", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "KG_TEST_STAGE_ON_DISK": "1" if "disk" in name else ""},
        )
        for name, spec in specs.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        peak = int(re.search(r"peak-rss-kb (\d+)", err).group(1))
        results[name] = (done, peak, specs[name])
    return results


def test_oversized_import_into_turtle_is_bounded_or_refused(big_imports) -> None:
    proc, peak_kb, spec = big_imports["turtle"]
    assert_clean_exit(proc)
    if proc.returncode == 1:
        assert "oxigraph:" in proc.stderr, proc.stderr  # a refusal recommends the backend for big graphs
        assert snapshot(spec) == set()
        return
    read = int(re.search(r"(\d+) triples read", proc.stdout).group(1))
    assert read > 0.8 * BIG_TRIPLES and TurtleStore(spec).size() == read
    assert peak_kb * 1024 < TURTLE_BYTES_PER_TRIPLE * read, f"peak {peak_kb // 1024} MB for {read} triples"


@pytest.mark.parametrize("staging", ["oxigraph", "oxigraph staged on disk"])
def test_oversized_import_into_oxigraph_has_bounded_memory(big_imports, staging: str) -> None:
    proc, peak_kb, spec = big_imports[staging]
    assert_clean_exit(proc)
    assert proc.returncode == 0, proc.stderr
    assert peak_kb < OXIGRAPH_PEAK_MB * 1024, f"peak {peak_kb // 1024} MB"
    assert open_store(spec).size() == int(re.search(r"(\d+) triples read", proc.stdout).group(1))


# ---------------------------------------------------------------- bad input: nodes no shape targets


UNANCHORED = {
    "untyped": (
        'cbr:untyped-x rdfs:label "Untyped"@en .',
        "cbr:untyped-x has no class: state what it is",
    ),
    "unsourced-concept": (
        'cbr:unsourced-x a skos:Concept ; rdfs:label "Unsourced"@en .',
        "cbr:unsourced-x has no source: add prov:wasDerivedFrom a cbec:Source",
    ),
}


@pytest.mark.parametrize("case", sorted(UNANCHORED))
def test_a_resource_without_a_class_or_a_source_is_refused(any_kg, store_spec, tmp_path: Path, case) -> None:
    """Shapes target classes: a cbr: node with no class (or of a class no shape asks a source of)
    escaped every check. Refused on every backend, nothing written, the store still answers."""
    text, message = UNANCHORED[case]
    path = tmp_path / f"{case}.ttl"
    path.write_text(
        "@prefix cbr: <https://w3id.org/cbec/resource/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n" + text + "\n",
        encoding="utf-8",
    )
    before = snapshot(store_spec)
    result = any_kg("import", str(path))
    assert result.exit_code == 1
    assert f"Violation {message}" in result.output
    assert snapshot(store_spec) == before
    assert any_kg("stats").exit_code == 0


# ---------------------------------------------------------------- bad input: a query without end

ENDLESS = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize("limit", ["--timeout", "KG_QUERY_TIMEOUT"])
@pytest.mark.parametrize("backend", ["turtle", "oxigraph"])
def test_an_endless_query_is_stopped_at_its_time_limit(seeded_files, tmp_path: Path, backend, limit) -> None:
    """A cartesian product over the bundled data would run for days inside one Oxigraph call:
    it ends at the limit with a clear error, no process is left running, and the store still
    answers. (Run as a process: an abandoned query thread would keep a core busy in pytest.)"""
    spec = str(tmp_path / "store.ttl") if backend == "turtle" else f"oxigraph:{tmp_path / 'db'}"
    if backend == "turtle":
        shutil.copy2(seeded_files["turtle"], tmp_path / "store.ttl")
    else:
        shutil.copytree(seeded_files["oxigraph"], tmp_path / "db")
    args = ["--store", spec, "query", ENDLESS]
    env = {**os.environ}
    if limit == "--timeout":
        args += ["--timeout", "1"]
    else:
        env["KG_QUERY_TIMEOUT"] = "1"
    started = time.perf_counter()
    proc = kg_process(*args, timeout=60, env=env)
    assert time.perf_counter() - started < 30
    assert_clean_exit(proc)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(
        "Error: the query ran past its time limit of 1 s and was stopped; narrow it"
    )
    assert kg_process("--store", spec, "stats").returncode == 0


# ---------------------------------------------------------------- bad input: hostile files

PREFIXES_TTL = (
    "@prefix cbr: <https://w3id.org/cbec/resource/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
)


def entity_bomb() -> str:
    """A "billion laughs" RDF/XML file: under a kilobyte, ten million characters expanded."""
    entities = ['<!ENTITY a "' + "a" * 100 + '">'] + [
        f'<!ENTITY {name} "' + f"&{inner};" * 10 + '">'
        for inner, name in zip("abcdef", "bcdefg", strict=True)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '<rdf:Description rdf:about="https://w3id.org/cbec/resource/alibaba">'
        "<rdfs:comment>&g;</rdfs:comment></rdf:Description>\n</rdf:RDF>\n"
    )


HOSTILE = {
    "entity-bomb.rdf": (
        entity_bomb,
        "Error: {path}:2: the XML entity f expands to 10,000,000 characters, over kg's limit of "
        "1,000,000 (an entity bomb?); nothing was imported",
    ),
    "quoted-bracket.rdf": (
        lambda: entity_bomb().replace("<!ENTITY a ", '<!ENTITY x "]>">\n<!ENTITY a ', 1),
        "Error: {path}:2: the XML entity f expands to 10,000,000 characters",
    ),
    "external-entity.rdf": (
        lambda: entity_bomb().replace(
            '<!ENTITY a "' + "a" * 100 + '">', '<!ENTITY a SYSTEM "file:///etc/passwd">'
        ),
        "Error: {path}:2: the XML entity a is external or a parameter entity, which kg does not read; "
        "nothing was imported",
    ),
    "long-line.ttl": (
        lambda: PREFIXES_TTL + '\ncbr:alibaba rdfs:comment "' + "x" * 1_200_000 + '"@en .\n',
        "Error: {path}:4: the line is longer than 1,064,000 bytes, over kg's limit; nothing was imported",
    ),
    "long-literal.ttl": (
        lambda: PREFIXES_TTL + 'cbr:alibaba rdfs:comment """' + ("y" * 999 + "\n") * 1100 + '"""@en .\n',
        "a literal of 1,100,000 characters, over kg's limit of 1,000,000",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_before_anything_is_written(
    any_kg, store_spec, tmp_path: Path, name
) -> None:
    """An entity bomb, an external entity, a line or a literal over the limits: refused with the
    file (and the line where the file has one), nothing written, and the store still answers."""
    make, message = HOSTILE[name]
    path = tmp_path / name
    path.write_text(make(), encoding="utf-8")
    before = snapshot(store_spec)
    result = any_kg("import", str(path))
    assert result.exit_code == 1
    assert message.format(path=path) in result.output
    assert snapshot(store_spec) == before
    assert any_kg("stats").exit_code == 0


def test_a_file_of_lines_just_under_the_limit_is_read(kg, tmp_path: Path) -> None:
    """The line check reads each line once (anchored at line starts), not once per byte."""
    path = tmp_path / "long-but-legal.nt"
    subject = "<https://w3id.org/cbec/resource/alibaba> <http://www.w3.org/2000/01/rdf-schema#comment>"
    path.write_text("".join(f'{subject} "{c * 999_000}"@en .\n' for c in "abc"), encoding="utf-8")
    started = time.perf_counter()
    result = kg("import", str(path))
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 60


def test_an_edit_with_a_literal_over_the_limit_is_refused(kg) -> None:
    result = kg("add", "source", "cbr:source-huge", "--title", "t" * 1_000_001)
    assert result.exit_code == 1
    assert "a literal of 1,000,001 characters, over kg's limit of 1,000,000" in result.output

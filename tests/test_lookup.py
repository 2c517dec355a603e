"""Finding entities by name: `kg search`, `kg show LABEL`, closest-term warnings, `--lang`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.api import open as open_graph
from kg.errors import KgWarning, NotFoundError, TermError
from kg.formats import display_width
from kg.lookup import Entity, Index
from kg.sparql import prefix_declarations, written_terms
from kg.vocabulary import CBEC, CBR, node, vocabulary

TMALL = CBR + "tmall-global"


@pytest.fixture
def graph(store_path: Path):
    with open_graph(store_path) as g:
        yield g


def table_rows(output: str) -> list[str]:
    """The body lines of a `table_text` table (after the header and its rule)."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]+", line) and "--" in line)
    return [line for line in lines[rule + 1 :] if line and not line.startswith("(")]


# ---------------------------------------------------------------- kg search


def test_kg_search_tmall_lists_tmall_global_first(kg) -> None:
    result = kg("search", "tmall")
    assert result.exit_code == 0, result.output
    first = table_rows(result.output)[0].split()
    assert first[:3] == ["cbr:tmall-global", "Tmall", "Global"]
    assert "天猫国际" in first and "cbec:MarketplacePlatform" in first and "cbec:PlatformSeries" in first


@pytest.mark.parametrize(
    "text", ["tmall", "Tmall", "TMALL GLOBAL", "tmall global", "tmall-global", "tmallglobal"]
)
def test_case_spaces_and_hyphens_do_not_count(graph, text: str) -> None:
    assert graph.search(text)[0]["iri"] == "cbr:tmall-global"


def test_search_answers_what_the_brief_lists(graph) -> None:
    assert graph.search("tmall global")[0] == {
        "iri": "cbr:tmall-global",
        "label": "Tmall Global",
        "label_zh": "天猫国际",
        "class": "cbec:MarketplacePlatform",
        "series": "cbec:PlatformSeries",
        "matched": "Tmall Global",
    }


def test_search_by_chinese(kg, graph) -> None:
    assert graph.search("天猫")[0]["iri"] == "cbr:tmall-global"
    assert graph.search("天猫")[0]["matched"] == "天猫国际"
    assert graph.search("海淘")[0]["iri"] == "cbr:mi-tao"  # an alternative label, CN海淘
    result = kg("search", "天猫", "--lang", "zh")
    assert result.exit_code == 0
    assert table_rows(result.output)[0].split()[:2] == ["cbr:tmall-global", "天猫国际"]


def test_search_finds_alt_labels_and_near_spellings(graph) -> None:
    assert graph.search("tmall international")[0]["iri"] == "cbr:tmall-global"
    assert graph.search("kaloa")[0]["iri"] == "cbr:kaola"  # fuzzy: the alt label Kaola
    assert graph.search("tmal globl")[0]["iri"] == "cbr:tmall-global"


def test_class_filter_keeps_subclasses_only(kg, graph) -> None:
    everything = {e["iri"]: e for e in graph.search("global", limit=0)}
    platforms = graph.search("global", klass="cbec:Platform", limit=0)
    assert {e["iri"] for e in platforms} < set(everything)
    assert "cbr:tmall-global" in {e["iri"] for e in platforms}
    assert all(CBEC + "Platform" in vocabulary().superclasses[node(e["class"]).value] for e in platforms)
    shown = json.loads(
        kg("search", "global", "--class", "cbec:Platform", "--limit", "0", "--format", "json").output
    )
    assert shown == platforms


def test_an_unknown_class_names_the_closest(kg) -> None:
    result = kg("search", "tmall", "--class", "cbec:Platfrm")
    assert result.exit_code == 1
    assert result.output == "Error: unknown class 'cbec:Platfrm'; did you mean cbec:Platform?\n"


def test_limit(graph, kg) -> None:
    assert len(graph.search("a", limit=3)) == 3
    assert len(graph.search("a", limit=0)) > 20
    assert len(table_rows(kg("search", "a", "--limit", "2").output)) == 2


def test_no_match_exits_0_with_a_suggestion_where_one_exists(kg) -> None:
    result = kg("search", "xyzzy")
    assert result.exit_code == 0 and result.output == "No entity matches 'xyzzy'.\n"
    # Tmall Global is no zone; the suggestion looks at every class.
    result = kg("search", "tmall", "--class", "cbec:Zone")
    assert result.exit_code == 0
    assert result.output == "No entity matches 'tmall'. Did you mean Tmall Global (cbr:tmall-global)?\n"
    assert kg("search", "xyzzy", "--format", "json").output == "[]\n"


def test_an_empty_search_is_refused(kg) -> None:
    result = kg("search", "  ")
    assert result.exit_code == 1 and result.output.startswith("Error: `text` is empty")


def entity(iri: str, label: str) -> Entity:
    return Entity(CBR + iri, labels={"en": label})


def test_ranking_exact_then_prefix_then_word_prefix_then_substring_then_fuzzy() -> None:
    index = Index(
        {
            e.iri: e
            for e in (
                entity("fuzzy", "Kola"),
                entity("substring", "Bigkoala"),
                entity("word-prefix", "Big Koala Shop"),
                entity("prefix", "Koala Shop"),
                entity("exact", "Koala"),
                entity("unrelated", "Tmall"),
            )
        }
    )
    found = [e["iri"] for e in index.search("koala", limit=0)]
    assert found == ["cbr:exact", "cbr:prefix", "cbr:word-prefix", "cbr:substring", "cbr:fuzzy"]


# ---------------------------------------------------------------- kg show NAME


def test_show_takes_a_label_in_english_or_chinese(kg) -> None:
    by_iri = kg("show", "cbr:tmall-global")
    assert by_iri.exit_code == 0
    for name in ("Tmall Global", "天猫国际", "tmall global", "Tmall International"):
        shown = kg("show", name)
        assert shown.exit_code == 0, shown.output
        assert shown.output == by_iri.output, name


def test_describe_resolves_labels_like_the_cli(graph) -> None:
    assert graph.describe("天猫国际") == graph.describe("cbr:tmall-global") == graph.describe(TMALL)


def test_a_misspelled_iri_names_the_closest(kg, graph) -> None:
    result = kg("show", "cbr:tmall-globl")
    assert result.exit_code == 1
    assert result.output == "Error: cbr:tmall-globl is not in the store; did you mean cbr:tmall-global?\n"
    with pytest.raises(NotFoundError, match="did you mean cbr:tmall-global"):
        graph.describe("cbr:tmall-globl")


def test_an_unknown_label_is_not_found_with_the_nearest(graph) -> None:
    with pytest.raises(NotFoundError, match=r"nor is it an entity's label; did you mean Tmall Global"):
        graph.describe("Tmall Globl")


def test_an_ambiguous_label_lists_the_candidates(kg) -> None:
    added = kg(
        "add", "entity", "cbr:tmall-global-twin", "--type", "cbec:Platform", "--label", "Tmall Global",
        "--source", "cbr:source-market-analysis",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    result = kg("show", "tmall global")
    assert result.exit_code == 1
    assert result.output == (
        "Error: 'tmall global' is the label of 2 entities: cbr:tmall-global (Tmall Global), "
        "cbr:tmall-global-twin (Tmall Global); name one by its IRI\n"
    )
    assert kg("show", "cbr:tmall-global-twin").exit_code == 0


def test_show_lang_names_the_entity_and_its_link_ends(kg, graph) -> None:
    shown = kg("show", "Tmall Global", "--lang", "zh").output.splitlines()
    assert shown[0] == "cbr:tmall-global  天猫国际"
    assert any("cbr:alibaba (阿里巴巴集团)" in line for line in shown)
    described = graph.describe("cbr:tmall-global", lang="en")
    assert described["label"] == "Tmall Global"
    assert {r["object_label"] for r in described["links_out"]} >= {"Alibaba Group"}


# ---------------------------------------------------------------- closest-term warnings


def test_a_param_naming_nothing_warns_and_the_query_still_runs(kg) -> None:
    query = "SELECT ?e ?label { ?e rdfs:label ?label FILTER(?e IN (cbr:mi-tao, ?other)) }"
    result = kg("query", query, "--param", "other=cbr:mi-ta")
    assert result.exit_code == 0
    assert result.stderr == "Warning: cbr:mi-ta names nothing in the store; did you mean cbr:mi-tao?\n"
    assert "Mi Tao" in result.stdout and "(2 rows)" in result.stdout
    bundled = kg("query", "dependencies-of", "--param", "participant=cbr:mi-ta")
    assert bundled.exit_code == 0 and "(0 rows)" in bundled.stdout
    assert bundled.stderr.startswith(
        "Warning: cbr:mi-ta names nothing in the store; did you mean cbr:mi-tao?"
    )


def test_the_library_returns_and_issues_the_warnings(graph) -> None:
    with pytest.warns(KgWarning, match=r"^cbr:mi-ta names nothing in the store; did you mean cbr:mi-tao\?$"):
        result = graph.query("dependencies-of", participant="cbr:mi-ta")
    assert result.warnings == ["cbr:mi-ta names nothing in the store; did you mean cbr:mi-tao?"]
    assert issubclass(KgWarning, UserWarning)
    assert graph.query("dependencies-of", participant="cbr:mi-tao").warnings == []


def test_an_undeclared_ontology_term_in_the_query_warns(kg) -> None:
    result = kg("query", "SELECT ?p { ?p a cbec:Platfrom }")
    assert result.exit_code == 0 and "(0 rows)" in result.stdout
    assert (
        result.stderr
        == "Warning: cbec:Platfrom is not declared by the ontology; did you mean cbec:Platform?\n"
    )


def test_terms_in_the_query_text_prefixed_or_in_full(graph) -> None:
    query = f"""
        SELECT ?p {{
          ?p a cbec:Platform ; cbec:dependsOn cbr:alibab , <{CBR}alipy> , <{CBEC}BondedImport> .
          # cbr:in-a-comment cbec:InAComment
          BIND("cbr:in-a-string" AS ?s) BIND('''<{CBR}in-a-long-string>''' AS ?t)
        }}"""
    with pytest.warns(KgWarning):
        found = graph.query(query).warnings
    assert found == [
        "cbr:alibab names nothing in the store; did you mean cbr:alibaba?",
        "cbr:alipy names nothing in the store; did you mean cbr:alipay?",
    ]


def test_a_prefix_the_query_declares_is_its_own(graph) -> None:
    query = "PREFIX cbr: <https://example.org/> SELECT * { ?p a cbec:Platform ; cbec:dependsOn cbr:x }"
    assert graph.query(query).warnings == []


def test_written_terms_skip_strings_comments_and_escaped_names() -> None:
    query = 'PREFIX ex: <https://example.org/>\nSELECT * { ex:a cbr:b "cbr:c" . # cbr:d\n cbr:e\\#f <urn:g> }'
    assert written_terms(query) == [
        (None, "https://example.org/"),
        ("ex", "a"),
        ("cbr", "b"),
        (None, "urn:g"),
    ]
    assert prefix_declarations(query) == {"ex": "https://example.org/"}
    assert prefix_declarations("# PREFIX cbr: <https://example.org/>\nSELECT * {}") == {}


# ---------------------------------------------------------------- --lang


def test_query_lang_zh_puts_chinese_labels_in_the_label_column(kg) -> None:
    args = ("query", "competitors-of", "--param", "participant=cbr:jd-worldwide")
    english, chinese = kg(*args), kg(*args, "--lang", "zh")
    assert "Tmall Global" in english.output and "天猫国际" not in english.output
    assert "天猫国际" in chinese.output and "Tmall Global" not in chinese.output
    assert "天猫国际" in kg(*args, "--lang", "zh", "--format", "csv").output
    series = kg("query", "participants-by-series", "--lang", "zh").output
    assert "创业系" in series and "蜜淘" in series  # seriesLabel names ?series; label the participant


def test_the_library_relabels_by_the_same_rule(graph) -> None:
    rows = graph.query("competitors-of", participant="cbr:jd-worldwide", lang="zh").rows
    assert {r["competitor"]: r["label"] for r in rows}[TMALL] == "天猫国际"
    labels = graph.labels("zh")
    assert labels[TMALL] == "天猫国际"
    assert labels[CBR + "vertex"] == "Vertex"  # no Chinese label: English
    assert graph.labels()[TMALL] == "Tmall Global"


def test_analysis_tables_in_chinese(kg) -> None:
    centrality = kg("analyze", "centrality", "--lang", "zh", "--top", "5", "--as-of", "2016-04-08")
    assert centrality.exit_code == 0 and "天猫国际" in centrality.output
    chokepoints = kg("analyze", "chokepoints", "--lang", "zh", "--top", "3")
    assert chokepoints.exit_code == 0 and "阿里巴巴集团 (cbr:alibaba)" in chokepoints.output


def test_network_nodes_carry_the_chinese_label(graph) -> None:
    node = graph.network().nodes[TMALL]
    assert (node["label"], node["label_zh"]) == ("Tmall Global", "天猫国际")


def column_starts(header: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", header)]


def test_chinese_labels_keep_the_columns_aligned_by_display_width(kg) -> None:
    found = json.loads(kg("search", "国", "--limit", "8", "--format", "json").output)
    assert sum(bool(e["label_zh"]) for e in found) >= 4, found
    table = kg("search", "国", "--limit", "8", "--lang", "zh").output.splitlines()
    starts = column_starts(table[0])
    for line, e in zip(table[2:], found, strict=True):
        cells = [e["iri"], e["label_zh"] or e["label"], e["label"], e["class"] or "", e["series"] or ""]
        at = 0
        for column, cell in enumerate(cells):
            if not cell:
                continue
            at = line.index(cell, at)
            assert display_width(line[:at]) == starts[column], (line, cell)
            at += len(cell)


def test_a_name_or_iri_argument_is_not_confused_with_a_label(graph) -> None:
    with pytest.raises(TermError, match="not a valid resource name"):
        graph.describe("cbr:Tmall_Global")

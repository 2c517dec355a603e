"""Defects found in review, each pinned by what a user would see."""

from __future__ import annotations

import json
from pathlib import Path

CBR = "https://w3id.org/cbec/resource/"


def test_an_update_that_strips_a_class_is_refused(kg, store_path: Path, tmp_path: Path) -> None:
    update = tmp_path / "u.rq"
    update.write_text("DELETE DATA { cbr:source-market-analysis a cbec:Source }")
    before = store_path.read_bytes()
    result = kg("query", str(update), "--update")
    assert result.exit_code == 1
    assert "needs prov:wasDerivedFrom at least one cbec:Source" in result.output
    assert store_path.read_bytes() == before


def test_removing_a_statement_node_is_refused(kg, store_path: Path, tmp_path: Path) -> None:
    update = tmp_path / "u.rq"
    update.write_text("DELETE WHERE { cbr:link-mi-tao-competeswith-jumei ?p ?o }")
    result = kg("query", str(update), "--update")
    assert result.exit_code == 1
    assert "cbr:mi-tao cbec:competesWith cbr:jumei has no cbec:Link statement node" in result.output


def test_an_update_with_a_subquery_is_an_update(kg, tmp_path: Path) -> None:
    update = tmp_path / "u.rq"
    update.write_text(
        'DELETE { ?s rdfs:comment ?c } INSERT { ?s rdfs:comment "edited"@en } '
        "WHERE { { SELECT ?s ?c { ?s rdfs:comment ?c FILTER(?s = cbr:mi-tao) } } }"
    )
    assert "query files run read-only" in kg("query", str(update)).output
    result = kg("query", str(update), "--update")
    assert result.exit_code == 0, result.output
    assert "edited @en" in kg("show", "cbr:mi-tao").output


def test_class_sets_include_nodes_of_several_classes(store_path: Path) -> None:
    import kg
    from kg.analysis.network import resolve_nodes

    investors = resolve_nodes(kg.open(store_path).network(), ["cbec:Investor"])
    assert CBR + "alibaba" in investors  # shown as a Company, an Investor too
    assert CBR + "sequoia-china" in investors


def test_a_plain_word_param_is_a_string(kg, tmp_path: Path) -> None:
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?word { BIND(STR(?word) AS ?w) }")
    result = json.loads(kg("query", str(query), "--param", "word=org", "--format", "json").output)
    assert result["results"]["bindings"][0]["word"] == {"type": "literal", "value": "org"}


def test_csv_export_onto_a_file_is_a_clear_error(kg, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    result = kg("export", "csv", "--out", str(target))
    assert result.output == (
        f"Error: {target} is a file; csv export writes nodes.csv and edges.csv into a folder\n"
    )
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "edges.csv").write_text("mine")
    assert kg("export", "csv", "--out", str(folder)).exit_code == 1
    assert not (folder / "nodes.csv").exists()


def test_only_chains_are_chains(kg) -> None:
    result = kg("analyze", "centrality", "--chain", "cbec:High")
    assert result.output == (
        "Error: 'cbec:High' is not a chain; choose one of competition, finance, logistics, ownership, "
        "regulation, trade, traffic\n"
    )
    assert "did you mean logistics?" in kg("analyze", "centrality", "--chain", "logistic").output


def test_a_query_error_names_the_file(kg, tmp_path: Path) -> None:
    query = tmp_path / "bad.rq"
    query.write_text("SELECT ?x { ?x ?y }")
    assert kg("query", str(query)).output.startswith(f"Error: {query}: the query does not parse")

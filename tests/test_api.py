"""The Python API as a notebook user calls it: kg.open, compact names, plain values."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.analysis.network import dependency_graph
from kg.analysis.simulation import simulate
from kg.cli import cli
from kg.resources import bundled_dataset

CBR = "https://w3id.org/cbec/resource/"


@pytest.fixture
def graph(store_path: Path):
    with kg.open(store_path) as g:
        yield g


def test_the_issue_walkthrough_works_with_compact_names(graph) -> None:
    rows = graph.query("dependencies-of", participant="cbr:mi-tao").rows
    assert rows and all(r["participant"] == CBR + "mi-tao" for r in rows)
    weights = [r["weight"] for r in rows if r["weight"] is not None]
    assert weights and all(isinstance(w, float) and 0 <= w <= 1 for w in weights)

    net = graph.network(as_of="2016-04-08", chain="logistics")
    assert net.graph["as_of"] == "2016-04-08" and net.number_of_edges() > 0
    assert {d["chain"] for _, _, d in net.edges(data=True)} == {"LogisticsChain"}

    findings = graph.chokepoints(chain="logistics")
    assert findings and {f.chain for f in findings} == {"LogisticsChain"}
    assert set(findings[0].as_dict()) >= {"node", "kind", "score", "participants", "reason", "chain"}

    result = graph.simulate(policies=["cbr:tax-2016"], as_of="2016-04-08", samples=50, seed=1)
    assert result.as_of == "2016-04-08"
    assert result.shock == [{"node": CBR + "tax-2016", "action": "apply"}]
    assert result.spread is not None and result.spread.samples == 50

    graph.add_source("cbr:source-x", title="Notes")
    graph.add_entity("cbr:x", type="cbec:Platform", label="X", source="cbr:source-x")
    graph.add_link(
        "cbr:x", "cbec:shipsVia", "cbr:cainiao", weight=0.5, criticality="medium",
        confidence="low", source="cbr:source-x",
    )  # fmt: skip
    links = graph.describe("cbr:x")["links_out"]
    assert [(link["predicate"], link["object"], link["weight"]) for link in links] == [
        ("cbec:shipsVia", "cbr:cainiao", 0.5)
    ]


def test_query_rows_are_plain_python_values(graph) -> None:
    result = graph.query(
        'SELECT ?p ?n ?d ?w WHERE { VALUES (?p ?n ?d ?w) { (cbr:mia 3 "2016-04-08"^^xsd:date 0.25) } }'
    )
    assert result.variables == ["p", "n", "d", "w"]
    assert result.rows == [{"p": CBR + "mia", "n": 3, "d": datetime.date(2016, 4, 8), "w": 0.25}]
    assert result.plain_rows(compact_iris=True)[0]["p"] == "cbr:mia"
    frame = result.to_pandas(compact_iris=True)
    assert list(frame.columns) == ["p", "n", "d", "w"] and frame.loc[0, "p"] == "cbr:mia"
    assert graph.query("ASK { cbr:mia ?p ?o }").boolean is True


def test_a_parameter_binds_a_variable_the_query_does_not_select(graph) -> None:
    text = "SELECT ?label WHERE { ?who rdfs:label ?label FILTER(lang(?label) = 'en') }"
    assert graph.query(text, who="cbr:mia").rows == [{"label": "Mia"}]
    assert graph.query(text, params=["who=cbr:mia"]).rows == [{"label": "Mia"}]
    # No WHERE keyword, and a subquery with its own: the value binds the outer group.
    nested = (
        "SELECT ?label { ?who rdfs:label ?label FILTER(lang(?label) = 'en') "
        "{ SELECT ?x WHERE { ?x a cbec:Platform } LIMIT 1 } }"
    )
    assert graph.query(nested, who="cbr:mia").rows == [{"label": "Mia"}]


def test_python_values_bind_as_the_store_types_them(graph) -> None:
    text = "SELECT ?link WHERE { ?link cbec:subject cbr:mia ; cbec:weight ?w }"
    weights = graph.query("SELECT ?w WHERE { ?l cbec:subject cbr:mia ; cbec:weight ?w }").rows
    weight = weights[0]["w"]
    assert graph.query(text, w=weight).rows  # a float matches the stored xsd:decimal
    moment = datetime.datetime(2016, 4, 8, 12, 30)
    assert graph.network(as_of=moment).graph["as_of"] == "2016-04-08"


def test_a_query_file_named_like_a_keyword_is_a_file(graph, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("select-count.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a cbec:Platform }\n")
    assert graph.query("select-count.rq").rows[0]["n"] > 0
    with pytest.raises(kg.QueryError, match="no query file at ask.rq"):
        graph.query("ask.rq")


def test_the_library_accepts_compact_names_below_the_api_too(graph) -> None:
    net = graph.network(as_of="2016-04-08")
    by_compact = dependency_graph(net, "cbec:LogisticsChain")
    assert by_compact.number_of_edges() > 0
    assert sorted(by_compact.edges) == sorted(dependency_graph(net, "logistics").edges)
    assert sorted(by_compact.edges) == sorted(dependency_graph(net, "LogisticsChain").edges)
    full = simulate(net, remove=[CBR + "alipay"])
    compact = simulate(net, remove=["cbr:alipay"])
    assert compact.shock == full.shock and compact.shock[0]["node"] == CBR + "alipay"
    assert [(f.node, f.loss) for f in compact.outcome.failed] == [
        (f.node, f.loss) for f in full.outcome.failed
    ]
    assert [(s.node, s.loss) for s in compact.outcome.standing] == [
        (s.node, s.loss) for s in full.outcome.standing
    ]
    with pytest.raises(kg.TermError, match="'shipping' is not a chain; choose one of competition, finance"):
        dependency_graph(net, "shipping")
    with pytest.raises(
        kg.KgError, match=r"cbr:alipy is not a node of the network; did you mean cbr:alipay\?"
    ):
        simulate(net, remove=["cbr:alipy"])


def test_library_errors_name_parameters_and_the_cli_names_its_flags(graph, store_path: Path) -> None:
    with pytest.raises(kg.KgError) as caught:
        graph.network(as_of="2016-13-01")
    assert str(caught.value).startswith("`as_of` '2016-13-01' is not a real date")
    result = CliRunner().invoke(
        cli, ["--store", str(store_path), "analyze", "chokepoints", "--as-of", "2016-13-01"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: --as-of '2016-13-01' is not a real date")
    with pytest.raises(kg.KgError, match="give `weight` .* and `criticality`"):
        graph.add_link("cbr:mia", "cbec:shipsVia", "cbr:cainiao", source="cbr:source-x", confidence="low")
    result = CliRunner().invoke(
        cli,
        ["--store", str(store_path), "add", "link", "cbr:mia", "cbec:shipsVia", "cbr:cainiao"]
        + ["--confidence", "low", "--source", "cbr:source-market-analysis"],
    )
    assert "give --weight (0 to 1, how much cbr:mia relies on it) and --criticality" in result.output


def test_the_oxigraph_lock_is_held_within_a_block_of_calls_and_released_after(tmp_path: Path) -> None:
    """Within ``sharing()`` the database stays open (one projection, one handle); the block's
    end lets it go at once, as close() does, so another process can open it."""
    spec = f"oxigraph:{tmp_path / 'db'}"
    kg.init_store(spec).close()
    g = kg.open(spec)
    other = [sys.executable, "-c", f"import kg; print(kg.open({spec!r}).stats()['entities'])"]
    with g.sharing():
        assert g.stats()["entities"] > 100
        held = subprocess.run(other, capture_output=True, text=True)
        assert held.returncode != 0 and "store in use" in held.stderr
    freed = subprocess.run(other, capture_output=True, text=True)
    assert freed.returncode == 0, freed.stderr


def test_a_turtle_store_is_parsed_once_per_command(tmp_path: Path, monkeypatch) -> None:
    import kg.stores.turtle

    path = tmp_path / "store.ttl"
    shutil.copyfile(bundled_dataset(), path)
    parsed: list[str] = []
    real = kg.stores.turtle.parse_turtle
    monkeypatch.setattr(kg.stores.turtle, "parse_turtle", lambda p: parsed.append(Path(p).name) or real(p))
    result = CliRunner().invoke(cli, ["--store", str(path), "report", "--exports", str(tmp_path / "views")])
    assert result.exit_code == 0, result.output
    assert parsed == ["store.ttl"]


def test_kg_report_writes_its_views_beside_the_store(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copyfile(bundled_dataset(), folder / "store.ttl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = [sys.executable, "-m", "kg.cli", "--store", str(folder / "store.ttl"), "report"]
    result = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (folder / "exports" / "index.html").is_file()
    assert list(elsewhere.iterdir()) == []
    assert f"written to {folder / 'exports'}/" in result.stdout


def test_the_public_names_are_declared() -> None:
    for name in kg.__all__:
        assert getattr(kg, name) is not None, name
    assert kg.open.__module__ == "kg.api"
    assert (Path(kg.__file__).parent / "py.typed").is_file()


def test_shared_projections_are_kept_within_the_block_and_dropped_by_a_write(graph) -> None:
    with graph.sharing():
        first = graph.network(as_of="2016-04-08")
        assert graph.network(as_of="2016-04-08") is first
        assert graph.network(as_of="2017-01-01") is not first
        graph.add_source("cbr:source-new", title="Notes")
        graph.add_entity("cbr:new-platform", type="cbec:Platform", label="New", source="cbr:source-new")
        after = graph.network(as_of="2016-04-08")
        assert after is not first and CBR + "new-platform" in after
    assert graph.network(as_of="2016-04-08") is not after


def test_a_notebook_holding_an_oxigraph_store_does_not_lock_out_the_cli(tmp_path: Path) -> None:
    """RocksDB lets one process open a database: the graph lets it go after each call, so a
    `kg` command beside a notebook runs, and the notebook's next call opens it again."""
    spec = f"oxigraph:{tmp_path / 'db'}"
    assert CliRunner().invoke(cli, ["init", spec]).exit_code == 0
    graph = kg.open(spec)
    graph.stats()
    beside = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "--store",
            spec,
            "add",
            "source",
            "cbr:source-beside",
            "--title",
            "Beside",
        ],
        capture_output=True,
        text=True,
    )
    assert beside.returncode == 0, beside.stderr
    assert graph.query("SELECT ?t { cbr:source-beside dcterms:title ?t }").rows[0]["t"] == "Beside"

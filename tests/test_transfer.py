"""Import, export and copy: formats in and out without loss, imports all or nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.resources import bundled_dataset
from kg.stores import open_store
from kg.stores.files import parse_turtle
from kg.vocabulary import RDF_TYPE, cbec
from tests.conftest import snapshot
from tests.test_store import isomorphic

CBR = "https://w3id.org/cbec/resource/"
NEW_TTL = """@prefix cbec: <https://w3id.org/cbec/ontology#> .
@prefix cbr: <https://w3id.org/cbec/resource/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
cbr:new-carrier a cbec:LogisticsProvider ; rdfs:label "New Carrier"@en , "新物流"@zh ;
    prov:wasDerivedFrom cbr:source-market-analysis .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_turtle_and_csv(any_kg, store_spec, tmp_path) -> None:
    entities = write(
        tmp_path,
        "entities.csv",
        "id,type,label,label_zh,source\n"
        "cbr:another-carrier,cbec:LogisticsProvider,Another Carrier,另一物流,cbr:source-market-analysis\n",
    )
    links = write(
        tmp_path,
        "links.csv",
        "subject,predicate,object,weight,criticality,confidence,source\n"
        "cbr:kaola,cbec:shipsVia,cbr:new-carrier,0.05,low,low,cbr:source-market-analysis\n",
    )
    result = any_kg("import", str(write(tmp_path, "new.ttl", NEW_TTL)), str(entities), str(links))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("imported 3 file(s): 19 triples read, 19 new")
    after = snapshot(store_spec)
    assert (CBR + "kaola", "https://w3id.org/cbec/ontology#shipsVia", f"<{CBR}new-carrier>") in after
    assert (CBR + "another-carrier", "http://www.w3.org/2000/01/rdf-schema#label", '"另一物流"@zh') in after
    assert any_kg("validate").exit_code == 0


def test_a_bad_file_changes_nothing_and_is_named_with_its_line(any_kg, store_spec, tmp_path) -> None:
    good = write(tmp_path, "good.ttl", NEW_TTL)
    broken = write(tmp_path, "broken.ttl", NEW_TTL.replace('"New Carrier"@en ,', '"New Carrier@en ,'))
    before = snapshot(store_spec)
    result = any_kg("import", str(good), str(broken))
    assert result.exit_code == 1
    assert f"Error: {broken}:5: " in result.output
    assert snapshot(store_spec) == before


def test_an_invalid_import_changes_nothing(any_kg, store_spec, tmp_path) -> None:
    invalid = write(
        tmp_path, "invalid.ttl", NEW_TTL.replace("cbec:LogisticsProvider", "cbec:LogisticProvider")
    )
    before = snapshot(store_spec)
    result = any_kg(
        "import", str(write(tmp_path, "fine.ttl", NEW_TTL.replace("new-carrier", "fine"))), str(invalid)
    )
    assert result.exit_code == 1
    assert "unknown class cbec:LogisticProvider; did you mean cbec:LogisticsProvider?" in result.output
    assert snapshot(store_spec) == before
    link_to_nowhere = write(
        tmp_path,
        "l.csv",
        "subject,predicate,object,weight,criticality,confidence,source\n"
        "cbr:kaola,cbec:shipsVia,cbr:alipay,0.3,low,low,cbr:source-market-analysis\n",
    )
    refused = any_kg("import", str(link_to_nowhere))
    assert refused.exit_code == 1 and "cbec:LogisticsProvider" in refused.output
    assert snapshot(store_spec) == before


LINK_HEADER = "subject,predicate,object,weight,criticality,confidence,source\n"


def test_csv_links_are_placed_as_kg_add_link_places_them(any_kg, store_spec, tmp_path) -> None:
    # Kaola relies on bonded import for 0.9 of its logistics: a new carrier fits in what is left.
    row = "cbr:kaola,cbec:shipsVia,cbr:new-carrier,0.05,low,low,{}\n"
    carrier = write(tmp_path, "carrier.ttl", NEW_TTL)
    first = write(tmp_path, "first.csv", LINK_HEADER + row.format("cbr:source-market-analysis"))
    assert any_kg("import", str(carrier), str(first)).exit_code == 0
    statement = f"<{CBR}link-kaola-shipsvia-new-carrier>"
    again = any_kg("import", str(first))
    assert again.output.strip().endswith("imported 1 file(s): 0 triples read, 0 new"), again.output
    second = write(tmp_path, "second.csv", LINK_HEADER + row.format("cbr:source-kg-analyst-judgement"))
    assert any_kg("import", str(second)).exit_code == 0
    links = {s for s, p, o in snapshot(store_spec) if s.startswith(CBR + "link-kaola-shipsvia-new-carrier")}
    assert links == {statement[1:-1], statement[1:-1] + "-2"}
    assert (
        "is already stated; nothing changed"
        in any_kg(
            "add",
            "link",
            "cbr:kaola",
            "cbec:shipsVia",
            "cbr:new-carrier",
            "--weight",
            "0.05",
            "--criticality",
            "low",
            "--confidence",
            "low",
            "--source",
            "cbr:source-kg-analyst-judgement",
        ).output
    )
    before = snapshot(store_spec)
    other_weight = write(
        tmp_path, "other.csv", LINK_HEADER + row.format("cbr:source-market-analysis").replace("0.05", "0.06")
    )
    refused = any_kg("import", str(other_weight))
    assert refused.exit_code == 1 and refused.output.strip().endswith(
        f"Error: {other_weight}:2: cbr:kaola cbec:shipsVia cbr:new-carrier is already stated from these "
        "sources with other values (cbr:link-kaola-shipsvia-new-carrier); run `kg remove link cbr:kaola "
        "cbec:shipsVia cbr:new-carrier` first to restate it, or cite another source to record a second "
        "reading; nothing was imported"
    ), refused.output
    assert snapshot(store_spec) == before


def test_csv_links_across_files_of_one_import_are_placed_together(any_kg, store_spec, tmp_path) -> None:
    row = "cbr:kaola,cbec:shipsVia,cbr:new-carrier,{weight},low,low,{source}\n"
    carrier = write(tmp_path, "carrier.ttl", NEW_TTL)
    a = write(tmp_path, "a.csv", LINK_HEADER + row.format(weight=0.05, source="cbr:source-market-analysis"))
    b = write(
        tmp_path, "b.csv", LINK_HEADER + row.format(weight=0.05, source="cbr:source-kg-analyst-judgement")
    )
    assert any_kg("import", str(carrier), str(a), str(b)).exit_code == 0
    links = {s for s, p, o in snapshot(store_spec) if s.startswith(CBR + "link-kaola-shipsvia-new-carrier")}
    assert links == {CBR + "link-kaola-shipsvia-new-carrier", CBR + "link-kaola-shipsvia-new-carrier-2"}
    same_twice = [
        write(
            tmp_path, f"{name}.csv", LINK_HEADER + row.format(weight=0.07, source="cbr:source-ssopdot-12573")
        )
        for name in ("c", "d")
    ]
    assert any_kg("import", *map(str, same_twice)).exit_code == 0
    links = {s for s, p, o in snapshot(store_spec) if s.startswith(CBR + "link-kaola-shipsvia-new-carrier")}
    assert len(links) == 3  # a third reading, in two files, is one statement
    other = write(tmp_path, "e.csv", LINK_HEADER + row.format(weight=0.09, source="cbr:source-ssopdot-12573"))
    result = any_kg("import", str(other))
    assert result.exit_code == 1, result.output
    assert f"Error: {other}:2: cbr:kaola cbec:shipsVia cbr:new-carrier is already stated" in result.output


def test_a_bad_value_in_a_csv_link_row_names_its_line(any_kg, tmp_path) -> None:
    for value, message in (
        ("abc", "`weight` 'abc' is not a number"),
        ("1.5", "`weight`"),
    ):
        path = write(
            tmp_path,
            "bad.csv",
            LINK_HEADER + f"cbr:kaola,cbec:shipsVia,cbr:cainiao,{value},low,low,cbr:source-market-analysis\n",
        )
        result = any_kg("import", str(path))
        assert result.exit_code == 1 and f"Error: {path}:2: {message}" in result.output, result.output
        assert result.output.strip().endswith("nothing was imported"), result.output


def test_csv_errors_name_the_line(any_kg, tmp_path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "id,type,label,source\ncbr:ok,cbec:Platform,OK,cbr:source-market-analysis\n"
        "cbr:bad,cbec:Platfrom,Bad,cbr:source-market-analysis\n",
    )
    result = any_kg("import", str(path))
    assert (
        f"Error: {path}:3: unknown class 'cbec:Platfrom'; did you mean cbec:Platform?; nothing was imported"
        in result.output
    )


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_rdf_exports_round_trip_through_import(any_kg, fmt: str, tmp_path) -> None:
    out = tmp_path / f"graph.{fmt}"
    assert any_kg("export", fmt, "--out", str(out)).exit_code == 0
    target = f"oxigraph:{tmp_path / 'fresh'}"
    from kg.stores import init_store
    from kg.transfer import import_files

    init_store(target, empty=True)
    import_files(open_store(target), [out])
    assert isomorphic(open_store(target).load(), parse_turtle(bundled_dataset()))


def test_rdfxml_import(tmp_path) -> None:
    from kg.stores import init_store
    from kg.transfer import import_files

    xml = tmp_path / "graph.rdf"
    xml.write_bytes(ox.serialize(parse_turtle(bundled_dataset()), format=ox.RdfFormat.RDF_XML))
    target = str(tmp_path / "fresh.ttl")
    init_store(target, empty=True)
    result = import_files(open_store(target), [xml])
    assert result.new == len(parse_turtle(bundled_dataset()))
    assert isomorphic(open_store(target).load(), parse_turtle(bundled_dataset()))


def test_graph_exports_carry_attributes(any_kg, tmp_path) -> None:
    import networkx as nx

    links = sum(1 for _ in parse_turtle(bundled_dataset()).quads_for_pattern(None, RDF_TYPE, cbec("Link")))
    for fmt in ("graphml", "gexf"):
        out = tmp_path / f"g.{fmt}"
        assert any_kg("export", fmt, "--out", str(out)).exit_code == 0
        net = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        assert net.nodes[CBR + "tmall-global"]["label"] == "Tmall Global"
        assert net.nodes[CBR + "tmall-global"]["label_zh"] == "天猫国际"
        weights = [d.get("weight") for _, _, d in net.edges(data=True)]
        assert any(w for w in weights) and net.number_of_edges() == links  # business models are nodes too
    assert any_kg("export", "csv", "--out", str(tmp_path / "t")).exit_code == 0
    edges = (tmp_path / "t" / "edges.csv").read_text(encoding="utf-8").splitlines()
    assert edges[0].startswith("link,source,target,predicate,chain,weight")
    assert len(edges) - 1 == links


GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://www.gexf.net/1.2draft}"
DATE = re.compile(r"^\d{4}(-\d{2}){0,2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_KEYS = {"start", "end", "start_as_written", "end_as_written", "exit_date"}


def graphml_values(path: Path) -> tuple[dict, dict[str, dict[str, str]], list]:
    """The keys of a GraphML file by id, each node's values by attribute name, and its edges."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    keys = {k.get("id"): k for k in root.iter(GRAPHML + "key")}
    nodes = {
        n.get("id"): {keys[d.get("key")].get("attr.name"): d.text or "" for d in n.iter(GRAPHML + "data")}
        for n in root.iter(GRAPHML + "node")
    }
    return keys, nodes, list(root.iter(GRAPHML + "edge"))


def test_graphml_opens_in_gephi_and_cytoscape(any_kg, tmp_path) -> None:
    import xml.etree.ElementTree as ET

    import igraph
    import networkx as nx

    out = tmp_path / "g.graphml"
    assert any_kg("export", "graphml", "--out", str(out)).exit_code == 0
    keys, nodes, edges = graphml_values(out)
    declared = [(k.get("for"), k.get("attr.name")) for k in keys.values()]
    assert len(declared) == len(set(declared))  # one key, so one type, per attribute
    assert not {name for _, name in declared} & {"networkx_key", "key", "id"}
    for data in ET.parse(out).getroot().iter(GRAPHML + "data"):
        key = keys[data.get("key")]
        text = data.text or ""
        if key.get("attr.type") == "boolean":
            assert text in ("true", "false"), (key.get("attr.name"), text)
        elif key.get("attr.type") == "double":
            float(text)
        assert text not in ("True", "False", "None", "frozenset()", "[]"), key.get("attr.name")
        if key.get("attr.name") in DATE_KEYS:
            assert DATE.match(text), (key.get("attr.name"), text)
        if key.get("attr.name") in ("start", "end", "as_of"):
            assert DAY.match(text), (key.get("attr.name"), text)
    assert {"as_of"} == {k.get("attr.name") for k in keys.values() if k.get("for") == "graph"}
    assert all({"pagerank", "impact", "chokepoint"} <= set(values) for values in nodes.values())
    tmall = nodes[CBR + "tmall-global"]
    assert tmall["label"] == "Tmall Global" and tmall["label_zh"] == "天猫国际"
    assert float(tmall["pagerank"]) > 0 and float(tmall["impact"]) >= 0
    assert tmall["start"] == "2014-02-19" and tmall["placeholder"] == "false"
    ids = [e.get("id") for e in edges]  # the link's IRI, not networkx's key
    assert len(set(ids)) == len(ids) and all(i.startswith(CBR + "link-") for i in ids)
    back = nx.read_graphml(out)
    assert back.nodes[CBR + "tmall-global"]["placeholder"] is False
    assert isinstance(back.nodes[CBR + "tmall-global"]["pagerank"], float)
    assert DAY.match(back.graph["as_of"])
    again = igraph.Graph.Read_GraphML(str(out))
    assert (again.vcount(), again.ecount()) == (len(nodes), len(edges))
    assert again.vs.find(id=CBR + "tmall-global")["label"] == "Tmall Global"
    assert again["as_of"] == back.graph["as_of"]


def test_gexf_opens_in_gephi_with_lifetimes(any_kg, tmp_path) -> None:
    import xml.etree.ElementTree as ET

    import networkx as nx

    out = tmp_path / "g.gexf"
    assert any_kg("export", "gexf", "--out", str(out)).exit_code == 0
    root = ET.parse(out).getroot()
    graph = root.find(GEXF + "graph")
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    declared = {}
    for attributes in graph.iter(GEXF + "attributes"):
        for attribute in attributes:
            title = (attributes.get("class"), attribute.get("title"))
            assert title not in declared  # one declaration, so one type, per attribute
            declared[title] = attribute
    titles = {title for _, title in declared}
    assert "networkx_key" not in titles and "key" not in titles
    by_id = {(c, a.get("id")): a for (c, _), a in declared.items()}

    def values(element, kind: str) -> dict[str, str]:
        return {
            by_id[(kind, v.get("for"))].get("title"): v.get("value") for v in element.iter(GEXF + "attvalue")
        }

    nodes = {n.get("id"): n for n in graph.iter(GEXF + "node")}
    edges = list(graph.iter(GEXF + "edge"))
    for kind, elements in (("node", nodes.values()), ("edge", edges)):
        for element in elements:
            for title, value in values(element, kind).items():
                if declared[(kind, title)].get("type") == "boolean":
                    assert value in ("true", "false"), (title, value)
                if title in DATE_KEYS:
                    assert DATE.match(value), (title, value)
            for bound in ("start", "end"):
                if element.get(bound) is not None:
                    assert DAY.match(element.get(bound)), element.get(bound)
            written = values(element, kind).get("start_as_written")
            if written:  # every dated node and link takes part from the first day written
                assert element.get("start") == (written + "-01-01"[len(written) - 4 :])[:10]
    tmall = nodes[CBR + "tmall-global"]
    assert (tmall.get("label"), tmall.get("start"), tmall.get("end")) == ("Tmall Global", "2014-02-19", None)
    assert values(tmall, "node")["label_zh"] == "天猫国际"
    assert float(values(tmall, "node")["pagerank"]) > 0 and float(values(tmall, "node")["impact"]) >= 0
    # Mi Tao went live in March 2014 and closed in February 2016, months only in the sources.
    mi_tao = nodes[CBR + "mi-tao"]
    assert (mi_tao.get("start"), mi_tao.get("end")) == ("2014-03-01", "2016-02-01")
    assert values(mi_tao, "node")["start_as_written"] == "2014-03"
    assert values(mi_tao, "node")["exit_date"] == "2016-02"
    assert any(e.get("start") for e in edges)
    assert len({e.get("id") for e in edges}) == len(edges) and all(e.get("id").startswith(CBR) for e in edges)
    description = root.find(GEXF + "meta").find(GEXF + "description").text
    as_of = re.search(r"as_of=(\d{4}-\d{2}-\d{2})", description).group(1)
    back = nx.read_gexf(out)
    assert back.nodes[CBR + "tmall-global"]["start"] == "2014-02-19"
    assert back.has_edge(CBR + "amazon", CBR + "tmall-global", key=CBR + "link-amazon-sellson-tmall-global")
    assert all("networkx_key" not in d for *_, d in back.edges(data=True))
    assert DAY.match(as_of)


def test_graph_exports_carry_the_analysis_of_their_day(kg, tmp_path) -> None:
    """pagerank and impact are what `kg analyze` reports for the day the file names."""
    import networkx as nx

    out = tmp_path / "g.graphml"
    assert kg("export", "graphml", "--out", str(out)).exit_code == 0
    _, nodes, _ = graphml_values(out)
    as_of = nx.read_graphml(out).graph["as_of"]
    ranked = json.loads(
        kg("analyze", "centrality", "--as-of", as_of, "--format", "json", "--top", "0").output
    )
    assert ranked["as_of"] == as_of
    for row in ranked["nodes"]:
        assert float(nodes[row["node"]]["pagerank"]) == pytest.approx(row["pagerank"])
    findings = json.loads(
        kg("analyze", "chokepoints", "--as-of", as_of, "--format", "json", "--top", "0").output
    )
    impacts = {f["node"]: f["score"] for f in findings if f["kind"] == "impact"}
    assert impacts  # the bundled data has nodes whose failure fells others
    for node, values in nodes.items():
        assert float(values["impact"]) == impacts.get(node, 0.0), node
        kinds = {f["kind"] for f in findings if f["node"] == node and f["kind"] != "impact"}
        assert set(filter(None, values["chokepoint"].split(";"))) == kinds, node


def test_graph_exports_analyse_the_day_asked(store_path) -> None:
    import networkx as nx

    from kg.transfer import export_graph

    data = export_graph(open_store(str(store_path)), "graphml", None, as_of="2015-06")
    net = nx.parse_graphml(data.decode("utf-8"))
    assert net.graph["as_of"] == "2015-06-01"
    # The network of a day lacks what started later: it has no score, yet its column is there.
    later = [n for n, d in net.nodes(data=True) if d.get("start", "") > "2015-06-01"]
    assert later and all(net.nodes[n]["pagerank"] == 0.0 == net.nodes[n]["impact"] for n in later)
    assert all(net.nodes[n]["chokepoint"] == "" for n in later)


def test_flat_gives_each_attribute_one_type() -> None:
    import networkx as nx

    from kg.transfer import flat

    net = nx.MultiDiGraph()
    net.add_node("a", share=0.5, note=1.5, tags=["y", "x"], gone=None, start="2016", flag=True)
    net.add_node("b", share=1, note="high", tags=frozenset({"z"}), label_zh="", flag=False)
    net.add_edge("a", "b", key="link-1", weight=0.2, start="2016-04-08Z", roles=frozenset())
    out = flat(net)
    assert out.nodes["a"] == {
        "share": 0.5,
        "note": "1.5",
        "tags": "x;y",
        "start": "2016-01-01",
        "start_as_written": "2016",
        "flag": True,
    }
    assert out.nodes["b"] == {"share": 1.0, "note": "high", "tags": "z", "flag": False}
    assert out.edges["a", "b", "link-1"] == {
        "weight": 0.2,
        "start": "2016-04-08",
        "start_as_written": "2016-04-08",
    }


def test_export_refuses_to_overwrite_without_force(any_kg, tmp_path) -> None:
    out = tmp_path / "g.ttl"
    out.write_text("mine")
    result = any_kg("export", "ttl", "--out", str(out))
    assert result.output == f"Error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "mine"
    assert any_kg("export", "ttl", "--out", str(out), "--force").exit_code == 0


def test_store_copy_between_backends_is_lossless(tmp_path) -> None:
    from click.testing import CliRunner

    from kg.cli import cli

    run = CliRunner().invoke
    db, back = f"oxigraph:{tmp_path / 'db'}", tmp_path / "back.ttl"
    count = len(parse_turtle(bundled_dataset()))
    assert run(cli, ["store", "copy", str(bundled_dataset()), db]).output.startswith(
        f"copied {count} triples"
    )
    assert run(cli, ["store", "copy", db, str(back)]).exit_code == 0
    assert back.read_bytes() == bundled_dataset().read_bytes()
    again = run(cli, ["store", "copy", str(bundled_dataset()), str(back)])
    assert again.output.startswith(f"Error: {back} already exists")


def test_json_export_is_json(any_kg) -> None:
    data = json.loads(any_kg("export", "jsonld").output)
    assert data

"""`kg analyze` and `kg simulate` on the bundled data, as a user reads them."""

from __future__ import annotations

import json

CBR = "https://w3id.org/cbec/resource/"
REPLAY = [
    "simulate",
    "--policy",
    "cbr:tax-2016",
    "--policy",
    "cbr:positive-list-2016",
    "--as-of",
    "2016-04-08",
]


def test_replay_of_the_2016_policies_tells_the_story(any_kg) -> None:
    result = json.loads(any_kg(*REPLAY, "--format", "json").output)
    failed = {f["node"]: f for f in result["failed"]}
    survived = {s["node"]: s for s in result["survived"]}
    # The small start-up that leaned on bonded import falls ...
    assert CBR + "mi-tao" in failed
    assert failed[CBR + "mi-tao"]["causes"][0].startswith("usesModel BondedImport (weight 0.9 x damage 0.6)")
    # ... the giants with traffic or their own supply chain stand, and say why.
    for giant in ("tmall-global", "jd-worldwide", "amazon-china", "kaola"):
        assert CBR + giant in survived and CBR + giant not in failed
    assert survived[CBR + "tmall-global"]["backing"] == {"by": CBR + "alibaba", "weight": 1.0}
    assert survived[CBR + "tmall-global"]["alternatives"]
    text = any_kg(*REPLAY).output
    assert "FAILS  Mi Tao: lost 0.54 of its LogisticsChain" in text
    assert "stands Tmall Global" in text


def test_removing_a_node_nobody_depends_on_changes_nothing(any_kg) -> None:
    # Nothing in the graph depends on Xiaohongshu: removing it hits no one.
    result = json.loads(any_kg("simulate", "--remove", "cbr:xiaohongshu", "--format", "json").output)
    assert result["failed"] == [] and result["survived"] == []
    assert result["rounds"] == 0
    # Removing Alibaba does hit those that lean on it, which is the contrast.
    hit = json.loads(any_kg("simulate", "--remove", "cbr:alibaba", "--format", "json").output)
    assert CBR + "tmall-global" in {f["node"] for f in hit["failed"]}


def test_unknown_policy_is_a_clear_error(any_kg) -> None:
    result = any_kg("simulate", "--policy", "cbr:mi-tao")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: https://w3id.org/cbec/resource/mi-tao is not a policy of the graph"
    )


def test_chokepoints_json_explains_itself(any_kg) -> None:
    findings = json.loads(any_kg("analyze", "chokepoints", "--top", "0", "--format", "json").output)
    assert findings and all({"node", "kind", "score", "participants", "reason"} <= set(f) for f in findings)
    kinds = {f["kind"] for f in findings}
    assert {"articulation point", "bridge", "single source", "dominator"} <= kinds
    alibaba = next(f for f in findings if f["node"] == CBR + "alibaba" and f["kind"] == "articulation point")
    assert CBR + "cainiao" in alibaba["participants"]
    assert "Cainiao Network" in alibaba["reason"]
    assert all(p.startswith("https://") for f in findings for p in f["participants"])


def test_node_cut_between_sets(any_kg) -> None:
    findings = json.loads(
        any_kg(
            "analyze",
            "chokepoints",
            "--from",
            "cbr:cainiao",
            "--to",
            "cbr:tmall-global",
            "--top",
            "0",
            "--format",
            "json",
        ).output
    )
    cut = [f for f in findings if f["kind"] == "node cut"]
    assert [f["node"] for f in cut] == [CBR + "alibaba"]


def test_centrality_ranks_what_many_rely_on(any_kg) -> None:
    result = json.loads(any_kg("analyze", "centrality", "--top", "5", "--format", "json").output)
    assert result["method"]["betweenness"].startswith("networkx, exact")
    top = [n["node"] for n in result["nodes"]]
    assert CBR + "gacc" in top
    table = any_kg("analyze", "centrality", "--top", "3").output
    assert "pagerank" in table.splitlines()[0] and "Top 3 of" in table


def test_write_results_are_queryable(any_kg, tmp_path) -> None:
    assert any_kg("analyze", "chokepoints", "--write").exit_code == 0
    assert any_kg(*REPLAY, "--write").exit_code == 0
    assert any_kg(*REPLAY, "--write").exit_code == 0  # replaces, does not pile up
    query = tmp_path / "q.rq"
    query.write_text(
        "SELECT ?node ?outcome (COUNT(DISTINCT ?run) AS ?runs) { GRAPH <https://w3id.org/cbec/analysis> {"
        " ?o a cbec:SimulationOutcome ; cbec:node ?node ; cbec:outcome ?outcome ; prov:wasGeneratedBy ?run ."
        " ?run a cbec:AnalysisRun ; cbec:parameters ?p } } GROUP BY ?node ?outcome"
    )
    rows = json.loads(any_kg("query", str(query), "--format", "json").output)["results"]["bindings"]
    outcomes = {(r["node"]["value"], r["outcome"]["value"], r["runs"]["value"]) for r in rows}
    assert (CBR + "mi-tao", "failed", "1") in outcomes

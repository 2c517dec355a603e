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


def test_replay_as_of_a_date_lists_only_who_takes_part_then(any_kg) -> None:
    result = json.loads(any_kg(*REPLAY, "--format", "json").output)
    assert result["as_of"] == "2016-04-08"
    assert [d["node"] for d in result["shock"]] == [CBR + "tax-2016", CBR + "positive-list-2016"]
    # Mi Tao had left the market in February 2016: it is not in the world of April 2016.
    named = {f["node"] for f in result["failed"]} | {s["node"] for s in result["survived"]}
    assert CBR + "mi-tao" not in named
    for f in result["failed"]:
        assert f["loss"] > result["threshold"] and f["causes"]
    text = any_kg(*REPLAY).output
    assert text.startswith("As of 2016-04-08 (entities, policies and links that take part on that day).")


def test_policies_not_yet_in_force_are_not_applied(any_kg) -> None:
    result = any_kg("simulate", "--policy", "cbr:tax-2016", "--as-of", "2015-01-01")
    assert result.exit_code == 1
    assert result.output.startswith("Error: the shock hits nothing as of 2015-01-01")
    assert "tax-2016 is not in force on 2015-01-01" in result.output


def test_removing_a_node_nobody_depends_on_is_refused(any_kg) -> None:
    # Nothing in the graph depends on Xiaohongshu: the shock hits nothing, and says so.
    result = any_kg("simulate", "--remove", "cbr:xiaohongshu")
    assert result.exit_code == 1 and "the shock hits nothing as of" in result.output
    # Removing Alibaba does hit those that lean on it, which is the contrast; whoever falls in
    # the first round fell through a link to Alibaba itself.
    hit = json.loads(any_kg("simulate", "--remove", "cbr:alibaba", "--format", "json").output)
    assert hit["failed"] or hit["survived"]
    assert all("Alibaba Group" in " ".join(f["causes"]) for f in hit["failed"] if f["round"] == 1)


def test_unknown_policy_is_a_clear_error(any_kg) -> None:
    result = any_kg("simulate", "--policy", "cbr:alibaba")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cbr:alibaba is not a policy of the graph")


def test_chokepoints_json_explains_itself(any_kg) -> None:
    findings = json.loads(
        any_kg("analyze", "chokepoints", "--top", "0", "--as-of", "2015-06-01", "--format", "json").output
    )
    assert findings and all(
        {"node", "kind", "score", "participants", "reason", "chain"} <= set(f) for f in findings
    )
    assert all(f["chain"] and f["as_of"] == "2015-06-01" for f in findings)
    assert findings[0]["kind"] == "impact"
    kinds = {f["kind"] for f in findings}
    assert {"impact", "dominator", "single source"} <= kinds
    assert all(p.startswith("https://") for f in findings for p in f["participants"])
    # Placeholder collectives are never named as chokepoints.
    assert not {f["node"] for f in findings} & {CBR + "overseas-brands", CBR + "overseas-buyers"}


def test_chokepoints_of_one_chain(any_kg) -> None:
    findings = json.loads(
        any_kg("analyze", "chokepoints", "--chain", "logistics", "--top", "0", "--format", "json").output
    )
    assert findings and {f["chain"] for f in findings} == {"LogisticsChain"}


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
    assert {f["chain"] for f in cut} == {"all"}


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
    assert outcomes and all(runs == "1" for _, _, runs in outcomes)
    dated = tmp_path / "d.rq"
    dated.write_text(
        "SELECT ?date { GRAPH <https://w3id.org/cbec/analysis> { ?run a cbec:AnalysisRun ; cbec:asOf ?date ;"
        ' cbec:command "simulate" } }'
    )
    rows = json.loads(any_kg("query", str(dated), "--format", "json").output)["results"]["bindings"]
    assert [r["date"]["value"] for r in rows] == ["2016-04-08"]


def test_analyze_all_prints_both_analyses_from_one_projection(any_kg, monkeypatch) -> None:
    import kg.api

    centrality = any_kg("analyze", "centrality", "--as-of", "2016-04-08", "--top", "5").output
    chokepoints = any_kg("analyze", "chokepoints", "--as-of", "2016-04-08", "--top", "5").output
    projections = []
    project = kg.api.project
    monkeypatch.setattr(kg.api, "project", lambda *a: projections.append(a) or project(*a))
    both = any_kg("analyze", "all", "--as-of", "2016-04-08", "--top", "5").output
    assert both == f"== Centrality\n\n{centrality.rstrip()}\n\n== Chokepoints\n\n{chokepoints}"
    assert len(projections) == 1

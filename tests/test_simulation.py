"""The shock model on small built graphs, each answer computed by hand (see kg/analysis/simulation.py)."""

from __future__ import annotations

import json

import pytest

from kg.analysis import simulation
from kg.analysis.chokepoints import chokepoints
from kg.analysis.network import Filters, project
from kg.analysis.simulation import World, simulate
from kg.errors import KgError
from tests.graphs import store

CBR = "https://w3id.org/cbec/resource/"
CBEC = "https://w3id.org/cbec/ontology#"


def iri(slug: str) -> str:
    return CBEC + slug if slug[0].isupper() else CBR + slug


def net_of(entities, links, as_of: str | None = None):
    entities = {"issuer": "Regulator", **entities}
    return project(store(entities, links), Filters(as_of=as_of))


def failed(result) -> dict[str, float]:
    return {f.node.removeprefix(CBR): f.loss for f in result.outcome.failed}


def standing(result) -> dict[str, simulation.Standing]:
    return {s.node.removeprefix(CBR): s for s in result.outcome.standing}


# ---------------------------------------------------------------- time


def test_an_entity_takes_part_only_within_its_lifetime() -> None:
    entities = {
        "gone": ("Platform", {"launch": "2014", "exit": "2016-02"}),
        "late": ("Platform", {"launch": "2024-05-01"}),
        "always": "Platform",
        "x": "LogisticsProvider",
    }
    links = [
        ("gone", "shipsVia", "x", 0.6, "High"),
        ("late", "shipsVia", "x", 0.6, "High"),
        ("always", "shipsVia", "x", 0.6, "High", "High", {"start": "2015-06", "end": "2017"}),
    ]
    assert set(net_of(entities, links, "2016-04-08")) == {iri("always"), iri("x"), iri("issuer")}
    # A partial date is the first day of its period, and an end is exclusive.
    assert iri("gone") in net_of(entities, links, "2016-01-31")
    assert iri("gone") not in net_of(entities, links, "2016-02-01")
    net = net_of(entities, links, "2017-01-01")
    assert net.number_of_edges() == 0
    # Removing x on 2016-04-08 fells only the participant alive then.
    result = simulate(net_of(entities, links, "2016-04-08"), remove=[iri("x")])
    assert failed(result) == {"always": 0.6}
    assert result.as_of == "2016-04-08"


def test_a_policy_applies_only_once_in_force() -> None:
    entities = {"p": "Platform", "tax": ("Policy", {"issued": "2016-03-24", "effective": "2016-04-08"})}
    links = [("tax", "affects", "p", 0.7, None)]
    assert failed(simulate(net_of(entities, links, "2016-04-08"), policies=[iri("tax")])) == {"p": 0.7}
    with pytest.raises(KgError) as err:
        simulate(net_of(entities, links, "2015-01-01"), policies=[iri("tax")])
    message = str(err.value)
    assert message.startswith("the shock hits nothing as of 2015-01-01")
    assert "is not in force on 2015-01-01 (in force from 2016-04-08)" in message


def test_a_shock_that_hits_nothing_is_refused() -> None:
    entities = {"p": "Platform", "lonely": "Platform", "x": "LogisticsProvider"}
    with pytest.raises(KgError, match="the shock hits nothing"):
        simulate(net_of(entities, [("p", "shipsVia", "x", 0.6, "High")]), remove=[iri("lonely")])


# ---------------------------------------------------------------- arithmetic


def test_several_statements_of_one_fact_are_one_reading() -> None:
    entities = {"p": "Platform", "vc": "Investor"}
    links = [
        ("p", "fundedBy", "vc", 0.2, "High", "High"),
        ("p", "fundedBy", "vc", 0.4, "Medium", "High"),
        ("p", "fundedBy", "vc", 0.9, "High", "Low"),  # the less confident reading is set aside
    ]
    net = net_of(entities, links)
    world = World.of(net)
    (fact,) = world.supply
    assert fact.weight == pytest.approx(0.3) and fact.confidence == "High" and len(fact.links) == 3
    result = simulate(net, remove=[iri("vc")])
    assert standing(result)["p"].loss == pytest.approx(0.3)


def test_shocks_compound() -> None:
    entities = {"p": "Platform", "tax": "Policy", "list": "Policy"}
    links = [
        ("tax", "affects", "BondedImport", 0.4, None),
        ("list", "affects", "BondedImport", 0.6, None),
        ("p", "usesModel", "BondedImport", 0.9, "High"),
    ]
    result = simulate(net_of(entities, links), policies=[iri("tax"), iri("list")])
    # 1 - (1 - 0.4)(1 - 0.6) = 0.76 of the model; 0.9 x 0.76 = 0.684 of p's logistics.
    assert failed(result) == {"p": 0.684}
    assert result.outcome.failed[0].causes == ["usesModel bonded import (weight 0.9 x damage 0.76)"]


def test_a_direct_hit_and_a_supply_loss_compound_in_one_chain() -> None:
    entities = {"p": "Platform", "vc": "Investor", "rule": "Policy"}
    links = [("p", "fundedBy", "vc", 0.4, "High"), ("rule", "affects", "p", 0.2, None)]
    net = net_of(entities, links)
    assert standing(simulate(net, policies=[iri("rule")]))["p"].loss == pytest.approx(0.2)
    # Different chains do not mix: the hit is in regulation, the funding in finance.
    both = simulate(net, remove=[iri("vc")], policies=[iri("rule")])
    assert standing(both)["p"].loss == pytest.approx(0.4) and standing(both)["p"].chain == "FinanceChain"


# ---------------------------------------------------------------- kinds of link


def test_removing_a_policy_relieves_and_removing_a_regulator_takes_no_supply() -> None:
    entities = {"p": "Platform", "q": "Platform", "tax": "Policy", "customs": "Regulator"}
    links = [
        ("p", "subjectTo", "tax", 0.6, "High"),
        ("p", "regulatedBy", "customs", 0.7, "High"),
        ("q", "regulatedBy", "customs", 0.3, "High"),
    ]
    net = net_of(entities, links)
    repeal = simulate(net, remove=[iri("tax")])
    assert repeal.outcome.failed == [] and repeal.outcome.standing == []
    assert repeal.outcome.relieved == [iri("p")]
    removed = simulate(net, remove=[iri("customs")])
    assert removed.outcome.failed == [] and removed.outcome.relieved == [iri("p"), iri("q")]
    # Customs closed is its own shock: its exposure links fire.
    closed = simulate(net, close=[iri("customs")])
    assert failed(closed) == {"p": 0.7}
    assert standing(closed)["q"].loss == pytest.approx(0.3)
    assert closed.outcome.failed[0].causes == ["hit by customs through regulatedBy (intensity 0.7)"]


def test_alternatives_are_links_of_the_same_kind_in_the_same_chain() -> None:
    entities = {"p": "Platform", "alipay": "PaymentProvider", "wechat": "PaymentProvider", "vc": "Investor"}
    links = [
        ("p", "paysVia", "alipay", 0.3, "High"),
        ("p", "paysVia", "wechat", 0.2, "High"),
        ("p", "fundedBy", "vc", 0.5, "High"),
    ]
    result = simulate(net_of(entities, links), remove=[iri("alipay")])
    assert standing(result)["p"].alternatives == [iri("wechat")]


def test_backing_follows_a_controlling_share() -> None:
    entities = {
        "unit": "Platform",
        "startup": "Platform",
        "parent": "Company",
        "giant": "Company",
        "x": "LogisticsProvider",
    }
    links = [
        ("unit", "shipsVia", "x", 0.7, "High"),
        ("startup", "shipsVia", "x", 0.7, "High"),
        ("unit", "fundedBy", "parent", 0.5, "High", "High", {"share": 0.8}),
        ("startup", "fundedBy", "giant", 0.5, "High", "High", {"share": 0.2}),
    ]
    result = simulate(net_of(entities, links), remove=[iri("x")])
    # The controlling owner lifts the unit's tolerance to 0.5 + 0.5 x 0.8 = 0.9 > 0.7;
    # the minority investor carries nothing.
    assert failed(result) == {"startup": 0.7}
    assert standing(result)["unit"].backing == [iri("parent")]


def test_a_unit_whose_parent_fails_loses_its_backing() -> None:
    entities = {"unit": "Platform", "parent": "Company", "x": "LogisticsProvider"}
    links = [("unit", "shipsVia", "x", 0.7, "High"), ("unit", "partOf", "parent", 1, "High")]
    net = net_of(entities, links)
    assert failed(simulate(net, remove=[iri("x")])) == {}
    # Parent gone and logistics gone: nothing carries the loss any more.
    assert failed(simulate(net, remove=[iri("x"), iri("parent")])) == {"unit": 0.7}


# ---------------------------------------------------------------- chokepoints


CHAIN_GRAPH = (
    {
        "hub": "LogisticsProvider",
        "a": "Platform",
        "b": "Platform",
        "c": "Platform",
        "brand": "Supplier",
        "v1": "Investor",
        "v2": "Investor",
    },
    [
        ("a", "shipsVia", "hub", 0.6, "High", "Medium"),
        ("b", "shipsVia", "hub", 0.8, "High"),
        ("c", "shipsVia", "hub", 0.2, "Low"),
        ("brand", "sellsOn", "a", 0.9, "High"),
        ("a", "fundedBy", "v1", 0.5, "Medium"),
        ("a", "fundedBy", "v2", 0.5, "Medium"),
    ],
)


def test_impact_ranks_by_who_falls_and_in_which_round() -> None:
    findings = [f for f in chokepoints(net_of(*CHAIN_GRAPH)) if f.kind == "impact"]
    top = findings[0]
    assert top.node == iri("hub") and top.score == 3.0
    assert top.participants == [iri("a"), iri("b"), iri("brand")]
    assert "a (round 1: shipsVia hub (weight 0.6 x damage 1))" in top.reason
    assert "brand (round 2: sellsOn a (weight 0.9 x damage 1))" in top.reason
    assert top.chain == "LogisticsChain"
    # a's failure fells the brand alone: a smaller score, ranked below.
    assert [(f.node, f.score) for f in findings[1:]] == [(iri("a"), 1.0)]


def test_dominators_take_business_models_as_nodes() -> None:
    entities = {"p": "Platform", "q": "Platform", "zone": "Zone"}
    links = [
        ("p", "usesModel", "BondedImport", 0.9, "High"),
        ("q", "usesModel", "BondedImport", 0.5, "High"),
        ("q", "warehousesIn", "zone", 0.4, "High"),
    ]
    findings = {(f.node, f.kind): f for f in chokepoints(net_of(entities, links))}
    bonded = findings[(iri("BondedImport"), "dominator")]
    assert bonded.participants == [iri("p")] and bonded.chain == "LogisticsChain"
    assert (iri("zone"), "dominator") not in findings


def test_no_artefact_findings_for_a_node_s_own_investors() -> None:
    # Removing a cuts off its investors v1 and v2, but they do not depend on a: no finding.
    findings = chokepoints(net_of(*CHAIN_GRAPH))
    assert not [f for f in findings if f.node == iri("a") and f.kind in ("articulation point", "bridge")]
    assert not any(iri("v1") in f.participants or iri("v2") in f.participants for f in findings)


def test_articulation_points_hold_only_their_dependents() -> None:
    entities = {"p": "Platform", "q": "Platform", "fwd": "LogisticsProvider", "port": "Zone"}
    links = [
        ("p", "shipsVia", "fwd", 0.6, "High"),
        ("fwd", "warehousesIn", "port", 1.0, "High"),
        ("q", "warehousesIn", "port", 0.5, "High"),
    ]
    points = {
        f.node: f.participants for f in chokepoints(net_of(entities, links)) if f.kind == "articulation point"
    }
    # fwd cuts p off; port cuts q off from the p-fwd side (p and fwd are the larger part).
    assert points == {iri("fwd"): [iri("p")], iri("port"): [iri("q")]}


def test_placeholder_collectives_are_never_chokepoints() -> None:
    entities = {"brands": ("Supplier", {"placeholder": True}), "p": "Platform", "q": "Platform"}
    links = [("p", "sourcesFrom", "brands", 1, "High"), ("q", "sourcesFrom", "brands", 1, "High")]
    assert [f for f in chokepoints(net_of(entities, links)) if f.node == iri("brands")] == []


def test_an_empty_node_cut_says_why() -> None:
    net = net_of(*CHAIN_GRAPH)
    findings = chokepoints(net, sources=[iri("a")], targets=[iri("hub")])
    assert [f for f in findings if f.kind == "node cut"] == []
    assert findings.notes == [
        "no node cut between a and hub: some of them are linked directly, so no node "
        "between them can cut them apart"
    ]
    apart = [
        f.node for f in chokepoints(net, sources=[iri("v1")], targets=[iri("c")]) if f.kind == "node cut"
    ]
    # v1 - a - hub - c: one node cuts them, either of the two between.
    assert len(apart) == 1 and apart[0] in (iri("a"), iri("hub"))


# ---------------------------------------------------------------- uncertainty


def test_same_seed_same_answer_and_zero_spread_is_the_point_estimate(monkeypatch) -> None:
    net = net_of(*CHAIN_GRAPH)
    one = simulate(net, remove=[iri("hub")], samples=200, seed=7)
    two = simulate(net, remove=[iri("hub")], samples=200, seed=7)
    assert one.spread == two.spread
    assert simulate(net, remove=[iri("hub")], samples=200, seed=8).spread != one.spread
    # Medium confidence, weight 0.6: draws in [0.45, 0.75] straddle the 0.5 threshold.
    assert 0 < one.spread.probability[iri("a")] < 1
    monkeypatch.setattr(simulation, "CONFIDENCE_SPREAD", {"High": 0.0, "Medium": 0.0, "Low": 0.0})
    flat = simulate(net, remove=[iri("hub")], samples=50, seed=1)
    assert flat.spread.probability == {iri("a"): 1.0, iri("b"): 1.0, iri("brand"): 1.0, iri("c"): 0.0}
    assert flat.spread.median_loss[iri("c")] == pytest.approx(0.2)
    assert all(flat.spread.verdict(n) == "robust" for n in flat.spread.probability)


def test_threshold_range_and_sweep() -> None:
    net = net_of(*CHAIN_GRAPH)
    world = World.of(net)
    shock = simulation.Shock(fail={world.index[iri("hub")]})
    rows = dict(simulation.sweep(world, shock, 0.5, 0.9, 0.1))
    assert rows[0.5] == [iri("a"), iri("b"), iri("brand")]
    assert rows[0.6] == [iri("b")] and rows[0.8] == []
    ranged = simulate(net, remove=[iri("hub")], samples=300, seed=3, threshold_range=(0.7, 0.9))
    chance = ranged.spread.probability
    assert 0 < chance[iri("b")] < 1 and chance[iri("a")] < chance[iri("b")]


# ---------------------------------------------------------------- the CLI on the bundled data


def test_simulate_json_contract_and_reproducible_bytes(kg) -> None:
    args = ["simulate", "--remove", "cbr:alibaba", "--samples", "300", "--seed", "5", "--format", "json"]
    first, second = kg(*args), kg(*args)
    assert first.exit_code == 0 and first.output == second.output
    result = json.loads(first.output)
    assert {"as_of", "threshold", "shock", "rounds", "failed", "survived"} <= set(result)
    for f in result["failed"]:
        assert {"node", "round", "chain", "loss", "causes", "probability"} <= set(f)
        assert f["node"].startswith("https://")
    for s in result["survived"]:
        assert {"node", "chain", "loss", "alternatives", "backing", "probability"} <= set(s)


def test_a_shock_hitting_nothing_exits_non_zero(kg) -> None:
    result = kg("simulate", "--remove", "cbr:xiaohongshu", "--as-of", "2016-04-08")
    assert result.exit_code == 1
    assert "Error: the shock hits nothing as of 2016-04-08" in result.output


def test_the_weight_sum_rule_refuses_a_write_naming_the_sums(kg, tmp_path) -> None:
    from tests.graphs import turtle

    path = tmp_path / "s.ttl"
    entities = {"p": "Platform", "alipay": "PaymentProvider", "wechat": "PaymentProvider", "vc": "Investor"}
    links = [
        ("p", "paysVia", "alipay", 0.7, "High"),
        # Two readings of one fact count once, at the larger.
        ("p", "fundedBy", "vc", 0.2, "High", "High", {"start": "2016"}),
        ("p", "fundedBy", "vc", 0.1, "High", "Low", {"start": "2016"}),
    ]
    path.write_text(turtle(entities, links))
    assert kg("--store", str(path), "validate").exit_code == 0
    args = ["--criticality", "low", "--confidence", "low", "--source", "cbr:source-test"]
    result = kg(
        "--store", str(path), "add", "link", "cbr:p", "cbec:paysVia", "cbr:wechat", "--weight", "0.15", *args
    )
    assert result.exit_code == 1
    assert (
        "cbr:p relies on more than all of its cbec:FinanceChain on 2016: its supply weights sum to 1.05"
        in (result.output)
    )
    # A link that ends before the funding starts never overlaps it.
    dated = ["--weight", "0.15", "--end", "2016", *args]
    assert (
        kg("--store", str(path), "add", "link", "cbr:p", "cbec:paysVia", "cbr:wechat", *dated).exit_code == 0
    )


def test_no_replay_at_any_date_lists_an_entity_outside_its_lifetime(kg) -> None:
    from kg.analysis.network import alive
    from kg.queries import query_graph
    from kg.stores import open_store

    graph = query_graph(open_store(None))
    for year in range(2013, 2021):
        for month in ("01", "07"):
            on = f"{year}-{month}-01"
            net = project(graph, Filters(as_of=on))
            policies = [n for n, d in net.nodes(data=True) if d.get("kind") == "Policy"]
            try:
                result = simulate(net, policies=policies)
            except KgError:
                continue
            for name in [f.node for f in result.outcome.failed] + [s.node for s in result.outcome.standing]:
                data = net.nodes[name]
                assert alive(data["start"], data["end"], on), (name, on)


SCENARIOS = """
cbr:scenario-hub-down a cbec:Scenario ; rdfs:label "Hub down"@en ; prov:wasDerivedFrom cbr:source-test ;
  cbec:asOf "2016-04-08"^^xsd:date ; cbec:removes cbr:hub .
cbr:scenario-drought a cbec:Scenario ; rdfs:label "Funding drought"@en ; prov:wasDerivedFrom cbr:source-test ;
  cbec:asOf "2015-10"^^xsd:gYearMonth ; cbec:damagesClass cbec:Investor ; cbec:damage 0.6 .
"""


def scenario_store(tmp_path):
    from tests.graphs import turtle

    path = tmp_path / "scenarios.ttl"
    path.write_text(turtle({"issuer": "Regulator", **CHAIN_GRAPH[0]}, CHAIN_GRAPH[1]) + SCENARIOS)
    return path


def test_named_scenarios_are_listed_and_replayed(kg, tmp_path) -> None:
    path = scenario_store(tmp_path)
    assert kg("--store", str(path), "validate").exit_code == 0
    listed = kg("--store", str(path), "scenarios").output.splitlines()
    assert listed[0].startswith("drought") and "damages every cbec:Investor by 0.6" in listed[0]
    assert listed[1].startswith("hub-down") and "removes cbr:hub" in listed[1]
    drought = json.loads(
        kg("--store", str(path), "simulate", "--scenario", "drought", "--format", "json").output
    )
    # Both investors damaged by 0.6: a loses 0.5 x 0.6 + 0.5 x 0.6 = 0.6 of its finance; its brand follows.
    assert drought["as_of"] == "2015-10-01"
    assert [(f["node"], f["round"]) for f in drought["failed"]] == [(iri("a"), 1), (iri("brand"), 2)]
    assert drought["failed"][0]["loss"] == 0.6
    unknown = kg("--store", str(path), "simulate", "--scenario", "hub-dwn")
    assert unknown.exit_code == 1 and "unknown scenario 'hub-dwn'; did you mean" in unknown.output


def test_the_report_replays_every_scenario(kg, tmp_path) -> None:
    path = scenario_store(tmp_path)
    text = kg("--store", str(path), "report", "--exports", "-").output
    assert "== Top failure impacts as of" in text
    assert "== Scenario drought: Funding drought, as of 2015-10" in text
    assert "== Scenario hub-down: Hub down, as of 2016-04-08" in text
    assert "[fails in 100% of samples: robust]" in text


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_batch_engine_agrees_with_the_cascade_sample_by_sample(seed: int) -> None:
    import numpy as np

    from tests.graphs import random_ecosystem

    entities, links = random_ecosystem(60, 150, seed)
    entities["rule"] = "Policy"
    links = [*links, ("rule", "affects", "n1", 0.3, None), ("rule", "affects", "BondedImport", 0.5, None)]
    links += [
        (s, "usesModel", "BondedImport", 0.4, "High")
        for s in sorted(entities)[:8]
        if entities[s] == "Platform"
    ]
    world = World.of(net_of(entities, links))
    shock = simulation.Shock(fail={world.index[iri("n0")]}, fire={world.index[iri("rule")]})
    rng = np.random.default_rng(seed)
    supply, exposure = simulation.draws(world, 40, rng)
    levels = rng.uniform(0.3, 0.8, size=40)
    failed, loss = simulation.batch_cascade(world, shock, supply, exposure, levels)
    # The draws are far enough apart that the samples disagree: some rows fell more than others.
    assert len(set(failed.sum(axis=1))) > 1
    for row in range(40):
        one = simulation.cascade(
            world, shock, levels[row], (supply[row].tolist(), exposure[row].tolist()), explain=False
        )
        assert {f.node for f in one.failed} | {iri("n0")} == {
            world.nodes[i] for i in np.flatnonzero(failed[row])
        }
        expected = {f.node: f.loss for f in one.failed} | {s.node: s.loss for s in one.standing}
        got = {world.nodes[i]: loss[row, i] for i in np.flatnonzero(loss[row])}
        assert got == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("seed", [21, 22])
def test_the_batch_engine_agrees_on_shocks_that_reach_part_of_the_world(seed: int) -> None:
    """The batch engine works on the nodes a shock can reach only: a lone failure anywhere in
    the graph (owners out of reach still back their units) gives the cascade's answer."""
    import numpy as np

    from tests.graphs import random_ecosystem

    entities, links = random_ecosystem(80, 160, seed)
    # Owners that carry their units' losses (partOf, default share 1), some out of any reach.
    entities |= {f"owner{i}": "Company" for i in range(4)}
    links += [(f"n{i}", "partOf", f"owner{i % 4}", 0.5, None) for i in range(0, 80, 7)]
    world = World.of(net_of(entities, links))
    rng = np.random.default_rng(seed)
    supply, exposure = simulation.draws(world, 12, rng)
    levels = rng.uniform(0.2, 0.7, size=12)
    partial = 0
    for node in [*range(0, len(world.nodes), 3), *(world.index[iri(f"owner{i}")] for i in range(4))]:
        shock = simulation.Shock(fail={node})
        partial += len(simulation.reached(world, shock)) < len(world.nodes)
        failed, loss = simulation.batch_cascade(world, shock, supply, exposure, levels)
        for row in range(12):
            one = simulation.cascade(
                world, shock, levels[row], (supply[row].tolist(), exposure[row].tolist()), explain=False
            )
            assert {f.node for f in one.failed} | {world.nodes[node]} == {
                world.nodes[i] for i in np.flatnonzero(failed[row])
            }
            expected = {f.node: f.loss for f in one.failed} | {s.node: s.loss for s in one.standing}
            got = {world.nodes[i]: loss[row, i] for i in np.flatnonzero(loss[row])}
            assert got == pytest.approx(expected, abs=1e-4)
    assert partial > 5 and world.backing, (partial, len(world.backing))

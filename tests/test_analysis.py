"""Analysis on hand-checked small graphs, and the NetworkX and igraph engines against each other."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from kg.analysis.centrality import centrality, to_igraph
from kg.analysis.chokepoints import chokepoints, cut_structure, single_sourcing, supply_graphs
from kg.analysis.network import Filters, dependency_graph, project
from tests.graphs import random_ecosystem, store

CBR = "https://w3id.org/cbec/resource/"


def iri(slug: str) -> str:
    return CBR + slug


DIAMOND = (
    {
        "a": "Platform",
        "b": "LogisticsProvider",
        "c": "LogisticsProvider",
        "d": "LogisticsProvider",
        "e": "Platform",
        "f": "Platform",
    },
    [
        ("a", "shipsVia", "b", 0.5, "Medium"),
        ("a", "shipsVia", "c", 0.5, "Medium"),
        ("b", "shipsVia", "d", 1.0, "High"),
        ("c", "shipsVia", "d", 1.0, "High"),
        ("e", "trafficFrom", "a", 1.0, "High"),
        ("f", "shipsVia", "d", 0.4, "Low", "Low"),
    ],
)


def test_projection_is_faithful() -> None:
    net = project(store(*DIAMOND))
    assert set(net) == {iri(x) for x in "abcdef"}
    assert net.number_of_edges() == 6
    edge = net.get_edge_data(iri("a"), iri("b"))
    ((key, data),) = edge.items()
    assert key.endswith("/l0")
    assert data["predicate"] == "shipsVia" and data["chain"] == "LogisticsChain" and data["weight"] == 0.5
    assert data["sources"] == [iri("source-test")]
    high_only = project(store(*DIAMOND), Filters(min_confidence="High"))
    assert not high_only.has_edge(iri("f"), iri("d"))
    logistics = project(store(*DIAMOND), Filters(chains=frozenset({"TrafficChain"})))
    assert logistics.number_of_edges() == 1


def test_dominators_explain_who_is_held() -> None:
    findings = [f for f in chokepoints(project(store(*DIAMOND))) if f.kind == "dominator"]
    by_node = {f.node: f for f in findings}
    # Every logistics path of a (via b or c) and of b, c, f ends at d.
    assert by_node[iri("d")].participants == sorted(iri(x) for x in "abcf")
    assert "every logistics supply path of a, b, c and f passes through d" in by_node[iri("d")].reason
    assert by_node[iri("d")].chain == "LogisticsChain"
    # e's only traffic dependency is a.
    assert by_node[iri("a")].participants == [iri("e")]
    assert iri("b") not in by_node and iri("c") not in by_node


def test_articulation_points_and_bridges() -> None:
    findings = chokepoints(project(store(*DIAMOND)))
    points = {f.node: f.participants for f in findings if f.kind == "articulation point"}
    # Per chain: in logistics d cuts f off; a joins e only in the traffic chain, a pair.
    assert points == {iri("d"): [iri("f")]}
    # A lone node on one link is single sourcing, not a bridge.
    assert [f for f in findings if f.kind == "bridge"] == []
    entities = {
        "p": "Platform",
        "q": "Platform",
        "fwd": "LogisticsProvider",
        "port": "LogisticsProvider",
        "r": "Platform",
        "s": "Platform",
    }
    links = [
        ("p", "shipsVia", "fwd", 0.5, "High"),
        ("q", "shipsVia", "fwd", 0.5, "High"),
        ("fwd", "shipsVia", "port", 1.0, "High"),
        ("r", "shipsVia", "port", 0.5, "High"),
        ("s", "shipsVia", "port", 0.5, "High"),
    ]
    bridges = [f for f in chokepoints(project(store(entities, links))) if f.kind == "bridge"]
    assert [(f.node, f.participants) for f in bridges] == [(iri("port"), [iri("fwd"), iri("p"), iri("q")])]
    assert "the logistics link fwd -> port is the only one joining fwd, p and q" in bridges[0].reason


def test_single_sourcing_needs_one_provider_of_high_criticality() -> None:
    findings = single_sourcing(project(store(*DIAMOND)))
    assert {(f.node, tuple(f.participants)) for f in findings} == {
        (iri("d"), (iri("b"), iri("c"))),
        (iri("a"), (iri("e"),)),
    }


def test_node_cut_between_sets() -> None:
    net = project(store(*DIAMOND))
    findings = chokepoints(net, sources=[iri("e")], targets=[iri("d")])
    cut = {f.node for f in findings if f.kind == "node cut"}
    assert cut == {iri("a")}


def test_centrality_by_hand() -> None:
    net = project(store(*DIAMOND))
    scores = centrality(net, engine="networkx").scores
    assert scores[iri("d")]["in_degree"] == pytest.approx(2.4)
    assert scores[iri("a")]["out_degree"] == pytest.approx(1.0)
    ranked = sorted(scores, key=lambda n: -scores[n]["pagerank"])
    assert ranked[0] == iri("d")
    # b and c lie on the a -> d paths; a on e -> b/c/d paths.
    assert scores[iri("a")]["betweenness"] > scores[iri("b")]["betweenness"] > 0
    assert scores[iri("e")]["betweenness"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_networkx_and_igraph_agree(seed: int) -> None:
    net = project(store(*random_ecosystem(120, 400, seed)))
    a = centrality(net, engine="networkx").scores
    b = centrality(net, engine="igraph").scores
    for node in a:
        for measure in ("pagerank", "betweenness", "harmonic", "in_degree"):
            assert math.isclose(a[node][measure], b[node][measure], rel_tol=1e-6, abs_tol=1e-9), (
                node,
                measure,
            )


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_cut_structure_matches_networkx_and_igraph(seed: int) -> None:
    net = project(store(*random_ecosystem(150, 180, seed)))
    view = nx.Graph()
    for deps in supply_graphs(net).values():
        view.add_edges_from(deps.edges())
    # The same ties as the collapsed dependency graph, seen undirected without its isolated nodes.
    collapsed = dependency_graph(net).to_undirected()
    collapsed.remove_edges_from(nx.selfloop_edges(collapsed))
    collapsed.remove_nodes_from([n for n in list(collapsed) if collapsed.degree(n) == 0])
    assert {frozenset(e) for e in view.edges()} == {frozenset(e) for e in collapsed.edges()}
    assert set(view) == set(collapsed)
    points, bridges = cut_structure(view)
    assert set(points) == set(nx.articulation_points(view))
    assert {frozenset(b[:2]) for b in bridges} == {frozenset(b) for b in nx.bridges(view)}
    g, nodes = to_igraph(view)
    assert set(points) == {nodes[i] for i in g.articulation_points()}
    for point, (count, held) in points.items():
        rest = view.subgraph(nx.node_connected_component(view, point) - {point})
        pieces = sorted(nx.connected_components(rest), key=len)
        assert count == len(pieces)
        tie = len(pieces) > 1 and len(pieces[-1]) == len(pieces[-2])
        # The largest piece is the rest of the network; pieces tied for largest are all cut off.
        assert sorted(held) == sorted(n for piece in (pieces if tie else pieces[:-1]) for n in piece)
    for a, b, small, whole in bridges:
        rest = view.copy()
        rest.remove_edge(a, b)
        sides = sorted([nx.node_connected_component(rest, a), nx.node_connected_component(rest, b)], key=len)
        assert whole == len(sides[0]) + len(sides[1])
        assert set(small) == sides[0] or len(sides[0]) == len(sides[1])


def test_findings_do_not_depend_on_the_order_the_store_lists_its_triples() -> None:
    """Two pieces of equal size under one articulation point are both cut off: which one the
    depth-first search happens to reach first must not decide what the finding says."""
    import pyoxigraph as ox

    from kg.analysis.chokepoints import chokepoints as find
    from kg.analysis.network import project
    from kg.resources import bundled_dataset
    from kg.stores.files import parse_turtle
    from kg.vocabulary import with_ontology

    data = list(parse_turtle(bundled_dataset()))
    first = with_ontology(ox.Store())
    first.extend(data)
    second = ox.Store()
    second.extend(reversed(data))
    with_ontology(second)
    answers = [[f.as_dict() for f in find(project(g), impacts=False)] for g in (first, second)]
    assert answers[0] == answers[1]


def test_a_bridge_between_equal_halves_that_depend_on_each_other_holds_both() -> None:
    """a2 -> a1 <-> b1 <- b2: the a1-b1 link joins two halves of one size that depend across it
    both ways, so each half is cut off by it, whichever half the search reaches first."""
    entities = {"a1": "Platform", "a2": "Platform", "b1": "Platform", "b2": "Platform"}
    links = [
        ("a2", "trafficFrom", "a1", 1.0, "High"),
        ("a1", "trafficFrom", "b1", 1.0, "High"),
        ("b1", "trafficFrom", "a1", 1.0, "High"),
        ("b2", "trafficFrom", "b1", 1.0, "High"),
    ]
    seen = []
    for order in (entities, dict(reversed(list(entities.items())))):
        for ordered_links in (links, links[::-1]):
            net = project(store(order, ordered_links))
            seen.append(
                sorted((f.node, tuple(f.participants)) for f in chokepoints(net) if f.kind == "bridge")
            )
    assert seen[0] == [(CBR + "a1", (CBR + "b1", CBR + "b2")), (CBR + "b1", (CBR + "a1", CBR + "a2"))]
    assert all(s == seen[0] for s in seen)

"""The bundled dataset: it validates, and it holds every claim of the source document with its source."""

from __future__ import annotations

import pytest

from kg.queries import query_graph, run_sparql, stats
from kg.stores import open_store
from kg.validation import validate_store


@pytest.fixture(scope="module")
def store():
    return open_store()


@pytest.fixture(scope="module")
def graph(store):
    return query_graph(store)


def ask(graph, text: str) -> bool:
    return run_sparql(graph, "ASK { " + text + " }").boolean


def test_dataset_validates(store) -> None:
    report = validate_store(store)
    assert report.conforms, report.text()


def test_dataset_size(store) -> None:
    summary = stats(store)
    # The second edition: broad enough to tell the shake-out (issue 11).
    assert 150 <= summary["entities"] <= 250
    assert summary["links"] >= 400
    assert summary["sources"] >= 20
    assert summary["conflicting_claims"] >= 6


@pytest.mark.parametrize("paragraph", [1, 2, 3])
def test_every_paragraph_of_the_source_is_cited(graph, paragraph: int) -> None:
    assert ask(
        graph,
        f"?c a cbec:Claim ; cbec:paragraph {paragraph} ; prov:wasDerivedFrom cbr:source-market-analysis",
    )


CLAIMS_OF_THE_SOURCE = {
    # P1
    "policies drove players out": "?p cbec:affects ?x . ?c cbec:paragraph 1 ; cbec:about cbr:gacc",
    "Mi Tao reached the C round": "cbr:claim-p1-mi-tao-reached-c-round cbec:about cbr:mi-tao ; "
    "cbec:paragraph 1",
    "Mi Tao failed": "cbr:mi-tao cbec:status cbec:Exited ; cbec:exitDate ?d",
    # P2
    "five series": "cbr:tmall-global cbec:series cbec:PlatformSeries . "
    "cbr:ymatou cbec:series cbec:IndependentSeries . cbr:mia cbec:series cbec:EntrepreneurialSeries . "
    "cbr:retail-hypermarket-unnamed cbec:series cbec:RetailSeries . "
    "cbr:amazon-china cbec:series cbec:OverseasSeries",
    "Tmall Global leads the third-party platforms": "cbr:tmall-global a cbec:MarketplacePlatform . "
    "?c cbec:about cbr:tmall-global ; cbec:paragraph 2",
    "buyer-type independent platform": "cbr:ymatou a cbec:BuyerPlatform",
    "entrepreneurial vertical platform": "cbr:mia a cbec:VerticalPlatform",
    "retail hypermarket": "cbr:retail-hypermarket-unnamed a cbec:RetailHypermarket",
    # P3
    "trade, finance and logistics industries": "?c cbec:paragraph 3 ; "
    "cbec:about cbec:TradeChain , cbec:FinanceChain , cbec:LogisticsChain",
    "two poles": "?c cbec:paragraph 3 ; cbec:about cbec:TrafficPole . "
    "?d cbec:paragraph 3 ; cbec:about cbec:SupplyChainPole",
    "Tmall and JD rely on traffic": "cbr:tmall-global cbec:growthPole cbec:TrafficPole . "
    "cbr:jd-worldwide cbec:growthPole cbec:TrafficPole",
    "Amazon relies on its own supply chain": "cbr:amazon-china cbec:growthPole cbec:SupplyChainPole",
}


@pytest.mark.parametrize("claim", sorted(CLAIMS_OF_THE_SOURCE))
def test_claims_of_the_source_are_in_the_graph(graph, claim: str) -> None:
    assert ask(graph, CLAIMS_OF_THE_SOURCE[claim]), claim


def test_mi_tao_c_round_is_two_sourced_statements(graph) -> None:
    assert ask(
        graph,
        "cbr:claim-p1-mi-tao-reached-c-round cbec:conflictsWith ?other ; "
        "prov:wasDerivedFrom cbr:source-market-analysis . ?other prov:wasDerivedFrom cbr:source-ykrno-9662",
    )


def test_every_dependency_link_is_traceable(graph) -> None:
    untraceable = run_sparql(
        graph,
        """
        SELECT ?l { ?l a cbec:Link ; cbec:predicate ?p . ?p rdfs:subPropertyOf cbec:dependsOn .
                    FILTER NOT EXISTS { ?l cbec:rationale ?r }
                    FILTER NOT EXISTS { ?l prov:wasDerivedFrom ?s
                                        FILTER(?s != cbr:source-kg-analyst-judgement) } }""",
    )
    assert untraceable.rows == []

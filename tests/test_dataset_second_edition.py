"""The bundled dataset, second edition: corrected facts, dated history and the new bundled queries."""

from __future__ import annotations

import pytest

from kg.queries import query_graph, run_query, run_sparql
from kg.stores import open_store
from kg.validation import validate_store

CBR = "https://w3id.org/cbec/resource/"


@pytest.fixture(scope="module")
def store():
    return open_store()


@pytest.fixture(scope="module")
def graph(store):
    return query_graph(store)


def rows(store, name: str, *params: str) -> list[dict[str, str]]:
    result = run_query(store, name, list(params))
    return [
        {v: ("" if t is None else t.value) for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def select(graph, text: str) -> list[dict[str, str]]:
    result = run_sparql(graph, text)
    return [
        {str(v): ("" if t is None else t.value) for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def test_second_edition_validates(store) -> None:
    report = validate_store(store)
    assert report.conforms, report.text()


def test_cainiao_yintai_share_with_its_source(graph) -> None:
    found = select(
        graph,
        """SELECT ?share ?src { ?l cbec:subject cbr:cainiao ; cbec:predicate cbec:fundedBy ;
                                 cbec:object cbr:yintai ;
                                 cbec:share ?share ; prov:wasDerivedFrom ?src }""",
    )
    assert {(float(r["share"]), r["src"]) for r in found} >= {(0.32, CBR + "source-ejinsight-2017-06-06")}
    fosun = {
        float(r["share"])
        for r in select(
            graph, "SELECT ?share { ?l cbec:subject cbr:cainiao ; cbec:object cbr:fosun ; cbec:share ?share }"
        )
    }
    sf = {
        float(r["share"])
        for r in select(
            graph,
            "SELECT ?share { ?l cbec:subject cbr:cainiao ; cbec:object cbr:sf-express ; cbec:share ?share }",
        )
    }
    assert fosun == {0.10, 0.067} and sf == {0.01}


def test_cainiao_alibaba_readings_conflict(graph) -> None:
    shares = {
        float(r["share"])
        for r in select(
            graph,
            "SELECT ?share { ?l cbec:subject cbr:cainiao ; cbec:object cbr:alibaba ; cbec:share ?share }",
        )
    }
    assert shares == {0.48, 0.43, 0.47, 0.51, 0.63}
    assert select(
        graph,
        "SELECT ?x { cbr:claim-cainiao-alibaba-stake-ejinsight "
        "cbec:conflictsWith cbr:claim-cainiao-alibaba-stake }",
    )


def test_baidu_weight_in_mia_is_its_share_of_all_rounds(store) -> None:
    weights = {
        float(r["weight"])
        for r in rows(store, "funding-of", "participant=cbr:mia")
        if r["investor"] == CBR + "baidu"
    }
    assert weights == {0.45}


def test_funding_rounds_of_mia(store) -> None:
    result = rows(store, "funding-rounds", "participant=cbr:mia")
    rounds = {r["round"]: r for r in result}
    assert rounds["Series A"]["date"] == "2013-11" and rounds["Series A"]["currency"] == "CNY"
    assert set(rounds["Series D"]["investors"].split()) == {
        CBR + "baidu",
        CBR + "sequoia-china",
        CBR + "h-capital",
    }
    assert rounds["Series D"]["amount"] == "150000000"
    dated = [r["date"] for r in result if r["date"]]
    assert dated == sorted(dated)


def test_jd_worldwide_uses_two_channels(graph) -> None:
    models = {r["m"] for r in select(graph, "SELECT ?m { cbr:jd-worldwide cbec:usesModel ?m }")}
    assert models == {
        "https://w3id.org/cbec/ontology#BondedImport",
        "https://w3id.org/cbec/ontology#DirectMail",
    }


def test_postal_article_tax_was_re_rated_not_ended(graph) -> None:
    assert not select(graph, "SELECT ?e { cbr:postal-article-tax cbec:endDate ?e }")
    assert select(
        graph,
        "SELECT ?c { ?c cbec:about cbr:postal-article-tax ; "
        "prov:wasDerivedFrom cbr:source-taxnotes-postal-tax-2019 }",
    )


def test_positive_list_in_force_date_and_dated_grace_intensities(graph) -> None:
    assert select(
        graph, 'SELECT ?d { cbr:positive-list-2016 cbec:effectiveDate ?d FILTER(STR(?d) = "2016-04-08") }'
    )
    spans = {
        (r["s"], r["e"], float(r["w"]))
        for r in select(
            graph,
            """SELECT ?s ?e ?w { ?l cbec:subject cbr:positive-list-2016 ; cbec:predicate cbec:affects ;
                                    cbec:object cbec:BondedImport ; cbec:weight ?w ;
                                    schema:startDate ?s ; schema:endDate ?e }""",
        )
    }
    assert spans == {("2016-04-08", "2016-05-11", 0.6), ("2016-05-11", "2019-01-01", 0.1)}


def test_kaola_owner_netease_before_2019_09_alibaba_after(graph) -> None:
    found = select(
        graph,
        """SELECT ?owner ?s ?e { ?l cbec:subject cbr:kaola ; cbec:predicate cbec:partOf ; cbec:object ?owner .
                                  OPTIONAL { ?l schema:startDate ?s } OPTIONAL { ?l schema:endDate ?e } }""",
    )

    def owner_on(day: str) -> set[str]:
        return {r["owner"] for r in found if (not r["s"] or r["s"] <= day) and (not r["e"] or day < r["e"])}

    assert owner_on("2019-08-31") == {CBR + "netease"}
    assert owner_on("2019-09") == {CBR + "alibaba"}
    assert owner_on("2020-01-01") == {CBR + "alibaba"}


def test_market_share_query_returns_conflicting_figures(store) -> None:
    result = rows(store, "market-share")
    tmall_2018 = {
        (r["period"], r["share"], r["firm"]) for r in result if r["participant"] == CBR + "tmall-global"
    }
    assert ("end-2018", "31.7", "Analysys") in tmall_2018
    assert ("2018", "24", "iiMedia Research") in tmall_2018
    iimedia = next(r for r in result if r["claim"] == CBR + "claim-share-iimedia-2018-tmall-global")
    assert CBR + "claim-market-share-2018-tmall-global" in iimedia["conflictsWith"].split()
    h1 = {(r["participant"], r["firm"]) for r in result if r["period"] == "H1 2019"}
    assert {(CBR + "kaola", "iiMedia Research"), (CBR + "kaola", "Jefferies")} <= h1


def test_policy_timeline_is_in_date_order(store) -> None:
    result = rows(store, "policy-timeline")
    starts = [r["start"] for r in result]
    assert starts == sorted(starts)
    by_policy = {r["policy"]: r for r in result}
    tax = by_policy[CBR + "tax-2016"]
    assert (tax["issued"], tax["effective"]) == ("2016-03-24", "2016-04-08")
    law = by_policy[CBR + "ecommerce-law-2019"]
    assert (law["issued"], law["effective"]) == ("2018-08-31", "2019-01-01")
    assert by_policy[CBR + "positive-list-2016"]["ended"] == "2019-01-01"


def test_mi_tao_gone_before_the_april_2016_reform(graph) -> None:
    exit_date = select(graph, "SELECT ?d { cbr:mi-tao cbec:exitDate ?d }")[0]["d"]
    assert exit_date < "2016-04-08"
    assert select(
        graph,
        "SELECT ?c { cbr:claim-mi-tao-collapse-predates-reform "
        "prov:wasDerivedFrom cbr:source-china168-mi-tao }",
    )


SCENARIOS = [
    "april-2016-reform",
    "grace-period-2016-05",
    "november-2018-package",
    "ecommerce-law-2019",
    "amazon-china-exit-2019",
    "funding-drought-2015",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_are_data_with_sources(graph, name: str) -> None:
    assert select(
        graph,
        f"SELECT ?d {{ cbr:scenario-{name} a cbec:Scenario ; cbec:asOf ?d ; rdfs:label ?l ; "
        "rdfs:comment ?c ; prov:wasDerivedFrom ?s }",
    )


def test_scenario_policies_are_in_force_on_their_date(graph) -> None:
    found = select(
        graph,
        """SELECT ?s ?asof ?eff ?end { ?s a cbec:Scenario ; cbec:asOf ?asof ; cbec:appliesPolicy ?p .
              OPTIONAL { ?p cbec:effectiveDate ?e1 } OPTIONAL { ?p schema:legislationDate ?e2 }
              BIND(COALESCE(?e1, ?e2) AS ?eff) OPTIONAL { ?p cbec:endDate ?end } }""",
    )
    assert found
    for r in found:
        assert r["eff"] and r["eff"] <= r["asof"], r
        assert not r["end"] or r["asof"] < r["end"], r
    drought = select(
        graph,
        "SELECT ?d { cbr:scenario-funding-drought-2015 cbec:damagesClass cbec:Investor ; cbec:damage ?d }",
    )
    assert drought

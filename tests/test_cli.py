"""The command line as a user drives it: every example of the issue, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kg.cli import cli
from kg.stores import TurtleStore
from tests.conftest import snapshot

KAOLA_ENTITY = [
    "add",
    "entity",
    "cbr:kaola",
    "--type",
    "cbec:SelfOperatedPlatform",
    "--label",
    "NetEase Kaola",
    "--label-zh",
    "网易考拉",
    "--series",
    "cbec:PlatformSeries",
    "--source",
    "cbr:source-nzte-kaola",
]
SHIPS_VIA = [
    "add",
    "link",
    "cbr:kaola",
    "cbec:shipsVia",
    "cbr:cainiao",
    "--weight",
    "0.1",
    "--criticality",
    "medium",
    "--confidence",
    "low",
    "--source",
    "cbr:source-market-analysis",
]


def triples(path: Path) -> set:
    return {(q.subject.value, q.predicate.value, str(q.object)) for q in TurtleStore(path).load()}


def test_issue_walkthrough(any_kg, store_spec) -> None:
    assert "participants-by-series" in any_kg("queries").output
    table = any_kg("query", "participants-by-series", "--format", "table")
    assert table.exit_code == 0 and "cbr:tmall-global" in table.output
    deps = json.loads(
        any_kg("query", "dependencies-of", "--param", "participant=cbr:mi-tao", "--format", "json").output
    )
    assert deps["head"]["vars"][:2] == ["participant", "chain"]
    assert deps["results"]["bindings"]

    result = any_kg(*KAOLA_ENTITY)
    assert result.exit_code == 0
    assert "already has all these facts; nothing changed" in result.output

    before = snapshot(store_spec)
    added = any_kg(*SHIPS_VIA)
    assert added.exit_code == 0, added.output
    assert "added cbr:kaola cbec:shipsVia cbr:cainiao as cbr:link-kaola-shipsvia-cainiao" in added.output
    after = snapshot(store_spec)
    cbr, cbec = "https://w3id.org/cbec/resource/", "https://w3id.org/cbec/ontology#"
    assert (cbr + "kaola", cbec + "shipsVia", f"<{cbr}cainiao>") in after
    assert (cbr + "kaola", cbec + "dependsOn", f"<{cbr}cainiao>") in after
    assert (
        cbr + "link-kaola-shipsvia-cainiao",
        cbec + "weight",
        '"0.1"^^<http://www.w3.org/2001/XMLSchema#decimal>',
    ) in after

    again = any_kg(*SHIPS_VIA)
    assert again.exit_code == 0 and "already stated; nothing changed" in again.output
    assert snapshot(store_spec) == after

    shown = any_kg("show", "cbr:mi-tao")
    assert shown.exit_code == 0 and "Mi Tao" in shown.output

    removed = any_kg("remove", "link", "cbr:kaola", "cbec:shipsVia", "cbr:cainiao")
    assert removed.exit_code == 0, removed.output
    assert snapshot(store_spec) == before

    assert any_kg("validate").exit_code == 0
    stats = json.loads(any_kg("stats", "--format", "json").output)
    assert stats["entities"] >= 60 and stats["links"] >= 150


def test_full_iris_are_accepted_like_compact_ones(any_kg, store_spec) -> None:
    result = any_kg(
        "add",
        "link",
        "<https://w3id.org/cbec/resource/kaola>",
        "https://w3id.org/cbec/ontology#shipsVia",
        "https://w3id.org/cbec/resource/cainiao",
        "--weight",
        "0.1",
        "--criticality",
        "medium",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 0, result.output
    assert "cbr:link-kaola-shipsvia-cainiao" in result.output


def test_unknown_class_names_the_closest(any_kg, store_spec) -> None:
    before = snapshot(store_spec)
    result = any_kg(
        "add",
        "entity",
        "cbr:x",
        "--type",
        "cbec:Platfrom",
        "--label",
        "X",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 1
    assert result.output == "Error: unknown class 'cbec:Platfrom'; did you mean cbec:Platform?\n"
    assert snapshot(store_spec) == before


def test_unknown_link_property_names_the_closest(any_kg, store_spec) -> None:
    result = any_kg(
        "add",
        "link",
        "cbr:kaola",
        "cbec:shipVia",
        "cbr:cainiao",
        "--weight",
        "0.1",
        "--criticality",
        "medium",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: 'cbec:shipVia' is not a link property; did you mean cbec:shipsVia?"
    )


def test_bad_values_are_refused_and_nothing_is_written(any_kg, store_spec) -> None:
    before = snapshot(store_spec)
    cases = {
        ("--weight", "1.5"): "Error: --weight '1.5' must be a finite number between 0 and 1",
        ("--weight", "abc"): "Error: --weight 'abc' is not a number; write e.g. 0.6",
        ("--start", "2016-13-40"): "Error: --start '2016-13-40' is not a real date",
        ("--criticality", "severe"): "Error: --criticality 'severe' must be one of high, medium, low",
    }
    for (option, value), message in cases.items():
        args = dict(zip(SHIPS_VIA[5::2], SHIPS_VIA[6::2], strict=True))
        args[option] = value
        result = any_kg(
            "add",
            "link",
            "cbr:kaola",
            "cbec:shipsVia",
            "cbr:cainiao",
            *[x for kv in args.items() for x in kv],
        )
        assert result.exit_code == 1, (option, result.output)
        assert result.output.startswith(message), result.output
    assert snapshot(store_spec) == before


def test_bad_iris_are_refused(any_kg, store_spec) -> None:
    before = snapshot(store_spec)
    for iri, message in {
        "<http://x/a b>": "Error: 'http://x/a b' is not a valid IRI: it contains ' '",
        "<javascript:alert(1)>": "Error: 'javascript:alert(1)' has scheme 'javascript'; kg accepts only http",
        "cbr:Mi_Tao": "Error: 'cbr:Mi_Tao' is not a valid resource name",
        "foo:bar": "Error: 'foo:bar' is neither a full IRI nor a prefixed name with a known prefix",
    }.items():
        result = any_kg(
            "add",
            "entity",
            iri,
            "--type",
            "cbec:Platform",
            "--label",
            "X",
            "--source",
            "cbr:source-market-analysis",
        )
        assert result.exit_code == 1
        assert result.output.startswith(message), result.output
    assert snapshot(store_spec) == before


def test_link_to_a_missing_entity_or_source(any_kg, store_spec) -> None:
    result = any_kg(
        "add",
        "link",
        "cbr:kaola",
        "cbec:shipsVia",
        "cbr:nowhere",
        "--weight",
        "0.5",
        "--criticality",
        "low",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.output == "Error: cbr:nowhere is not in the store; add it first with `kg add entity`\n"
    result = any_kg(
        "add", "entity", "cbr:x", "--type", "cbec:Platform", "--label", "X", "--source", "cbr:source-none"
    )
    assert result.output.startswith("Error: source cbr:source-none is not a cbec:Source in the store")


def test_shapes_refuse_a_link_of_the_wrong_class(any_kg, store_spec) -> None:
    before = snapshot(store_spec)
    # Alipay is a payment provider, not a logistics provider.
    result = any_kg(
        "add",
        "link",
        "cbr:kaola",
        "cbec:shipsVia",
        "cbr:alipay",
        "--weight",
        "0.5",
        "--criticality",
        "low",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "cbec:shipsVia" in result.output and "cbec:LogisticsProvider" in result.output
    assert snapshot(store_spec) == before


def test_dependency_link_needs_weight_and_criticality(any_kg, store_spec) -> None:
    result = any_kg(
        "add",
        "link",
        "cbr:kaola",
        "cbec:shipsVia",
        "cbr:cainiao",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: cbec:shipsVia is a dependency: give --weight")


def test_self_link_is_refused(any_kg, store_spec) -> None:
    result = any_kg(
        "add",
        "link",
        "cbr:kaola",
        "cbec:competesWith",
        "cbr:kaola",
        "--confidence",
        "low",
        "--source",
        "cbr:source-market-analysis",
    )
    assert result.exit_code == 1
    assert "a link from cbr:kaola to itself" in result.output


def test_remove_entity_takes_its_links(any_kg, store_spec) -> None:
    result = any_kg("remove", "entity", "cbr:mi-tao")
    assert result.exit_code == 0, result.output
    mi_tao = "https://w3id.org/cbec/resource/mi-tao"
    assert not [t for t in snapshot(store_spec) if mi_tao in (t[0], t[2].strip("<>"))]
    assert any_kg("validate").exit_code == 0


def test_remove_missing_link(any_kg, store_spec) -> None:
    result = any_kg("remove", "link", "cbr:kaola", "cbec:shipsVia", "cbr:alipay")
    assert result.output == "Error: there is no link cbr:kaola cbec:shipsVia cbr:alipay in the store\n"


def test_second_source_makes_a_second_statement(any_kg, store_spec) -> None:
    assert any_kg(*SHIPS_VIA).exit_code == 0
    other = SHIPS_VIA[:-1] + ["cbr:source-nzte-kaola"]
    other[6] = "0.05"
    result = any_kg(*other)
    assert result.exit_code == 0, result.output
    assert "cbr:link-kaola-shipsvia-cainiao-2" in result.output
    restated = any_kg(*SHIPS_VIA[:6], "0.3", *SHIPS_VIA[7:])
    assert (
        restated.exit_code == 1 and "already stated from these sources with other values" in restated.output
    )


def test_init_and_env_store(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "mine.ttl"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(path)]).exit_code == 0
    monkeypatch.setenv("KG_STORE", str(path))
    result = runner.invoke(cli, ["stats"])
    assert f"store: {path}" in result.output


def test_validate_reports_by_focus_node_and_exits_1(tmp_path: Path, store_path: Path) -> None:
    text = store_path.read_text(encoding="utf-8")
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        text.replace("cbec:weight 0.", "cbec:weight 1.", 1).replace(
            "cbec:series cbec:PlatformSeries", "cbec:serie cbec:PlatformSeries", 1
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--store", str(broken), "validate"])
    assert result.exit_code == 1
    assert "unknown property cbec:serie; did you mean cbec:series?" in result.output
    assert "cbec:weight must be one xsd:decimal between 0 and 1" in result.output
    assert "violation(s)" in result.output.splitlines()[-1]

"""HTML views: what a reader of exports/*.html sees, checked in the files and in a real browser."""

from __future__ import annotations

import html.parser
import itertools
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.analysis.network import Filters, project, world_on
from kg.cli import cli
from kg.errors import KgError
from kg.queries import query_graph
from kg.resources import bundled_dataset
from kg.stores import TurtleStore, open_store
from kg.views.export import build_pages, export_views
from kg.views.layout import wrap
from kg.views.style import NODE_BUDGET, VIEW_NAMES
from kg.views.worlds import alive_in, timeline
from kg.vocabulary import CBEC, compact, vocabulary
from tests.browser import browser, require_browser
from tests.conftest import build_once
from tests.graphs import turtle

CBR = "https://w3id.org/cbec/resource/"
# Pages name nodes and links compactly.
ID = "cbr:"
REPOSITORY = Path(__file__).resolve().parent.parent
MAIN_VIEWS = ["ecosystem", "trade", "finance", "logistics", "regulation", "dependencies", "policy-2016"]

ENTITIES = [
    # slug, class, English label, Chinese label, series, extra Turtle
    (
        "tmall-global",
        "MarketplacePlatform",
        "Tmall Global",
        "天猫国际",
        "PlatformSeries",
        'rdfs:comment "Alibaba\'s cross-border marketplace."@en ; schema:foundingDate "2014"',
    ),
    ("jd-worldwide", "SelfOperatedPlatform", "JD Worldwide", "京东全球购", "PlatformSeries", ""),
    (
        "kaola",
        "SelfOperatedPlatform",
        "NetEase Kaola",
        "网易考拉",
        "PlatformSeries",
        'cbec:status cbec:Exited ; cbec:exitDate "2019-09"',
    ),
    ("mia", "VerticalPlatform", "Mia", "蜜芽", "EntrepreneurialSeries", ""),
    ("alibaba", "Company", "Alibaba Group", "阿里巴巴集团", None, ""),
    ("cainiao", "LogisticsProvider", "Cainiao", "菜鸟", None, ""),
    ("alipay", "PaymentProvider", "Alipay", "支付宝", None, ""),
    ("sequoia", "Investor", "Sequoia China", None, None, ""),
    ("gacc", "Regulator", "General Administration of Customs", "海关总署", None, ""),
    ("mof", "Regulator", "Ministry of Finance", "财政部", None, ""),
    (
        "tax-2016",
        "Policy",
        "Cross-border retail import tax policy (2016)",
        "跨境电商零售进口税收政策",
        None,
        "",
    ),
    ("positive-list-2016", "Policy", "Positive list of cross-border retail imports", None, None, ""),
    ("hangzhou-zone", "Zone", "Hangzhou pilot zone", "杭州综试区", None, ""),
    ("aptamil", "Supplier", "Aptamil", None, None, ""),
    ("swisse", "Supplier", "Swisse", None, None, ""),
    ("acme-baby", "Supplier", "Acme Baby", None, None, ""),
]
LINKS = [
    ("tmall-global", "partOf", "alibaba", 1.0, "High"),
    ("tmall-global", "paysVia", "alipay", 0.9, "High"),
    ("tmall-global", "shipsVia", "cainiao", 0.7, "High"),
    ("tmall-global", "sourcesFrom", "aptamil", 0.4, "Medium"),
    ("tmall-global", "sourcesFrom", "swisse", 0.3, "Medium"),
    ("tmall-global", "warehousesIn", "hangzhou-zone", 0.5, "Medium"),
    ("tmall-global", "subjectTo", "tax-2016", 0.6, "High"),
    ("tmall-global", "usesModel", "BondedImport", 0.3, "Medium"),
    ("alipay", "partOf", "alibaba", 1.0, "High"),
    ("cainiao", "partOf", "alibaba", 0.8, "High"),
    ("jd-worldwide", "sourcesFrom", "aptamil", 0.5, "Medium"),
    ("jd-worldwide", "competesWith", "tmall-global", None, None),
    ("kaola", "competesWith", "tmall-global", None, None),
    ("kaola", "shipsVia", "cainiao", 0.2, "Low"),
    ("mia", "fundedBy", "sequoia", 0.7, "High"),
    ("mia", "usesModel", "BondedImport", 0.9, "High"),
    ("mia", "sourcesFrom", "swisse", 0.5, "Medium"),
    ("acme-baby", "sellsOn", "mia", 0.9, "High"),
    ("alibaba", "regulatedBy", "gacc", 0.5, "Medium"),
    ("tax-2016", "issuedBy", "mof", None, None),
    ("tax-2016", "affects", "BondedImport", 0.8, None),
    ("positive-list-2016", "issuedBy", "mof", None, None),
    ("positive-list-2016", "affects", "BondedImport", 0.3, None),
    ("tax-2016", "affects", "tmall-global", 0.2, None),
]
XSS_LABEL = '<img src=x onerror="window.__pwned=1;alert(1)">'
XSS_ZH = "</script><script>window.__pwned=2</script>"
XSS_COMMENT = '<a href="javascript:alert(3)">href</a> \u2028 & more'
XSS_TITLE = "<script>window.__pwned=4</script>"
ODD_IRI = "https://example.org/o'brien&co"


def entity_turtle(slug: str, klass: str, label: str, zh: str | None, series: str | None, extra: str) -> str:
    subject = f"<{slug}>" if ":" in slug else f"cbr:{slug}"
    facts = [f"a cbec:{klass}", f"rdfs:label {json.dumps(label, ensure_ascii=False)}@en"]
    facts += [f"rdfs:label {json.dumps(zh, ensure_ascii=False)}@zh"] if zh else []
    facts += [f"cbec:series cbec:{series}"] if series else []
    facts += [extra] if extra else []
    facts.append("prov:wasDerivedFrom cbr:source-test")
    return f"{subject} " + " ;\n  ".join(facts) + " .\n"


def write_store(path: Path, entities: list[tuple], links: list[tuple], extra: str = "") -> Path:
    text = "@prefix schema: <https://schema.org/> .\n" + turtle({}, links)
    text += "".join(entity_turtle(*e) for e in entities) + extra
    path.write_text(text, encoding="utf-8")
    return path


def hostile_store(path: Path) -> Path:
    """Labels, ids, comments and source titles that would run a script if pasted as HTML."""
    entities = ENTITIES[:3] + [
        (
            "evil",
            "Supplier",
            XSS_LABEL,
            XSS_ZH,
            None,
            f"rdfs:comment {json.dumps(XSS_COMMENT, ensure_ascii=False)}@en ; "
            'schema:foundingDate "2015" ; prov:wasDerivedFrom cbr:source-evil',
        ),
        (ODD_IRI, "Investor", "O'Brien & Co </title><h1>x</h1>", None, None, ""),
    ]
    links = [
        ("tmall-global", "sourcesFrom", "evil", 0.5, "High"),
        ("jd-worldwide", "sourcesFrom", "evil", 0.2, "Low"),
    ]
    odd = (
        f"cbr:tmall-global cbec:fundedBy <{ODD_IRI}> .\n"
        f"cbr:link-odd a cbec:Link ; cbec:subject cbr:tmall-global ; cbec:predicate cbec:fundedBy ; "
        f"cbec:object <{ODD_IRI}> ; cbec:chain cbec:FinanceChain ; cbec:confidence cbec:High ; "
        "cbec:weight 0.3 ; prov:wasDerivedFrom cbr:source-evil .\n"
        f"cbr:source-evil a cbec:Source ; dcterms:title {json.dumps(XSS_TITLE)} .\n"
        f"cbr:scenario-evil a cbec:Scenario ; rdfs:label {json.dumps(XSS_TITLE)}@en ; "
        f"rdfs:comment {json.dumps(XSS_COMMENT, ensure_ascii=False)}@en ; "
        'cbec:asOf "2016-04-08"^^<http://www.w3.org/2001/XMLSchema#date> ; cbec:removes cbr:evil ; '
        "prov:wasDerivedFrom cbr:source-evil .\n"
    )
    return write_store(path, entities, links, odd)


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.DOTALL)
    assert match, f"{path} has no data island"
    return json.loads(match.group(1))


SCENARIO = """cbr:scenario-april-2016-reform a cbec:Scenario ; rdfs:label "April 2016"@en ;
  cbec:asOf "2016-04-08"^^<http://www.w3.org/2001/XMLSchema#date> ;
  cbec:appliesPolicy cbr:tax-2016 , cbr:positive-list-2016 ; prov:wasDerivedFrom cbr:source-test .
"""


@pytest.fixture(scope="module")
def store_file(tmp_path_factory) -> Path:
    return write_store(tmp_path_factory.mktemp("views") / "store.ttl", ENTITIES, LINKS, SCENARIO)


@pytest.fixture(scope="module")
def exported(store_file: Path) -> Path:
    out = store_file.parent / "exports"
    export_views(TurtleStore(store_file), out)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    path = hostile_store(tmp_path_factory.mktemp("hostile") / "store.ttl")
    export_views(TurtleStore(path), path.parent / "exports")
    return path.parent / "exports"


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    with browser() as running:
        yield running


# ---------------------------------------------------------------- the files


def test_export_writes_every_view_and_a_page_per_participant(exported: Path) -> None:
    names = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*.html"))
    participants = sorted(
        f"participants/{slug}.html" for slug, klass, *_ in ENTITIES if klass not in ("Policy", "Zone")
    )
    scenarios = ["scenarios/april-2016-reform.html"]
    pages = [f"{v}.html" for v in VIEW_NAMES if v not in ("participants", "scenarios")]
    assert names == sorted(pages + participants + scenarios)
    assert len(participants) == 13


def test_same_graph_gives_the_same_bytes(store_file: Path, exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    export_views(TurtleStore(store_file), again)
    for page in exported.rglob("*.html"):
        assert (again / page.relative_to(exported)).read_bytes() == page.read_bytes(), page.name


class Resources(html.parser.HTMLParser):
    """Every URL a page names in its markup."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "srcset") or (tag == "link" and name == "rel"):
                self.urls.append((tag, name, value or ""))


def test_pages_name_no_remote_resource(exported: Path) -> None:
    for page in exported.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        parser = Resources()
        parser.feed(text)
        for tag, name, value in parser.urls:
            assert (tag, name) == ("a", "href") and not re.match(r"[a-z]+:", value), (page.name, tag, value)
        assert "default-src 'none'" in text
        assert '<meta charset="utf-8">' in text and '<meta name="generator" content="kg">' in text


def test_hostile_strings_are_escaped_in_the_files(hostile: Path) -> None:
    for page in [hostile / "ecosystem.html", hostile / "participants/evil.html", hostile / "index.html"]:
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text and 'onerror="window' not in text.replace("\\u003c", "")
        assert "</script><script>" not in text and "<h1>x</h1>" not in text
        assert "\u2028" not in text
    nodes = {n["id"]: n for n in page_data(hostile / "ecosystem.html")["nodes"]}
    assert nodes[ID + "evil"]["label"] == XSS_LABEL and nodes[ID + "evil"]["labelZh"] == XSS_ZH
    assert XSS_COMMENT in nodes[ID + "evil"]["tip"] and XSS_TITLE in nodes[ID + "evil"]["tip"]
    assert ODD_IRI in nodes
    title = re.search(
        r"<title>(.*)</title>", (hostile / "participants/evil.html").read_text(encoding="utf-8")
    )
    assert (
        title.group(1)
        == "Around &lt;img src=x onerror=&quot;window.__pwned=1;alert(1)&quot;&gt; (&lt;/script&gt;"
        "&lt;script&gt;window.__pwned=2&lt;/script&gt;)"
    )


def test_policy_replay_marks_failures_and_their_causes(exported: Path) -> None:
    data = page_data(exported / "policy-2016.html")
    nodes = {n["id"].removeprefix(ID): n for n in data["nodes"]}
    assert nodes["mia"]["label"] == "Mia ✕1" and "FAILED in round 1" in nodes["mia"]["tip"]
    # The two policies compound on the model: 1 - (1 - 0.8)(1 - 0.3) = 0.86.
    assert "usesModel bonded import (weight 0.9 x damage 0.86)" in nodes["mia"]["tip"]
    assert nodes["acme-baby"]["label"] == "Acme Baby ✕2"
    assert "Hit but standing" in nodes["tmall-global"]["tip"]
    assert nodes["cbec:BondedImport"]["colors"]["outcome"] != nodes["mia"]["colors"]["outcome"]
    cause = [e for e in data["edges"] if e["from"] == ID + "acme-baby" and e["to"] == ID + "mia"]
    assert len(cause) == 1 and cause[0]["width"] == 3.0
    legend = [item["text"] for section in data["legend"] for item in section["items"]]
    assert "failed (✕n: in round n)" in legend and "carried the loss that made it fail" in legend


def test_view_names_cannot_climb_out(store_file: Path, tmp_path: Path) -> None:
    for name in ["../evil", "participants/../../x", "participants/a/b", "/etc/passwd", "participants/"]:
        with pytest.raises(KgError) as error:
            export_views(TurtleStore(store_file), tmp_path / "out", [name])
        assert str(error.value).startswith(f"unknown view '{name}'; choose one of index, ecosystem,")
    assert not any((tmp_path / "out").rglob("*.html"))


def test_export_does_not_follow_symlinks_out_of_the_folder(store_file: Path, tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "participants").symlink_to(outside, target_is_directory=True)
    with pytest.raises(KgError, match=r"leads out of .*out; remove that symlink"):
        export_views(TurtleStore(store_file), out, ["participants/mia"])
    (out / "participants").unlink()
    (out / "trade.html").symlink_to(outside / "trade.html")
    with pytest.raises(KgError, match=r".*trade.html is a symbolic link; kg does not write through links"):
        export_views(TurtleStore(store_file), out, ["trade"])
    assert not any(outside.iterdir())
    assert [p.name for p in out.rglob("*.html")] == ["trade.html"]


def test_only_files_kg_wrote_are_replaced(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "trade.html").write_text("<p>my notes</p>", encoding="utf-8")
    with pytest.raises(KgError) as error:
        export_views(TurtleStore(store_file), out, ["trade"])
    assert str(error.value) == (
        f"{out / 'trade.html'} exists and was not written by kg; move it away or pass `force` to replace it"
    )
    assert (out / "trade.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    export_views(TurtleStore(store_file), out, ["trade"], force=True)
    export_views(TurtleStore(store_file), out, ["trade"])
    assert "Trade chain" in (out / "trade.html").read_text(encoding="utf-8")


def test_cli_exports_and_reports_errors(store_file: Path, tmp_path: Path) -> None:
    run = CliRunner().invoke
    out = tmp_path / "views"
    result = run(
        cli, ["--store", str(store_file), "export", "html", "--view", "ecosystem", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote 1 file(s) under {out}\n"
    result = run(cli, ["--store", str(store_file), "export", "html", "--view", "nope", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "Error: unknown view 'nope'; choose one of index, ecosystem, trade, finance, logistics, regulation, "
        "dependencies, policy-2016, timeline, scenarios, participants, or participants/<slug> for one "
        "participant "
        "(e.g. participants/tmall-global)"
    )


def test_pages_are_utf8_whatever_the_locale(store_file: Path, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONUTF8", "PYTHONIOENC"))
    }
    env.update(LC_ALL="C", LANG="C", PYTHONUTF8="0")
    command = [
        sys.executable,
        "-m",
        "kg.cli",
        "--store",
        str(store_file),
        "export",
        "html",
        "--out",
        str(tmp_path),
    ]
    subprocess.run(
        [*command, "--view", "ecosystem", "--view", "index"], env=env, check=True, capture_output=True
    )
    assert "天猫国际" in (tmp_path / "ecosystem.html").read_bytes().decode("utf-8")
    assert "网易考拉" in (tmp_path / "index.html").read_bytes().decode("utf-8")


def synthetic_network(nodes: int, seed: int = 3):
    """A projection-shaped MultiDiGraph, built directly: loading 2 million triples would take longer
    than what this test is about."""
    import networkx as nx

    rng = random.Random(seed)
    shares = {
        "Platform": 0.08,
        "Supplier": 0.5,
        "LogisticsProvider": 0.06,
        "PaymentProvider": 0.03,
        "Investor": 0.1,
        "Company": 0.04,
        "Regulator": 0.005,
        "Policy": 0.01,
        "Zone": 0.175,
    }
    net = nx.MultiDiGraph()
    kinds: dict[str, list[str]] = {}
    for kind, share in shares.items():
        kinds[kind] = [f"{CBR}{kind.lower()}-{i}" for i in range(max(2, int(nodes * share)))]
        for iri in kinds[kind]:
            net.add_node(
                iri,
                label=iri.rsplit("/", 1)[1],
                label_zh="",
                kind=kind,
                series="PlatformSeries" if kind == "Platform" else "",
                status="Active",
                exit_date="",
                top={"Policy": "Policy", "Zone": "Zone"}.get(kind, "Participant"),
                placeholder=False,
                start=None,
                end=None,
            )
    patterns = [
        ("Platform", "sourcesFrom", "Supplier", "TradeChain", 6),
        ("Platform", "shipsVia", "LogisticsProvider", "LogisticsChain", 2),
        ("Platform", "paysVia", "PaymentProvider", "FinanceChain", 1),
        ("Platform", "fundedBy", "Investor", "FinanceChain", 1),
        ("Supplier", "sellsOn", "Platform", "TradeChain", 1),
        ("Company", "regulatedBy", "Regulator", "RegulationChain", 1),
    ]
    properties = vocabulary().link_properties
    for s_kind, predicate, o_kind, chain, per in patterns:
        known = properties[CBEC + predicate]
        targets = kinds[o_kind]
        # Cumulative weights, summed once: given plain weights, choices() sums them again on every
        # call, which made building this graph take longer than the test. The draws are the same.
        cumulative = list(itertools.accumulate(1 / (r + 1) ** 0.8 for r in range(len(targets))))
        for subject in kinds[s_kind]:
            for target in set(rng.choices(targets, cum_weights=cumulative, k=per)):
                net.add_edge(
                    subject,
                    target,
                    key=f"{subject}-{predicate}-{target}",
                    predicate=predicate,
                    chain=chain,
                    weight=round(rng.uniform(0.05, 1), 2),
                    criticality="High",
                    confidence="Medium",
                    dependency=True,
                    roles=known.roles,
                    exposed_end=known.exposed_end,
                    share=known.default_share,
                    sources=[],
                    start=None,
                    end=None,
                )
    return net


@pytest.fixture(scope="module")
def large_page(tmp_path_factory) -> Path:
    return build_once(tmp_path_factory, "large-page", write_large_page)


def write_large_page(folder: Path) -> Path:
    net = synthetic_network(100_000)
    assert len(net) >= 100_000
    path = folder / "ecosystem.html"
    path.write_bytes(build_pages(net, ["ecosystem"])["ecosystem.html"])
    return path


def test_a_large_graph_is_reduced_and_says_so(large_page: Path) -> None:
    data = page_data(large_page)
    assert len(data["nodes"]) <= NODE_BUDGET
    groups = [n for n in data["nodes"] if n["id"].startswith("group:")]
    grouped = sum(int(re.search(r": ([\d,]+) more", g["label"]).group(1).replace(",", "")) for g in groups)
    assert len(data["nodes"]) - len(groups) + grouped >= 100_000
    text = large_page.read_text(encoding="utf-8")
    assert re.search(
        r"This view has [\d,]+ nodes, more than its budget of 1,500: it shows the [\d,]+ of highest "
        r"PageRank and groups the other [\d,]+ by series or class",
        text,
    )


def test_exports_in_the_repository_are_fresh(tmp_path: Path) -> None:
    if not bundled_dataset().exists():
        pytest.skip("no bundled dataset")
    export_views(open_store(None), tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.html")}
    kept = {
        p.relative_to(REPOSITORY / "exports").as_posix(): p.read_bytes()
        for p in (REPOSITORY / "exports").rglob("*.html")
    }
    stale = sorted(name for name in fresh.keys() | kept.keys() if fresh.get(name) != kept.get(name))
    assert not stale, (
        f"exports/ is stale ({len(stale)} files differ, e.g. {', '.join(stale[:3])}): "
        "run `kg report` (or `kg export html --out exports`) and commit exports/"
    )


# ---------------------------------------------------------------- in a browser


def expected_counts(store_file: Path) -> dict[str, tuple[int, int]]:
    net = project(query_graph(TurtleStore(store_file)))
    counts = {"ecosystem": (len(net), net.number_of_edges())}
    for view, keep in [
        ("trade", lambda d: d["chain"] == "TradeChain"),
        ("finance", lambda d: d["chain"] == "FinanceChain"),
        ("logistics", lambda d: d["chain"] == "LogisticsChain"),
        ("regulation", lambda d: d["chain"] == "RegulationChain"),
        ("dependencies", lambda d: d["dependency"]),
    ]:
        edges = [(u, v) for u, v, d in net.edges(data=True) if keep(d)]
        counts[view] = (len({n for e in edges for n in e}), len(edges))
    # The two policies, Tmall (hit, stands), Mia and Acme Baby (fail) and the business model; the
    # three hits (tax: model and Tmall, list: model), the two uses of the model and the sale through
    # Mia that fails Acme Baby.
    counts["policy-2016"] = (6, 6)
    return counts


def load(chromium, page: Path, name: str):
    visit = chromium.open(page)
    visit.screenshot(name)
    assert visit.blocked == [], f"{page.name} tried to reach the network: {visit.blocked}"
    assert visit.errors == [], f"{page.name} logged errors: {visit.errors}"
    return visit


@pytest.mark.parametrize("view", MAIN_VIEWS)
def test_each_view_loads_offline_with_its_nodes_edges_and_legend(
    chromium, exported, store_file, view
) -> None:
    visit = load(chromium, exported / f"{view}.html", f"test-{view}")
    nodes, edges = expected_counts(store_file)[view]
    assert visit.evaluate("[kgView.visibleNodeCount(), kgView.visibleEdgeCount()]") == [nodes, edges]
    assert visit.page.locator("#counts").inner_text() == (
        f"Showing {nodes} of {nodes} nodes and {edges} of {edges} links."
    )
    assert visit.page.locator(".legend-item:visible").count() >= 4
    assert visit.page.locator(".legend-section:visible h3").first.inner_text().startswith("Colour")


def test_participant_page_and_index_load_offline(chromium, exported) -> None:
    visit = load(chromium, exported / "participants/tmall-global.html", "test-participant-tmall-global")
    assert visit.page.locator("h1").inner_text() == "Around Tmall Global (天猫国际)"
    # Tmall, its ten neighbours (the bonded-import model is a node), and theirs: GACC (via Alibaba),
    # MoF (via the policy), Mia (via Swisse and the model), the positive list (via the model).
    assert visit.evaluate("kgView.visibleNodeCount()") == 15
    index = chromium.open(exported / "index.html", wait_for_view=False)
    index.screenshot("test-index")
    assert index.blocked == [] and index.errors == []
    links = index.page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {f"{v}.html" for v in MAIN_VIEWS} <= set(links) and "participants/mia.html" in links
    assert all((exported / link).exists() for link in links)


def test_search_selects_tmall_in_english_and_chinese(chromium, exported) -> None:
    visit = load(chromium, exported / "ecosystem.html", "test-search")
    search = visit.page.get_by_label("Find a node (English or 中文)")
    for text in ["Tmall", "天猫"]:
        search.fill(text)
        assert visit.evaluate("kgView.network.getSelectedNodes()") == [ID + "tmall-global"]
        assert visit.page.locator("#search-status").inner_text().startswith("1 of 1: Tmall Global (天猫国际)")
        assert "Alibaba's cross-border marketplace." in visit.page.locator("#details-text").inner_text()
    visit.screenshot("test-search-tmall")
    search.fill("nobody")
    assert visit.page.locator("#search-status").inner_text() == "Nothing is called “nobody”."


def painted(visit) -> int:
    """How many pixels of the graph's canvas are not background."""
    return visit.evaluate(
        """() => { const c = document.querySelector('#graph canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
        }
        return n; }"""
    )


def test_filters_hide_and_restore_without_blanking(chromium, exported, store_file) -> None:
    visit = load(chromium, exported / "ecosystem.html", "test-filters")
    nodes, edges = expected_counts(store_file)["ecosystem"]
    counts = "[kgView.visibleNodeCount(), kgView.visibleEdgeCount()]"
    full = painted(visit)
    supplier = visit.page.get_by_role("checkbox", name=re.compile(r"^Supplier \(3\)$"))
    supplier.uncheck()
    supplier_edges = sum(
        1 for link in LINKS if "aptamil" in link[:3:2] or "swisse" in link[:3:2] or "acme-baby" in link[:3:2]
    )
    assert visit.evaluate(counts) == [nodes - 3, edges - supplier_edges]
    assert 0 < painted(visit) < full
    visit.screenshot("test-filters-suppliers-hidden")
    supplier.check()
    assert visit.evaluate(counts) == [nodes, edges]
    # Restored links are drawn in another order, so a few anti-aliased pixels may differ.
    assert abs(painted(visit) - full) < full / 100
    trade = visit.page.get_by_role("checkbox", name=re.compile(r"^TradeChain \("))
    trade.uncheck()
    trade_edges = expected_counts(store_file)["trade"][1]
    assert visit.evaluate(counts) == [nodes, edges - trade_edges]
    trade.check()
    assert visit.evaluate(counts) == [nodes, edges] and abs(painted(visit) - full) < full / 100
    series = visit.page.get_by_role("checkbox", name=re.compile(r"^PlatformSeries \(3\)$"))
    series.uncheck()
    assert visit.evaluate("kgView.visibleNodeCount()") == nodes - 3
    series.check()
    assert visit.evaluate(counts) == [nodes, edges]


def hover(visit, node: str) -> str:
    """Move the mouse over a node and return the tooltip's text."""
    x, y = visit.evaluate(
        """(id) => { const net = kgView.network; const p = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.querySelector('#graph').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; }""",
        node,
    )
    visit.page.mouse.move(x + 1, y + 1)
    visit.page.mouse.move(x, y)
    tooltip = visit.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible")
    return tooltip.inner_text()


def test_hostile_labels_run_no_script(chromium, hostile) -> None:
    for page in ["ecosystem.html", "participants/evil.html", "trade.html"]:
        visit = load(chromium, hostile / page, f"test-hostile-{page}")
        visit.evaluate("kgView.network.fit()")
        text = hover(visit, ID + "evil")
        assert XSS_LABEL in text and XSS_COMMENT.split("\u2028")[0] in text and XSS_TITLE in text
        visit.page.get_by_label("Find a node (English or 中文)").fill("<img")
        assert visit.evaluate("kgView.network.getSelectedNodes()") == [ID + "evil"]
        visit.screenshot(f"test-hostile-{page}-hovered")
        assert visit.dialogs == []
        assert visit.evaluate("window.__pwned") is None
        assert visit.page.locator("img, iframe, object, embed, a[href^='javascript']").count() == 0
        assert visit.errors == []


def test_the_reduced_large_view_opens(chromium, large_page) -> None:
    visit = load(chromium, large_page, "test-large-100k")
    assert visit.evaluate("kgView.visibleNodeCount()") <= NODE_BUDGET
    assert "more than its budget of 1,500" in visit.page.locator("#notice").inner_text()


def repository_pages() -> list[str]:
    return sorted(
        p.relative_to(REPOSITORY / "exports").as_posix() for p in (REPOSITORY / "exports").rglob("*.html")
    )


@pytest.mark.parametrize("name", repository_pages() or ["(none)"])
def test_the_views_in_the_repository_load_offline(chromium, name: str) -> None:
    if name == "(none)":
        pytest.skip("exports/ holds no views yet")
    page = REPOSITORY / "exports" / name
    drawn = "graph-data" in page.read_text(encoding="utf-8")
    visit = chromium.open(page, wait_for_view=drawn)
    visit.screenshot(f"exports-{name.removesuffix('.html')}")
    assert visit.blocked == [] and visit.errors == [] and visit.dialogs == []
    if drawn:
        data = page_data(page)
        assert visit.evaluate("[kgView.visibleNodeCount(), kgView.visibleEdgeCount()]") == [
            len(data["nodes"]),
            len(data["edges"]),
        ]
        assert_readable(visit, data)


def test_every_item_field_is_one_view_js_reads() -> None:
    """NodeItem and EdgeItem are the whole format Python hands to view.js: a field the script
    never reads is dead weight in every page, and a renamed one would silently stop drawing."""
    from dataclasses import fields

    from kg.views.model import EdgeItem, NodeItem, json_name
    from kg.views.style import TEMPLATES

    script = (TEMPLATES / "view.js").read_text(encoding="utf-8")
    for item in (NodeItem, EdgeItem):
        unread = [
            json_name(f.name) for f in fields(item) if not re.search(rf"\.{json_name(f.name)}\b", script)
        ]
        assert unread == [], f"{item.__name__} fields view.js never reads: {unread}"
    assert json_name("from_") == "from" and json_name("label_zh") == "labelZh"


# ---------------------------------------------------------------- time, failure, layout


def bundled_graph():
    return query_graph(open_store(None))


def test_every_months_world_is_the_as_of_world() -> None:
    """The slider's months hold exactly what `--as-of` gives on their last day."""
    if not bundled_dataset().exists():
        pytest.skip("no bundled dataset")
    graph = bundled_graph()
    net = project(graph)
    line = timeline(net)
    assert line.months[0] == "2013-01" and len(line.months) > 80
    worlds: dict[int, set] = {}
    for month, on in enumerate(line.days):
        world = project(graph, Filters(as_of=on))
        assert {n for n, runs in line.nodes.items() if alive_in(runs, month)} == set(world), on
        assert {k for k, runs in line.edges.items() if alive_in(runs, month)} == {
            k for *_, k in world.edges(keys=True)
        }, on
        cut = world_on(net, on)
        assert set(cut) == set(world) and set(cut.edges(keys=True)) == set(world.edges(keys=True)), on
        worlds.setdefault(line.world_of[month], set()).add(
            (frozenset(world), frozenset(k for *_, k in world.edges(keys=True)))
        )
    # Months that share a world (and so its failure impacts) hold the same nodes and links.
    assert all(len(held) == 1 for held in worlds.values()) and len(worlds) == len(line.starts)


def test_labels_wrap_between_words_only() -> None:
    assert (
        wrap("Cross-border retail import tax policy (2016)")
        == "Cross-border\nretail import tax\npolicy (2016)"
    )
    assert wrap("DirectPurchaseImport") == "DirectPurchaseImport"
    assert wrap("天猫国际") == "天猫国际"
    for label in ["a " * 40, "Super long-name-without-spaces-at-all and more words", "x"]:
        assert wrap(label).split() == label.split()


def test_index_states_the_folder_size_and_links_scenarios_and_timeline(exported: Path) -> None:
    text = (exported / "index.html").read_text(encoding="utf-8")
    files = list(exported.rglob("*.html"))
    total = sum(p.stat().st_size for p in files)
    assert f"This folder: {len(files):,} files, {total / 1e6:.1f} MB ({total:,} bytes)." in text
    assert 'href="timeline.html"' in text and 'href="scenarios/april-2016-reform.html"' in text


def test_participant_pages_in_the_repository_stay_under_600_kb() -> None:
    pages = list((REPOSITORY / "exports" / "participants").glob("*.html"))
    assert pages, "exports/participants is empty"
    assert max(p.stat().st_size for p in pages) < 600_000


def test_timeline_lists_dated_events_in_order_with_sources(exported: Path) -> None:
    text = (exported / "timeline.html").read_text(encoding="utf-8")
    rows = re.findall(
        r'<tr><td class="date">([^<]+)</td><td><span class="kind[^"]*">([^<]+)</span></td>'
        r"<td>(.*?)</td><td class=\"source\">(.*?)</td></tr>",
        text,
    )
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert ("2014", "founding", '<a href="participants/tmall-global.html">Tmall Global</a>') in [
        r[:3] for r in rows
    ]
    assert ("2019-09", "exit", '<a href="participants/kaola.html">NetEase Kaola</a>') in [r[:3] for r in rows]
    assert all(r[3] for r in rows) and "<script" not in text.lower()


OVERLAPS = """() => {
  const net = kgView.network;
  const ids = kgView.nodeView.getIds();
  const at = net.getPositions(ids);
  const items = ids.map((id) => {
    const body = net.body.nodes[id];
    const size = body.labelModule.size;
    const box = body.options.shape === "box" ? body.shape.boundingBox : null;
    const label = { left: size.left, top: size.top, right: size.left + size.width,
                    bottom: size.top + size.height };
    return { id, x: at[id].x, y: at[id].y, r: body.options.size, box, label: box || label,
             lines: body.labelModule.lines.length, text: body.options.label };
  });
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const disc = (d, r) => {
    const x = Math.max(r.left, Math.min(d.x, r.right)), y = Math.max(r.top, Math.min(d.y, r.bottom));
    return (x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2;
  };
  const clashes = [];
  items.forEach((a, i) => items.forEach((b, j) => {
    if (i === j) return;
    const apart = Math.hypot(a.x - b.x, a.y - b.y);
    if (i < j && !a.box && !b.box && apart < a.r + b.r) clashes.push(["nodes", a.id, b.id]);
    if (!a.box && disc(a, b.label)) clashes.push(["node on label", a.id, b.id]);
    if (i < j && hit(a.label, b.label)) clashes.push(["labels", a.id, b.id]);
  }));
  const widths = items.map((it) => it.label.right - it.label.left);
  const drawn = items.map(({ id, lines, text }) => ({ id, lines, text }));
  return { clashes, items: drawn, narrowest: Math.min(...widths) };
}"""


def assert_readable(visit, data: dict) -> None:
    """No node disc on another's, nor on another's label; no two labels on each other; every
    label drawn in the lines Python broke it into, between words."""
    found = visit.evaluate(OVERLAPS)
    assert found["clashes"] == [], found["clashes"][:5]
    assert found["narrowest"] > 0
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    for item in found["items"]:
        assert item["lines"] == item["text"].count("\n") + 1, item
        assert item["text"].split() == labels[item["id"]].split(), item


@pytest.mark.parametrize("view", MAIN_VIEWS + ["participants/tmall-global", "participants/mia"])
def test_no_node_or_label_lies_on_another(chromium, exported, view: str) -> None:
    # The views in the repository are checked the same way as they load (below).
    page = exported / f"{view}.html"
    assert_readable(load(chromium, page, f"readable-{view}"), page_data(page))


def test_unlinked_nodes_are_grouped_under_a_heading(chromium) -> None:
    page = REPOSITORY / "exports" / "ecosystem.html"
    data = page_data(page)
    linked = {e["from"] for e in data["edges"]} | {e["to"] for e in data["edges"]}
    lone = [n for n in data["nodes"] if n["id"] not in linked]
    assert lone, "the bundled ecosystem has unlinked pilot zones"
    [heading] = data["annotations"]
    assert heading["text"] == f"Linked to nothing in this view ({len(lone)})"
    assert all(n["y"] > heading["y"] for n in lone)
    assert all(n["y"] < heading["y"] for n in data["nodes"] if n["id"] in linked)
    load(chromium, page, "ecosystem-unlinked")


def set_slider(visit, month: int | None) -> None:
    visit.evaluate(
        """(m) => { const s = document.getElementById('month'); s.value = String(m === null ? s.max : m);
        s.dispatchEvent(new Event('input')); }""",
        month,
    )


@pytest.mark.parametrize("view", ["ecosystem", "trade", "regulation"])
def test_the_slider_shows_the_world_of_each_month(chromium, view: str) -> None:
    page = REPOSITORY / "exports" / f"{view}.html"
    graph = bundled_graph()
    visit = load(chromium, page, f"slider-{view}")
    days = visit.evaluate("kgView.months()")
    assert days[0] == "2013-01-31"
    on_page = {n["id"] for n in page_data(page)["nodes"]}
    counts = {}
    for day in ["2014-06-30", days[-1]]:
        set_slider(visit, days.index(day))
        shown = set(visit.evaluate("kgView.nodeView.getIds()"))
        world = {compact(n) for n in project(graph, Filters(as_of=day))}
        assert not shown - world, f"{sorted(shown - world)[:5]} are shown on {day} outside their lifetime"
        assert shown == on_page & world, day
        counts[day] = len(shown)
        assert visit.page.locator("h1").inner_text().endswith(f"as of {day}")
        visit.screenshot(f"slider-{view}-{day}")
    assert counts["2014-06-30"] < counts[days[-1]]
    before = visit.evaluate("kgView.network.getPositions()")
    set_slider(visit, None)
    assert visit.evaluate("kgView.visibleNodeCount()") == len(on_page)
    after = visit.evaluate("kgView.network.getPositions()")
    assert before and all(after[n] == xy for n, xy in before.items())


def panel(visit) -> dict[str, str]:
    """The participants the "if this fails" panel names, with the round (0: only in some draws)."""
    return dict(
        visit.page.locator("#impact li[data-node]").evaluate_all(
            "items => items.map(li => [li.querySelector('strong').textContent, li.dataset.round])"
        )
    )


def test_selecting_a_provider_lists_whom_its_failure_fells(chromium, exported, store_file) -> None:
    from kg.api import KnowledgeGraph

    latest = timeline(project(query_graph(TurtleStore(store_file)))).days[-1]
    findings = KnowledgeGraph(TurtleStore(store_file)).chokepoints(kinds=["impact"], as_of=latest)
    # Sequoia provides Mia's capital; Acme Baby sells through Mia.
    sequoia = next(f for f in findings if f.node == CBR + "sequoia")
    net = project(query_graph(TurtleStore(store_file)))
    fallen = {net.nodes[n]["label"] for n in sequoia.participants}
    assert fallen == {"Mia", "Acme Baby"}
    visit = load(chromium, exported / "ecosystem.html", "impact-sequoia")
    visit.page.get_by_label("Find a node (English or 中文)").fill("Sequoia")
    named = panel(visit)
    assert {name for name, round_ in named.items() if round_ != "0"} == fallen
    assert "fall" in visit.page.locator("#impact-text").inner_text()
    lit = visit.evaluate(
        "kgView.edges.get().filter(e => e.color.color === '#c00000').map(e => [e.from, e.to])"
    )
    assert ["cbr:mia", "cbr:sequoia"] in lit and ["cbr:acme-baby", "cbr:mia"] in lit
    visit.screenshot("impact-sequoia-selected")
    visit.page.get_by_role("button", name="Clear").click()
    assert visit.page.locator("#impact").is_hidden()
    assert visit.evaluate("kgView.edges.get().filter(e => e.color.color === '#c00000').length") == 0


def test_the_panel_says_an_exited_participant_cannot_fail(chromium, exported) -> None:
    for page in ["participants/kaola.html", "ecosystem.html"]:
        visit = load(chromium, exported / page, f"impact-exited-{page}")
        assert visit.evaluate("kgView.showImpact('cbr:kaola')") == []
        text = visit.page.locator("#impact-text").inner_text()
        assert text.startswith("NetEase Kaola does not take part on 2019-09-30, so it cannot fail then")


def test_the_panel_agrees_with_the_impact_findings_of_the_bundled_graph(chromium) -> None:
    from kg.api import KnowledgeGraph

    # The panel at "all dates" shows the latest month of the data.
    latest = timeline(project(bundled_graph())).days[-1]
    graph = KnowledgeGraph(open_store(None))
    findings = [f for f in graph.chokepoints(kinds=["impact"], as_of=latest) if f.participants]
    net = project(bundled_graph())
    visit = load(chromium, REPOSITORY / "exports" / "ecosystem.html", "impact-bundled")
    for finding in findings[:6]:
        shown = visit.evaluate(f"kgView.showImpact({json.dumps(compact(finding.node))})")
        named = panel(visit)
        assert {n for n, r in named.items() if r != "0"} == {
            net.nodes[n]["label"] for n in finding.participants
        }
        assert sorted(shown) == sorted(named)
    visit.screenshot("impact-bundled-last")


def test_scenario_pages_show_every_failure_of_the_scenario(chromium) -> None:
    folder = REPOSITORY / "exports" / "scenarios"
    pages = sorted(folder.glob("*.html"))
    assert pages
    net = project(bundled_graph())
    for page in pages:
        result = CliRunner().invoke(cli, ["simulate", "--scenario", page.stem, "--format", "json"])
        visit = chromium.open(page, wait_for_view=False)
        visit.screenshot(f"scenario-{page.stem}")
        assert visit.blocked == [] and visit.errors == []
        if result.exit_code:
            # A shock that hits nothing on its date: the page says so, in the CLI's words.
            problem = result.output.removeprefix("Error: ").strip()
            assert "hits nothing" in problem
            assert visit.page.locator(".notice").inner_text() == f"No effect: {problem}"
            continue
        failed = json.loads(result.output)["failed"]
        rows = visit.page.locator("table.failed tr").all_inner_texts()[1:]
        assert [r.split("\t")[0] for r in rows] == [net.nodes[f["node"]]["label"] for f in failed]
        for row, f in zip(rows, failed, strict=True):
            assert row.split("\t")[1] == str(f["round"]) and f["causes"][0] in row
            assert re.search(r"\b\d+%", row)
        assert visit.page.locator(".bar .fill").count() >= len(failed)


def test_timeline_and_scenario_pages_run_no_script(chromium, hostile) -> None:
    visit = chromium.open(hostile / "timeline.html", wait_for_view=False)
    visit.screenshot("hostile-timeline")
    assert XSS_LABEL in visit.page.locator("table.timeline").inner_text()
    assert visit.evaluate("window.__pwned") is None and visit.dialogs == [] and visit.errors == []
    assert visit.page.locator("script, img").count() == 0
    visit = chromium.open(hostile / "scenarios/evil.html", wait_for_view=False)
    visit.screenshot("hostile-scenario")
    assert visit.page.locator("h1").inner_text() == f"Scenario: {XSS_TITLE}"
    assert f"remove {XSS_LABEL}" in visit.page.locator("body").inner_text()
    assert visit.evaluate("window.__pwned") is None and visit.dialogs == [] and visit.errors == []
    assert visit.page.locator("script, img, iframe, a[href^='javascript']").count() == 0

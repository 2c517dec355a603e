"""Attacks: SPARQL injection, queries that reach for the network, and export paths that
lead out of their folder are refused; the only network is 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import snapshot
from tests.hardening import CBR, error_line, run, write

# ---------------------------------------------------------------- attacks: SPARQL injection


HOSTILE_STRINGS = [
    'x" } ; DROP ALL ; #',
    "x' } UNION { ?source ?p ?title } #",
    '") } UNION { ?source ?p ?title } #',
    'a\\" } #\n} INSERT DATA { <http://x/s> <http://x/p> <http://x/o> } #',
]


def test_param_values_are_bound_never_pasted(store_spec: str, tmp_path: Path) -> None:
    for i, text in enumerate(HOSTILE_STRINGS):
        assert run(store_spec, "add", "source", f"cbr:source-hostile-{i}", "--title", text).exit_code == 0
    before = snapshot(store_spec)
    titles = write(tmp_path, "titles.rq", "SELECT ?title ?source WHERE { ?source dcterms:title ?title }\n")
    for i, text in enumerate(HOSTILE_STRINGS):
        result = run(store_spec, "query", str(titles), "--param", f"title={text}", "--format", "json")
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)["results"]["bindings"]
        assert [r["source"]["value"] for r in rows] == [CBR + f"source-hostile-{i}"], (text, rows)
        deps = run(
            store_spec, "query", "dependencies-of", "--param", f"participant={text}", "--format", "json"
        )
        assert deps.exit_code == 0 and json.loads(deps.output)["results"]["bindings"] == [], deps.output
    for value, message in {
        "<http://x/> } UNION { ?s ?p ?o": "Error: '<http://x/> } UNION { ?s ?p ?o' is neither a full IRI nor",
        "<http://x/>}UNION{?s?p?o}": "Error: '<http://x/>}UNION{?s?p?o}' is neither a full IRI nor",
        "cbr:mi-tao> } UNION { ?s ?p ?o": (
            f"Error: '{CBR}mi-tao> }} UNION {{ ?s ?p ?o' is not a valid IRI: it contains '>'"
        ),
        "http://x/>}UNION{?s?p?o}": "Error: 'http://x/>}UNION{?s?p?o}' is not a valid IRI: it contains '>'",
        "<javascript:alert(1)>": "Error: 'javascript:alert(1)' has scheme 'javascript'",
    }.items():
        result = run(store_spec, "query", "dependencies-of", "--param", f"participant={value}")
        assert result.exit_code == 1 and error_line(result).startswith(message), result.output
    for param in ("x) } DROP ALL { (?y=1", "?s ?p ?o } #=1", "=x"):
        result = run(store_spec, "query", "dependencies-of", "--param", param)
        assert (
            error_line(result) == f"Error: --param '{param}' must be name=value, e.g. participant=cbr:mi-tao"
        )
    assert snapshot(store_spec) == before


HOSTILE_ARGUMENTS = {
    "cbr:mi-tao> } UNION { ?s ?p ?o": (
        f"Error: '{CBR}mi-tao> }} UNION {{ ?s ?p ?o' is not a valid IRI: it contains '>'"
    ),
    "<https://w3id.org/cbec/resource/mi-tao> } UNION { ?s ?p ?o }": (
        "Error: '<https://w3id.org/cbec/resource/mi-tao> } UNION"
    ),
    'x" } ; DROP ALL ; #': "Error: 'x\" } ; DROP ALL ; #' is neither a full IRI nor a prefixed name",
    "?e": "Error: '?e' is neither a full IRI nor a prefixed name",
    "_:b0": "Error: '_:b0' is neither a full IRI nor a prefixed name",
    "cbr:x\\#": f"Error: '{CBR}x\\#' is not a valid IRI: it contains '\\\\'",
    "<urn:x>": "Error: <urn:x> is not in the store",
}


def test_hostile_arguments_to_generated_queries_change_nothing(store_spec: str) -> None:
    before = snapshot(store_spec)
    for argument, message in HOSTILE_ARGUMENTS.items():
        result = run(store_spec, "show", argument)
        assert result.exit_code == 1 and error_line(result).startswith(message), (argument, result.output)
    assert snapshot(store_spec) == before


def test_hostile_arguments_to_the_analyses_change_nothing(kg, store_path: Path) -> None:
    before = store_path.read_bytes()
    for argument in HOSTILE_ARGUMENTS:
        for args in (
            ["simulate", "--remove", argument],
            ["analyze", "chokepoints", "--from", argument, "--to", "cbec:Platform"],
        ):
            result = run(store_path, *args)
            assert result.exit_code == 1 and error_line(result), (args, result.output)
    assert store_path.read_bytes() == before


UPDATES = [
    "INSERT DATA { cbr:x rdfs:label 'x'@en }",
    "insert data { cbr:x rdfs:label 'x'@en }",
    "DELETE DATA { cbr:mi-tao a cbec:VerticalPlatform }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/cbec/data> DELETE { ?s ?p ?o } INSERT { ?s ?p 'x' } WHERE { ?s ?p ?o }",
    "DROP ALL",
    "DROP SILENT DEFAULT",
    "CLEAR DEFAULT",
    "CLEAR GRAPH <https://w3id.org/cbec/ontology>",
    "CREATE GRAPH <http://x/g>",
    "ADD DEFAULT TO <http://x/g>",
    "COPY DEFAULT TO <http://x/g>",
    "MOVE DEFAULT TO <http://x/g>",
    "PREFIX ex: <http://x/>\nINSERT DATA { ex:a ex:b ex:c } ;\nDELETE DATA { ex:a ex:b ex:c }",
]
READ_ONLY = "Error: this is a SPARQL update and query files run read-only; pass --update to change the store"


def test_query_files_with_updates_are_refused_without_update(store_spec: str, tmp_path: Path) -> None:
    before = snapshot(store_spec)
    for i, text in enumerate(UPDATES):
        result = run(store_spec, "query", str(write(tmp_path, f"update-{i}.rq", text + "\n")))
        assert result.exit_code == 1 and error_line(result) == READ_ONLY, (text, result.output)
    assert snapshot(store_spec) == before


def test_an_update_with_a_subquery_is_refused_without_update(store_spec: str, tmp_path: Path) -> None:
    """Fixed in 5d7d2bb: an update holding a SELECT was taken for a query, and on a SPARQL endpoint
    Virtuoso ran it (no --update, no validation) before kg died on its callret-0 column."""
    before = snapshot(store_spec)
    text = (
        "INSERT { GRAPH <https://w3id.org/cbec/data> { cbr:x rdfs:label 'injected'@en } } "
        "WHERE { { SELECT * WHERE { } } }\n"
    )
    result = run(store_spec, "query", str(write(tmp_path, "hidden.rq", text)))
    changed = snapshot(store_spec) != before
    assert not changed, "the update ran"
    assert result.exit_code == 1 and error_line(result) == READ_ONLY, result.output


# ---------------------------------------------------------------- attacks: the network


@contextlib.contextmanager
def listener(seconds: float = 60) -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on 127.0.0.1 recording the first bytes of every connection, for ``seconds``."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    connections: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    connections.append(conn.recv(200) or b"(connected)")
                except OSError:
                    connections.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/", connections
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def network_attempts(url: str) -> dict[str, tuple[str, list[str], str]]:
    service = "Error: SERVICE is refused: kg queries never reach the network"
    load = "Error: LOAD is refused: kg queries never reach the network; use `kg import`"
    from_ = "Error: FROM / FROM NAMED is refused: queries run over the store's own graph; remove the clause"
    return {
        "SERVICE": (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", [], service),
        "service silent": (f"select * where {{ service silent <{url}sparql> {{ ?s ?p ?o }} }}", [], service),
        "SERVICE ?var": (
            f"SELECT * WHERE {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ ?s ?p ?o }} }}",
            [],
            service,
        ),
        "SERVICE in an update": (
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
            ["--update"],
            service,
        ),
        "LOAD": (f"LOAD <{url}data.ttl>", ["--update"], load),
        "LOAD INTO GRAPH": (f"LOAD SILENT <{url}data.ttl> INTO GRAPH <http://x/g>", ["--update"], load),
        "LOAD without --update": (f"LOAD <{url}data.ttl>", [], load),
        "FROM": (f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", [], from_),
        "FROM NAMED": (f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", [], from_),
    }


def test_service_load_and_from_never_reach_the_network(store_spec: str, tmp_path: Path) -> None:
    before = snapshot(store_spec)
    with listener() as (url, connections):
        for i, (name, (text, flags, message)) in enumerate(network_attempts(url).items()):
            result = run(store_spec, "query", str(write(tmp_path, f"net-{i}.rq", text + "\n")), *flags)
            assert result.exit_code == 1 and error_line(result) == message, (name, result.output)
            assert connections == [], (name, connections)
        describe = run(store_spec, "query", str(write(tmp_path, "describe.rq", f"DESCRIBE <{url}>\n")))
        assert describe.exit_code == 0, describe.output  # answered from the store, not fetched
        time.sleep(0.2)
        assert connections == []
    assert snapshot(store_spec) == before


ESCAPED_LOCAL_NAMES = {
    # Oxigraph reads cbr:x\# and cbr:x\' as prefixed names (SPARQL's PN_LOCAL_ESC); kg's check
    # reads the first as the start of a comment and the second as the start of a string.
    "SERVICE after cbr:x\\#": (
        "SELECT * WHERE {{ BIND(cbr:x\\# AS ?z) SERVICE <{url}> {{ ?s ?p ?o }} }}",
        [],
        "SERVICE",
    ),
    "SERVICE after cbr:x\\'": (
        "SELECT * WHERE {{ BIND(cbr:x\\' AS ?z) SERVICE <{url}> {{ ?s ?p ?o }} BIND('a' AS ?w) }}",
        [],
        "SERVICE",
    ),
    "LOAD after cbr:x\\#": (
        "INSERT DATA {{ cbr:x rdfs:seeAlso cbr:y\\# }} ; LOAD <{url}data.ttl>",
        ["--update"],
        "LOAD",
    ),
    "FROM after cbr:x\\#": ("SELECT (cbr:x\\# AS ?z) FROM <{url}> WHERE {{ ?s ?p ?o }}", [], "FROM"),
}


@pytest.mark.parametrize(
    ("attack", "store_spec"),
    # updates run on Turtle stores only (`kg query --update`), so LOAD is tried there
    [
        (a, b)
        for a in ESCAPED_LOCAL_NAMES
        for b in ("turtle", "oxigraph")
        if not (a.startswith("LOAD") and b != "turtle")
    ],
    indirect=["store_spec"],
)
def test_escaped_local_names_cannot_hide_service_load_or_from(
    store_spec: str, tmp_path: Path, attack: str
) -> None:
    template, flags, keyword = ESCAPED_LOCAL_NAMES[attack]
    before = snapshot(store_spec)
    with listener() as (url, connections):
        result = run(
            store_spec, "query", str(write(tmp_path, "hidden.rq", template.format(url=url) + "\n")), *flags
        )
        time.sleep(0.1)
        reached = list(connections)
    outcome = (result.exit_code, result.output, repr(result.exception))
    del result  # an Oxigraph store stays open while a traceback holds it
    assert reached == [], f"{keyword} reached the network: {reached}"
    assert outcome[0] == 1 and outcome[1].startswith(f"Error: {keyword}"), outcome
    assert snapshot(store_spec) == before


@pytest.mark.parametrize("store_spec", ["virtuoso"], indirect=True)
def test_vendor_functions_never_reach_the_network(store_spec: str, tmp_path: Path) -> None:
    with listener() as (url, connections):
        text = f'SELECT (bif:http_get("{url}x") AS ?page) WHERE {{ }}\n'
        result = run(store_spec, "query", str(write(tmp_path, "bif.rq", text)))
        time.sleep(0.2)
        assert connections == [], connections
    assert result.exit_code == 1 and error_line(result).startswith("Error: "), result.output


# ---------------------------------------------------------------- attacks: export paths


def test_export_html_writes_only_where_out_points(kg, store_path: Path, tmp_path: Path, monkeypatch) -> None:
    """`--out ../views` is the user's own choice of folder: kg writes there and nowhere else."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = kg("export", "html", "--view", "index", "--out", "../views")
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        ["views/index.html", store_path.name] + [p.name for p in tmp_path.glob("store.ttl.*")]
    )


def test_export_html_refuses_view_names_that_climb_out(kg, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in [
        "..",
        "../index",
        "participants/..",
        "participants/../../../etc/passwd",
        "participants/tmall-global/../../x",
        "participants/%2e%2e",
        "participants/..\\..\\x",
        "participants/.hidden",
        "/tmp/x",
    ]:
        result = kg("export", "html", "--view", name, "--out", str(out))
        assert result.exit_code == 1 and result.output.startswith(
            f"Error: unknown view '{name}'; choose one of"
        ), (
            name,
            result.output,
        )
    assert not any(tmp_path.rglob("*.html"))


def test_export_html_never_writes_through_a_symlink(kg, tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside.html"
    out.mkdir()
    outside.write_text("mine")
    link = out / "index.html"
    link.symlink_to(outside)
    for force in ([], ["--force"]):
        result = kg("export", "html", "--view", "index", "--out", str(out), *force)
        assert result.exit_code == 1
        assert (
            result.output
            == f"Error: {link} is a symbolic link; kg does not write through links: choose another path\n"
        )
    assert outside.read_text() == "mine"


def test_rdf_exports_refuse_existing_files_and_symlinks(kg, tmp_path: Path) -> None:
    mine = tmp_path / "mine.ttl"
    mine.write_text("mine")
    link, dangling = tmp_path / "link.ttl", tmp_path / "dangling.ttl"
    link.symlink_to(mine)
    dangling.symlink_to(tmp_path / "nowhere.ttl")
    for fmt in ("ttl", "nt", "jsonld", "graphml"):
        assert (
            kg("export", fmt, "--out", str(mine)).output
            == f"Error: {mine} exists; pass --force to overwrite it\n"
        )
        for target in (link, dangling):
            for force in ([], ["--force"]):
                result = kg("export", fmt, "--out", str(target), *force)
                assert result.output == (
                    f"Error: {target} is a symbolic link; kg does not write through links: "
                    "choose another path\n"
                ), result.output
    assert mine.read_text() == "mine" and not (tmp_path / "nowhere.ttl").exists()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = kg("export", "ttl", "--out", str(folder), "--force")
    assert result.exit_code == 1 and result.output == (
        f"Error: {folder} is in the way and is not a file; move it away or choose another path\n"
    )


def test_csv_export_refused_writes_nothing(kg, tmp_path: Path) -> None:
    """Fixed in 5d7d2bb: nodes.csv used to be written before edges.csv was found to be a symlink."""
    out, outside = tmp_path / "tables", tmp_path / "outside.csv"
    out.mkdir()
    outside.write_text("mine")
    (out / "edges.csv").symlink_to(outside)
    result = kg("export", "csv", "--out", str(out))
    assert (
        result.output == f"Error: {out / 'edges.csv'} is a symbolic link; kg does not write through links: "
        "choose another path\n"
    )
    assert outside.read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["edges.csv"]


# ---------------------------------------------------------------- attacks: CSV (formula) injection

FORMULAS = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\tTabbed",
    "\rReturned",
]


def test_formula_cells_are_neutralised_in_the_spreadsheet_export(any_kg, tmp_path: Path) -> None:
    """OWASP's CSV injection rule, on every backend: a label a spreadsheet would run gets a
    leading apostrophe in `kg export csv`; `kg query --format csv` stays the W3C format."""
    import csv

    assert any_kg("add", "source", "cbr:source-formula", "--title", "Formula notes").exit_code == 0
    for i, label in enumerate(FORMULAS):
        result = any_kg(
            "add",
            "entity",
            f"cbr:formula-{i}",
            "--type",
            "cbec:Platform",
            "--label",
            label,
            "--source",
            "cbr:source-formula",
        )
        assert result.exit_code == 0, result.output
    assert any_kg("export", "csv", "--out", str(tmp_path / "tables")).exit_code == 0
    with open(tmp_path / "tables" / "nodes.csv", newline="", encoding="utf-8") as handle:
        labels = {row["id"]: row["label"] for row in csv.DictReader(handle)}
    for i, label in enumerate(FORMULAS):
        assert labels[CBR + f"formula-{i}"] == "'" + label
    raw = any_kg("query", "SELECT ?l { cbr:formula-0 rdfs:label ?l }", "--format", "csv").output
    assert raw.splitlines()[1] == '"=HYPERLINK(""http://evil.example/x"",""click"")"'

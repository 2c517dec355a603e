"""The `kg` command line: parse arguments, make one library call, print the answer.

Each command imports the part of the library it calls when it runs, so that `kg --help` and a
mistyped option cost click's start-up, not the whole library's.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kg import __version__
from kg.errors import KgError, KgWarning

if TYPE_CHECKING:
    from kg.api import KnowledgeGraph

# Library parameters whose command-line option is spelled differently.
OPTION_ALIASES = {"thresholds": "sweep_threshold"}


def option_names(ctx: click.Context) -> dict[str, str]:
    """Each option of the command and its parents by its Python name (as_of -> --as-of)."""
    names: dict[str, str] = {}
    while ctx is not None:
        for param in ctx.command.params:
            if isinstance(param, click.Option):
                flag = max(param.opts, key=len)
                names.setdefault(param.name, flag)
                names.setdefault(flag.lstrip("-").replace("-", "_"), flag)
        ctx = ctx.parent
    return names


def flagged(message: str, ctx: click.Context) -> str:
    """Library errors name parameters as `as_of`; on the command line they are --as-of."""
    names = option_names(ctx)

    def flag(match: re.Match) -> str:
        name = OPTION_ALIASES.get(match.group(1), match.group(1))
        return names.get(name, match.group(0))

    return re.sub(r"`([a-z][a-z_]*)`", flag, message)


@contextlib.contextmanager
def warnings_printed(ctx: click.Context) -> Iterator[None]:
    """Library warnings as `Warning: ...` lines on stderr, each as it is issued (so before the
    results), naming the command's own options; other warnings as Python shows them."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", KgWarning)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            if issubclass(category, KgWarning):
                click.echo(f"Warning: {flagged(str(message), ctx)}", err=True)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


class PrintsErrors:
    """Prints library errors as `Error: ...` and warnings as `Warning: ...`, naming the
    command's own options; exits 1 on an error."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings_printed(ctx):
                return super().invoke(ctx)
        except KgError as exc:
            click.echo(f"Error: {flagged(str(exc), ctx)}", err=True)
            ctx.exit(1)


class KgCommand(PrintsErrors, click.Command):
    pass


class KgGroup(PrintsErrors, click.Group):
    command_class = KgCommand


KgGroup.group_class = KgGroup


def graph_of(ctx: click.Context) -> KnowledgeGraph:
    """The store of --store (or $KG_STORE), open until the command ends."""
    from kg.api import open as open_graph

    graph = open_graph(ctx.find_root().obj.get("store"))
    ctx.call_on_close(graph.close)
    return graph


def lang_option(default: str | None, what: str):
    """--lang en|zh: which language's labels ``what`` shows (Chinese falls back to English)."""
    shown = f" (default: {default})" if default else ""
    return click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default=default,
        help=f"Labels in this language{shown}: {what}; zh falls back to English, e.g. --lang zh.",
    )


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="KG_STORE",
    metavar="PATH",
    help="The store: a .ttl file, oxigraph:PATH or an http(s) SPARQL endpoint; "
    "default: $KG_STORE, else the bundled dataset.",
)
@click.version_option(__version__, prog_name="kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """kg: a knowledge graph of China's import cross-border e-commerce ecosystem.

    \b
    Example:
      kg query participants-by-series --format table
    """
    ctx.obj = {"store": store}


@cli.command()
@click.option(
    "--exports",
    type=click.Path(file_okay=False),
    help="Folder for the HTML views; '-' writes none; default: exports/ beside the store.",
)
@click.pass_context
def report(ctx: click.Context, exports: str | None) -> None:
    """The main job: validate, summarise, find chokepoints, replay the 2016 policies, write the views.

    \b
    Example:
      kg report --exports exports
    """
    from kg import reports

    text, ok = reports.main_report(graph_of(ctx), exports)
    click.echo(flagged(text, ctx))  # its notes name parameters, as errors do
    ctx.exit(0 if ok else 1)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--empty", is_flag=True, help="Start with no data instead of the bundled dataset.")
def init(path: str, empty: bool) -> None:
    """Create a new store at PATH, seeded with the bundled dataset.

    \b
    Example:
      kg init my-store.ttl && export KG_STORE=my-store.ttl
    """
    from kg.stores import init_store

    store = init_store(path, empty=empty)
    click.echo(f"created {'an empty' if empty else 'a seeded'} store at {store.location}")


@cli.group(cls=KgGroup)
def add() -> None:
    """Add an entity, a link or a source.

    \b
    Example:
      kg add link cbr:kaola cbec:shipsVia cbr:cainiao --weight 0.6 --criticality medium \\
          --confidence low --source cbr:source-market-analysis
    """


@add.command("entity")
@click.argument("iri")
@click.option("--type", "types", multiple=True, required=True, help="Class, e.g. cbec:Platform (repeatable).")
@click.option("--label", required=True, help="English name.")
@click.option("--label-zh", help="Chinese name.")
@click.option("--comment", help="A sentence on what it is (English).")
@click.option("--series", help="Market series, e.g. cbec:PlatformSeries.")
@click.option("--status", help="cbec:Active or cbec:Exited.")
@click.option("--exit-date", help="When it left the market: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--founded", help="Founding date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--launched", help="Launch date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--source", "sources", multiple=True, required=True, help="A cbec:Source (repeatable).")
@click.pass_context
def add_entity(ctx: click.Context, iri: str, **options) -> None:
    """Add an entity, or new facts about an existing one.

    \b
    Example:
      kg add entity cbr:kaola --type cbec:SelfOperatedPlatform --label "NetEase Kaola" \\
          --label-zh 网易考拉 --series cbec:PlatformSeries --source cbr:source-nzte-kaola
    """

    types, sources = options.pop("types"), options.pop("sources")
    click.echo(graph_of(ctx).add_entity(iri, type=types, source=sources, **options).message)


@add.command("link")
@click.argument("subject")
@click.argument("predicate")
@click.argument("object")
@click.option("--weight", help="0 to 1: how much SUBJECT relies on OBJECT (dependencies).")
@click.option("--criticality", help="high, medium or low (dependencies).")
@click.option("--confidence", required=True, help="high, medium or low: how sure the source is.")
@click.option("--source", "sources", multiple=True, required=True, help="A cbec:Source (repeatable).")
@click.option("--chain", help="Chain concept; default: the property's own chain.")
@click.option("--paragraph", type=int, help="Paragraph of the source document.")
@click.option("--rationale", help="Why this weight and criticality.")
@click.option("--start", help="Start date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--end", help="End date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--comment", help="A note on the link (English).")
@click.pass_context
def add_link(ctx: click.Context, subject: str, predicate: str, object: str, **options) -> None:  # noqa: A002
    """Add a link: the direct triple and its statement node, together.

    \b
    Example:
      kg add link cbr:kaola cbec:shipsVia cbr:cainiao --weight 0.6 --criticality medium \\
          --confidence low --source cbr:source-market-analysis
    """

    sources = options.pop("sources")
    click.echo(graph_of(ctx).add_link(subject, predicate, object, source=sources, **options).message)


@add.command("source")
@click.argument("iri")
@click.option("--title", required=True, help="Title of the document.")
@click.option("--url", help="Where it can be read (http or https).")
@click.option("--date", help="Publication date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--publisher", help="Who published it.")
@click.pass_context
def add_source(ctx: click.Context, iri: str, **options) -> None:
    """Add a source document that facts can cite.

    \b
    Example:
      kg add source cbr:source-pymnts-kaola --title "Alibaba buys Kaola" \\
          --url https://www.pymnts.com/ --date 2019-09-06
    """

    click.echo(graph_of(ctx).add_source(iri, **options).message)


@cli.group(cls=KgGroup)
def remove() -> None:
    """Remove an entity with its links, or one link.

    \b
    Example:
      kg remove link cbr:kaola cbec:shipsVia cbr:cainiao
    """


@remove.command("entity")
@click.argument("iri")
@click.pass_context
def remove_entity(ctx: click.Context, iri: str) -> None:
    """Remove an entity and every link it takes part in.

    \b
    Example:
      kg remove entity cbr:retail-hypermarket-unnamed
    """

    click.echo(graph_of(ctx).remove_entity(iri).message)


@remove.command("link")
@click.argument("subject")
@click.argument("predicate")
@click.argument("object")
@click.pass_context
def remove_link(ctx: click.Context, subject: str, predicate: str, object: str) -> None:  # noqa: A002
    """Remove one link: its direct triple and its statement nodes.

    \b
    Example:
      kg remove link cbr:kaola cbec:shipsVia cbr:cainiao
    """

    click.echo(graph_of(ctx).remove_link(subject, predicate, object).message)


@cli.command()
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@lang_option(None, "the entity's and its link ends' names beside their IRIs")
@click.pass_context
def show(ctx: click.Context, name: str, fmt: str, lang: str | None) -> None:
    """Show what the graph says about one entity: facts, links and claims.

    NAME is an IRI or prefixed name, or the entity's label in English or Chinese or one of its
    alternative labels (any case); a label two entities share lists both.

    \b
    Example:
      kg show cbr:mi-tao
      kg show "Tmall Global" --lang zh
      kg show 天猫国际
    """
    from kg.queries import describe_text

    description = graph_of(ctx).describe(name, lang=lang)
    click.echo(
        json.dumps(description, ensure_ascii=False, indent=2) if fmt == "json" else describe_text(description)
    )


@cli.command()
@click.argument("text")
@click.option(
    "--class", "klass", metavar="CLASS", help="Only this class and its subclasses, e.g. cbec:Platform."
)
@click.option("--limit", default=20, show_default=True, help="How many entities to list (0: all), e.g. 5.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@lang_option("en", "the label column")
@click.pass_context
def search(ctx: click.Context, text: str, klass: str | None, limit: int, fmt: str, lang: str) -> None:
    """Find entities by name: English or Chinese label, alternative label or id, best first.

    Exact matches come first, then names starting with TEXT, then names with a word starting
    with it, then names containing it, then near spellings; case, spaces and hyphens do not
    count, so "tmall global", "tmall-global" and "Tmall" all find Tmall Global.

    \b
    Example:
      kg search tmall
      kg search 天猫 --lang zh
      kg search bonded --class cbec:Zone --limit 5 --format json
    """
    from kg import reports

    click.echo(reports.search_report(graph_of(ctx), text, klass=klass, limit=limit, fmt=fmt, lang=lang))


@cli.command()
@click.argument("query")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a variable (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table",
    help="csv, tsv and json are the W3C SPARQL results formats, every value as the store holds it "
    "(not made safe for spreadsheets: `kg export csv` is).",
)
@click.option("--update", is_flag=True, help="Allow a SPARQL update to change the store.")
@click.option(
    "--timeout",
    type=float,
    help="Seconds the query may run before it is stopped (default: KG_QUERY_TIMEOUT, else 60; 0: no limit).",
)
@lang_option(
    None,
    "a column named label takes the label of the nearest IRI to its left in the row, a column "
    "xLabel that of column x (default: as the query gives them)",
)
@click.pass_context
def query(
    ctx: click.Context,
    query: str,
    params: tuple[str, ...],
    fmt: str,
    update: bool,
    timeout: float | None,
    lang: str | None,
) -> None:
    """Run a bundled query by name, or a .rq file by path.

    Values given with --param are bound to the query's variables, never pasted into it:
    cbr:x or <https://...> is an IRI; 42, 0.5 and 2016-04-08 are numbers and dates;
    anything else is a string. An IRI bound or written in the query that names nothing in the
    store (a cbec: term the ontology does not declare) gets a warning with the closest known
    name; the query still runs.

    \b
    Example:
      kg query dependencies-of --param participant=cbr:mi-tao --format json
      kg query competitors-of --param participant=cbr:jd-worldwide --lang zh
      kg query my-query.rq --timeout 300
    """

    result = graph_of(ctx).query(query, update=update, params=params, lang=lang, timeout=timeout)
    click.echo(result.render(fmt), nl=fmt in ("table", "json"))


@cli.command()
def queries() -> None:
    """List the bundled queries with the question each answers.

    \b
    Example:
      kg queries
    """
    from kg.queries import bundled_queries, queries_text

    click.echo(queries_text(bundled_queries()))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--engine",
    type=click.Choice(["kg", "pyshacl"]),
    default="kg",
    show_default=True,
    help="kg: every shape as SPARQL on Oxigraph; pyshacl: the reference engine (slow on big graphs).",
)
@click.pass_context
def validate(ctx: click.Context, fmt: str, engine: str) -> None:
    """Validate the store (SHACL and known terms); exit 1 on violations.

    \b
    Example:
      kg --store my-store.ttl validate
    """

    report = graph_of(ctx).validate(engine)
    click.echo(report.json() if fmt == "json" else report.text())
    ctx.exit(0 if report.conforms else 1)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Count entities, links, claims and sources.

    \b
    Example:
      kg stats --format json
    """
    from kg.queries import stats_text

    summary = graph_of(ctx).stats()
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2) if fmt == "json" else stats_text(summary))


def filter_options(command):
    """--as-of, --min-confidence and --write, shared by the analysis commands."""
    command = click.option(
        "--write", is_flag=True, help="Store the results as RDF beside the data (<store>.analysis.ttl)."
    )(command)
    command = click.option(
        "--as-of", help="The world on this date (default: today): YYYY-MM-DD, YYYY-MM or YYYY."
    )(command)
    return click.option(
        "--min-confidence", default="low", show_default=True, help="Drop links less sure than this."
    )(command)


@cli.group(cls=KgGroup)
def analyze() -> None:
    """Centrality and chokepoints of the dependency network.

    \b
    Example:
      kg analyze chokepoints --top 10
    """


@analyze.command("centrality")
@click.option("--chain", help="Only this chain, e.g. cbec:LogisticsChain.")
@click.option("--top", default=15, show_default=True, help="How many nodes to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@lang_option("en", "the label column of the table and CSV")
@filter_options
@click.pass_context
def analyze_centrality(
    ctx: click.Context, chain: str | None, top: int, fmt: str, lang: str, **filters
) -> None:
    """Weighted degree, PageRank, betweenness, harmonic closeness and Katz.

    \b
    Example:
      kg analyze centrality --chain cbec:LogisticsChain --top 10
      kg analyze centrality --lang zh
    """
    from kg import reports

    click.echo(reports.centrality_report(graph_of(ctx), chain=chain, top=top, fmt=fmt, lang=lang, **filters))


@analyze.command("all")
@click.option("--chain", help="Only this chain's links, e.g. cbec:LogisticsChain.")
@click.option("--top", default=15, show_default=True, help="How many nodes and findings to list.")
@lang_option("en", "the node names")
@filter_options
@click.pass_context
def analyze_all(ctx: click.Context, chain: str | None, top: int, lang: str, **filters) -> None:
    """Centrality, then chokepoints, on one projection of the store (faster than running both).

    \b
    Example:
      kg analyze all --as-of 2016-04-08 --top 10
    """
    from kg import reports

    click.echo(reports.analysis_report(graph_of(ctx), chain=chain, top=top, lang=lang, **filters))


def sampling_options(command):
    """--samples and --seed, for the analyses that can draw weights within their confidence."""
    command = click.option(
        "--seed", default=0, show_default=True, help="Seed of the draws (same seed, same output)."
    )(command)
    return click.option(
        "--samples",
        default=0,
        show_default=True,
        help="Monte Carlo draws of every weight within its confidence's range (0: one point estimate).",
    )(command)


@analyze.command("chokepoints")
@click.option("--chain", help="Only this chain's links, e.g. cbec:LogisticsChain.")
@click.option("--from", "sources", multiple=True, help="Start set for a node cut: an IRI or a class.")
@click.option("--to", "targets", multiple=True, help="End set for a node cut: an IRI or a class.")
@click.option("--top", default=20, show_default=True, help="How many findings to list (0: all).")
@click.option("--threshold", type=float, help="Failure threshold of the impact ranking (default 0.5).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@lang_option("en", "the name of each finding's node in the table")
@sampling_options
@filter_options
@click.pass_context
def analyze_chokepoints(ctx: click.Context, sources, targets, **options) -> None:
    """Failure impact of every node, then dominators, articulation points, bridges, single
    sourcing and node cuts, each with its reason.

    \b
    Example:
      kg analyze chokepoints --chain cbec:LogisticsChain --as-of 2016-04-08 --top 10
      kg analyze chokepoints --top 5 --lang zh
    """
    from kg import reports

    click.echo(reports.chokepoints_report(graph_of(ctx), sources=sources, targets=targets, **options))


@cli.command()
@click.option("--scenario", help="A named scenario of the store (`kg scenarios` lists them).")
@click.option(
    "--remove", "remove", multiple=True, metavar="IRI", help="A node that fails (a policy: repealed)."
)
@click.option(
    "--policy", "policies", multiple=True, metavar="IRI", help="A policy in force whose exposures fire."
)
@click.option(
    "--close", "close", multiple=True, metavar="IRI", help="A regulator that closes (customs closed)."
)
@click.option(
    "--threshold",
    type=float,
    default=0.5,
    show_default=True,
    help="A participant fails when its loss in one chain passes this.",
)
@click.option(
    "--threshold-range", metavar="LO:HI", help="With --samples: draw the threshold in this range too."
)
@click.option("--sweep-threshold", metavar="LO:HI:STEP", help="Print who fails at each threshold instead.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@sampling_options
@filter_options
@click.pass_context
def simulate(ctx: click.Context, remove, policies, close, **options) -> None:
    """Replay a shock on the world of one date (today unless --as-of): remove nodes, apply
    policies, close regulators or run a named scenario, and propagate failures.

    \b
    Example:
      kg simulate --scenario april-2016-reform --samples 1000 --seed 1
      kg simulate --policy cbr:tax-2016 --as-of 2016-04-08 --format json
    """
    from kg import reports

    click.echo(
        reports.simulation_report(graph_of(ctx), remove=remove, policies=policies, close=close, **options)
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def scenarios(ctx: click.Context, fmt: str) -> None:
    """List the named scenarios of the store, one line each.

    \b
    Example:
      kg scenarios
    """
    from kg import reports

    click.echo(reports.scenarios_report(graph_of(ctx), fmt))


@cli.group(cls=KgGroup)
def export() -> None:
    """Write views of the graph to files.

    \b
    Example:
      kg export html --out exports
    """


@export.command("html")
@click.option(
    "--view",
    "views",
    multiple=True,
    metavar="NAME",
    help="index, ecosystem, trade, finance, logistics, regulation, dependencies, policy-2016, "
    "participants, or participants/<slug> (repeatable; default: all).",
)
@click.option("--out", metavar="FOLDER", help="Folder to write into; default: exports/ beside the store.")
@click.option("--force", is_flag=True, help="Replace files in the folder that kg did not write.")
@click.pass_context
def export_html(ctx: click.Context, views: tuple[str, ...], out: str, force: bool) -> None:
    """Write offline, interactive HTML views of the graph, one self-contained file each.

    \b
    Example:
      kg export html --view ecosystem --view participants/tmall-global --out exports
    """

    graph = graph_of(ctx)
    written = graph.export_views(out, views, force=force)
    click.echo(f"wrote {len(written)} file(s) under {out or graph.exports_folder()}")


EXPORT_HELP = {
    "ttl": ("Turtle, sorted and stable", "kg export ttl --out graph.ttl"),
    "nt": ("N-Triples, sorted lines", "kg export nt > graph.nt"),
    "jsonld": ("JSON-LD", "kg export jsonld --out graph.jsonld"),
    "graphml": (
        "GraphML of the network, with attributes (Gephi, Cytoscape)",
        "kg export graphml --out g.graphml",
    ),
    "gexf": ("GEXF of the network, with attributes (Gephi)", "kg export gexf --out graph.gexf"),
    "csv": ("nodes.csv and edges.csv of the network", "kg export csv --out tables"),
}


def export_command(fmt: str) -> click.Command:
    what, example = EXPORT_HELP[fmt]

    @click.option("--out", type=click.Path(), help="File to write (csv: a folder); default: standard output.")
    @click.option("--force", is_flag=True, help="Overwrite an existing file.")
    @click.option(
        "--as-of",
        hidden=fmt not in ("graphml", "gexf"),
        help="The day whose PageRank, impact and chokepoints the nodes carry (default: today).",
    )
    @click.pass_context
    def command(ctx: click.Context, out: str | None, force: bool, as_of: str | None) -> None:

        result = graph_of(ctx).export(fmt, Path(out) if out else None, force=force, as_of=as_of)
        if isinstance(result, bytes):
            click.echo(result.decode("utf-8"), nl=False)
        else:
            click.echo(f"wrote {', '.join(str(p) for p in result)}", err=True)

    command.__doc__ = f"Export the graph as {what}.\n\n    \b\n    Example:\n      {example}\n    "
    return click.command(fmt, cls=KgCommand)(command)


for _fmt in EXPORT_HELP:
    export.add_command(export_command(_fmt))


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Import Turtle, N-Triples, N-Quads, JSON-LD, RDF/XML or CSV files: all of them or nothing.

    \b
    Example:
      kg --store oxigraph:big-store import trade.ttl companies.csv links.csv
    """

    with click.progressbar(length=len(files), label="importing", file=sys.stderr) as bar:
        result = graph_of(ctx).import_files([Path(f) for f in files], progress=lambda n: bar.update(1))
    click.echo(result.text())


@cli.group(cls=KgGroup)
def store() -> None:
    """Manage stores.

    \b
    Example:
      kg store copy data/ecosystem.ttl oxigraph:my-db
    """


@store.command("copy")
@click.argument("source")
@click.argument("target")
def store_copy(source: str, target: str) -> None:
    """Copy a graph between backends (a .ttl file, oxigraph:PATH, http(s):// endpoint) without loss.

    \b
    Example:
      kg store copy data/ecosystem.ttl oxigraph:my-db
    """
    from kg.transfer import copy_into

    click.echo(copy_into(source, target))


@store.command("check")
@click.argument("spec", required=False)
@click.pass_context
def store_check(ctx: click.Context, spec: str | None) -> None:
    """Read a whole store back and check it for damage (default: the --store store).

    For oxigraph:PATH every table file is checked against the checksum kg recorded when
    RocksDB wrote it, then every quad is read. A damaged store is named and left as it is.

    \b
    Example:
      kg store check oxigraph:my-db
    """
    from kg.stores import open_store

    click.echo(open_store(spec or ctx.find_root().obj.get("store")).check())


def main() -> None:
    """Entry point of the `kg` console script."""
    cli(prog_name="kg")


if __name__ == "__main__":
    sys.exit(main())

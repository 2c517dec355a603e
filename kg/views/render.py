"""Rendering: one self-contained page per view, from the templates, with vis-network inline."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kg.analysis.network import day as full_day
from kg.analysis.simulation import DEFAULT_THRESHOLD
from kg.errors import KgError
from kg.views.context import Context, scenario_slug
from kg.views.items import filters
from kg.views.model import Scene, page_id
from kg.views.style import ABOUT, TEMPLATES, TITLES, VIEW_NAMES
from kg.views.worlds import alive_in

if TYPE_CHECKING:
    import networkx as nx


def script_json(data: dict[str, object]) -> str:
    """JSON of lists (and small values), one item a line so that a change to one node is a
    one-line diff, escaped so that it cannot end its <script> element nor break a line in older
    JavaScript."""

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def entry(key: str, value: object) -> str:
        if not isinstance(value, list):
            return f"{dumps(key)}:{dumps(value)}"
        return f"{dumps(key)}:[\n" + ",\n".join(dumps(item) for item in value) + "\n]"

    text = "{\n" + ",\n".join(entry(key, value) for key, value in sorted(data.items())) + "\n}"
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def fill(template: str, values: dict[str, str]) -> str:
    """One pass, so a value that happens to contain a %%MARK%% is never filled in again."""
    return re.sub(r"%%([A-Z]+)%%", lambda m: values[m.group(1)], template)


@cache
def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@cache
def vis_network() -> str:
    """vis-network's standalone build, as shipped inside the pyvis package."""
    from importlib.util import find_spec

    spec = find_spec("pyvis")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = sorted(Path(f).glob("lib/vis-*/vis-network.min.js") for f in folders)
    files = sorted((p for group in found for p in group), key=lambda p: version_key(p.parent.name))
    if not files:
        raise KgError("vis-network was not found in the pyvis package; reinstall kg (`pip install -e .`)")
    text = files[-1].read_text(encoding="utf-8")
    # A source map comment would make developer tools fetch a file that is not there.
    text = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise KgError(f"{files[-1]} contains '</script' or '<!--' and cannot be inlined; report this to kg")
    return text


@cache
def packed(text: str) -> str:
    """``text`` gzipped (without a timestamp, so the bytes stay the same) in base64."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")


def version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def csp(*scripts: str) -> str:
    """Only these exact scripts may run: no inline handler, no request of any kind."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts
    )
    return f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'"


def render_view(context: Context, scene: Scene) -> bytes:
    data = {
        "colorModes": [{"key": k, "label": label} for k, label in scene.color_modes],
        "edges": [e.as_json() for e in scene.edges],
        "filters": filters(scene),
        "legend": scene.legend,
        "nodes": [n.as_json() for n in scene.nodes],
        "annotations": scene.annotations,
        **time_data(context, scene),
        **impact_data(context, scene),
    }
    vis, app, load = vis_network(), template("view.js"), template("load.js")
    notice = f'<p class="notice" id="notice">{html.escape(scene.notice)}</p>\n' if scene.notice else ""
    page = fill(
        template("view.html"),
        {
            "CSP": csp(vis, app, load),
            "TITLE": html.escape(scene.title),
            "ABOUT": html.escape(scene.about),
            "NOTICE": notice,
            "INDEX": html.escape(scene.index_href),
            "CSS": template("view.css"),
            "DATA": script_json(data),
            "VIS": packed(vis),
            "APP": app,
            "LOAD": load,
        },
    )
    return page.encode("utf-8")


def time_data(context: Context, scene: Scene) -> dict:
    """The slider's months: their days and the world each holds (indexes of the impacts)."""
    line = context.line
    if not scene.slider:
        return {}
    return {"time": {"days": line.days, "worldOf": line.world_of}}


def impact_data(context: Context, scene: Scene) -> dict:
    """The failure impacts of the page's nodes: over every world with the slider, else in the
    page's own world; only the cascades the page refers to."""
    found, line = context.impacts, context.line
    day = scene.on or line.days[-1]
    world = line.world_at(day)
    if found is None or world is None:
        why = (
            f"for a graph of {len(context.net):,} nodes (over the view budget)"
            if found is None
            else f"for {day}, outside {line.months[0]} to {line.months[-1]}"
        )
        note = (
            f"Failure impacts are not precomputed {why}; `kg analyze chokepoints --as-of DATE` "
            "ranks them for one date."
        )
        return {"impact": {"note": note}}
    on_page = {n.id for n in scene.nodes}
    # The page's world is that of the month holding its day; what is not in it cannot fail there.
    month = line.months.index(full_day(day)[:7])
    absent = (
        []
        if scene.slider
        else sorted(page_id(n) for n in on_page if n in line.nodes and not alive_in(line.nodes[n], month))
    )
    table: dict[int, int] = {}
    of = []
    for node in sorted(on_page & found.of.keys()):
        pairs = found.of[node] if scene.slider else [at_world(found.of[node], world)]
        pairs = [(w, i) for w, i in pairs if i is not None]
        if all(i < 0 for _, i in pairs):
            continue
        of.append([page_id(node), [[w, i if i < 0 else table.setdefault(i, len(table))] for w, i in pairs]])
    return {
        "impacts": [found.table[i] for i in sorted(table, key=table.get)],
        "impactOf": of,
        "impact": {
            "day": line.days[month],
            "absent": absent,
            "world": world,
            "samples": found.samples,
            "sampled": found.sampled,
            "threshold": DEFAULT_THRESHOLD,
        },
    }


def at_world(pairs: list[tuple[int, int]], world: int) -> tuple[int, int | None]:
    """The cascade of the world ``world`` in a node's list of changes."""
    current = None
    for first, index in pairs:
        if first <= world:
            current = index
    return (world, current)


def render_index(context: Context, size: tuple[int, int] | None = None) -> bytes:
    """The page that links to every view, scenario and the timeline, with the graph's counts
    and (``size``: files, bytes) how big the folder is."""
    net = context.net
    views = "".join(
        f'<dt><a href="{name}.html">{html.escape(TITLES[name])}</a></dt><dd>{html.escape(ABOUT[name])}</dd>\n'
        for name in VIEW_NAMES
        if name in TITLES
    )
    body = [f"<h2>Views</h2>\n<dl>\n{views}</dl>", scenarios_html(context), counts_html(context)]
    if context.pages:
        people = sorted(context.pages, key=lambda n: (context.label(n).lower(), n))
        items = "".join(
            f'<li><a href="participants/{slug}.html">{html.escape(display_name(net, n))}</a></li>\n'
            for n in people
            for slug in [context.pages[n]]
        )
        shown = len(context.pages)
        total = sum(1 for n in net if n in context.order and net.nodes[n]["kind"] not in ("Policy", "Zone"))
        note = "" if shown >= total else f" (the {shown:,} of highest PageRank of {total:,})"
        body.append(
            f"<h2>Participants</h2>\n<p>The view around each participant{html.escape(note)}: what it is "
            f'linked to, one and two hops away.</p>\n<ul class="participants">\n{items}</ul>'
        )
    if size:
        files, total_bytes = size
        body.append(
            f'<p class="note">This folder: {files:,} files, {total_bytes / 1e6:.1f} MB '
            f"({total_bytes:,} bytes). "
            "Each view page carries its own copy of vis-network (gzipped, about 165 KB) so that it opens "
            "alone, offline.</p>"
        )
    page = fill(
        template("page.html"),
        {
            "TITLE": "kg: views of China’s import cross-border e-commerce",
            "NAV": "",
            "CSS": template("page.css"),
            "ABOUT": "Each view is one page that opens offline in any current browser: search by name "
            "(English or Chinese), filter by class, series and chain, move the date slider to see the "
            "ecosystem as of any month since 2013, and select a node for its facts, its sources and "
            "<em>if this fails</em>: who falls, in which round, through which links, and how likely. "
            "Regenerate them with <code>kg export html --out exports</code>.",
            "BODY": "\n".join(body),
        },
    )
    return page.encode("utf-8")


def scenarios_html(context: Context) -> str:
    """The named scenarios, each with its page: who fails, why, and how likely."""
    runs = context.facts.runs
    if not runs:
        return ""
    items = "".join(
        f'<dt><a href="scenarios/{scenario_slug(run.scenario)}.html">{html.escape(run.scenario.label)}</a> '
        f"({html.escape(run.scenario.as_of)})</dt><dd>{html.escape(outcome_line(run))}</dd>\n"
        for run in runs
    )
    return (
        "<h2>Scenarios</h2>\n<p>Each named shock of the store replayed on the world of its date: the "
        f"failed and the standing, each failure's causes, and its probability.</p>\n<dl>\n{items}</dl>"
    )


def outcome_line(run) -> str:
    if run.result is None:
        return f"{'No effect' if 'hits nothing' in run.problem else 'Cannot run'}: {run.problem}"
    outcome = run.result.outcome
    return (
        f"{len(outcome.failed)} participant(s) fail in {len(outcome.rounds)} round(s); "
        f"{len(outcome.standing)} hit but standing."
    )


def display_name(net: nx.MultiDiGraph, node: str) -> str:
    data = net.nodes[node]
    return data["label"] + (f" ({data['label_zh']})" if data["label_zh"] else "")


def counts_html(context: Context) -> str:
    net = context.net
    kinds = Counter(d["kind"] for _, d in net.nodes(data=True))
    chains = Counter(d["chain"] for *_, d in net.edges(data=True))
    dependencies = sum(1 for *_, d in net.edges(data=True) if d["dependency"])
    chokepoints = sum(1 for n in net if context.is_chokepoint(n))

    def table(title: str, counts: Counter) -> str:
        rows = "".join(
            f'<tr><td>{html.escape(k)}</td><td class="n">{n:,}</td></tr>\n' for k, n in sorted(counts.items())
        )
        return f"<table>\n<tr><th>{title}</th><th></th></tr>\n{rows}</table>"

    summary = (
        f"{len(net):,} nodes, {net.number_of_edges():,} links ({dependencies:,} of them dependencies), "
        f"{chokepoints:,} chokepoints."
    )
    return (
        f'<h2>The graph</h2>\n<p>{summary}</p>\n<div class="tables">\n{table("Class", kinds)}\n'
        f"{table('Chain', chains)}\n</div>"
    )

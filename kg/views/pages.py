"""Pages without a graph drawing: one per named scenario and the timeline. Plain HTML that
runs no script at all; every string from the graph is escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kg.analysis.network import Filters, project
from kg.analysis.scenarios import Scenario, damaged_by, scenarios
from kg.analysis.simulation import simulate
from kg.errors import KgError
from kg.views.context import Context
from kg.views.render import fill, template
from kg.views.style import SCENARIO_SAMPLES
from kg.vocabulary import compact

if TYPE_CHECKING:
    import pyoxigraph as ox

    from kg.analysis.simulation import Simulation


@dataclass
class Run:
    """A named scenario and what it did on the world of its date (or why it could not run)."""

    scenario: Scenario
    result: Simulation | None
    problem: str = ""


def scenario_runs(graph: ox.Store) -> list[Run]:
    """Each scenario as `kg simulate --scenario NAME --samples SCENARIO_SAMPLES` runs it."""
    runs = []
    for named in scenarios(graph):
        net = project(graph, Filters(as_of=named.as_of))
        try:
            result = simulate(
                net,
                named.removes,
                named.policies,
                named.closes,
                damaged_by(net, named),
                samples=SCENARIO_SAMPLES,
                seed=0,
            )
        except KgError as exc:
            runs.append(Run(named, None, str(exc)))
            continue
        result.net = net
        runs.append(Run(named, result))
    return runs


def esc(text: object) -> str:
    return html.escape(str(text))


def page(title: str, about: str, body: str, index: str = "index.html") -> bytes:
    text = fill(
        template("page.html"),
        {
            "TITLE": esc(title),
            "ABOUT": about,
            "BODY": body,
            "NAV": f'<nav><a href="{esc(index)}">All views</a></nav>\n',
            "CSS": template("page.css"),
        },
    )
    return text.encode("utf-8")


def reproduce(name: str) -> str:
    return f"kg simulate --scenario {name} --samples {SCENARIO_SAMPLES} --seed 0"


class Names:
    """A participant's name, linked to its page where it has one (from a page one folder down)."""

    def __init__(self, context: Context, net, up: str = "../") -> None:
        self.context, self.net, self.up = context, net, up

    def label(self, node: str) -> str:
        if node in self.net:
            return self.net.nodes[node]["label"]
        return self.context.label(node) if node in self.context.net else compact(node)

    def link(self, node: str) -> str:
        text = esc(self.label(node))
        slug = self.context.pages.get(node)
        return f'<a href="{self.up}participants/{esc(slug)}.html">{text}</a>' if slug else text


def chance_cell(result: Simulation, node: str) -> str:
    if result.spread is None:
        return "<td></td>"
    p = result.spread.probability.get(node, 0.0)
    verdict = result.spread.verdict(node)
    return (
        f'<td class="p"><span class="bar"><span class="fill" style="width:{round(100 * p)}%"></span></span> '
        f'{p:.0%} <span class="verdict">{esc(verdict)}</span></td>'
    )


def scenario_page(context: Context, run: Run) -> bytes:
    """Who failed (round, chain, loss, causes, probability) and who stood, for one scenario."""
    named = run.scenario
    about = esc(named.comment) + (" " if named.comment else "")
    about += f"On the world of {esc(named.as_of)}. Reproduce with <code>{esc(reproduce(named.name))}</code>."
    if run.result is None:
        lead = "No effect" if "hits nothing" in run.problem else "This scenario cannot run"
        body = f'<p class="notice">{lead}: {esc(run.problem)}</p>'
        return page(f"Scenario: {named.label}", about, body, "../index.html")
    result = run.result
    names = Names(context, result.net)
    outcome = result.outcome
    shock = "; ".join(
        f"{esc(d['action'])} {names.link(d['node'])}" + (f" ({d['intensity']:g})" if "intensity" in d else "")
        for d in result.shock
    )
    body = [f"<h2>Shock</h2>\n<p>{shock}</p>"]
    body += [f'<p class="notice">Not applied: {esc(n)}</p>' for n in result.not_in_force]
    rows = "".join(
        f'<tr><td>{names.link(f.node)}</td><td class="n">{f.round}</td><td>{esc(f.chain)}</td>'
        f'<td class="n">{f.loss:g}</td><td><ul>{"".join(f"<li>{esc(c)}</li>" for c in f.causes)}</ul></td>'
        f"{chance_cell(result, f.node)}</tr>\n"
        for f in outcome.failed
    )
    body.append(
        f"<h2>Failed ({len(outcome.failed)})</h2>\n"
        + (
            '<table class="failed">\n<tr><th>Participant</th><th>Round</th><th>Chain</th><th>Loss</th>'
            f"<th>Why (the cause chain)</th><th>Fails in the samples</th></tr>\n{rows}</table>"
            if rows
            else "<p>No participant fails.</p>"
        )
    )
    rows = "".join(
        f'<tr><td>{names.link(s.node)}</td><td>{esc(s.chain)}</td><td class="n">{s.loss:g}</td>'
        f"<td>{esc(', '.join(names.label(a) for a in s.alternatives + s.backing))}</td>"
        f"{chance_cell(result, s.node)}</tr>\n"
        for s in sorted(outcome.standing, key=lambda s: (-s.loss, s.node))
    )
    if rows:
        body.append(
            f'<h2>Hit but standing ({len(outcome.standing)})</h2>\n<table class="standing">\n'
            "<tr><th>Participant</th><th>Chain</th><th>Loss</th><th>Still has</th>"
            f"<th>Fails in the samples</th></tr>\n{rows}</table>"
        )
    if outcome.relieved:
        body.append(f"<h2>Relieved</h2>\n<p>{', '.join(names.link(n) for n in outcome.relieved)}</p>")
    body.append(
        f'<p class="note">A participant fails when it loses more than {outcome.threshold:g} of one chain. '
        f"Samples: {SCENARIO_SAMPLES} draws of the weights within their confidence (seed 0); robust: "
        "fails in at least 90% or at most 10% of them.</p>"
    )
    return page(f"Scenario: {named.label}", about, "\n".join(body), "../index.html")


# ---------------------------------------------------------------- the timeline

NODE_EVENTS = {
    "launchDate": "launch",
    "foundingDate": "founding",
    "approvalDate": "zone approved",
    "legislationDate": "policy issued",
    "effectiveDate": "policy in effect",
    "endDate": "policy ends",
    "exitDate": "exit",
}
LINK_EVENTS = {"fundedBy": "funding", "partOf": "acquisition"}


@dataclass(frozen=True)
class Event:
    date: str
    kind: str
    node: str
    text: str
    sources: tuple[str, ...]


def events(context: Context) -> list[Event]:
    """Launches, foundings, zone approvals, policies, exits, and the dated funding and
    ownership links, each with its sources, in date order."""
    net, facts = context.net, context.facts
    found = []
    for node, dates in facts.dates.items():
        if node not in net:
            continue
        kinds = dict(dates)
        for name, kind in NODE_EVENTS.items():
            # A launch is the start that counts; the founding is shown when there is no launch.
            if name in kinds and not (name == "foundingDate" and "launchDate" in kinds):
                found.append(Event(kinds[name], kind, node, "", tuple(facts.sources.get(node, []))))
    for s, o, key, d in net.edges(keys=True, data=True):
        kind = LINK_EVENTS.get(d["predicate"])
        if kind and d.get("start"):
            label = net.nodes[o]["label"]
            words = f"funded by {label}" if kind == "funding" else f"becomes part of {label}"
            if key in facts.rounds:
                words += f" ({facts.rounds[key]})"
            found.append(Event(d["start"], kind, s, words, tuple(d["sources"])))
    return sorted(found, key=lambda e: (e.date, e.kind, context.label(e.node).lower(), e.node, e.text))


def timeline_page(context: Context) -> bytes:
    names = Names(context, context.net, up="")
    rows, year = [], None
    found = events(context)
    for e in found:
        if e.date[:4] != year:
            year = e.date[:4]
            rows.append(f'<tr class="year"><th colspan="4" id="y{esc(year)}">{esc(year)}</th></tr>')
        what = names.link(e.node) + (f" {esc(e.text)}" if e.text else "")
        source = esc(context.facts.source_line(list(e.sources)).removeprefix("Sources: "))
        rows.append(
            f'<tr><td class="date">{esc(e.date)}</td><td><span class="kind {esc(e.kind.split()[0])}">'
            f'{esc(e.kind)}</span></td><td>{what}</td><td class="source">{source}</td></tr>'
        )
    years = sorted({e.date[:4] for e in found})
    jump = " ".join(f'<a href="#y{esc(y)}">{esc(y)}</a>' for y in years)
    about = (
        f"{len(found):,} dated events of the graph on one axis, oldest first: launches (or foundings), "
        "zone approvals, policies issued, in effect and ended, exits, funding rounds and acquisitions, "
        "each with its sources. A name leads to the view around that participant."
    )
    body = (
        f'<p class="jump">{jump}</p>\n<table class="timeline">\n<tr><th>Date</th><th>Event</th>'
        f"<th>Who</th><th>Sources</th></tr>\n" + "\n".join(rows) + "\n</table>"
    )
    return page("Timeline", esc(about), body)

"""The world at each month, for the date slider and the "if this fails" panel.

Each node and link gets the months it takes part in, by the rules of ``--as-of`` (see
``Filters``), as runs of month numbers; months that hold the same world share it, and each
distinct world's failure impacts are simulated once.
"""

from __future__ import annotations

import bisect
import calendar
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.analysis.chokepoints import impact_findings
from kg.analysis.network import day, world_on
from kg.views.model import page_id

if TYPE_CHECKING:
    import networkx as nx

FIRST_MONTH = "2013-01"
Runs = list[tuple[int, int]]


def months_until(last: str, first: str = FIRST_MONTH) -> list[str]:
    """Every month from ``first`` to the one holding the day ``last``, as YYYY-MM."""
    year, month = int(first[:4]), int(first[5:7])
    end = max((int(last[:4]), int(last[5:7])), (year, month))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_end(month: str) -> str:
    """The last day of a month: the world of a month is the one on its last day, so that what
    starts during the month is in it (the reform of 8 April 2016 is in April 2016)."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def latest_day(net: nx.MultiDiGraph) -> str:
    dates = [d.get(k) for _, d in net.nodes(data=True) for k in ("start", "end")]
    dates += [d.get(k) for *_, d in net.edges(data=True) for k in ("start", "end")]
    return max((day(x) for x in dates if x), default=month_end(FIRST_MONTH))


def run_of(start: str | None, end: str | None, days: list[str]) -> Runs:
    """The months whose last day lies in [start, end)."""
    first = bisect.bisect_left(days, day(start)) if start else 0
    last = bisect.bisect_left(days, day(end)) if end else len(days)
    return [(first, last)] if first < last else []


def intersect(a: Runs, b: Runs) -> Runs:
    out = [(max(x0, y0), min(x1, y1)) for x0, x1 in a for y0, y1 in b]
    return [(x, y) for x, y in out if x < y]


def union(runs: list[tuple[int, int]]) -> Runs:
    out: list[list[int]] = []
    for a, b in sorted(runs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


@dataclass
class Timeline:
    """Months, when each node and link takes part, and the distinct worlds among the months."""

    months: list[str]
    # The last day of each month: the day whose world the month shows.
    days: list[str]
    nodes: dict[str, Runs]
    edges: dict[str, Runs]
    # world_of[month] is the index of its world in ``starts``, the first month of each world.
    world_of: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def world_at(self, on: str) -> int | None:
        """The world of the month holding the day ``on``; None outside the months."""
        month = day(on)[:7]
        return self.world_of[self.months.index(month)] if month in self.months else None

    def always(self, runs: Runs) -> bool:
        return runs == [(0, len(self.months))]


def timeline(net: nx.MultiDiGraph) -> Timeline:
    """When each node and link of an all-dates projection takes part, month by month."""
    months = months_until(latest_day(net))
    days = [month_end(m) for m in months]
    concept = {n for n, d in net.nodes(data=True) if d.get("top") == "Concept"}
    nodes = {
        n: run_of(d.get("start"), d.get("end"), days) for n, d in net.nodes(data=True) if n not in concept
    }
    edges: dict[str, Runs] = {}
    pointed: dict[str, list[tuple[int, int]]] = defaultdict(list)
    later = []
    for s, o, key, d in net.edges(keys=True, data=True):
        if s in concept:
            later.append((s, o, key, d))
            continue
        runs = intersect(run_of(d.get("start"), d.get("end"), days), nodes[s])
        if o in concept:
            pointed[o] += runs
        else:
            runs = intersect(runs, nodes[o])
        edges[key] = runs
    nodes |= {n: union(pointed[n]) for n in concept}
    for s, o, key, d in later:
        edges[key] = intersect(intersect(run_of(d.get("start"), d.get("end"), days), nodes[s]), nodes[o])
    line = Timeline(months, days, nodes, edges)
    changes = sorted({0} | {x for runs in [*nodes.values(), *edges.values()] for run in runs for x in run})
    line.starts = [c for c in changes if c < len(months)]
    line.world_of = [bisect.bisect_right(line.starts, m) - 1 for m in range(len(months))]
    return line


def alive_in(runs: Runs, month: int) -> bool:
    return any(a <= month < b for a, b in runs)


# ---------------------------------------------------------------- failure impacts


@dataclass
class Impacts:
    """What falls if each node fails, per distinct world: ``table`` holds each distinct
    cascade once, ``of[node]`` lists (first world, index in table) as it changes over time."""

    days: list[str]
    table: list[list[dict]] = field(default_factory=list)
    of: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    samples: int = 0
    # The world whose failures carry probabilities.
    sampled: int = 0


def impacts(
    net: nx.MultiDiGraph, days: list[str], samples: int = 0, seed: int = 0, sampled: int | None = None
) -> Impacts:
    """The failure impact of every node in the world of each day of ``days`` (each the day of a
    distinct world), the point estimate with its causes and links; with ``samples``, the world
    ``sampled`` (an index of ``days``, default the last) also gives each failure its probability."""
    sampled = len(days) - 1 if sampled is None else sampled
    out = Impacts(days, samples=samples, sampled=sampled)
    seen: dict[str, int] = {}
    last: dict[str, int] = {}
    for number, on in enumerate(days):
        world = world_on(net, on)
        chances: dict[str, dict[str, float]] = {}
        drawn = bool(samples) and number == sampled
        if drawn:
            chances = {
                f.node: f.probability or {} for f in impact_findings(world, samples=samples, seed=seed)
            }
        found = {f.node: f for f in impact_findings(world, explain=True)}
        for node in sorted(set(world) & (set(found) | set(chances))):
            entry = cascade_entry(world, found.get(node), chances.get(node, {}) if drawn else None)
            key = json.dumps(entry, sort_keys=True, ensure_ascii=False)
            index = seen.setdefault(key, len(seen))
            if index == len(out.table):
                out.table.append(entry)
            if last.get(node) != index:
                out.of.setdefault(node, []).append((number, index))
                last[node] = index
        for node in list(last):
            if node not in found and node not in chances and last[node] != -1:
                out.of[node].append((number, -1))
                last[node] = -1
    return out


def cascade_entry(world: nx.MultiDiGraph, finding, chance: dict[str, float] | None) -> list[dict]:
    """Who falls, in order: round, chain, loss, causes in words, the links that carried it and,
    where sampled, the share of draws in which it falls (round 0: only in some draws)."""
    failed = finding.outcome.failed if finding else []
    out = []
    for f in failed:
        item = {
            "id": page_id(f.node),
            "label": world.nodes[f.node]["label"],
            "round": f.round,
            "chain": f.chain,
            "loss": round(f.loss, 3),
            "causes": f.causes,
            "links": [page_id(link) for link in f.links],
        }
        if chance is not None:
            item["p"] = round(chance.get(f.node, 0.0), 3)
        out.append(item)
    falls = {f.node for f in failed}
    for node, p in sorted((chance or {}).items(), key=lambda kv: (-kv[1], kv[0])):
        if node not in falls and p > 0:
            out.append(
                {"id": page_id(node), "label": world.nodes[node]["label"], "round": 0, "p": round(p, 3)}
            )
    return out

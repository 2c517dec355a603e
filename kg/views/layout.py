"""Layout: fixed positions computed here (physics stays off), the same graph giving the same
picture; parts packed side by side, labels kept apart."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from kg.views.context import Context
from kg.views.model import Edge
from kg.views.style import KAMADA_KAWAI_LIMIT, LAYOUT_SEED, SPACING

if TYPE_CHECKING:
    pass


def layout(nodes: list[str], edges: list[Edge]) -> dict[str, tuple[int, int]]:
    """Positions in pixels: each connected component laid out on its own, then packed in rows.

    igraph's C layouts are fast at the budget's size and, started from seeded positions,
    give the same result on every run; rounding to whole pixels keeps the bytes stable
    where the last bits of a float might not be. Laying components out apart keeps lone
    nodes from ringing the graph and squeezing it into the middle.
    """
    import random

    import igraph

    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[u], index[v]))) for u, v, *_ in edges if u != v})
    graph = igraph.Graph(n=len(nodes), edges=pairs)
    parts = sorted((sorted(c) for c in graph.connected_components()), key=lambda c: (-len(c), c[0]))
    # igraph draws from Python's global random module; keep the caller's state intact.
    state = random.getstate()
    random.seed(LAYOUT_SEED)
    try:
        placed = [spread(graph, part) for part in parts]
    finally:
        random.setstate(state)
    return {nodes[i]: xy for i, xy in pack(parts, placed).items()}


def spread(graph, part: list[int]) -> list[tuple[float, float]]:
    """One component, scaled so that each node has about SPACING pixels square around it."""
    if len(part) == 1:
        return [(0.0, 0.0)]
    sub = graph.induced_subgraph(part)
    start = random_start(len(part))
    if len(part) <= KAMADA_KAWAI_LIMIT:
        coords = sub.layout_kamada_kawai(seed=start, maxiter=50 * len(part)).coords
    else:
        coords = sub.layout_fruchterman_reingold(seed=start, niter=500, grid="auto").coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    factor = SPACING * math.sqrt(len(part)) / extent
    return [(x * factor, y * factor) for x, y in coords]


def radial(context: Context, center: str, near: set[str]):
    """Rings around a participant: its neighbours on the first, theirs beyond, each placed
    towards the neighbours it hangs from, so the page reads from the middle outwards."""

    def arrange(nodes: list[str], edges: list[Edge]) -> dict[str, tuple[int, int]]:
        net = context.net
        inner = sorted(
            (n for n in nodes if n in near), key=lambda n: (net.nodes[n]["kind"], context.label(n).lower(), n)
        )
        radius = max(2 * SPACING, len(inner) * SPACING / (2 * math.pi))
        angle = {n: 2 * math.pi * i / max(len(inner), 1) for i, n in enumerate(inner)}
        pos = {center: (0, 0)} | {n: polar(radius, angle[n]) for n in inner}
        links = defaultdict(list)
        for u, v, *_ in edges:
            links[u].append(v)
            links[v].append(u)
        wanted = {n: mean_angle([angle[m] for m in links[n] if m in angle]) for n in nodes if n not in pos}
        outer = sorted(wanted, key=lambda n: (wanted[n], n))
        ring = radius + 1.6 * SPACING
        while outer:
            room = max(1, int(2 * math.pi * ring / (0.8 * SPACING)))
            now, outer = outer[:room], outer[room:]
            base = [2 * math.pi * i / len(now) for i in range(len(now))]
            # Evenly round the ring in the order wanted, turned to fit the wanted angles best.
            offset = mean_angle([wanted[n] - b for n, b in zip(now, base, strict=True)])
            pos |= {n: polar(ring, offset + b) for n, b in zip(now, base, strict=True)}
            ring += SPACING
        return pos

    return arrange


def polar(radius: float, angle: float) -> tuple[int, int]:
    return round(radius * math.cos(angle)), round(radius * math.sin(angle))


def mean_angle(angles: list[float]) -> float:
    if not angles:
        return 0.0
    return math.atan2(sum(math.sin(a) for a in angles), sum(math.cos(a) for a in angles)) % (2 * math.pi)


# A node's label box, about: labels wrap at 130 px and rarely run past four lines.
LABEL_WIDTH, LABEL_HEIGHT = 120, 70
NUDGES = [(0, 0)] + [
    (round(r * math.cos(2 * math.pi * k / 16)), round(r * math.sin(2 * math.pi * k / 16)))
    for r in range(20, 4000, 20)
    for k in range(16)
]


def declutter(positions: dict[str, tuple[int, int]], order: list[str]) -> dict[str, tuple[int, int]]:
    """Nudge nodes, most important first, to the nearest spot where no label covers another.

    Integer arithmetic on a grid of label-sized cells: cheap, and the same on every machine.
    """
    cells: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    limit = LABEL_WIDTH**2 * LABEL_HEIGHT**2

    def free(x: int, y: int) -> bool:
        cx, cy = x // LABEL_WIDTH, y // LABEL_HEIGHT
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for px, py in cells.get((i, j), ()):
                    if (x - px) ** 2 * LABEL_HEIGHT**2 + (y - py) ** 2 * LABEL_WIDTH**2 < limit:
                        return False
        return True

    out = {}
    for node in order:
        x, y = positions[node]
        spot = next(((x + dx, y + dy) for dx, dy in NUDGES if free(x + dx, y + dy)), (x, y))
        cells[(spot[0] // LABEL_WIDTH, spot[1] // LABEL_HEIGHT)].append(spot)
        out[node] = spot
    return out


def random_start(count: int) -> list[list[float]]:
    import random

    rng = random.Random(LAYOUT_SEED)
    side = math.sqrt(count)
    return [[rng.uniform(-side, side), rng.uniform(-side, side)] for _ in range(count)]


def pack(parts: list[list[int]], placed: list[list[tuple[float, float]]]) -> dict[int, tuple[int, int]]:
    """Shelf packing, largest component first, rows no wider than it (or a dozen lone nodes)."""
    boxes = [
        (min(x for x, _ in c), min(y for _, y in c), max(x for x, _ in c), max(y for _, y in c))
        for c in placed
    ]
    limit = max(boxes[0][2] - boxes[0][0], SPACING * 12)
    x = y = row = 0.0
    out: dict[int, tuple[int, int]] = {}
    for part, coords, (x0, y0, x1, y1) in zip(parts, placed, boxes, strict=True):
        if x > 0 and x + (x1 - x0) > limit:
            x, y, row = 0.0, y + row + SPACING, 0.0
        for i, (px, py) in zip(part, coords, strict=True):
            out[i] = (round(px - x0 + x), round(py - y0 + y))
        x += x1 - x0 + SPACING
        row = max(row, y1 - y0)
    return out

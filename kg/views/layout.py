"""Layout: fixed positions computed here (physics stays off), the same graph giving the same
picture; parts packed side by side, labels kept apart."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
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


# How a label is drawn (view.js draws the same): lines of at most about LABEL_CHARS
# characters, broken between words only, each FONT_LINE font sizes high, under the node.
LABEL_CHARS = 18
FONT_LINE = 1.25
LABEL_GAP = 4
# Pixels kept free around each node and its label.
MARGIN = 8
CELL = 200
NUDGES = [(0, 0)] + [
    (round(r * math.cos(2 * math.pi * k / 16)), round(r * math.sin(2 * math.pi * k / 16)))
    for r in range(16, 6000, 16)
    for k in range(16)
]
Box = tuple[float, float, float, float]


def wrap(label: str, limit: int = LABEL_CHARS) -> str:
    """The label in lines of about ``limit`` characters, broken at spaces only: a word longer
    than a line keeps a line of its own rather than being cut."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines) or label


def text_width(line: str, size: float) -> float:
    """An upper estimate of a line's width in pixels: wide East Asian characters take a full
    em, capitals and digits most of one, other Latin letters a little more than half."""
    from unicodedata import east_asian_width

    em = 0.0
    for char in line:
        if east_asian_width(char) in "WF":
            em += 1.0
        elif char == " ":
            em += 0.32
        elif char.isupper() or char.isdigit() or char in "mwMW@%&":
            em += 0.74
        else:
            em += 0.6
    return em * size


def node_box(text: str, size: float, font: int, shape: str, border: int) -> Box:
    """What a node covers around its centre: its shape and, under it (inside it for a box), its label."""
    lines = text.split("\n")
    width = max(text_width(line, font) for line in lines) + 6  # the white stroke round the text
    height = len(lines) * font * FONT_LINE
    if shape == "box":
        half_w, half_h = width / 2 + 5 + border, height / 2 + 5 + border
        return (-half_w, -half_h, half_w, half_h)
    # vis-network draws triangles, stars, diamonds and hexagons a little past ``size``.
    radius = size * (1.0 if shape in ("dot", "square") else 1.2) + border / 2
    half_w = max(radius, width / 2)
    return (-half_w, -radius, half_w, radius + LABEL_GAP + height)


def declutter(
    positions: dict[str, tuple[int, int]], order: list[str], boxes: dict[str, Box]
) -> dict[str, tuple[int, int]]:
    """Move nodes, most important first, to the nearest spot (on a spiral round where the
    layout put them) where neither the node nor its label touches another's.

    A hash of CELL-sized squares finds the neighbours; the spots are tried a batch at a time
    against them with numpy (a node in a crowded place tries hundreds), the first free one wins.
    """
    import numpy as np

    cells: dict[tuple[int, int], list[Box]] = defaultdict(list)
    nudges = np.array(NUDGES, dtype=float)
    out = {}
    for node in order:
        x, y = positions[node]
        left, top, right, bottom = boxes[node]
        pad = (left - MARGIN / 2, top - MARGIN / 2, right + MARGIN / 2, bottom + MARGIN / 2)
        spot = (x, y)
        for start, end in BATCHES:
            tried = nudges[start:end] + (x, y)
            free = free_spots(tried, pad, cells)
            if free.any():
                dx, dy = NUDGES[start + int(free.argmax())]
                spot = (x + dx, y + dy)
                break
        box = (spot[0] + pad[0], spot[1] + pad[1], spot[0] + pad[2], spot[1] + pad[3])
        for cell in covered(box):
            cells[cell].append(box)
        out[node] = spot
    return out


# Spots tried together: the first alone (most nodes stay where the layout put them), then
# eight rings at a time (fewer made more batches, more made each batch compare far more boxes:
# 1.1 s against 2.1 s and 1.4 s for 32 and 256 on the 100k chain graph's ecosystem view).
BATCHES = [(0, 1)] + [(i, i + 128) for i in range(1, len(NUDGES), 128)]


def covered(box: Box) -> Iterator[tuple[int, int]]:
    """The CELL squares a box touches."""
    for i in range(int(box[0] // CELL), int(box[2] // CELL) + 1):
        for j in range(int(box[1] // CELL), int(box[3] // CELL) + 1):
            yield (i, j)


def free_spots(tried, pad: Box, cells: dict[tuple[int, int], list[Box]]):
    """For each centre of ``tried``, whether the box ``pad`` round it touches no placed box."""
    import numpy as np

    region = (
        tried[:, 0].min() + pad[0],
        tried[:, 1].min() + pad[1],
        tried[:, 0].max() + pad[2],
        tried[:, 1].max() + pad[3],
    )
    near = [o for cell in covered(region) for o in cells.get(cell, ())]
    if not near:
        return np.ones(len(tried), dtype=bool)
    others = np.array(near)
    xs, ys = tried[:, :1], tried[:, 1:]
    hits = (
        (xs + pad[0] < others[:, 2])
        & (others[:, 0] < xs + pad[2])
        & (ys + pad[1] < others[:, 3])
        & (others[:, 1] < ys + pad[3])
    )
    return ~hits.any(axis=1)


def grid_below(
    positions: dict[str, tuple[int, int]], lone: list[str], boxes: dict[str, Box]
) -> tuple[dict[str, tuple[int, int]], tuple[int, int] | None]:
    """The nodes linked to nothing, in a block of rows under the rest, and where its heading goes."""
    if not lone:
        return {}, None
    rest = [(positions[n], boxes[n]) for n in positions]
    left = min((x + b[0] for (x, _), b in rest), default=0.0)
    right = max((x + b[2] for (x, _), b in rest), default=0.0)
    bottom = max((y + b[3] for (_, y), b in rest), default=0.0)
    cell_w = max(boxes[n][2] - boxes[n][0] for n in lone) + MARGIN
    cell_h = max(boxes[n][3] - boxes[n][1] for n in lone) + MARGIN
    columns = max(1, math.ceil(math.sqrt(len(lone))), int((right - left) // cell_w))
    top = bottom + (3 * SPACING // 4 if rest else 0)
    out = {}
    for i, node in enumerate(lone):
        row, column = divmod(i, columns)
        out[node] = (
            round(left + column * cell_w + cell_w / 2),
            round(top + 40 + row * cell_h - boxes[node][1]),
        )
    return out, (round(left), round(top))


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

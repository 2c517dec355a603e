"""The shapes a view passes between its stages: scenes, edges, reductions."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields

from kg.vocabulary import compact


@dataclass
class Scene:
    """One view before rendering: its nodes and edges with styles, legend and filters."""

    title: str
    about: str
    nodes: list[NodeItem]
    edges: list[EdgeItem]
    color_modes: list[tuple[str, str]]
    legend: list[dict]
    notice: str = ""
    index_href: str = "index.html"
    # Whether the page has the date slider (its items carry ``alive``).
    slider: bool = False
    # Without the slider, the day of the world the page shows; None: the latest in the data.
    on: str | None = None
    # Words drawn on the canvas, such as the heading of the unlinked nodes.
    annotations: list[dict] = field(default_factory=list)


Edge = tuple[str, str, str, dict]


@dataclass
class Reduced:
    """The nodes and edges a view draws; ``groups`` maps a group node to its members."""

    nodes: list[str]
    edges: list[Edge]
    groups: dict[str, list[str]] = field(default_factory=dict)
    notice: str = ""


def json_name(name: str) -> str:
    """The key view.js reads for a field: ``label_zh`` is ``labelZh``, ``from_`` is ``from``."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.capitalize() for part in rest)


# Fields holding IRIs: pages carry them compact (cbr:tmall-global), a third of an edge's bytes.
IRI_FIELDS = ("id", "from_", "to")


def page_id(iri: str) -> str:
    """How a page names a node or link: compact where a prefix fits, else as it is."""
    short = compact(iri)
    return iri if short.startswith("<") else short


class Item:
    """What Python hands to view.js: the field names, in JavaScript's spelling, are the whole
    contract between the two (tests/test_views.py checks view.js reads no other key). A field
    at its default is left out: view.js fills in the same defaults (DEFAULTS in view.js)."""

    def as_json(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.default is not MISSING and value == f.default):
                continue
            out[json_name(f.name)] = page_id(value) if f.name in IRI_FIELDS else value
        return out


@dataclass
class NodeItem(Item):
    """A node as drawn: position, size, shape, colours per colour mode, and its tooltip."""

    id: str
    label: str
    kind: str
    x: int
    y: int
    size: float
    shape: str
    colors: dict[str, str]
    tip: str
    label_zh: str = ""
    series: str = ""
    border: str = ""
    border_width: int = 1
    dashes: bool = False
    opacity: float = 1.0
    font_size: int = 14
    page: str | None = None
    # The label as drawn, wrapped between words, when it takes more than one line.
    text: str | None = None
    # Runs [first, last) of the slider's months in which it takes part; None: every month.
    alive: list | None = None


@dataclass
class EdgeItem(Item):
    """A link as drawn: its ends, chain, colour, width, dashes, curve and tooltip."""

    id: str
    from_: str
    to: str
    chain: str
    color: str
    width: float
    tip: str
    dashes: bool = False
    label: str = ""
    opacity: float = 1.0
    arrow: bool = True
    curve: float = 0
    alive: list | None = None

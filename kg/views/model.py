"""The shapes a view passes between its stages: scenes, edges, reductions."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


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


class Item:
    """What Python hands to view.js: the field names, in JavaScript's spelling, are the whole
    contract between the two (tests/test_views.py checks view.js reads no other key)."""

    def as_json(self) -> dict:
        out = {json_name(f.name): getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class NodeItem(Item):
    """A node as drawn: position, size, shape, colours per colour mode, and its tooltip."""

    id: str
    label: str
    label_zh: str
    kind: str
    series: str
    x: int
    y: int
    size: float
    shape: str
    colors: dict[str, str]
    border: str
    border_width: int
    dashes: bool
    tip: str
    opacity: float = 1.0
    font_size: int = 14
    page: str | None = None


@dataclass
class EdgeItem(Item):
    """A link as drawn: its ends, chain, colour, width, dashes, curve and tooltip."""

    id: str
    from_: str
    to: str
    chain: str
    color: str
    width: float
    dashes: bool
    tip: str
    label: str = ""
    opacity: float = 1.0
    arrow: bool = True
    curve: float = 0

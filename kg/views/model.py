"""The shapes a view passes between its stages: scenes, edges, reductions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Scene:
    """One view before rendering: its nodes and edges with styles, legend and filters."""

    title: str
    about: str
    nodes: list[dict]
    edges: list[dict]
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

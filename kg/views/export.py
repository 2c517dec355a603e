"""The entry points: which views exist, and writing them for a store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.analysis.chokepoints import is_participant
from kg.analysis.network import project
from kg.errors import KgError
from kg.queries import query_graph
from kg.stores.base import Store
from kg.views.context import Context, Facts, load_facts, replay_of, scenario_slug, slug_of
from kg.views.pages import scenario_page, scenario_runs, timeline_page
from kg.views.render import render_index, render_view
from kg.views.scenes import chain_scene, dependencies_scene, ecosystem_scene, participant_scene, policy_scene
from kg.views.style import CHAIN_VIEWS, VIEW_NAMES
from kg.views.writing import write_pages
from kg.vocabulary import SLUG

if TYPE_CHECKING:
    import networkx as nx


def export_views(
    store: Store, out_dir: Path | str, views: list[str] | None = None, force: bool = False
) -> list[Path]:
    """Write the views of ``store`` into ``out_dir`` and return the files written.

    ``views`` are names from VIEW_NAMES or ``participants/<slug>``; None writes them all.
    A file already there is replaced only when kg wrote it, or with ``force``. Writing every
    participant page also removes the pages kg wrote for participants no longer there.
    """

    names = checked_views(views)
    out = Path(out_dir)
    graph = query_graph(store)
    facts = load_facts(graph)
    facts.replay = replay_of(graph)
    if "scenarios" in names:
        facts.runs = scenario_runs(graph)
    pages = build_pages(project(graph), names, facts)
    prune = [folder for folder in ("participants", "scenarios") if folder in names]
    return write_pages(out, pages, force, prune=prune)


def build_pages(
    net: nx.MultiDiGraph, views: list[str] | None = None, facts: Facts | None = None
) -> dict[str, bytes]:
    """The pages of ``views`` (all when None) as {relative path: UTF-8 bytes}."""
    names = checked_views(views)
    context = Context.of(net, facts or Facts())
    pages: dict[str, bytes] = {}
    for name in names:
        if name == "index":
            continue
        if name == "participants":
            for iri, slug in context.pages.items():
                pages[f"participants/{slug}.html"] = render_view(context, participant_scene(context, iri))
        elif name == "scenarios":
            for run in context.facts.runs:
                pages[f"scenarios/{scenario_slug(run.scenario)}.html"] = scenario_page(context, run)
        elif name == "timeline":
            pages["timeline.html"] = timeline_page(context)
        elif name.startswith("participants/"):
            pages[f"{name}.html"] = render_view(
                context, participant_scene(context, participant_of(context, name))
            )
        else:
            pages[f"{name}.html"] = render_view(context, SCENES[name](context))
    if "index" in names:
        pages["index.html"] = sized_index(context, pages, complete=len(names) == len(VIEW_NAMES))
    return dict(sorted(pages.items()))


def sized_index(context: Context, pages: dict[str, bytes], complete: bool) -> bytes:
    """The index, stating the size of the folder with the index itself in it (when every view
    is written together): the number is written until it no longer changes the size."""
    if not complete:
        return render_index(context)
    rest = sum(len(page) for page in pages.values())
    index = render_index(context, (len(pages) + 1, rest))
    for _ in range(5):
        again = render_index(context, (len(pages) + 1, rest + len(index)))
        if len(again) == len(index):
            return again
        index = again
    return index


def checked_views(views: list[str] | None) -> list[str]:
    """The view names asked for, each checked; all of them when none is given."""
    if not views:
        return list(VIEW_NAMES)
    for name in views:
        folder, _, slug = name.partition("/")
        if name in VIEW_NAMES or (folder == "participants" and SLUG.fullmatch(slug)):
            continue
        raise KgError(
            f"unknown view '{name}'; choose one of {', '.join(VIEW_NAMES)}, "
            "or participants/<slug> for one participant (e.g. participants/tmall-global)"
        )
    return list(dict.fromkeys(views))


def participant_of(context: Context, name: str) -> str:
    slug = name.partition("/")[2]
    for iri, known in context.pages.items():
        if known == slug:
            return iri

    for iri in context.net:
        if slug_of(iri) == slug and is_participant(context.net, iri):
            return iri
    raise KgError(f"no participant has the page '{name}'; `kg query participants-by-series` lists them")


# One entry per view drawn from the whole network; participant pages are built per participant.
SCENES = {
    "ecosystem": ecosystem_scene,
    **{name: chain_scene(name) for name in CHAIN_VIEWS},
    "dependencies": dependencies_scene,
    "policy-2016": policy_scene,
}

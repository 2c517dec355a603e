"""Stores: where the graph lives. One class per backend, chosen by the form of its name.

``PATH.ttl`` is a Turtle file (the default), ``oxigraph:PATH`` an on-disk Oxigraph database and
``http(s)://...`` any SPARQL 1.1 Query and Update endpoint (Virtuoso, Fuseki, GraphDB).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kg.resources import bundled_dataset, is_packaged
from kg.stores.base import ANALYSIS_GRAPH, DATA_GRAPH, Store
from kg.stores.oxigraph import OxigraphStore
from kg.stores.remote import RemoteStore
from kg.stores.turtle import TurtleStore

__all__ = [
    "ANALYSIS_GRAPH",
    "BACKENDS",
    "DATA_GRAPH",
    "OxigraphStore",
    "RemoteStore",
    "STORE_ENV",
    "Store",
    "TurtleStore",
    "init_store",
    "open_store",
]

STORE_ENV = "KG_STORE"

# One entry per backend: the prefix of a store's name, and how to open the rest of it.
BACKENDS: dict[str, Callable[[str], Store]] = {
    "oxigraph:": lambda spec: OxigraphStore(spec.removeprefix("oxigraph:")),
    "http://": RemoteStore,
    "https://": RemoteStore,
}


def open_store(spec: str | Path | None = None) -> Store:
    """The store named by ``spec``, else by $KG_STORE, else the bundled dataset (read-only when
    it lies inside the installed package)."""
    spec = str(spec) if spec else os.environ.get(STORE_ENV) or None
    if spec is None:
        path = bundled_dataset()
        return TurtleStore(path, read_only=is_packaged(path))
    for prefix, backend in BACKENDS.items():
        if spec.startswith(prefix):
            return backend(spec)
    path = Path(spec).expanduser()
    return TurtleStore(path, read_only=is_packaged(path))


def init_store(spec: str | Path, empty: bool = False) -> Store:
    """Create a new store, seeded with the bundled dataset unless ``empty``."""
    seed = [] if empty else list(TurtleStore(bundled_dataset()).triples())
    store = open_store(str(spec))
    store.initialise(seed)
    return store

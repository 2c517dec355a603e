"""kg: a knowledge graph of China's import cross-border e-commerce ecosystem.

    import kg
    with kg.open() as g:                      # the bundled dataset; or a path, oxigraph:PATH, URL
        g.chokepoints(chain="logistics")

The names below are the public API; the sub-packages (stores, validation, analysis, views)
are what it is built from.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.analysis.chokepoints import Finding, Findings
    from kg.analysis.scenarios import Scenario
    from kg.analysis.simulation import Simulation
    from kg.api import KnowledgeGraph, Result, open
    from kg.errors import (
        KgError,
        KgWarning,
        NotFoundError,
        ParseError,
        QueryError,
        QueryTimeoutError,
        StoreError,
        TermError,
        ValidationError,
    )
    from kg.stores import init_store
    from kg.vocabulary import compact

# Where each public name lives. They load on first use, so that `import kg` (and every
# `kg` command, which imports a submodule and so this file) does not pay for the whole library.
PUBLIC = {
    "Finding": "kg.analysis.chokepoints",
    "Findings": "kg.analysis.chokepoints",
    "Scenario": "kg.analysis.scenarios",
    "Simulation": "kg.analysis.simulation",
    "KnowledgeGraph": "kg.api",
    "Result": "kg.api",
    "open": "kg.api",
    "KgError": "kg.errors",
    "KgWarning": "kg.errors",
    "NotFoundError": "kg.errors",
    "ParseError": "kg.errors",
    "QueryError": "kg.errors",
    "QueryTimeoutError": "kg.errors",
    "StoreError": "kg.errors",
    "TermError": "kg.errors",
    "ValidationError": "kg.errors",
    "init_store": "kg.stores",
    "compact": "kg.vocabulary",
}


def __getattr__(name: str):
    if name in PUBLIC:
        value = getattr(importlib.import_module(PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(PUBLIC))


__version__ = "0.1.0"

__all__ = [
    "Finding",
    "Findings",
    "KgError",
    "KgWarning",
    "KnowledgeGraph",
    "NotFoundError",
    "ParseError",
    "QueryError",
    "QueryTimeoutError",
    "Result",
    "Scenario",
    "Simulation",
    "StoreError",
    "TermError",
    "ValidationError",
    "__version__",
    "compact",
    "init_store",
    "open",
]

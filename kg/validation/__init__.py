"""Validation: SHACL shapes plus the vocabulary check, before anything is written.

``checks`` runs a whole graph or a change; ``constraints`` compiles the SHACL core to SPARQL;
``shacl`` is the pySHACL reference engine; ``report`` holds what they find.
"""

from kg.validation.checks import (
    ENGINES,
    check_change,
    graph_vocabulary_problems,
    shape_problems,
    validate_graph,
    validate_store,
    vocabulary_problems,
)
from kg.validation.report import Problem, Report

__all__ = [
    "ENGINES",
    "Problem",
    "Report",
    "check_change",
    "graph_vocabulary_problems",
    "shape_problems",
    "validate_graph",
    "validate_store",
    "vocabulary_problems",
]

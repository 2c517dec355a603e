"""Where kg finds its data files: the ontology, the bundled queries and the dataset.

In a source checkout they sit at the top of the repository; in an installed wheel
they are carried inside the package (see ``force-include`` in pyproject.toml).
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
KINDS = ("ontology", "queries", "data")


def resource_dir(kind: str) -> Path:
    """The folder holding the bundled files of one kind: ontology, queries or data."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; expected one of {KINDS}")
    packaged = PACKAGE_DIR / kind
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / kind


def is_packaged(path: Path) -> bool:
    """True when ``path`` lies inside the installed package (read-only by policy)."""
    try:
        Path(path).resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return False
    return True


def bundled_dataset() -> Path:
    """The bundled ecosystem dataset, the default store."""
    return resource_dir("data") / "ecosystem.ttl"

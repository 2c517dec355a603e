"""Writing pages: into the folder asked for, never through links, replacing only kg's own pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import KgError
from kg.stores.files import atomic_write, check_target
from kg.views.style import GENERATOR

if TYPE_CHECKING:
    pass


PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.html)?")


def write_pages(out: Path, pages: dict[str, bytes], force: bool = False, prune: list[str] = ()) -> list[Path]:
    """Write every page inside ``out``, after checking all of them, atomically one by one;
    then remove the pages kg wrote earlier in the ``prune`` folders that were not written now."""

    root = output_folder(out)
    targets = {relative: target_path(root, relative) for relative in pages}
    for path in targets.values():
        check_target(path, force, replaceable=written_by_kg)
    stale = [p for folder in prune for p in stale_pages(root / folder, set(targets.values()))]
    for relative, path in targets.items():
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, pages[relative])
    for path in stale:
        path.unlink()
    return list(targets.values())


def output_folder(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise KgError(f"`out` {out} is a file; give a folder for the views (e.g. exports)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KgError(
            f"cannot create the folder {out}: {exc.strerror or exc}; choose another `out`"
        ) from None
    return out


def target_path(root: Path, relative: str) -> Path:
    """``root/relative``, refused if a part could climb out of ``root`` or a symlink leads out of it."""
    parts = relative.split("/")
    if not all(PART.fullmatch(p) for p in parts) or not parts[-1].endswith(".html"):
        raise KgError(
            f"refusing to write '{relative}': view files are slugs such as participants/tmall-global.html"
        )
    path = root.joinpath(*parts)
    inside = root.resolve()
    if path.parent.exists() and not path.parent.resolve().is_relative_to(inside):
        raise KgError(f"refusing to write {path}: {path.parent} leads out of {root}; remove that symlink")
    return path


def written_by_kg(path: Path) -> bool:
    with open(path, "rb") as handle:
        return GENERATOR.encode("utf-8") in handle.read(2048)


def stale_pages(folder: Path, keep: set[Path]) -> list[Path]:
    """Pages kg wrote earlier in ``folder`` for participants or scenarios that are gone."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p
        for p in folder.glob("*.html")
        if p not in keep and p.is_file() and not p.is_symlink() and written_by_kg(p)
    )

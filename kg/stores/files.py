"""Files on disk: Turtle read and written in a stable order, atomic replacement, the lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError, ParseError, StoreError
from kg.vocabulary import PREFIXES, RDF_TYPE, RDFS_LABEL

LOCK_TIMEOUT_SECONDS = 60.0


def parse_turtle(path: Path) -> ox.Store:
    """Parse a Turtle file into a fresh in-memory store; errors name the file and line."""
    graph = ox.Store()
    try:
        graph.load(path=str(path), format=ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise ParseError(
            f"{where}: {exc.msg}; the file was not changed: fix that line "
            "(or restore the file from git) and run the command again"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return graph


def sort_key(triple: ox.Triple | ox.Quad) -> tuple:
    """Subjects in IRI order; rdf:type, then labels, then the other predicates."""
    rank = {RDF_TYPE.value: 0, RDFS_LABEL.value: 1}
    predicate = triple.predicate.value
    return (
        str(triple.subject),
        rank.get(predicate, 2),
        predicate,
        str(triple.object),
    )


def serialize_turtle(quads: Iterable[ox.Quad | ox.Triple]) -> bytes:
    """Sorted, stable Turtle: one block per subject, blank line between blocks."""
    triples = sorted(
        (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
        key=sort_key,
    )
    header = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    blocks = []
    start = 0
    for index in range(1, len(triples) + 1):
        if index == len(triples) or triples[index].subject != triples[start].subject:
            blocks.append(subject_block(triples[start:index]))
            start = index
    return (header + "\n" + "\n".join(blocks)).encode("utf-8")


def subject_block(triples: list[ox.Triple]) -> str:
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")
    # split("\n"), not splitlines(): U+0085, U+2028 and U+2029 may sit inside string literals.
    return "".join(line + "\n" for line in text.split("\n") if line and not line.startswith("@prefix"))


def check_target(path: Path, force: bool, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Refuse to write through a symbolic link, over anything but a file, or over a file without
    ``force``, unless ``replaceable`` says kg may replace it (a page kg wrote itself)."""
    if path.is_symlink():
        raise KgError(f"{path} is a symbolic link; kg does not write through links: choose another path")
    if path.exists() and not path.is_file():
        raise KgError(f"{path} is in the way and is not a file; move it away or choose another path")
    if path.exists() and not force:
        if replaceable is None:
            raise KgError(f"{path} exists; pass `force` to overwrite it")
        if not replaceable(path):
            raise KgError(
                f"{path} exists and was not written by kg; move it away or pass `force` to replace it"
            )


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    directory = path.parent
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; a store or an export is an ordinary file (0666 less the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
        raise StoreError(f"could not write {path}: {reason}; the file there is unchanged") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stray_temp_files(path: Path) -> None:
    """Temp files left by a writer that was killed; called only while holding the lock."""
    for stray in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stray.unlink()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (``PATH.lock``) while a change is made."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+b")
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    with handle:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{path} stayed locked by another kg process for "
                        f"{LOCK_TIMEOUT_SECONDS:.0f} s ({lock_path}); retry when it ends"
                    ) from None
                time.sleep(0.05)
        try:
            remove_stray_temp_files(path)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

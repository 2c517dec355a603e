"""How big the exported views are and how fast they open: `python -m bench.views [FOLDER]`.

Each page of FOLDER (default exports/) is opened several times in headless Chromium with the
network blocked, until its graph is drawn (kgView.ready) or, for a page without a graph, until
its load event; the baseline is an empty page opened the same way in the same browser.
Printed: size, median load time and its ratio to the baseline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.browser import browser, wait_until_drawn

LOADS = 5


def load_time(running, page: Path) -> float:
    drawn = "graph-data" in page.read_text(encoding="utf-8")
    times = []
    for _ in range(LOADS):
        start = time.perf_counter()
        visit = running.open(page, wait_for_view=False)
        if drawn:
            wait_until_drawn(visit.page)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(folder: Path) -> None:
    pages = sorted(folder.rglob("*.html"))
    with browser() as running, tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.html"
        blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
        base = load_time(running, blank)
        print(f"baseline (empty page): {base * 1000:.0f} ms, median of {LOADS}")
        print("| page | KB | median load ms | / baseline |\n|---|---:|---:|---:|")
        for page in pages:
            seconds = load_time(running, page)
            name = page.relative_to(folder).as_posix()
            size = page.stat().st_size / 1000
            print(f"| {name} | {size:,.0f} | {seconds * 1000:,.0f} | {seconds / base:.1f}x |")
    total = sum(p.stat().st_size for p in pages)
    print(f"{len(pages)} pages, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("exports"))

"""Headless Chromium for the view tests: every request off the machine is blocked and recorded,
and console errors, page errors and dialogs are collected for the test to assert on.

Debian's chromium is driven through Playwright's own driver (the pip package), never a
browser that Playwright downloads. Under CI=true a missing browser fails the tests; on a
developer's machine without /usr/bin/chromium they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def require_browser() -> None:
    """Skip when Chromium or Playwright is missing locally; fail under CI, where .ci/run installs both."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install playwright)"
    if problem and os.environ.get("CI"):
        pytest.fail(f"browser tests must run under CI: {problem}")
    if problem:
        pytest.skip(problem)


@dataclass
class Visit:
    """One page opened with the network blocked, and what it tried or said."""

    page: object
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg=None):
        return self.page.evaluate(script, arg)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name.replace('/', '--')}.png"
        self.page.screenshot(path=str(path))
        return path


class Browser:
    """A running Chromium; ``open`` gives each page a fresh, offline context."""

    def __init__(self, playwright) -> None:
        self.chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        self.context = None

    def open(self, path: Path, wait_for_view: bool = True, size: tuple[int, int] = (1400, 900)) -> Visit:
        if self.context is not None:
            self.context.close()
        context = self.context = self.chromium.new_context(viewport={"width": size[0], "height": size[1]})
        context.set_offline(True)
        page = context.new_page()
        visit = Visit(page)

        def route(route) -> None:
            if route.request.url.startswith(LOCAL_SCHEMES):
                route.continue_()
            else:
                visit.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page.on("request", lambda r: None if r.url.startswith(LOCAL_SCHEMES) else visit.blocked.append(r.url))
        page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: visit.errors.append(str(e)))
        page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
        page.goto(path.resolve().as_uri())
        if wait_for_view:
            wait_until_drawn(page)
        return visit

    def close(self) -> None:
        self.chromium.close()


def wait_until_drawn(page, timeout: float = 60.0) -> None:
    """Poll from Python: wait_for_function would evaluate its predicate with eval(), which the
    pages' Content-Security-Policy refuses (as it should)."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate("() => Boolean(window.kgView && window.kgView.ready)"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{page.url} did not draw its view within {timeout:g} s")
        page.wait_for_timeout(50)


@contextmanager
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        running = Browser(playwright)
        try:
            yield running
        finally:
            running.close()

"""A real Oxigraph SPARQL server for the endpoint tests, beside Virtuoso: the `oxigraph`
package of the Python registry ships it (a test dependency of kg).

It listens on 127.0.0.1 only, on a port picked at run time, with its database in a folder of
its own; like the Virtuoso fixture it never outlives the run (stopped in a finally and at
exit, and SIGTERMed by the kernel if pytest dies). Its query and update services have their
own URLs, so its kg store is named by both: ``"http://127.0.0.1:PORT/query http://.../update"``.
Under CI=true a missing binary fails the tests; elsewhere it skips them.

Load it as a plugin: ``pytest_plugins = ["tests.oxigraph_server"]``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.errors import StoreError
from kg.stores.sparql_client import SparqlEndpoint
from tests.virtuoso import _die_with_parent, free_port, in_ci

START_TIMEOUT = 30.0


def find_server() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


class OxigraphServer:
    """One `oxigraph serve` process and its folder; ``kill`` and ``start`` again keep the data."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="kg-oxigraph-server-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query http://127.0.0.1:{self.port}/update"

    def endpoint(self) -> SparqlEndpoint:
        return SparqlEndpoint(*self.url.split(), timeout=10)

    def start(self) -> None:
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "serve",
                    "--location",
                    str(self.folder / "db"),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda parent=os.getpid(): _die_with_parent(parent),
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.endpoint().ask("ASK { }")
                return
            except StoreError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"oxigraph serve did not answer: {exc}\n{log}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash would end it."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(15)
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def require_server() -> str:
    binary = find_server()
    if binary:
        return binary
    problem = "the oxigraph server is missing (pip install oxigraph)"
    if in_ci():
        pytest.fail(f"the Oxigraph server tests must run under CI: {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[OxigraphServer]:
    """A running Oxigraph server shared by the session (one per xdist worker)."""
    server = OxigraphServer(require_server())
    try:
        server.start()
        yield server
    finally:
        server.stop()

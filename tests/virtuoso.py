"""A real Virtuoso for the SPARQL endpoint tests, from Debian's virtuoso-opensource-7-bin.

The server listens on 127.0.0.1 only, on ports picked at run time, with its database in
its own folder under /tmp/virtuoso-helper/. Under CI=true a missing or broken Virtuoso
fails the tests; elsewhere a missing binary skips them.

It must never outlive the test run: the fixture stops it in a finally, atexit stops it
when pytest exits early, and the kernel sends it SIGTERM if pytest dies outright
(PR_SET_PDEATHSIG). It runs in its own session, so a Ctrl-C meant for pytest does not
cut it off before the fixture has shut it down.

Load it as a plugin, ``pytest_plugins = ["tests.virtuoso"]`` in tests/conftest.py or a test
module, rather than importing the fixtures by name (ruff's F811 flags each test argument).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.errors import StoreError
from kg.stores.sparql_client import SparqlEndpoint

PACKAGE = "virtuoso-opensource-7-bin"
SERVER_NAMES = ("virtuoso-t",)
ISQL_NAMES = ("isql-vt", "isql")
WORK_ROOT = Path("/tmp/virtuoso-helper")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
GRANTS = ('GRANT SPARQL_UPDATE TO "SPARQL";',)
PR_SET_PDEATHSIG = 1

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 5
ServerThreads = 5

[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def find_binary(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: the child may only make plain calls


def _die_with_parent(parent: int) -> None:
    """Run in the child before exec: SIGTERM it when pytest dies, however it dies."""
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # pytest died before prctl took effect
        os._exit(1)


class VirtuosoServer:
    """One Virtuoso process and its database folder; ``stop`` is safe to call twice."""

    def __init__(self, binary: str, isql: str) -> None:
        self.binary = binary
        self.isql = isql
        self.process: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.http_port = 0
        self.sql_port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def log(self) -> str:
        """Virtuoso's own log, or what it printed when it died before opening that."""
        for name in ("virtuoso.log", "stdout.log"):
            path = self.folder / name if self.folder else None
            if path and path.exists() and path.stat().st_size:
                return path.read_text(errors="replace")
        return "(no log)"

    @property
    def log_tail(self) -> str:
        return "\n".join(self.log.splitlines()[-25:])

    def start(self) -> SparqlEndpoint:
        WORK_ROOT.mkdir(parents=True, exist_ok=True)
        remove_stale_folders()
        self.folder = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_ROOT))
        (self.folder / "owner.pid").write_text(str(os.getpid()))
        self.sql_port, self.http_port = free_port(), free_port()
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(dir=self.folder, sql_port=self.sql_port, http_port=self.http_port))
        atexit.register(self.stop)
        self.launch()
        self.wait_until_online()
        self.grant_updates()
        return self.wait_until_answering()

    def launch(self) -> None:
        ini = self.folder / "virtuoso.ini"
        with open(self.folder / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                [self.binary, "+foreground", "+configfile", str(ini)],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda parent=os.getpid(): _die_with_parent(parent),
            )

    def kill_and_restart(self) -> None:
        """SIGKILL the server, as a crash would, then start it again on its own database (it
        replays its transaction log), on the same ports."""
        _signal(self.process, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        (self.folder / "virtuoso.lck").unlink(missing_ok=True)
        self.log_start = len(self.log)
        self.launch()
        deadline = time.monotonic() + START_TIMEOUT
        while "Server online at" not in self.log[self.log_start :]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso-t did not come back:\n{self.log_tail}")
            time.sleep(0.1)
        self.wait_until_answering()

    def wait_until_online(self) -> None:
        """Virtuoso opens HTTP before SQL; the SQL port is needed for the grants."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with code {self.process.returncode}:\n{self.log_tail}")
            if "Server online at" in self.log:
                return
            time.sleep(0.1)
        raise RuntimeError(f"virtuoso-t was not online after {START_TIMEOUT:g} s:\n{self.log_tail}")

    def grant_updates(self) -> None:
        for statement in GRANTS:
            self.sql(statement)

    def sql(self, statement: str) -> str:
        """Run one statement as dba through isql; raise with its output when it fails."""
        result = subprocess.run(
            [self.isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed on {statement!r}:\n{output}")
        return output

    def wait_until_answering(self) -> SparqlEndpoint:
        endpoint = SparqlEndpoint(self.url, timeout=10)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                endpoint.ask("ASK { }")
                return endpoint
            except StoreError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.url} did not answer: {exc}\n{self.log_tail}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            _signal(process, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                process.wait(STOP_TIMEOUT)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _signal(process: subprocess.Popen, signum: int) -> None:
    """Signal the server's own process group, which holds nothing but the server."""
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def remove_stale_folders() -> None:
    """Folders left by a pytest that was killed outright; its server died with it."""
    for folder in WORK_ROOT.glob("run-*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def require_virtuoso() -> tuple[str, str]:
    """The server and isql binaries; skip when missing locally, fail under CI."""
    binary, isql = find_binary(SERVER_NAMES), find_binary(ISQL_NAMES)
    if binary and isql:
        return binary, isql
    problem = f"virtuoso-t or isql-vt is missing (apt-get install -y {PACKAGE})"
    if in_ci():
        pytest.fail(f"the Virtuoso tests must run under CI: {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[VirtuosoServer]:
    """A running Virtuoso, shared by the whole session; stopped and removed at the end. Under
    pytest-xdist each worker is a session and starts its own, on its own ports and folder."""
    server = VirtuosoServer(*require_virtuoso())
    try:
        start_with_retries(server)
        yield server
    finally:
        server.stop()


def start_with_retries(server: VirtuosoServer, attempts: int = 3) -> None:
    """Another process may take a port between free_port() and Virtuoso binding it: retry."""
    for attempt in range(1, attempts + 1):
        try:
            server.start()
            return
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            server.stop()
            if attempt == attempts:
                pytest.fail(f"Virtuoso did not start after {attempts} attempts: {exc}")


@pytest.fixture(scope="session")
def virtuoso_endpoint(virtuoso_server: VirtuosoServer) -> SparqlEndpoint:
    """A SparqlEndpoint for the session's Virtuoso, allowed to update."""
    return SparqlEndpoint(virtuoso_server.url)


@pytest.fixture
def virtuoso_graph(virtuoso_endpoint: SparqlEndpoint) -> Iterator[str]:
    """A fresh named graph for one test, dropped afterwards so tests cannot see each other."""
    graph = f"urn:kg:test:{uuid.uuid4()}"
    yield graph
    virtuoso_endpoint.update(f"DROP SILENT GRAPH <{graph}>")

"""What the hardening tests share: store snippets, the import and CLI helpers, the
exact-error helpers. The tests themselves are test_bad_input.py, test_faults.py and
test_attacks.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kg.cli import cli

CBR = "https://w3id.org/cbec/resource/"
CBEC = "https://w3id.org/cbec/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
SOURCE = "cbr:source-market-analysis"
HEADER = """@prefix cbec: <https://w3id.org/cbec/ontology#> .
@prefix cbr: <https://w3id.org/cbec/resource/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""  # five lines: a body's first line is line 6
HEADER_LINES = HEADER.count("\n")
ENTITY = (
    'cbr:{slug} a cbec:Platform ; rdfs:label "{label}"@en ; prov:wasDerivedFrom cbr:source-market-analysis .'
)
# The link of the walkthrough (tests/test_cli.py), as an import states it.
LINK = """cbr:kaola cbec:shipsVia cbr:cainiao ; cbec:dependsOn cbr:cainiao .
cbr:link-kaola-shipsvia-cainiao a cbec:Link ; cbec:subject cbr:kaola ; cbec:predicate cbec:shipsVia ;
    cbec:object cbr:cainiao ; cbec:chain cbec:LogisticsChain ; cbec:confidence cbec:Low ;
    cbec:criticality cbec:Medium ; prov:wasDerivedFrom cbr:source-market-analysis ;
    cbec:weight {weight} ; cbec:paragraph {paragraph} .
"""
NOT_IMPORTED = "; nothing was imported: fix the file and run the import again"


# ---------------------------------------------------------------- helpers


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def run(spec: str | Path, *args: str):
    """`kg --store SPEC ARGS` in-process; exceptions are caught so that a crash is an assertion."""
    return CliRunner().invoke(cli, ["--store", str(spec), *args], catch_exceptions=True)


def error_line(result) -> str:
    """The `Error: ...` line of a command (`kg import` prints its progress label first)."""
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert lines, f"no Error: line (exit {result.exit_code}): {result.output!r}"
    return lines[0]


def refused(result) -> str:
    """The whole output of a command that must fail cleanly: exit 1, an Error: line, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    error_line(result)
    return result.output


def kg_process(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """`python -m kg.cli ARGS` in its own process, as a user's shell runs it."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], capture_output=True, timeout=timeout, **kwargs
    )


def assert_clean_exit(proc: subprocess.CompletedProcess) -> None:
    """Exit 0, or exit 1 with stderr saying `Error: ...`; never a signal, never a traceback."""
    stderr = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else proc.stderr
    assert proc.returncode in (0, 1), (
        f"exit {proc.returncode} (negative: killed by a signal): {stderr[-500:]}"
    )
    assert "Traceback" not in stderr, stderr[-2000:]
    if proc.returncode == 1:
        lines = [line for line in stderr.splitlines() if line.strip() and line.strip() != "importing"]
        assert lines and lines[0].startswith("Error: "), stderr[-500:]


def turtle(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def platform(subject: str, label: str = '"A"@en', source: str = SOURCE) -> str:
    """One platform as Turtle; the parts a test breaks are arguments."""
    return f"{subject} a cbec:Platform ; rdfs:label {label} ; prov:wasDerivedFrom {source} ."

"""Analysis results as RDF: written beside the data, in their own graph, never into it.

A run of `kg analyze ... --write` or `kg simulate --write` becomes a cbec:AnalysisRun
(a prov:Activity with its parameters and time) and the findings, scores or outcomes it
generated. They are kept in a file next to the store (``<store>.analysis.ttl``), which
queries see as the named graph <https://w3id.org/cbec/analysis>. Each command keeps its
latest run: writing again replaces that command's previous results.
"""

from __future__ import annotations

import datetime
import hashlib
import json

import pyoxigraph as ox

from kg.vocabulary import CBR, PROV, RDF_TYPE, XSD, cbec


def decimal(value: float) -> ox.Literal:
    return ox.Literal(f"{value:.6f}".rstrip("0").rstrip(".") or "0", datatype=ox.NamedNode(XSD + "decimal"))


def run_triples(command: str, parameters: dict, as_of: str) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The prov:Activity of one run and the date it describes; its IRI is derived from the
    command and parameters."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    params = json.dumps(parameters, sort_keys=True, ensure_ascii=False)
    run = ox.NamedNode(f"{CBR}run-{command}-{hashlib.sha1(params.encode()).hexdigest()[:10]}")
    return run, [
        ox.Triple(run, RDF_TYPE, cbec("AnalysisRun")),
        ox.Triple(run, cbec("command"), ox.Literal(command)),
        ox.Triple(run, cbec("parameters"), ox.Literal(params)),
        ox.Triple(
            run,
            ox.NamedNode(PROV + "startedAtTime"),
            ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime")),
        ),
        ox.Triple(run, cbec("asOf"), ox.Literal(as_of, datatype=ox.NamedNode(XSD + "date"))),
    ]


def finding_triples(run: ox.NamedNode, findings) -> list[ox.Triple]:
    out = []
    for n, f in enumerate(findings, 1):
        node = ox.NamedNode(f"{run.value}-finding-{n}")
        out += [
            ox.Triple(node, RDF_TYPE, cbec("Finding")),
            ox.Triple(node, ox.NamedNode(PROV + "wasGeneratedBy"), run),
            ox.Triple(node, cbec("node"), ox.NamedNode(f.node)),
            ox.Triple(node, cbec("findingKind"), ox.Literal(f.kind)),
            ox.Triple(node, cbec("score"), decimal(f.score)),
            ox.Triple(node, cbec("reason"), ox.Literal(f.reason, language="en")),
        ]
        out += [ox.Triple(node, cbec("holds"), ox.NamedNode(p)) for p in f.participants]
        out += [ox.Triple(node, cbec("findingChain"), cbec(f.chain))] if f.chain.endswith("Chain") else []
    return out


def score_triples(run: ox.NamedNode, scores: dict[str, dict[str, float]]) -> list[ox.Triple]:
    out = []
    for n, (iri, measures) in enumerate(sorted(scores.items()), 1):
        for measure, value in sorted(measures.items()):
            node = ox.NamedNode(f"{run.value}-score-{n}-{measure.replace('_', '-')}")
            out += [
                ox.Triple(node, RDF_TYPE, cbec("CentralityScore")),
                ox.Triple(node, ox.NamedNode(PROV + "wasGeneratedBy"), run),
                ox.Triple(node, cbec("node"), ox.NamedNode(iri)),
                ox.Triple(node, cbec("measure"), ox.Literal(measure)),
                ox.Triple(
                    node,
                    cbec("scoreValue"),
                    ox.Literal(repr(float(value)), datatype=ox.NamedNode(XSD + "double")),
                ),
            ]
    return out


def outcome_triples(run: ox.NamedNode, simulation) -> list[ox.Triple]:
    """One cbec:SimulationOutcome per participant failed or hit, with its failure probability
    when the run was sampled."""
    outcome, spread = simulation.outcome, simulation.spread
    rows = [(f.node, "failed", f.round, f.loss, f.chain, f.causes) for f in outcome.failed]
    rows += [(s.node, "survived", None, s.loss, s.chain, s.lost) for s in outcome.standing]
    out = []
    for n, (iri, kind, round_no, loss, chain, causes) in enumerate(rows, 1):
        node = ox.NamedNode(f"{run.value}-outcome-{n}")
        out += [
            ox.Triple(node, RDF_TYPE, cbec("SimulationOutcome")),
            ox.Triple(node, ox.NamedNode(PROV + "wasGeneratedBy"), run),
            ox.Triple(node, cbec("node"), ox.NamedNode(iri)),
            ox.Triple(node, cbec("outcome"), ox.Literal(kind)),
            ox.Triple(node, cbec("loss"), decimal(loss)),
            ox.Triple(node, cbec("lossChain"), cbec(chain)),
        ]
        if round_no is not None:
            out.append(
                ox.Triple(
                    node, cbec("round"), ox.Literal(str(round_no), datatype=ox.NamedNode(XSD + "integer"))
                )
            )
        if spread is not None:
            out.append(ox.Triple(node, cbec("probability"), decimal(spread.probability.get(iri, 0.0))))
        out += [ox.Triple(node, cbec("reason"), ox.Literal(c, language="en")) for c in causes]
    return out

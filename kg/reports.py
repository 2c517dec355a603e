"""The main job: what `kg report` prints about a store."""

from __future__ import annotations

from pathlib import Path

from kg.formats import csv_text, table_text
from kg.queries import stats, stats_text
from kg.store import Store
from kg.validation import validate_store
from kg.vocabulary import compact


def main_report(store: Store, exports: Path | None = None) -> tuple[str, bool]:
    """The main job: validate, summarise, list the top chokepoints, replay the 2016 policies and
    (with ``exports``) write the HTML views. The flag is False when the store does not conform.
    """
    from kg.analysis import REPLAY_DATE, REPLAY_POLICIES

    report = validate_store(store)
    policies = [compact(p) for p in REPLAY_POLICIES]
    sections = [
        "== Validation",
        report.text(),
        "",
        "== Summary",
        stats_text(stats(store)),
        "",
        "== Top chokepoints (kg analyze chokepoints)",
        chokepoints_report(store, top=8),
        "",
        f"== Replay of the April 2016 policies as of {REPLAY_DATE} (kg simulate "
        + " ".join(f"--policy {p}" for p in policies)
        + f" --as-of {REPLAY_DATE})",
        simulation_report(store, policies=policies, as_of=REPLAY_DATE),
    ]
    if exports is not None:
        from kg.views import export_views

        written = export_views(store, exports)
        sections += ["", f"== Views: {len(written)} files written to {exports}/ (open {exports}/index.html)"]
    return "\n".join(sections), report.conforms


# ---------------------------------------------------------------- analysis reports


def network_of(store: Store, chain: str | None = None, as_of: str | None = None, min_confidence: str = "low"):
    """The projection of a store, filtered by chain, date and confidence."""
    from kg.errors import TermError
    from kg.network import Filters, local, project
    from kg.queries import query_graph
    from kg.vocabulary import date_literal, level, vocabulary

    chains = None
    if chain:
        iri = vocabulary().concept(chain).value
        known = {p.default_chain for p in vocabulary().link_properties.values()}
        if iri not in known:
            names = ", ".join(sorted(compact(c) for c in known))
            raise TermError(f"'{chain}' is not a chain; choose one of {names}")
        chains = frozenset({local(iri)})
    day = date_literal(as_of, "--as-of").value if as_of else None
    confidence = level(min_confidence, "--min-confidence").value.rsplit("#", 1)[-1]
    return project(query_graph(store), Filters(chains=chains, as_of=day, min_confidence=confidence))


def centrality_report(
    store: Store, chain: str | None = None, top: int = 15, fmt: str = "table", write: bool = False, **filters
) -> str:
    """`kg analyze centrality`: the top nodes by PageRank with every measure."""
    import json

    from kg.analysis import MEASURES, centrality

    net = network_of(store, chain, **filters)
    result = centrality(net)
    if write:
        from kg.results import run_triples, score_triples

        run, triples = run_triples("centrality", {"chain": chain, **filters})
        store.replace_analysis("centrality", triples + score_triples(run, result.scores))
    rows = result.ranked("pagerank", top)
    if fmt == "json":
        return json.dumps(
            {
                "chain": chain,
                "method": result.method,
                "nodes": [{"node": n, "label": net.nodes[n]["label"], **s} for n, s in rows],
            },
            ensure_ascii=False,
            indent=2,
        )
    header = ["node", "label", *MEASURES]
    body = [[compact(n), net.nodes[n]["label"], *(f"{s[m]:.4f}" for m in MEASURES)] for n, s in rows]
    if fmt == "csv":
        return csv_text(header, [[n, lbl, *vals] for (n, _), (_, lbl, *vals) in zip(rows, body, strict=True)])
    notes = [f"{m}: {how}" for m, how in sorted(result.method.items())]
    scope = f"chain {chain}" if chain else "all chains"
    return (
        table_text(header, body) + f"\n\nTop {len(rows)} of {len(net)} nodes, {scope}.\n" + "\n".join(notes)
    )


def chokepoints_report(
    store: Store,
    sources: list[str] | None = None,
    targets: list[str] | None = None,
    top: int = 20,
    fmt: str = "table",
    write: bool = False,
    **filters,
) -> str:
    """`kg analyze chokepoints`: findings with the participants they hold and why."""
    import json

    from kg.analysis import chokepoints

    net = network_of(store, **filters)
    findings = chokepoints(net, resolve_nodes(net, sources), resolve_nodes(net, targets))
    if write:
        from kg.results import finding_triples, run_triples

        params = {"from": sources or [], "to": targets or [], **filters}
        run, triples = run_triples("chokepoints", params)
        store.replace_analysis("chokepoints", triples + finding_triples(run, findings))
    shown = findings[:top] if top else findings
    if fmt == "json":
        return json.dumps([f.as_dict() for f in shown], ensure_ascii=False, indent=2)
    lines = []
    for f in shown:
        lines.append(f"{f.score:>4.0f}  {f.kind:<18} {net.nodes[f.node]['label']} ({compact(f.node)})")
        lines.append(f"      {f.reason}")
    lines.append(f"\n{len(shown)} of {len(findings)} findings on {len(net)} nodes.")
    return "\n".join(lines)


def resolve_nodes(net, terms: list[str] | None) -> list[str]:
    """IRIs or class names (cbec:Supplier) into the network's node IRIs."""
    from kg.errors import TermError
    from kg.vocabulary import node, vocabulary

    found: list[str] = []
    for term in terms or []:
        iri = node(term).value
        if iri in vocabulary().classes:
            wanted = iri.rsplit("#", 1)[-1]
            sub = {c.rsplit("#", 1)[-1] for c, sup in vocabulary().superclasses.items() if iri in sup}
            found += [n for n, d in net.nodes(data=True) if set(d["kinds"]) & (sub | {wanted})]
        elif iri in net:
            found.append(iri)
        else:
            raise TermError(f"{term} is neither a class nor a node of the network; check it with `kg show`")
    return sorted(set(found))


def simulation_report(
    store: Store,
    remove: list[str] | None = None,
    policies: list[str] | None = None,
    threshold: float | None = None,
    fmt: str = "text",
    write: bool = False,
    **filters,
) -> str:
    """`kg simulate`: rounds of failures with their causes, and who survives and why."""
    import json

    from kg.analysis import DEFAULT_THRESHOLD, simulate
    from kg.vocabulary import node

    net = network_of(store, **filters)
    result = simulate(
        net,
        remove=[node(r).value for r in remove or []],
        policies=[node(p).value for p in policies or []],
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
    )
    failed = [f for round_ in result.rounds for f in round_]
    if write:
        from kg.results import outcome_triples, run_triples

        params = {"remove": remove or [], "policy": policies or [], "threshold": result.threshold, **filters}
        run, triples = run_triples("simulate", params)
        store.replace_analysis("simulate", triples + outcome_triples(run, result))
    if fmt == "json":
        return json.dumps(
            {
                "threshold": result.threshold,
                "shock": result.shock,
                "rounds": len(result.rounds),
                "failed": [
                    {"node": f.node, "round": f.round, "chain": f.chain, "loss": f.loss, "causes": f.causes}
                    for f in failed
                ],
                "survived": [{"node": n, **why} for n, why in sorted(result.survived.items())],
            },
            ensure_ascii=False,
            indent=2,
        )

    def label(n: str) -> str:
        return net.nodes[n]["label"] if n in net else n.removeprefix("model:")

    lines = [f"Shock: {', '.join(f'{label(n)} ({d:g})' for n, d in result.shock.items())}"]
    lines.append(f"Threshold: a participant fails when it loses more than {result.threshold:g} of one chain.")
    for number, round_ in enumerate(result.rounds, 1):
        lines.append(f"Round {number}:")
        for f in round_:
            lines.append(f"  FAILS  {label(f.node)}: lost {f.loss:g} of its {f.chain}")
            lines += [f"         - {c}" for c in f.causes]
    if not result.rounds:
        lines.append("No participant fails.")
    if result.survived:
        lines.append("Hit but standing:")
        for n, why in sorted(result.survived.items(), key=lambda kv: -kv[1]["loss"]):
            alt = f"; still has {', '.join(why['alternatives'])}" if why["alternatives"] else ""
            if why["backing"]:
                alt += f"; carried by {label(why['backing']['by'])} ({why['backing']['weight']:g})"
            lines.append(f"  stands {label(n)}: lost {why['loss']:g} of its {why['chain']}{alt}")
    return "\n".join(lines)

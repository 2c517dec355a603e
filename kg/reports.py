"""The main job: what `kg report` prints about a store."""

from __future__ import annotations

import datetime
from pathlib import Path

from kg.errors import KgError
from kg.formats import csv_text, table_text
from kg.queries import query_graph, stats, stats_text
from kg.store import Store
from kg.validation import validate_store
from kg.vocabulary import compact, node

REPORT_SAMPLES = 500
REPORT_SEED = 1


def main_report(store: Store, exports: Path | None = None) -> tuple[str, bool]:
    """The main job: validate, summarise, rank failure impacts, replay the store's scenarios
    with their probabilities and (with ``exports``) write the HTML views. The flag is False
    when the store does not conform."""
    from kg.scenarios import scenarios

    report = validate_store(store)
    today = datetime.date.today().isoformat()
    sections = [
        "== Validation",
        report.text(),
        "",
        "== Summary",
        stats_text(stats(store)),
        "",
        f"== Top failure impacts as of {today} (kg analyze chokepoints --top 8)",
        chokepoints_report(store, top=8, kinds=("impact",)),
    ]
    for s in scenarios(query_graph(store)):
        sections += [
            "",
            f"== Scenario {s.name}: {s.label}, as of {s.as_of} "
            f"(kg simulate --scenario {s.name} --samples {REPORT_SAMPLES} --seed {REPORT_SEED})",
            simulation_report(store, scenario=s.name, samples=REPORT_SAMPLES, seed=REPORT_SEED, strict=False),
        ]
    if exports is not None:
        from kg.views import export_views

        written = export_views(store, exports)
        sections += ["", f"== Views: {len(written)} files written to {exports}/ (open {exports}/index.html)"]
    return "\n".join(sections), report.conforms


# ---------------------------------------------------------------- analysis reports


def network_of(
    store: Store, chain: str | None = None, as_of: str | None = None, min_confidence: str = "low", graph=None
):
    """The projection of a store as of a date (today when none is given), filtered by chain and
    confidence; ``graph``: the store's query view, when the caller has it already."""
    from kg.errors import TermError
    from kg.network import Filters, local, project
    from kg.vocabulary import date_literal, level, vocabulary

    as_of = as_of or datetime.date.today().isoformat()

    chains = None
    if chain:
        # A short name (logistics) stands for its chain concept (cbec:LogisticsChain).
        spelled = chain if ":" in chain else f"cbec:{chain.strip().capitalize()}Chain"
        iri = vocabulary().concept(spelled).value
        known = {p.default_chain for p in vocabulary().link_properties.values()}
        if iri not in known:
            names = ", ".join(sorted(compact(c) for c in known))
            raise TermError(f"'{chain}' is not a chain; choose one of {names}")
        chains = frozenset({local(iri)})
    day = date_literal(as_of, "--as-of").value if as_of else None
    confidence = level(min_confidence, "--min-confidence").value.rsplit("#", 1)[-1]
    graph = graph if graph is not None else query_graph(store)
    net = project(graph, Filters(chains=chains, as_of=day, min_confidence=confidence))
    net.graph["chain"] = next(iter(chains)) if chains else None
    return net


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

        run, triples = run_triples("centrality", {"chain": chain, **filters}, net.graph["as_of"])
        store.replace_analysis("centrality", triples + score_triples(run, result.scores))
    rows = result.ranked("pagerank", top)
    if fmt == "json":
        return json.dumps(
            {
                "as_of": net.graph["as_of"],
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
    scope = (f"chain {chain}" if chain else "all chains") + f", as of {net.graph['as_of']}"
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
    chain: str | None = None,
    threshold: float | None = None,
    samples: int = 0,
    seed: int = 0,
    kinds: tuple[str, ...] | None = None,
    **filters,
) -> str:
    """`kg analyze chokepoints`: the failure impact ranking, then the structural findings, each
    with the participants it holds and why."""
    import json

    from kg.analysis import chokepoints
    from kg.simulation import DEFAULT_THRESHOLD

    net = network_of(store, chain, **filters)
    chain_name = net.graph.get("chain")
    findings = chokepoints(
        net,
        resolve_nodes(net, sources),
        resolve_nodes(net, targets),
        chain=chain_name,
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        samples=samples,
        seed=seed,
    )
    if kinds:
        findings[:] = [f for f in findings if f.kind in kinds]
    as_of = net.graph["as_of"]
    if write:
        from kg.results import finding_triples, run_triples

        params = {
            "from": sources or [],
            "to": targets or [],
            "chain": chain,
            "samples": samples,
            "seed": seed,
        }
        run, triples = run_triples("chokepoints", {**params, **filters, "as_of": as_of}, as_of)
        store.replace_analysis("chokepoints", triples + finding_triples(run, findings))
    shown = findings[:top] if top else findings
    if fmt == "json":
        return json.dumps([{**f.as_dict(), "as_of": as_of} for f in shown], ensure_ascii=False, indent=2)
    lines = [f"As of {as_of}" + (f", {chain_name} only" if chain_name else "") + ":"]
    for f in shown:
        score = f"{f.score:>6.2f}" if f.probability is not None else f"{f.score:>4.0f}  "
        lines.append(f"{score}  {f.kind:<18} {net.nodes[f.node]['label']} ({compact(f.node)}) [{f.chain}]")
        lines.append(f"        {f.reason}")
    lines += [f"Note: {n}" for n in findings.notes]
    lines.append(f"\n{len(shown)} of {len(findings)} findings on {len(net)} nodes.")
    return "\n".join(lines)


def resolve_nodes(net, terms: list[str] | None) -> list[str]:
    """IRIs or class names (cbec:Supplier) into the network's node IRIs."""
    from kg.errors import TermError
    from kg.network import nodes_of_class
    from kg.vocabulary import vocabulary

    found: list[str] = []
    for term in terms or []:
        iri = node(term).value
        if iri in vocabulary().classes:
            found += nodes_of_class(net, iri)
        elif iri in net:
            found.append(iri)
        else:
            raise TermError(f"{term} is neither a class nor a node of the network; check it with `kg show`")
    return sorted(set(found))


def parse_range(text: str | None, parts: int, what: str) -> tuple[float, ...] | None:
    """LO:HI or LO:HI:STEP as numbers."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(":"))
    except ValueError:
        values = ()
    if len(values) != parts:
        shape = "LO:HI" if parts == 2 else "LO:HI:STEP"
        raise KgError(f"{what} '{text}' must be {shape}, e.g. {'0.3:0.7' if parts == 2 else '0.3:0.7:0.1'}")
    return values


def simulation_report(
    store: Store,
    remove: list[str] | None = None,
    policies: list[str] | None = None,
    threshold: float | None = None,
    fmt: str = "text",
    write: bool = False,
    close: list[str] | None = None,
    scenario: str | None = None,
    samples: int = 0,
    seed: int = 0,
    threshold_range: str | None = None,
    sweep_threshold: str | None = None,
    strict: bool = True,
    **filters,
) -> str:
    """`kg simulate`: rounds of failures with their causes, who stands and why, and with
    samples how likely each outcome is. ``strict=False`` prints a shock that hits nothing
    instead of refusing it (the report replays every scenario)."""
    import json

    from kg.network import nodes_of_class
    from kg.simulation import DEFAULT_THRESHOLD, World, shock_of, simulate, sweep

    remove, policies, close, damaged = list(remove or []), list(policies or []), list(close or []), {}
    if scenario:
        from kg.scenarios import scenario as named

        graph = query_graph(store)
        s = named(graph, scenario)
        remove, policies, close = remove + s.removes, policies + s.policies, close + s.closes
        filters["as_of"] = filters.get("as_of") or s.as_of
    # A scenario was read from the store's view: project that one, not a second parse.
    net = network_of(store, **filters, graph=graph if scenario else None)
    if scenario and s.damaged_class and s.damage:
        damaged = {n: s.damage for n in nodes_of_class(net, s.damaged_class)}
    iris = [[node(r).value for r in group] for group in (remove, policies, close)]
    level = DEFAULT_THRESHOLD if threshold is None else threshold
    if sweep_threshold:
        low, high, step = parse_range(sweep_threshold, 3, "sweep_threshold")
        world = World.of(net)
        shock = shock_of(net, world, *iris, damaged)[0]
        rows = sweep(world, shock, low, high, step)
        if fmt == "json":
            return json.dumps(
                {"as_of": net.graph["as_of"], "sweep": [{"threshold": t, "failed": f} for t, f in rows]},
                indent=2,
            )
        return f"As of {net.graph['as_of']}:\n" + table_text(
            ["threshold", "fails"],
            [[f"{t:g}", ", ".join(label_of(net, n) for n in f) or "-"] for t, f in rows],
        )
    try:
        result = simulate(
            net,
            *iris,
            damaged,
            threshold=level,
            samples=samples,
            seed=seed,
            threshold_range=parse_range(threshold_range, 2, "threshold_range"),
        )
    except KgError as exc:
        if strict or "hits nothing" not in str(exc):
            raise
        return f"No effect: {exc}"
    if write:
        from kg.results import outcome_triples, run_triples

        params = {
            "remove": remove,
            "policy": policies,
            "close": close,
            "scenario": scenario,
            "threshold": level,
            "samples": samples,
            "seed": seed,
            **filters,
        }
        run, triples = run_triples("simulate", params, result.as_of)
        store.replace_analysis("simulate", triples + outcome_triples(run, result))
    if fmt == "json":
        return json.dumps(simulation_json(result), ensure_ascii=False, indent=2)
    return simulation_text(net, result)


def label_of(net, n: str) -> str:
    return net.nodes[n]["label"] if n in net else compact(n)


def simulation_json(result) -> dict:
    spread, outcome = result.spread, result.outcome

    def chance(n: str) -> dict:
        if spread is None:
            return {}
        return {
            "probability": spread.probability.get(n, 0.0),
            "median_loss": round(spread.median_loss.get(n, 0.0), 4),
            "verdict": spread.verdict(n),
        }

    out = {
        "as_of": result.as_of,
        "threshold": outcome.threshold,
        "shock": result.shock,
        "not_in_force": result.not_in_force,
        "rounds": len(outcome.rounds),
        "failed": [
            {
                "node": f.node,
                "round": f.round,
                "chain": f.chain,
                "loss": f.loss,
                "causes": f.causes,
                **chance(f.node),
            }
            for f in outcome.failed
        ],
        "survived": [
            {
                "node": s.node,
                "chain": s.chain,
                "loss": s.loss,
                "lost": s.lost,
                "alternatives": s.alternatives,
                "backing": s.backing,
                **chance(s.node),
            }
            for s in outcome.standing
        ],
        "relieved": outcome.relieved,
    }
    if spread is not None:
        from kg.simulation import CONFIDENCE_SPREAD

        out["samples"] = {"n": spread.samples, "seed": spread.seed, "weight_spread": CONFIDENCE_SPREAD}
        out["robust"] = all(spread.verdict(n) == "robust" for n in spread.probability)
    return out


def simulation_text(net, result) -> str:
    from kg.simulation import CONFIDENCE_SPREAD

    outcome, spread = result.outcome, result.spread

    def label(n: str) -> str:
        return label_of(net, n)

    def chance(n: str) -> str:
        if spread is None:
            return ""
        return f"  [fails in {spread.probability.get(n, 0.0):.0%} of samples: {spread.verdict(n)}]"

    actions = {"remove": "remove", "apply": "apply", "close": "close", "damage": "damage"}
    shock = "; ".join(
        f"{actions[d['action']]} {label(d['node'])}" + (f" ({d['intensity']:g})" if "intensity" in d else "")
        for d in result.shock
    )
    lines = [f"As of {result.as_of} (entities, policies and links that take part on that day)."]
    lines.append(f"Shock: {shock}")
    lines += [f"Not applied: {n}" for n in result.not_in_force]
    lines.append(
        f"Threshold: a participant fails when it loses more than {outcome.threshold:g} of one chain."
    )
    for number, round_ in enumerate(outcome.rounds, 1):
        lines.append(f"Round {number}:")
        for f in round_:
            lines.append(f"  FAILS  {label(f.node)}: lost {f.loss:g} of its {f.chain}{chance(f.node)}")
            lines += [f"         - {c}" for c in f.causes]
    if not outcome.rounds:
        lines.append("No participant fails.")
    if outcome.standing:
        lines.append("Hit but standing:")
        for s in sorted(outcome.standing, key=lambda s: (-s.loss, s.node)):
            alt = f"; still has {', '.join(label(a) for a in s.alternatives)}" if s.alternatives else ""
            alt += f"; backed by {', '.join(label(b) for b in s.backing)}" if s.backing else ""
            lines.append(f"  stands {label(s.node)}: lost {s.loss:g} of its {s.chain}{alt}{chance(s.node)}")
    if outcome.relieved:
        lines.append("Relieved (no longer exposed): " + ", ".join(label(n) for n in outcome.relieved))
    if spread is not None:
        widths = ", ".join(f"{k.lower()} ±{v:.0%}" for k, v in CONFIDENCE_SPREAD.items())
        lines.append(
            f"Samples: {spread.samples} draws (seed {spread.seed}), each weight drawn within its "
            f"confidence's range ({widths}); robust = fails in at least 90% or at most 10% of samples."
        )
    return "\n".join(lines)


def scenarios_report(store: Store, fmt: str = "text") -> str:
    """`kg scenarios`: each named scenario with its date and what it does."""
    import json
    from dataclasses import asdict

    from kg.scenarios import scenarios

    found = scenarios(query_graph(store))
    if fmt == "json":
        return json.dumps([asdict(s) for s in found], ensure_ascii=False, indent=2)
    if not found:
        return "No scenarios: the store holds no cbec:Scenario."
    lines = []
    for s in found:
        does = [f"applies {', '.join(compact(p) for p in s.policies)}"] if s.policies else []
        does += [f"removes {', '.join(compact(r) for r in s.removes)}"] if s.removes else []
        does += [f"closes {', '.join(compact(c) for c in s.closes)}"] if s.closes else []
        does += [f"damages every {compact(s.damaged_class)} by {s.damage:g}"] if s.damaged_class else []
        lines.append(f"{s.name:<28} as of {s.as_of:<10}  {s.label}: {'; '.join(does)}")
    return "\n".join(lines)

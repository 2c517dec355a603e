"""What the commands print: the main job's report, and the analyses as text, CSV or JSON.

Each function takes an open ``kg.KnowledgeGraph``, asks it one question and lays the answer out.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from pathlib import Path

from kg.analysis.centrality import MEASURES
from kg.analysis.simulation import CONFIDENCE_SPREAD
from kg.api import KnowledgeGraph
from kg.errors import KgError
from kg.formats import csv_text, table_text
from kg.queries import stats_text
from kg.vocabulary import compact

REPORT_SAMPLES = 500
REPORT_SEED = 1


def main_report(graph: KnowledgeGraph, exports: str | Path | None = None) -> tuple[str, bool]:
    """The main job: validate, summarise, rank failure impacts, replay the store's scenarios
    with their probabilities and write the HTML views into ``exports`` (None: the store's own
    ``exports/`` folder, when it has one; "-": none). The flag is False when the store does
    not conform."""
    with graph.sharing():
        return main_sections(graph, exports)


def main_sections(graph: KnowledgeGraph, exports: str | Path | None) -> tuple[str, bool]:
    report = graph.validate()
    today = datetime.date.today().isoformat()
    sections = [
        "== Validation",
        report.text(),
        "",
        "== Summary",
        stats_text(graph.stats()),
        "",
        f"== Top failure impacts as of {today} (kg analyze chokepoints --top 8)",
        chokepoints_report(graph, top=8, kinds=("impact",)),
    ]
    for s in graph.scenarios():
        sections += [
            "",
            f"== Scenario {s.name}: {s.label}, as of {s.as_of} "
            f"(kg simulate --scenario {s.name} --samples {REPORT_SAMPLES} --seed {REPORT_SEED})",
            simulation_report(graph, scenario=s.name, samples=REPORT_SAMPLES, seed=REPORT_SEED, strict=False),
        ]
    folder = graph.exports_folder() if exports is None else None if str(exports) == "-" else Path(exports)
    if folder is not None:
        written = graph.export_views(folder)
        sections += ["", f"== Views: {len(written)} files written to {folder}/ (open {folder}/index.html)"]
    elif exports is None:
        sections += [
            "",
            f"== Views: not written: {graph.location} has no folder of yours to put them in; "
            "give a folder with `exports`",
        ]
    return "\n".join(sections), report.conforms


def node_label(net, n: str, lang: str = "en") -> str:
    """A network node's label in ``lang`` (its ``label_<lang>`` attribute), else in English."""
    data = net.nodes[n]
    return (data.get(f"label_{lang}") if lang != "en" else None) or data["label"]


def search_report(
    graph: KnowledgeGraph,
    text: str,
    klass: str | None = None,
    limit: int = 20,
    fmt: str = "table",
    lang: str = "en",
) -> str:
    """`kg search`: the entities that match, best first, or the nearest name when none does.
    The ``label`` column is in ``lang`` (English where the entity has no such label), the
    other language's label beside it."""
    found = graph.search(text, klass=klass, limit=limit)
    if fmt == "json":
        return json.dumps(found, ensure_ascii=False, indent=2)
    if not found:
        near = graph.nearest(text)
        hint = f" Did you mean {near['label']} ({near['iri']})?" if near else ""
        return f"No entity matches '{text}'.{hint}"
    other = "label_en" if lang == "zh" else "label_zh"
    header = ["iri", "label", other, "class", "series"]
    body = [
        [
            e["iri"],
            (e["label_zh"] or e["label"]) if lang == "zh" else e["label"],
            e["label"] if lang == "zh" else e["label_zh"],
            e["class"] or "",
            e["series"] or "",
        ]
        for e in found
    ]
    return table_text(header, body)


def centrality_report(
    graph: KnowledgeGraph,
    chain: str | None = None,
    top: int = 15,
    fmt: str = "table",
    lang: str = "en",
    **options,
) -> str:
    """`kg analyze centrality`: the top nodes by PageRank with every measure; the table's and
    the CSV's labels in ``lang``."""
    result = graph.centrality(chain=chain, **options)
    net = result.net
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
    body = [[compact(n), node_label(net, n, lang), *(f"{s[m]:.4f}" for m in MEASURES)] for n, s in rows]
    if fmt == "csv":
        return csv_text(header, [[n, lbl, *vals] for (n, _), (_, lbl, *vals) in zip(rows, body, strict=True)])
    notes = [f"{m}: {how}" for m, how in sorted(result.method.items())]
    scope = (f"chain {chain}" if chain else "all chains") + f", as of {net.graph['as_of']}"
    return (
        table_text(header, body) + f"\n\nTop {len(rows)} of {len(net)} nodes, {scope}.\n" + "\n".join(notes)
    )


def analysis_report(
    graph: KnowledgeGraph,
    chain: str | None = None,
    top: int = 15,
    lang: str = "en",
    **filters,
) -> str:
    """`kg analyze all`: the centrality table, then the chokepoints (impact ranking first), both
    on one projection of the store."""
    with graph.sharing():
        return "\n\n".join(
            [
                "== Centrality",
                centrality_report(graph, chain=chain, top=top, lang=lang, **filters),
                "== Chokepoints",
                chokepoints_report(graph, chain=chain, top=top, lang=lang, **filters),
            ]
        )


def chokepoints_report(
    graph: KnowledgeGraph, top: int = 20, fmt: str = "table", lang: str = "en", **options
) -> str:
    """`kg analyze chokepoints`: the failure impact ranking, then the structural findings, each
    with the participants it holds and why; each finding's node named in ``lang``."""
    findings = graph.chokepoints(**options)
    net = findings.net
    as_of, chain_name = net.graph["as_of"], net.graph.get("chain")
    shown = findings[:top] if top else findings
    if fmt == "json":
        return json.dumps([{**f.as_dict(), "as_of": as_of} for f in shown], ensure_ascii=False, indent=2)
    lines = [f"As of {as_of}" + (f", {chain_name} only" if chain_name else "") + ":"]
    for f in shown:
        score = f"{f.score:>6.2f}" if f.probability is not None else f"{f.score:>4.0f}  "
        lines.append(f"{score}  {f.kind:<18} {node_label(net, f.node, lang)} ({compact(f.node)}) [{f.chain}]")
        lines.append(f"        {f.reason}")
    lines += [f"Note: {n}" for n in findings.notes]
    lines.append(f"\n{len(shown)} of {len(findings)} findings on {len(net)} nodes.")
    return "\n".join(lines)


def simulation_report(
    graph: KnowledgeGraph,
    fmt: str = "text",
    sweep_threshold: str | None = None,
    strict: bool = True,
    **options,
) -> str:
    """`kg simulate`: rounds of failures with their causes, who stands and why, and with
    samples how likely each outcome is. ``strict=False`` prints a shock that hits nothing
    instead of refusing it (the report replays every scenario)."""
    if sweep_threshold:
        for unused in ("threshold", "samples", "seed", "threshold_range", "write"):
            options.pop(unused, None)
        swept = graph.sweep(sweep_threshold, **options)
        if fmt == "json":
            rows = [{"threshold": t, "failed": f} for t, f in swept.rows]
            return json.dumps({"as_of": swept.as_of, "sweep": rows}, indent=2)
        return f"As of {swept.as_of}:\n" + table_text(
            ["threshold", "fails"],
            [[f"{t:g}", ", ".join(label_of(swept.net, n) for n in f) or "-"] for t, f in swept.rows],
        )
    try:
        result = graph.simulate(**options)
    except KgError as exc:
        if strict or "hits nothing" not in str(exc):
            raise
        return f"No effect: {exc}"
    if fmt == "json":
        return json.dumps(simulation_json(result), ensure_ascii=False, indent=2)
    return simulation_text(result.net, result)


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
        out["samples"] = {"n": spread.samples, "seed": spread.seed, "weight_spread": CONFIDENCE_SPREAD}
        out["robust"] = all(spread.verdict(n) == "robust" for n in spread.probability)
    return out


def simulation_text(net, result) -> str:

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


def scenarios_report(graph: KnowledgeGraph, fmt: str = "text") -> str:
    """`kg scenarios`: each named scenario with its date and what it does."""
    found = graph.scenarios()
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

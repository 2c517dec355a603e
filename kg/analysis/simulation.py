"""Shocks and what they do: a threshold cascade on the network compiled into integer ids.

The model, in the words the README uses:

- One reading per fact. The statements of one (subject, property, object) are one fact:
  the statements of the highest confidence are kept and their weights averaged; the fact
  has their sources and the highest criticality among them.
- What a link does is its property's ``cbec:analysisRole`` in the ontology. A *supply* fact
  A -> B of weight w: A loses w x d of the fact's chain when B is damaged by d (d = 1 when B
  fails). An *exposure* fact carries a shock from a policy applied or a regulator closed to
  its exposed end, with the weight as intensity. A *backing* fact gives A an owner; an owner
  with a controlling share (> 0.5) carries A's losses while it stands.
- Damages compound: independent hits d1, d2 on one target leave 1 - (1 - d1)(1 - d2).
  A participant's loss in a chain is 1 - (1 - hit)(1 - supply), supply being the sum of
  weight x damage over its supply facts in that chain (at most 1 by the weight-sum rule).
- A participant fails when its loss in some chain passes its tolerance: the threshold,
  raised toward 1 by its strongest standing controlling owner's share
  (threshold + (1 - threshold) x share). A hit on a participant is its own loss; a hit on a
  node that cannot fail by losses (a business model, a zone) damages it by that share, and
  what relies on it loses accordingly. A failed node damages its dependents by 1 and stops
  backing its units. Rounds repeat until nothing more fails.
- Removing a node fails it; removing a policy or a regulator repeals it, which relieves
  those exposed to it and takes no supply from anyone. Closing a regulator fires its
  exposure links (customs closed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from kg.analysis.network import LEVEL_RANK
from kg.errors import KgError
from kg.vocabulary import closest, compact
from kg.vocabulary import node as term_node

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_THRESHOLD = 0.5
# An owner with more than this share controls the unit it owns (a majority).
CONTROL_SHARE = 0.5
# Relative half-width of the range a weight is drawn from, by the link's confidence.
CONFIDENCE_SPREAD = {"High": 0.10, "Medium": 0.25, "Low": 0.50}
# A participant failing in at least this share of samples (or at most 1 minus it) is robust.
ROBUST_SHARE = 0.9


@dataclass
class Fact:
    """One reading of (subject, property, object): what the analysis counts once."""

    subject: int
    object: int
    predicate: str
    chain: str
    weight: float
    confidence: str
    links: list[str]


def merge_readings(readings: list[dict]) -> dict:
    """The rule for several statements of one fact: keep those of the highest confidence and
    average their weights (and shares); sources and links are pooled."""
    best = max(LEVEL_RANK[r["confidence"]] for r in readings)
    kept = sorted((r for r in readings if LEVEL_RANK[r["confidence"]] == best), key=lambda r: r["link"])
    weights = [r["weight"] for r in kept if r["weight"] is not None]
    shares = [r["share"] for r in kept if r["share"] is not None]
    return {
        **kept[0],
        "weight": sum(weights) / len(weights) if weights else None,
        "share": sum(shares) / len(shares) if shares else None,
        "links": sorted(r["link"] for r in readings),
    }


@dataclass
class World:
    """The network compiled for shocks: nodes as integers, facts by role, neighbours as lists."""

    nodes: list[str]
    index: dict[str, int]
    labels: list[str]
    participant: list[bool]
    supply: list[Fact] = field(default_factory=list)
    exposure: list[Fact] = field(default_factory=list)
    backing: list[Fact] = field(default_factory=list)
    # fact ids by node: supply facts of a node, facts whose object is a node (its dependents),
    # exposure facts a node fires, backing facts of a unit and of an owner
    supplies: list[list[int]] = field(default_factory=list)
    dependents: list[list[int]] = field(default_factory=list)
    fires: list[list[int]] = field(default_factory=list)
    owners: list[list[int]] = field(default_factory=list)
    units: list[list[int]] = field(default_factory=list)

    @classmethod
    def of(cls, net: nx.MultiDiGraph) -> World:
        nodes = sorted(net)
        index = {n: i for i, n in enumerate(nodes)}
        world = cls(
            nodes=nodes,
            index=index,
            labels=[net.nodes[n].get("label", n) for n in nodes],
            participant=[net.nodes[n].get("top") == "Participant" for n in nodes],
        )
        for name in ("supplies", "dependents", "fires", "owners", "units"):
            setattr(world, name, [[] for _ in nodes])
        readings: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for s, o, key, d in net.edges(keys=True, data=True):
            if s != o and d["roles"] - {"NeutralRole"}:
                readings[(s, d["predicate"], o)].append({**d, "link": key})
        for (s, predicate, o), group in sorted(readings.items()):
            world.add(index[s], index[o], predicate, merge_readings(group))
        return world

    @cached_property
    def weights(self) -> tuple[list[float], list[float]]:
        """The facts' own weights (supply, exposure), built once: a cascade per node reads them."""
        return [f.weight for f in self.supply], [f.weight for f in self.exposure]

    def add(self, s: int, o: int, predicate: str, d: dict) -> None:
        def fact(subject: int, obj: int, weight: float) -> Fact:
            return Fact(subject, obj, predicate, d["chain"], weight, d["confidence"], d["links"])

        if "SupplyRole" in d["roles"] and d["weight"]:
            self.supplies[s].append(len(self.supply))
            self.dependents[o].append(len(self.supply))
            self.supply.append(fact(s, o, d["weight"]))
        if "ExposureRole" in d["roles"]:
            # The fact runs from the end that fires to the end that is hit.
            source, target = (o, s) if d["exposed_end"] == "SubjectEnd" else (s, o)
            self.fires[source].append(len(self.exposure))
            self.exposure.append(fact(target, source, 1.0 if d["weight"] is None else d["weight"]))
        if "BackingRole" in d["roles"] and (d["share"] or 0) > CONTROL_SHARE:
            self.owners[s].append(len(self.backing))
            self.units[o].append(len(self.backing))
            self.backing.append(fact(s, o, d["share"]))


@dataclass
class Shock:
    """What happens at the start, by node id: failures, damages to providers, exposures fired."""

    fail: set[int] = field(default_factory=set)
    damage: dict[int, float] = field(default_factory=dict)
    fire: set[int] = field(default_factory=set)
    repeal: set[int] = field(default_factory=set)


@dataclass
class Failure:
    node: str
    round: int
    chain: str
    loss: float
    causes: list[str]
    # The links that carried the loss (with ``explain``): what a view highlights.
    links: list[str] = field(default_factory=list)


@dataclass
class Standing:
    node: str
    chain: str
    loss: float
    lost: list[str]
    alternatives: list[str]
    backing: list[str]


@dataclass
class Outcome:
    """One run: the failures by round, the participants hit but standing, those relieved."""

    threshold: float
    rounds: list[list[Failure]]
    standing: list[Standing]
    relieved: list[str]
    state: Cascade | None = None

    @property
    def failed(self) -> list[Failure]:
        return [f for round_ in self.rounds for f in round_]


def compound(old: float, hit: float) -> float:
    return 1.0 - (1.0 - old) * (1.0 - hit)


def cascade(
    world: World,
    shock: Shock,
    threshold: float = DEFAULT_THRESHOLD,
    weights: tuple[list[float], list[float]] | None = None,
    explain: bool = True,
    standing: bool = True,
) -> Outcome:
    """Propagate ``shock`` to a fixed point. ``weights`` (supply, exposure) replace the facts'
    weights (a Monte Carlo draw); ``explain=False`` skips the words and ``standing=False`` the
    list of those hit but standing, for speed. Losses are accumulated as damage spreads, so a
    run costs the links it crosses, not the size of the network."""
    supply_w, exposure_w = weights or world.weights
    state = Cascade(world, supply_w)
    for node in shock.fail:
        state.fail(node)
    for node, amount in shock.damage.items():
        state.damage_node(node, amount)
    for source in sorted(shock.fire):
        for f in world.fires[source]:
            if exposure_w[f]:
                state.expose(world.exposure[f], exposure_w[f])
    relieved = sorted({world.nodes[world.exposure[f].subject] for n in shock.repeal for f in world.fires[n]})
    rounds: list[list[Failure]] = []
    while state.touched:
        new = state.next_round(threshold)
        if not new:
            break
        number = len(rounds) + 1
        rounds.append(
            [Failure(world.nodes[node], number, chain, round(loss, 4), []) for node, chain, loss in new]
        )
        for node, _, _ in new:
            state.fail(node, number)
    outcome = Outcome(
        threshold, rounds, state.standing(explain, supply_w) if standing else [], relieved, state
    )
    if explain:
        for failure in outcome.failed:
            failure.causes = state.causes(world.index[failure.node], failure.chain, failure.round, threshold)
            failure.links = state.cause_links(world.index[failure.node], failure.chain, failure.round)
    return outcome


class Cascade:
    """The state of one run: damages, accumulated losses per (node, chain), who failed."""

    def __init__(self, world: World, supply_w: list[float]) -> None:
        self.world, self.supply_w = world, supply_w
        self.damage: dict[int, float] = {}
        self.supply: dict[tuple[int, str], float] = {}
        self.hit: dict[tuple[int, str], float] = {}
        self.hit_by: dict[int, list[tuple[Fact, float]]] = defaultdict(list)
        # The round each node failed in (0: by the shock itself).
        self.fell: dict[int, int] = {}
        self.chains: dict[int, set[str]] = defaultdict(set)
        self.failed: set[int] = set()
        self.touched: set[int] = set()
        self.reached: set[int] = set()

    def damage_node(self, node: int, amount: float) -> None:
        old = self.damage.get(node, 0.0)
        new = compound(old, amount)
        if new == old:
            return
        self.damage[node] = new
        for f in self.world.dependents[node]:
            fact = self.world.supply[f]
            key = (fact.subject, fact.chain)
            self.supply[key] = self.supply.get(key, 0.0) + self.supply_w[f] * (new - old)
            self.chains[fact.subject].add(fact.chain)
            self.touched.add(fact.subject)

    def fail(self, node: int, number: int = 0) -> None:
        self.failed.add(node)
        self.fell[node] = number
        self.damage_node(node, 1.0)
        self.touched.update(self.world.backing[b].subject for b in self.world.units[node])

    def expose(self, fact: Fact, intensity: float) -> None:
        target = fact.subject
        if not self.world.participant[target]:
            self.damage_node(target, intensity)
            return
        key = (target, fact.chain)
        self.hit[key] = compound(self.hit.get(key, 0.0), intensity)
        self.chains[target].add(fact.chain)
        self.touched.add(target)
        self.hit_by[target].append((fact, intensity))

    def causes(self, node: int, chain: str, number: int, threshold: float) -> list[str]:
        """Why ``node`` failed in round ``number``: what it had lost by then, and its backing."""
        causes = why(self.world, node, chain, self, self.supply_w, before=number)
        owner, share = self.backing(node, before=number)
        if owner is not None:
            tolerance = threshold + (1.0 - threshold) * share
            causes.append(f"backing by {self.world.labels[owner]} (share {share:g}): tolerance {tolerance:g}")
        return causes

    def cause_links(self, node: int, chain: str, number: int) -> list[str]:
        facts = cause_facts(self.world, node, chain, self, self.supply_w, before=number)
        return sorted({link for _, links in facts for link in links})

    def losses(self, node: int) -> dict[str, float]:
        return {
            c: compound(self.hit.get((node, c), 0.0), min(1.0, self.supply.get((node, c), 0.0)))
            for c in self.chains.get(node, ())
        }

    def worst(self, node: int) -> tuple[str, float] | None:
        losses = self.losses(node)
        if not losses:
            return None
        chain = max(losses, key=lambda c: (losses[c], c))
        return chain, losses[chain]

    def backing(self, node: int, before: int | None = None) -> tuple[int | None, float]:
        """The strongest controlling owner standing (before round ``before``, if given) and its share."""
        best: tuple[int | None, float] = (None, 0.0)
        for b in self.world.owners[node]:
            fact = self.world.backing[b]
            gone = fact.object in self.failed and (before is None or self.fell[fact.object] < before)
            if not gone and fact.weight > best[1]:
                best = (fact.object, fact.weight)
        return best

    def next_round(self, threshold: float) -> list[tuple[int, str, float]]:
        """Who fails now, judged on the state the last round left."""
        touched, self.touched = self.touched, set()
        self.reached |= touched
        new = []
        for node in sorted(touched):
            if node in self.failed or not self.world.participant[node]:
                continue
            worst = self.worst(node)
            if worst and worst[1] > threshold + (1.0 - threshold) * self.backing(node)[1]:
                new.append((node, *worst))
        return new

    def standing(self, explain: bool, supply_w: list[float]) -> list[Standing]:
        world, out = self.world, []
        for node in sorted(self.reached - self.failed):
            worst = self.worst(node) if world.participant[node] else None
            if not worst or worst[1] <= 0:
                continue
            chain, loss = worst
            out.append(
                Standing(
                    world.nodes[node],
                    chain,
                    round(loss, 4),
                    why(world, node, chain, self, supply_w) if explain else [],
                    alternatives(world, node, chain, self.damage) if explain else [],
                    [world.nodes[o] for o in owners_standing(world, node, self.failed)] if explain else [],
                )
            )
        return out


def why(
    world: World, node: int, chain: str, state: Cascade, supply_w: list[float], before: int | None = None
) -> list[str]:
    """The causes of a loss in one chain, in words: the hits, then the supply lost (before round
    ``before``, if given: a provider that fell later was no cause)."""
    return [text for text, _ in cause_facts(world, node, chain, state, supply_w, before)]


def cause_facts(
    world: World, node: int, chain: str, state: Cascade, supply_w: list[float], before: int | None = None
) -> list[tuple[str, list[str]]]:
    """Each cause of a loss in one chain, in words, with the links that state it."""
    out = [
        (f"hit by {world.labels[fact.object]} through {fact.predicate} (intensity {intensity:g})", fact.links)
        for fact, intensity in state.hit_by.get(node, [])
        if fact.chain == chain
    ]
    for f in world.supplies[node]:
        fact = world.supply[f]
        d = state.damage.get(fact.object)
        late = before is not None and state.fell.get(fact.object, -1) >= before
        if d and fact.chain == chain and not late:
            out.append(
                (
                    f"{fact.predicate} {world.labels[fact.object]} (weight {supply_w[f]:g} x damage {d:g})",
                    fact.links,
                )
            )
    return out


def alternatives(world: World, node: int, chain: str, damage: dict[int, float]) -> list[str]:
    """Undamaged providers of the same kind (property) in the same chain as what was lost."""
    facts = [world.supply[f] for f in world.supplies[node] if world.supply[f].chain == chain]
    lost = {f.predicate for f in facts if damage.get(f.object)}
    return sorted({world.nodes[f.object] for f in facts if f.predicate in lost and not damage.get(f.object)})


def owners_standing(world: World, node: int, failed: set[int]) -> list[int]:
    return sorted(
        {world.backing[b].object for b in world.owners[node] if world.backing[b].object not in failed}
    )


# ---------------------------------------------------------------- uncertainty


@dataclass
class Spread:
    """Per participant: the share of samples in which it failed, and its median loss."""

    samples: int
    seed: int
    probability: dict[str, float]
    median_loss: dict[str, float]

    def verdict(self, node: str) -> str:
        p = self.probability.get(node, 0.0)
        return "robust" if p >= ROBUST_SHARE or p <= 1.0 - ROBUST_SHARE else "fragile"


def draws(world: World, samples: int, rng):
    """Every fact's weight drawn ``samples`` times, uniformly within its confidence's spread
    (relative to the weight) and clipped to [0, 1]: arrays of samples x facts."""
    import numpy as np

    def drawn(facts: list[Fact]):
        base = np.array([f.weight for f in facts], dtype=float)
        spread = np.array([CONFIDENCE_SPREAD[f.confidence] for f in facts], dtype=float) * base
        noise = rng.uniform(-1.0, 1.0, size=(samples, len(facts)))
        return np.clip(base + spread * noise, 0.0, 1.0)

    return drawn(world.supply), drawn(world.exposure)


def sample(
    world: World,
    shock: Shock,
    samples: int,
    seed: int,
    threshold: float = DEFAULT_THRESHOLD,
    threshold_range: tuple[float, float] | None = None,
) -> Spread:
    """Monte Carlo over the weights (and the threshold): who fails how often."""
    import numpy as np

    if samples < 1:
        raise KgError(f"samples={samples}: give at least 1 sample")
    rng = np.random.default_rng(seed)
    supply, exposure = draws(world, samples, rng)
    levels = rng.uniform(*threshold_range, size=samples) if threshold_range else np.full(samples, threshold)
    failed, loss = batch_cascade(world, shock, supply, exposure, levels)
    seen = (failed | (loss > 0)).any(axis=0) & np.array(world.participant)
    seen[list(shock.fail)] = False
    return Spread(
        samples,
        seed,
        {world.nodes[i]: float(failed[:, i].mean()) for i in np.flatnonzero(seen)},
        # Samples in which a participant was not hit count as no loss.
        {world.nodes[i]: float(np.median(loss[:, i])) for i in np.flatnonzero(seen)},
    )


def batch_cascade(world: World, shock: Shock, supply, exposure, levels):
    """``cascade`` run on every sample at once (rows: samples), with the same rules and rounds:
    which nodes failed, and each participant's worst loss (at its failure, or at the end),
    rounded as ``cascade`` rounds it. The tests check that both engines agree."""
    import numpy as np

    # Only the nodes the shock can reach take part: arrays of samples x reached nodes, not x
    # every node (a node's failure reaches a few hundred of 37,000 on a million triples).
    reach = reached(world, shock)
    local = {node: i for i, node in enumerate(reach)}
    samples, n = len(levels), len(reach)
    chains = sorted({f.chain for f in world.supply} | {f.chain for f in world.exposure}) or ["none"]
    width = len(chains)
    column = {c: i for i, c in enumerate(chains)}

    def key(node: int, chain: str) -> int:
        return local[node] * width + column[chain]

    # The supply facts among reached nodes (a provider out of reach is never damaged), grouped
    # by (subject, chain), so one reduceat sums each group's losses.
    kept = [j for j, f in enumerate(world.supply) if f.subject in local and f.object in local]
    supply = supply[:, kept]
    keys = np.array([key(world.supply[j].subject, world.supply[j].chain) for j in kept], dtype=int)
    order = np.argsort(keys, kind="stable")
    groups, starts = np.unique(keys[order], return_index=True)
    providers = np.array([local[world.supply[j].object] for j in kept], dtype=int)
    failed = np.zeros((samples, n), dtype=bool)
    damage = np.zeros((samples, n))
    hit = np.zeros((samples, n * width))
    for node in shock.fail:
        failed[:, local[node]], damage[:, local[node]] = True, 1.0
    for node, amount in shock.damage.items():
        damage[:, local[node]] = 1.0 - (1.0 - damage[:, local[node]]) * (1.0 - amount)
    for source in sorted(shock.fire):
        for f in world.fires[source]:
            fact, intensity = world.exposure[f], exposure[:, f]
            if world.participant[fact.subject]:
                k = key(fact.subject, fact.chain)
                hit[:, k] = 1.0 - (1.0 - hit[:, k]) * (1.0 - intensity)
            else:
                at = local[fact.subject]
                damage[:, at] = 1.0 - (1.0 - damage[:, at]) * (1.0 - intensity)
    participant = np.array([world.participant[node] for node in reach], dtype=bool)
    # An owner out of reach never fails: its share always backs the unit.
    owners = [(local[b.subject], local.get(b.object), b.weight) for b in world.backing if b.subject in local]
    at_failure = np.zeros((samples, n))

    def worst() -> np.ndarray:
        lost = np.zeros_like(hit)
        if len(providers):
            lost[:, groups] = np.add.reduceat((supply * damage[:, providers])[:, order], starts, axis=1)
        losses = 1.0 - (1.0 - hit) * (1.0 - np.minimum(lost, 1.0))
        return losses.reshape(samples, n, width).max(axis=2)

    while True:
        backing = np.zeros((samples, n))
        for unit, owner, share in owners:
            kept_share = share if owner is None else np.where(failed[:, owner], 0.0, share)
            backing[:, unit] = np.maximum(backing[:, unit], kept_share)
        loss = worst()
        tolerance = levels[:, None] + (1.0 - levels[:, None]) * backing
        new = (loss > tolerance) & participant & ~failed
        if not new.any():
            break
        at_failure[new] = loss[new]
        failed |= new
        damage[new] = 1.0
    loss = np.where(failed, at_failure, loss) * participant
    every_failed = np.zeros((samples, len(world.nodes)), dtype=bool)
    every_loss = np.zeros((samples, len(world.nodes)))
    every_failed[:, reach], every_loss[:, reach] = failed, np.round(loss, 4)
    return every_failed, every_loss


def reached(world: World, shock: Shock) -> list[int]:
    """The nodes a shock can hit: those it fails, damages or exposes, and everything that
    depends on one of them, however indirectly (sorted)."""
    start = set(shock.fail) | set(shock.damage)
    start |= {world.exposure[f].subject for source in shock.fire for f in world.fires[source]}
    seen, pending = set(start), list(start)
    while pending:
        for j in world.dependents[pending.pop()]:
            subject = world.supply[j].subject
            if subject not in seen:
                seen.add(subject)
                pending.append(subject)
    return sorted(seen)


def check_threshold(threshold: float, name: str = "threshold") -> float:
    if not 0 < threshold <= 1:
        raise KgError(f"{name} {threshold:g} must be in (0, 1]")
    return threshold


# ---------------------------------------------------------------- shocks as users name them


@dataclass
class Simulation:
    """A shock as asked for, on the world of one date, and what it did."""

    as_of: str
    shock: list[dict]
    outcome: Outcome
    not_in_force: list[str] = field(default_factory=list)
    spread: Spread | None = None
    # The network the shock ran on, for labels and dates (set by kg.KnowledgeGraph.simulate).
    net: nx.MultiDiGraph | None = field(default=None, repr=False, compare=False)


def shock_of(
    net: nx.MultiDiGraph,
    world: World,
    remove: list[str] = (),
    policies: list[str] = (),
    close: list[str] = (),
    damaged: dict[str, float] | None = None,
) -> tuple[Shock, list[dict], list[str]]:
    """The Shock of the named nodes (compact names or full IRIs), its description, and the
    policies named that are not in force."""
    remove, policies, close = ([term_node(t).value for t in group] for group in (remove, policies, close))
    damaged = {term_node(t).value: amount for t, amount in (damaged or {}).items()}
    shock, described, not_in_force = Shock(), [], []
    for iri in remove:
        index = present(net, world, iri, "removed")
        shock.fail.add(index)
        shock.repeal.add(index)
        described.append({"node": iri, "action": "remove"})
    for iri in policies:
        if iri in net.graph.get("absent", {}):
            start, end = net.graph["absent"][iri]
            when = f"in force from {start or 'an unknown date'}" + (f" until {end}" if end else "")
            not_in_force.append(f"{compact(iri)} is not in force on {net.graph['as_of']} ({when})")
            continue
        index = present(net, world, iri, "applied")
        if net.nodes[iri].get("kind") != "Policy":
            raise KgError(f"{compact(iri)} is not a policy of the graph; `kg query policies` lists them")
        shock.fire.add(index)
        described.append({"node": iri, "action": "apply"})
    for iri in close:
        shock.fire.add(present(net, world, iri, "closed"))
        described.append({"node": iri, "action": "close"})
    for iri, amount in sorted((damaged or {}).items()):
        if iri in world.index:
            shock.damage[world.index[iri]] = amount
            described.append({"node": iri, "action": "damage", "intensity": amount})
    return shock, described, not_in_force


def present(net: nx.MultiDiGraph, world: World, iri: str, what: str) -> int:
    if iri in world.index:
        return world.index[iri]
    absent = net.graph.get("absent", {})
    if iri in absent:
        start, end = absent[iri]
        span = f"from {start or 'its start'}" + (f" until {end}" if end else "")
        raise KgError(
            f"{compact(iri)} cannot be {what}: it does not take part on {net.graph['as_of']} ({span}); "
            "pick a date inside its lifetime with `as_of`"
        )
    raise KgError(f"{compact(iri)} is not a node of the network{closest(iri, net)}; check it with `kg show`")


def hits_nothing(world: World, shock: Shock) -> bool:
    fired = any(world.fires[n] for n in shock.fire)
    touched = any(world.dependents[n] or world.units[n] for n in shock.fail | set(shock.damage))
    relieves = any(world.fires[n] for n in shock.repeal)
    return not (fired or touched or relieves)


def simulate(
    net: nx.MultiDiGraph,
    remove: list[str] = (),
    policies: list[str] = (),
    close: list[str] = (),
    damaged: dict[str, float] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    samples: int = 0,
    seed: int = 0,
    threshold_range: tuple[float, float] | None = None,
) -> Simulation:
    """Run a shock on the network of one date (``net.graph['as_of']``): the deterministic
    cascade, and with ``samples`` the share of draws in which each participant fails."""
    check_threshold(threshold)
    if threshold_range:
        for bound in threshold_range:
            check_threshold(bound, "threshold_range bound")
    world = World.of(net)
    shock, described, not_in_force = shock_of(net, world, remove, policies, close, damaged)
    as_of = net.graph.get("as_of") or "all dates"
    if hits_nothing(world, shock):
        named = [compact(d["node"]) for d in described] + not_in_force
        raise KgError(
            f"the shock hits nothing as of {as_of}: "
            + ("; ".join(named) if named else "no shock was given")
            + " (nothing depends on, is exposed to or owned by what it names on that date)"
        )
    outcome = cascade(world, shock, threshold)
    spread = sample(world, shock, samples, seed, threshold, threshold_range) if samples else None
    return Simulation(as_of, described, outcome, not_in_force, spread)


def sweep(world: World, shock: Shock, low: float, high: float, step: float) -> list[tuple[float, list[str]]]:
    """Who fails at each threshold from low to high."""
    if step <= 0 or low > high:
        raise KgError(f"sweep {low:g}:{high:g}:{step:g} must have low <= high and a positive step")
    rows, count = [], int(round((high - low) / step)) + 1
    for i in range(count):
        level = check_threshold(round(low + i * step, 10), "sweep threshold")
        rows.append((level, sorted(f.node for f in cascade(world, shock, level, explain=False).failed)))
    return rows


# ---------------------------------------------------------------- failure impact


def impact(world: World, node: int, threshold: float = DEFAULT_THRESHOLD, explain: bool = True) -> Outcome:
    """What the failure of one node does: it stops providing, stops backing, and what it
    regulates loses its clearance (its exposure links fire)."""
    return cascade(world, Shock(fail={node}, fire={node}), threshold, explain=explain, standing=explain)


def can_topple(world: World, node: int, threshold: float) -> bool:
    """Whether the failure of ``node`` can fell anyone in the first round (and so at all):
    some participant's loss from it alone passes the threshold, or it damages a node that
    others rely on. An exact screen that spares the ranking the cascades of harmless nodes."""
    loss: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for f in world.fires[node]:
        fact = world.exposure[f]
        if not world.participant[fact.subject]:
            return True
        cell = loss[(fact.subject, fact.chain)]
        cell[0] = compound(cell[0], fact.weight)
    for f in world.dependents[node]:
        fact = world.supply[f]
        loss[(fact.subject, fact.chain)][1] += fact.weight
    return any(
        world.participant[target] and compound(hit, min(1.0, supply)) > threshold
        for (target, _), (hit, supply) in loss.items()
    )


def impact_candidates(world: World, net: nx.MultiDiGraph) -> list[int]:
    """Nodes whose failure can topple someone: not policies (a policy is a shock, not a
    failure) and not placeholder collectives (many actors, no single point of failure)."""
    return [
        i
        for i, iri in enumerate(world.nodes)
        if (world.dependents[i] or world.units[i] or world.fires[i])
        and net.nodes[iri].get("kind") != "Policy"
        and not net.nodes[iri].get("placeholder")
    ]

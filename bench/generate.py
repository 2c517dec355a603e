"""A seeded synthetic ecosystem, shaped like the real one, at any size.

The generator (documented in bench/README.md) makes, for a target number of triples:
- participants in the real proportions: platforms (8%), suppliers (45%), logistics
  providers (6%), payment providers (3%), investors (10%), companies (4%), regulators
  (0.5%), plus policies (1%) and zones (2.5%) -- each with type, English label, series
  (platforms) and a source: four to five triples an entity;
- links stated as kg states them (direct triple, dependsOn, and a cbec:Link node with
  chain, weight, criticality, confidence and source): twelve triples a link. A subject's
  weights in one chain sum to at most 1 (the weight-sum rule). Platforms
  source from suppliers, suppliers sell on platforms, platforms ship via logistics
  providers, pay via payment providers, warehouse in zones, are funded by investors,
  draw traffic from companies and are subject to policies; providers are part of
  companies. Targets are drawn with a preferential (Zipf-like) bias, as real ecosystems
  concentrate on a few giants.
Same seed and size, same bytes.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

SHARES = {
    "Platform": 0.08,
    "Supplier": 0.45,
    "LogisticsProvider": 0.06,
    "PaymentProvider": 0.03,
    "Investor": 0.10,
    "Company": 0.04,
    "Regulator": 0.005,
    "Policy": 0.01,
    "Zone": 0.025,
}
# (subject kind, property, object kind, chain, links per subject)
PATTERNS = [
    ("Platform", "sourcesFrom", "Supplier", "TradeChain", 6),
    ("Supplier", "sellsOn", "Platform", "TradeChain", 0.6),
    ("Platform", "shipsVia", "LogisticsProvider", "LogisticsChain", 2),
    ("Platform", "warehousesIn", "Zone", "LogisticsChain", 1.5),
    ("Platform", "paysVia", "PaymentProvider", "FinanceChain", 1.5),
    ("Platform", "fundedBy", "Investor", "FinanceChain", 1.5),
    ("Platform", "trafficFrom", "Company", "TrafficChain", 1),
    ("Platform", "subjectTo", "Policy", "RegulationChain", 1),
    ("LogisticsProvider", "partOf", "Company", "OwnershipChain", 0.5),
    ("PaymentProvider", "partOf", "Company", "OwnershipChain", 0.7),
    ("Company", "regulatedBy", "Regulator", "RegulationChain", 1),
]
TRIPLES_PER_LINK = 12
PREFIXES = """@prefix cbec: <https://w3id.org/cbec/ontology#> .
@prefix cbr: <https://w3id.org/cbec/resource/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
cbr:source-synthetic a cbec:Source ; dcterms:title "synthetic benchmark data" .
"""


def plan(triples: int) -> int:
    """How many entities give about ``triples`` triples with the link patterns above."""
    links_per_entity = sum(SHARES[k] * per for k, _, _, _, per in PATTERNS)
    return max(20, int(triples / (3.5 + links_per_entity * TRIPLES_PER_LINK)))


def generate(triples: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    entities = plan(triples)
    kinds: dict[str, list[str]] = {k: [] for k in SHARES}
    out = [PREFIXES]
    for kind, share in SHARES.items():
        for i in range(max(2, int(entities * share))):
            slug = f"{kind.lower()}-{i}"
            kinds[kind].append(slug)
            series = " ; cbec:series cbec:PlatformSeries" if kind == "Platform" else ""
            out.append(
                f'cbr:{slug} a cbec:{kind} ; rdfs:label "{kind} {i}"@en{series} ; '
                "prov:wasDerivedFrom cbr:source-synthetic ."
            )
    for policy in kinds["Policy"]:
        regulator = kinds["Regulator"][0]
        out.append(
            f"cbr:{policy} cbec:issuedBy cbr:{regulator} .\n"
            f"cbr:link-{policy}-issuedby-{regulator} a cbec:Link ; cbec:subject cbr:{policy} ; "
            f"cbec:predicate cbec:issuedBy ; cbec:object cbr:{regulator} ; cbec:chain cbec:RegulationChain ; "
            "cbec:confidence cbec:Medium ; prov:wasDerivedFrom cbr:source-synthetic ."
        )
    n = 0
    # Properties of one kind of subject that share a chain split it, so that every subject's
    # weights in a chain sum to at most 1, as the weight-sum shape requires.
    sharing = {
        (s, c): sum(1 for s2, _, _, c2, _ in PATTERNS if (s2, c2) == (s, c)) for s, _, _, c, _ in PATTERNS
    }
    for subject_kind, prop, object_kind, chain, per in PATTERNS:
        targets = kinds[object_kind]
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(targets))]
        for subject in kinds[subject_kind]:
            count = int(per) + (1 if rng.random() < per - int(per) else 0)
            chosen = set(rng.choices(targets, weights=weights, k=count))
            shares = [rng.random() + 0.1 for _ in chosen]
            for obj, share in zip(sorted(chosen), shares, strict=True):
                n += 1
                part = share / sum(shares) / sharing[(subject_kind, chain)]
                weight = max(math.floor(part * 1000) / 1000, 0.001)
                crit = rng.choice(["High", "Medium", "Low"])
                out.append(
                    f"cbr:{subject} cbec:{prop} cbr:{obj} ; cbec:dependsOn cbr:{obj} .\n"
                    f"cbr:link-{n} a cbec:Link ; cbec:subject cbr:{subject} ; cbec:predicate cbec:{prop} ; "
                    f"cbec:object cbr:{obj} ; cbec:chain cbec:{chain} ; cbec:weight {weight} ; "
                    f"cbec:criticality cbec:{crit} ; cbec:confidence cbec:Medium ; "
                    "prov:wasDerivedFrom cbr:source-synthetic ."
                )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    size = int(sys.argv[1])
    target = Path(sys.argv[2])
    target.write_text(generate(size), encoding="utf-8")

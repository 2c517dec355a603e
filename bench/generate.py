"""Seeded synthetic ecosystems, shaped like the real one, at any size, in two shapes.

Both shapes state every link as kg states it: the direct triple, ``cbec:dependsOn`` (for a
dependency) and one or more ``cbec:Link`` statements with chain, weight, criticality,
confidence and source. A subject's weights in one chain sum to at most 1 (the weight-sum
rule), whatever the dates, so every generated graph validates. Targets are drawn with a
preferential (Zipf-like) bias, as real ecosystems concentrate on a few giants.

- ``chain`` (the default): the layered chain in the real proportions (platforms 8%,
  suppliers 45%, logistics 6%, payment 3%, investors 10%, companies 4%, regulators 0.5%,
  policies 1%, zones 2.5%); every link has one statement and no dates; providers are part
  of companies, companies are regulated.
- ``flat``: many more entities per link (suppliers 80%, most with one link), a few
  providers each carrying thousands of links (strong Zipf bias), one to three statements a
  link from different sources with different weights, confidences and date ranges (a third
  of the statements dated, a third of those ended; dates as xsd:date, xsd:gYearMonth and
  xsd:gYear), policies that affect platforms and platforms that compete.

Same seed, size and shape, same bytes. ``python -m bench.generate SIZE FILE [SHAPE]``.
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shape:
    shares: dict[str, float]
    # (subject kind, property, object kind, chain, links per subject)
    patterns: list[tuple[str, str, str, str, float]]
    statements: tuple[float, ...]  # chance of 1, 2, 3 ... statements per link
    dated: float  # share of statements with a start date
    zipf: float  # exponent of the preferential bias
    sources: int
    triples_per_entity: float
    triples_per_link: float  # all of a link's triples: direct, dependsOn, every statement


SHAPES = {
    "chain": Shape(
        shares={
            "Platform": 0.08,
            "Supplier": 0.45,
            "LogisticsProvider": 0.06,
            "PaymentProvider": 0.03,
            "Investor": 0.10,
            "Company": 0.04,
            "Regulator": 0.005,
            "Policy": 0.01,
            "Zone": 0.025,
        },
        patterns=[
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
        ],
        statements=(1.0,),
        dated=0.0,
        zipf=0.8,
        sources=1,
        triples_per_entity=3.5,
        triples_per_link=12,
    ),
    "flat": Shape(
        shares={
            "Platform": 0.06,
            "Supplier": 0.80,
            "LogisticsProvider": 0.004,
            "PaymentProvider": 0.002,
            "Investor": 0.08,
            "Company": 0.03,
            "Regulator": 0.002,
            "Policy": 0.012,
            "Zone": 0.01,
        },
        patterns=[
            ("Supplier", "sellsOn", "Platform", "TradeChain", 1.1),
            ("Supplier", "shipsVia", "LogisticsProvider", "LogisticsChain", 0.3),
            ("Platform", "sourcesFrom", "Supplier", "TradeChain", 3),
            ("Platform", "shipsVia", "LogisticsProvider", "LogisticsChain", 3),
            ("Platform", "warehousesIn", "Zone", "LogisticsChain", 2),
            ("Platform", "paysVia", "PaymentProvider", "FinanceChain", 2.5),
            ("Platform", "fundedBy", "Investor", "FinanceChain", 2),
            ("Platform", "subjectTo", "Policy", "RegulationChain", 2),
            ("Platform", "competesWith", "Platform", "CompetitionChain", 1),
            ("Policy", "affects", "Platform", "RegulationChain", 3),
            ("Investor", "fundedBy", "Company", "FinanceChain", 0.2),
        ],
        statements=(0.55, 0.3, 0.15),
        dated=0.35,
        zipf=1.1,
        sources=12,
        triples_per_entity=4.2,
        triples_per_link=16.6,
    ),
}
# Properties whose links are dependencies: they also state cbec:dependsOn and carry a weight.
DEPENDENCIES = frozenset(
    {"sourcesFrom", "sellsOn", "shipsVia", "warehousesIn", "paysVia", "fundedBy", "trafficFrom"}
    | {"subjectTo", "partOf", "regulatedBy"}
)
PREFIXES = """@prefix cbec: <https://w3id.org/cbec/ontology#> .
@prefix cbr: <https://w3id.org/cbec/resource/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
cbr:source-synthetic a cbec:Source ; dcterms:title "synthetic benchmark data" .
"""
DATE_PREFIXES = """@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def plan(triples: int, shape: Shape) -> int:
    """How many entities give about ``triples`` triples with the shape's link patterns."""
    links_per_entity = sum(shape.shares[k] * per for k, _, _, _, per in shape.patterns)
    return max(40, int(triples / (shape.triples_per_entity + links_per_entity * shape.triples_per_link)))


def date(rng: random.Random, year: int) -> str:
    """A date of that year in one of the three forms kg accepts."""
    form = rng.random()
    if form < 0.5:
        return f'"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^xsd:date'
    if form < 0.8:
        return f'"{year}-{rng.randint(1, 12):02d}"^^xsd:gYearMonth'
    return f'"{year}"^^xsd:gYear'


def generate(triples: int, seed: int = 7, shape: str = "chain") -> str:
    form = SHAPES[shape]
    rng = random.Random(seed)
    entities = plan(triples, form)
    kinds: dict[str, list[str]] = {k: [] for k in form.shares}
    # The chain shape draws nothing the first version of this generator did not, so its bytes stay.
    out = [PREFIXES + (DATE_PREFIXES if form.dated else "")]
    sources = ["source-synthetic"] + [f"source-{i}" for i in range(1, form.sources)]
    out += [f'cbr:{s} a cbec:Source ; dcterms:title "synthetic source {s}" .' for s in sources[1:]]
    for kind, share in form.shares.items():
        for i in range(max(2, int(entities * share))):
            slug = f"{kind.lower()}-{i}"
            kinds[kind].append(slug)
            series = " ; cbec:series cbec:PlatformSeries" if kind == "Platform" else ""
            founded = ""
            if form.dated and kind in ("Platform", "Supplier") and rng.random() < form.dated:
                year = rng.randint(2005, 2015)
                founded = f' ; schema:foundingDate "{year}"^^xsd:gYear'
                if kind == "Platform" and rng.random() < 0.5:
                    founded += f' ; cbec:launchDate "{year + rng.randint(1, 5)}"^^xsd:gYear'
            out.append(
                f'cbr:{slug} a cbec:{kind} ; rdfs:label "{kind} {i}"@en{series}{founded} ; '
                "prov:wasDerivedFrom cbr:source-synthetic ."
            )
    for policy in kinds["Policy"]:
        regulator = rng.choice(kinds["Regulator"]) if form.sources > 1 else kinds["Regulator"][0]
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
        (s, c): sum(1 for s2, p2, _, c2, _ in form.patterns if (s2, c2) == (s, c) and p2 in DEPENDENCIES)
        for s, _, _, c, _ in form.patterns
    }
    for subject_kind, prop, object_kind, chain, per in form.patterns:
        targets = kinds[object_kind]
        weights = [1.0 / (rank + 1) ** form.zipf for rank in range(len(targets))]
        for subject in kinds[subject_kind]:
            count = int(per) + (1 if rng.random() < per - int(per) else 0)
            chosen = sorted(set(rng.choices(targets, weights=weights, k=count)) - {subject})
            shares = [rng.random() + 0.1 for _ in chosen]
            for obj, share in zip(chosen, shares, strict=True):
                part = share / sum(shares) / max(1, sharing[(subject_kind, chain)])
                depends = prop in DEPENDENCIES
                out.append(
                    f"cbr:{subject} cbec:{prop} cbr:{obj}"
                    + (f" ; cbec:dependsOn cbr:{obj} ." if depends else " .")
                )
                for source in readers(rng, form, sources):
                    n += 1
                    out.append(statement(rng, form, n, subject, prop, obj, chain, part, source, depends))
    return "\n".join(out) + "\n"


def readers(rng: random.Random, form: Shape, sources: list[str]) -> list[str]:
    """The sources that state one link: one, or several different ones."""
    if len(form.statements) == 1:
        return sources[:1]
    count = rng.choices(range(1, len(form.statements) + 1), weights=form.statements)[0]
    return rng.sample(sources, min(count, len(sources)))


def statement(
    rng: random.Random,
    form: Shape,
    n: int,
    subject: str,
    prop: str,
    obj: str,
    chain: str,
    part: float,
    source: str,
    depends: bool,
) -> str:
    """One cbec:Link statement of a link, as one source reads it."""
    confidence = rng.choice(["High", "Medium", "Low"]) if form.sources > 1 else "Medium"
    text = (
        f"cbr:link-{n} a cbec:Link ; cbec:subject cbr:{subject} ; cbec:predicate cbec:{prop} ; "
        f"cbec:object cbr:{obj} ; cbec:chain cbec:{chain} ; cbec:confidence cbec:{confidence} ; "
        f"prov:wasDerivedFrom cbr:{source}"
    )
    if depends:
        # Another source's reading is at most the share the subject can give this link.
        reading = part if form.sources == 1 else part * rng.uniform(0.6, 1.0)
        weight = max(math.floor(reading * 1000) / 1000, 0.001)
        text += f" ; cbec:weight {weight} ; cbec:criticality cbec:{rng.choice(['High', 'Medium', 'Low'])}"
    if form.dated and rng.random() < form.dated:
        start = rng.randint(2012, 2022)
        text += f" ; schema:startDate {date(rng, start)}"
        if rng.random() < 0.35:
            text += f" ; schema:endDate {date(rng, start + rng.randint(1, 4))}"
    return text + " ."


if __name__ == "__main__":
    size, target = int(sys.argv[1]), Path(sys.argv[2])
    target.write_text(generate(size, shape=sys.argv[3] if len(sys.argv) > 3 else "chain"), encoding="utf-8")

"""How the views look and how much they hold: budgets, colours, shapes and titles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


# Views keep at most this many nodes: vis-network stays responsive to about this size
# with physics off; above it a view shows the top nodes by PageRank and groups the rest.
NODE_BUDGET = 1500
# The strongest links kept once reduction leaves more than this many.
EDGE_BUDGET = 6000
# Participant pages are written for at most this many participants, by PageRank.
PARTICIPANT_PAGE_LIMIT = 300
# A participant held by a chokepoint finding of at least this score gets the mark.
CHOKEPOINT_MIN_SCORE = 2
# Draws of the weights for the probabilities of the "if this fails" panel (latest world) and
# of the scenario pages.
VIEW_SAMPLES = 200
SCENARIO_SAMPLES = 1000
LAYOUT_SEED = 42
# Pixels of room each node gets in a layout (the side of its square).
SPACING = 140
# Kamada-Kawai spaces small graphs evenly; above this size Fruchterman-Reingold is much faster.
KAMADA_KAWAI_LIMIT = 400
GENERATOR = '<meta name="generator" content="kg">'
CHAIN_VIEWS = {
    "trade": "TradeChain",
    "finance": "FinanceChain",
    "logistics": "LogisticsChain",
    "regulation": "RegulationChain",
}
VIEW_NAMES = (
    "index",
    "ecosystem",
    *CHAIN_VIEWS,
    "dependencies",
    "policy-2016",
    "timeline",
    "scenarios",
    "participants",
)
TEMPLATES = Path(__file__).resolve().parent / "templates"

ABOUT = {
    "ecosystem": "Every participant, policy and zone, and every link between them. Colour: class (or "
    "series, see “Colour by”); size: PageRank on the dependency network, so what many rely on is "
    "big; a thick dark border marks a chokepoint. Arrows point from a participant to what it "
    "relies on.",
    "trade": "The trade chain: which platforms source from which suppliers and brands, and who sells on "
    "which platform.",
    "finance": "The finance chain: who is funded by which investor and who pays through which payment "
    "provider.",
    "logistics": "The logistics chain: who ships through which logistics provider and warehouses in "
    "which zone.",
    "regulation": "The regulation chain: regulators, the policies they issue, whom each policy affects, "
    "and who is subject to which policy or regulated by whom.",
    "dependencies": "Every dependency link: the width is the weight (how much the participant relies on "
    "what the arrow points to), the colour its criticality.",
    "timeline": "Launches, exits, funding rounds, acquisitions and policies in date order on one axis, "
    "each with its sources.",
    "policy-2016": "The April 2016 new policies (the tax notice and the positive list, both in force on "
    "8 April 2016) replayed as in `kg report`: what they hit, who failed in which round and through which "
    "links, and who was hit but stood.",
}
TITLES = {
    "ecosystem": "The ecosystem",
    "trade": "Trade chain",
    "finance": "Finance chain",
    "logistics": "Logistics chain",
    "regulation": "Regulation chain",
    "dependencies": "Dependencies",
    "policy-2016": "The 2016 tax reform, replayed",
    "timeline": "Timeline",
}

KIND_COLORS = {
    "MarketplacePlatform": "#e15759",
    "SelfOperatedPlatform": "#f28e2b",
    "BuyerPlatform": "#ff9da7",
    "VerticalPlatform": "#b07aa1",
    "RetailHypermarket": "#9c755f",
    "Platform": "#d37295",
    "Company": "#4e79a7",
    "Investor": "#59a14f",
    "LogisticsProvider": "#76b7b2",
    "PaymentProvider": "#edc948",
    "Supplier": "#bab0ac",
    "Regulator": "#2f4b7c",
    "Policy": "#a05195",
    "Zone": "#8cd17d",
    "BusinessModel": "#a0cbe8",
}
SPARE_COLORS = ("#86bcb6", "#ffbe7d", "#d4a6c8", "#a0cbe8", "#b6992d", "#499894", "#79706e")
SERIES_COLORS = {
    "PlatformSeries": "#e15759",
    "IndependentSeries": "#4e79a7",
    "EntrepreneurialSeries": "#b07aa1",
    "RetailSeries": "#9c755f",
    "OverseasSeries": "#59a14f",
    "": "#c9c9c9",
}
KIND_SHAPES = {
    "Company": "square",
    "Investor": "star",
    "LogisticsProvider": "triangleDown",
    "PaymentProvider": "triangleDown",
    "Regulator": "triangle",
    "Policy": "diamond",
    "Zone": "hexagon",
    "BusinessModel": "square",
}
CHAIN_COLORS = {
    "TradeChain": "#f28e2b",
    "FinanceChain": "#59a14f",
    "LogisticsChain": "#4e79a7",
    "RegulationChain": "#a05195",
    "TrafficChain": "#e15759",
    "OwnershipChain": "#79706e",
    "CompetitionChain": "#bab0ac",
}
CRITICALITY_COLORS = {"High": "#d62728", "Medium": "#ff7f0e", "Low": "#1f77b4", "": "#aaaaaa"}
OUTCOME_COLORS = {
    "policy": "#a05195",
    "hit": "#f28e2b",
    "stood": "#edc948",
    "failed": "#c00000",
    "model": "#a0cbe8",
}
# Ordinary nodes are outlined in their own colour (an empty border), so that zoomed out a
# crowd of small nodes keeps its colours and the dark chokepoint outlines stand out.
BORDER = ""
CHOKEPOINT_BORDER = "#111111"
FADED = 0.35

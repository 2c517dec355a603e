"""The main job: what `kg report` prints about a store."""

from __future__ import annotations

from kg.queries import stats, stats_text
from kg.store import Store
from kg.validation import validate_store


def main_report(store: Store) -> tuple[str, bool]:
    """Validate the store and summarise it; the flag is False when it does not conform."""
    report = validate_store(store)
    sections = [
        "== Validation",
        report.text(),
        "",
        "== Summary",
        stats_text(stats(store)),
    ]
    return "\n".join(sections), report.conforms

"""What validation finds: one Problem per focus node, path and message, and the Report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: a focus node, the path at fault, what is wrong and how bad."""

    focus: str
    path: str
    message: str
    severity: str = "Violation"
    value: str = ""


@dataclass
class Report:
    """The outcome of a validation run."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(p.severity == "Violation" for p in self.problems)

    def by_focus(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = {}
        for problem in sorted(set(self.problems)):
            grouped.setdefault(problem.focus, []).append(problem)
        return grouped

    def json(self) -> str:
        """The report as JSON: conforms, and the findings grouped by focus node."""
        groups = {
            focus: [
                {"severity": p.severity, "path": p.path, "message": p.message, "value": p.value} for p in ps
            ]
            for focus, ps in self.by_focus().items()
        }
        return json.dumps({"conforms": self.conforms, "results": groups}, ensure_ascii=False, indent=2)

    def text(self) -> str:
        """The report grouped by focus node, as printed by `kg validate`."""
        if not self.problems:
            return "The graph conforms: no violations."
        lines = []
        for focus, problems in self.by_focus().items():
            lines.append(focus)
            for p in problems:
                where = f"{p.path}: " if p.path else ""
                value = f" (value: {p.value})" if p.value and p.value not in p.message else ""
                lines.append(f"  {p.severity:<9} {where}{p.message}{value}")
        violations = sum(p.severity == "Violation" for p in self.problems)
        lines.append(
            f"{violations} violation(s), {len(self.problems) - violations} other finding(s) "
            f"on {len(self.by_focus())} node(s)."
        )
        return "\n".join(lines)

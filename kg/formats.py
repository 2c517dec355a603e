"""Plain-text output shared by the commands: aligned tables and CSV."""

from __future__ import annotations

import csv
import io
import unicodedata


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide and full-width characters (Chinese,
    most emoji) take two, combining marks and zero-width characters none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table_text(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned by display width, so a Chinese label keeps the columns after it straight."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def csv_text(header: list[str], rows: list[list]) -> str:
    """CSV for spreadsheets: a text cell a spreadsheet would run as a formula (starting with
    =, +, -, @, a tab or a carriage return) gets a leading apostrophe, as OWASP recommends
    against CSV injection; numbers stay numbers. Rows end in CRLF, as RFC 4180 has it, so that a
    carriage return inside a cell is quoted too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert(h) for h in header])
    writer.writerows([inert(c) for c in row] for row in rows)
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell):
    """A cell as a spreadsheet shows it, never runs it."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell

"""The table: measure | Hearth | comparison | ratio | target | met?"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class Row:
    section: str
    measure: str
    hearth: float | str | None
    unit: str = ""
    comparison: float | str | None = None
    against: str = ""
    """What the comparison is: "echo", "peer", "1 site", "SafeLoader"…"""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0 or math.isnan(value) \
            or math.isnan(reference):
        return None
    return value / reference


def _number(value: float | str | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def table(rows: list[Row]) -> str:
    header = ("measure", "Hearth", "comparison", "ratio", "target", "met?")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        comparison = _number(row.comparison, row.unit)
        if row.against and row.comparison is not None:
            comparison = f"{comparison} ({row.against})"
        elif row.comparison is None:
            comparison = "-"
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        lines.append((
            row.measure, _number(row.hearth, row.unit), comparison,
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.target or "-", met,
        ))
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) if lines else len(header[i])
              for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()

    out = [fmt(header), "-+-".join("-" * w for w in widths)]
    section = None
    for row, line in zip(rows, lines, strict=True):
        if row.section != section:
            if section is not None:
                out.append("")
            out.append(f"[{row.section}]")
            section = row.section
        out.append(fmt(line))
    return "\n".join(out)

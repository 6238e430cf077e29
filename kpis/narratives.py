"""Priority narratives: one markdown file per reporting period.

A file starts with a small header (`period:` and `title:` between `---` lines), then a
`## ` section per Partnership Priority and for Achievements, Areas for Improvement,
Challenges and Opportunities. A line `KPIs: id, id` in a section names the KPIs it
speaks about. Text is kept as markdown; the app renders it with raw HTML disabled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kpis.periods import Period, PeriodError, parse_period

THEMES = ("achievements", "areas_for_improvement", "challenges", "opportunities")
_PRIORITY = re.compile(r"priority\s+(\d+)", re.IGNORECASE)
_KPIS = re.compile(r"^\s*kpis?\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    key: str  # priority_1 ... priority_6, achievements, areas_for_improvement, challenges, opportunities
    title: str
    body: str
    kpis: tuple[str, ...] = ()

    @property
    def priority(self) -> int | None:
        match = re.fullmatch(r"priority_(\d+)", self.key)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Narrative:
    period: Period
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
    source: str = ""

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def priorities(self) -> list[Section]:
        return sorted((s for s in self.sections if s.priority is not None), key=lambda s: s.priority or 0)


def _key(title: str) -> str:
    if match := _PRIORITY.search(title):
        return f"priority_{int(match.group(1))}"
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def parse(text: str, source: str = "") -> Narrative:
    """Parse one narrative file; raise ValueError when it names no valid period."""
    meta: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
        for line in lines[1:end]:
            if ":" in line:
                k, v = line.split(":", 1)
                meta[k.strip().lower()] = v.strip()
        lines = lines[end + 1:]
    try:
        period = parse_period(meta.get("period", ""))
    except PeriodError as error:
        raise ValueError(f"{source or 'narrative'}: the header needs 'period:' with a reporting period ({error.reason})") from error
    sections: list[Section] = []
    title, body, kpis = None, [], []
    for line in [*lines, "## "]:
        if line.startswith("## "):
            if title is not None:
                sections.append(Section(_key(title), title, "\n".join(body).strip(), tuple(kpis)))
            title, body, kpis = line[3:].strip(), [], []
        elif (match := _KPIS.match(line)) and title is not None:
            kpis += [k.strip().lower() for k in match.group(1).split(",") if k.strip()]
        elif title is not None:
            body.append(line)
    return Narrative(period, meta.get("title", period.label), tuple(sections), source)


def load_all(folder: Path) -> tuple[list[Narrative], list[str]]:
    """Every narrative in `folder`, earliest period first, and the files that could not be read."""
    narratives, problems = [], []
    if not folder.is_dir():
        return [], []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            narratives.append(parse(path.read_text(encoding="utf-8-sig", errors="replace"), path.name))
        except ValueError as error:
            problems.append(str(error))
    return sorted(narratives, key=lambda n: n.period), problems


def for_period(narratives: list[Narrative], period: Period | None) -> Narrative | None:
    """The narrative of the period, else the latest one before it."""
    eligible = [n for n in narratives if period is None or n.period.end <= period.end]
    return eligible[-1] if eligible else None

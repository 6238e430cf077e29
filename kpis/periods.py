"""Reporting periods: parse every label a UK public-sector analyst writes.

A period is a closed date range with a type and one canonical label. Periods of
different types share one axis, in one total order: by end date, then start date,
then kind (`KIND_RANK`), then label, so that a sort gives the same order every run.

Two-digit years are read within 1950–2049 (`Jun 99` is June 1999, `Jun 24` June
2024), never a century ahead. Years outside 1900–2999 are not periods here.
For a quarterly KPI a calendar quarter is the financial quarter with the same dates
(`2025 Q1` is `2024/25 Q4`): `canonical_for` gives the one label it is stored under.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import polars as pl


class PeriodKind(StrEnum):
    MONTH = "month"
    FY_QUARTER = "fy_quarter"  # UK financial-year quarter, April start
    FY = "fy"  # UK financial year, April to March
    QUARTER = "quarter"  # calendar quarter
    YEAR = "year"  # calendar year


ACCEPTED_FORMS = (
    "month: 2024-06, 06/2024, Jun 24, Jun-24, Jun 2024, June 2024; "
    "financial-year quarter (April start): 2024/25 Q1, Q1 2024/25, 2024-25 Q1; "
    "financial year: 2024/25, 2024-25; "
    "calendar quarter: 2024 Q1, 2024Q1, Q1 2024; "
    "calendar year: 2024; "
    "two-digit years are 1950–2049"
)

FIRST_YEAR, LAST_YEAR = 1900, 2999
TWO_DIGIT_PIVOT = 50  # 00–49 are 2000–2049, 50–99 are 1950–1999

# Tie-break between kinds covering the same dates, in the one total order of periods.
KIND_RANK: dict[PeriodKind, int] = {
    PeriodKind.MONTH: 0, PeriodKind.FY_QUARTER: 1, PeriodKind.QUARTER: 2, PeriodKind.FY: 3, PeriodKind.YEAR: 4,
}

# Per frequency, kinds that are stored as another kind with the same dates: the report's financial quarters.
CANONICAL_KIND: dict[tuple[str, PeriodKind], PeriodKind] = {
    ("quarterly", PeriodKind.QUARTER): PeriodKind.FY_QUARTER,
}

# Which period kinds each catalogue frequency accepts.
FREQUENCY_KINDS: dict[str, frozenset[PeriodKind]] = {
    "monthly": frozenset({PeriodKind.MONTH}),
    "quarterly": frozenset({PeriodKind.FY_QUARTER, PeriodKind.QUARTER}),
    "annual": frozenset({PeriodKind.FY, PeriodKind.YEAR}),
}


class PeriodError(ValueError):
    """A label that is not a period, or could be more than one."""

    def __init__(self, label: str, reason: str, ambiguous: bool = False) -> None:
        self.label = label
        self.reason = reason
        self.ambiguous = ambiguous
        super().__init__(f"{reason}. Accepted forms are {ACCEPTED_FORMS}")


@dataclass(frozen=True, order=False)
class Period:
    start: date
    end: date
    kind: PeriodKind

    @property
    def label(self) -> str:
        return canonical_label(self.kind, self.start)

    @property
    def sort_key(self) -> tuple[date, date, int, str]:
        return (self.end, self.start, KIND_RANK[self.kind], self.label)

    def __lt__(self, other: Period) -> bool:
        return self.sort_key < other.sort_key

    def year_earlier(self) -> Period:
        return make_period(self.kind, add_months(self.start, -12))

    def __str__(self) -> str:
        return self.label


def add_months(d: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `d`."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# How many months one period of each kind covers: also the step from one period to the next.
MONTHS_IN: dict[PeriodKind, int] = {
    PeriodKind.MONTH: 1,
    PeriodKind.FY_QUARTER: 3,
    PeriodKind.QUARTER: 3,
    PeriodKind.FY: 12,
    PeriodKind.YEAR: 12,
}


def make_period(kind: PeriodKind, start: date) -> Period:
    last = add_months(start, MONTHS_IN[kind] - 1)
    return Period(start=start, end=_month_end(last.year, last.month), kind=kind)


def canonical_label(kind: PeriodKind, start: date) -> str:
    if kind is PeriodKind.MONTH:
        return start.strftime("%b %Y")
    if kind is PeriodKind.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if kind is PeriodKind.YEAR:
        return str(start.year)
    fy = start.year if start.month >= 4 else start.year - 1
    fy_label = f"{fy}/{(fy + 1) % 100:02d}"
    if kind is PeriodKind.FY:
        return fy_label
    quarter = ((start.month - 4) % 12) // 3 + 1
    return f"{fy_label} Q{quarter}"


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS["sept"] = 9

_FY = r"(?P<fy>\d{4})\s*[/-]\s*(?P<fy2>\d{2}|\d{4})"
_Q = r"Q(?P<q>\d)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(rf"^{pattern}$", re.IGNORECASE))
    for name, pattern in [
        ("fyq", rf"(?:FY\s*)?{_FY}\s*[-\s]?\s*{_Q}"),
        ("fyq", rf"{_Q}\s*[-\s]?\s*(?:FY\s*)?{_FY}"),
        ("iso_month", r"(?P<y>\d{4})-(?P<m>\d{2})"),
        ("fy", rf"(?:FY\s*)?{_FY}"),
        ("slash_month", r"(?P<m>\d{1,2})/(?P<y>\d{4})"),
        ("quarter", rf"(?P<y>\d{{4}})\s*[-\s]?\s*{_Q}"),
        ("quarter", rf"{_Q}\s*[-\s]?\s*(?P<y>\d{{4}})"),
        ("year", r"(?P<y>\d{4})"),
        ("named_month", r"(?P<mon>[A-Za-z]{3,9})\.?\s*[-\s]\s*(?P<y>\d{2}|\d{4})"),
    ]
]


def _fy_start(label: str, fy: str, fy2: str) -> int:
    first = int(fy)
    second = int(fy2)
    expected = first + 1 if len(fy2) == 4 else (first + 1) % 100
    if second != expected:
        raise PeriodError(label, f"'{label}' is not a financial year: {fy} must be followed by {expected}")
    return first


def _quarter(label: str, q: str) -> int:
    number = int(q)
    if not 1 <= number <= 4:
        raise PeriodError(label, f"'{label}' has quarter Q{number}; quarters run Q1 to Q4")
    return number


def _month(label: str, month: int) -> int:
    if not 1 <= month <= 12:
        raise PeriodError(label, f"'{label}' has month {month}; months run 1 to 12")
    return month


def parse_period(label: str, frequency: str | None = None) -> Period:
    """Parse one period label; raise PeriodError saying why and listing the accepted forms.

    `frequency` (the KPI's: monthly, quarterly, annual) settles a label that could be
    read two ways: `2011-12` is December 2011 for a monthly KPI, 2011/12 for an annual one.
    """
    text = " ".join(str(label).split())
    try:
        period = _parse(label, text, frequency)
    except PeriodError:
        raise
    except (ValueError, OverflowError):  # a date the calendar cannot hold, e.g. year 0 or 10000
        period = None
    if period is None or period.start.year < FIRST_YEAR or period.end.year > LAST_YEAR:
        raise PeriodError(text, f"'{text}' is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return period


def two_digit_year(year: int) -> int:
    """A two-digit year within 1950–2049."""
    return year + (2000 if year < TWO_DIGIT_PIVOT else 1900)


def _parse(label: str, text: str, frequency: str | None) -> Period:
    if not text:
        raise PeriodError(label, "the period is empty")
    for name, pattern in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        g = match.groupdict()
        if name == "fyq":
            fy = _fy_start(text, g["fy"], g["fy2"])
            q = _quarter(text, g["q"])
            return make_period(PeriodKind.FY_QUARTER, add_months(date(fy, 4, 1), 3 * (q - 1)))
        if name == "iso_month":
            year, second = int(g["y"]), int(g["m"])
            if second == (year + 1) % 100 and 1 <= second <= 12:
                if frequency == "monthly":
                    return make_period(PeriodKind.MONTH, date(year, second, 1))
                if frequency == "annual":
                    return make_period(PeriodKind.FY, date(year, 4, 1))
                raise PeriodError(
                    text,
                    f"'{text}' could be a month or the financial year {year}/{second:02d}; "
                    f"write {calendar.month_abbr[second]} {year} or {year}/{second:02d}",
                    ambiguous=True,
                )
            if second == (year + 1) % 100:
                return make_period(PeriodKind.FY, date(year, 4, 1))
            return make_period(PeriodKind.MONTH, date(year, _month(text, second), 1))
        if name == "fy":
            return make_period(PeriodKind.FY, date(_fy_start(text, g["fy"], g["fy2"]), 4, 1))
        if name == "slash_month":
            return make_period(PeriodKind.MONTH, date(int(g["y"]), _month(text, int(g["m"])), 1))
        if name == "quarter":
            q = _quarter(text, g["q"])
            return make_period(PeriodKind.QUARTER, date(int(g["y"]), 3 * q - 2, 1))
        if name == "year":
            return make_period(PeriodKind.YEAR, date(int(g["y"]), 1, 1))
        if name == "named_month":
            month = _MONTHS.get(g["mon"].lower())
            if month is None:
                raise PeriodError(text, f"'{g['mon']}' in '{text}' is not a month name")
            year = int(g["y"])
            return make_period(PeriodKind.MONTH, date(two_digit_year(year) if len(g["y"]) == 2 else year, month, 1))
    if re.fullmatch(r"Q\d", text, re.IGNORECASE):
        raise PeriodError(text, f"'{text}' has no year; write e.g. 2024/25 {text.upper()} or 2024 {text.upper()}")
    return _reject(text)


def _reject(text: str) -> Period:
    if re.search(r"[A-Za-z]{3,}.*\d{4}\s*/\s*\d{2}", text):
        raise PeriodError(text, f"'{text}' mixes a month with a financial year; write the month alone, e.g. Jun 2024")
    raise PeriodError(text, f"'{text}' is not a period this board recognises")


def canonical_for(period: Period, frequency: str | None) -> Period:
    """The period a KPI of `frequency` stores this one as: same dates, one label."""
    kind = CANONICAL_KIND.get((frequency or "", period.kind))
    return make_period(kind, period.start) if kind else period


def future_limit(today: date) -> date:
    """The last start date allowed: one year after today (a period starting later is an error)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def order_exprs(prefix: str = "period") -> list[pl.Expr]:
    """The total order of periods as Polars sort keys over `period_end`, `period_start`, `period_kind`, `period`."""
    rank = pl.col(f"{prefix}_kind").cast(pl.String).replace_strict(
        {k.value: r for k, r in KIND_RANK.items()}, default=len(KIND_RANK), return_dtype=pl.Int64)
    return [pl.col(f"{prefix}_end"), pl.col(f"{prefix}_start"), rank, pl.col(prefix).cast(pl.String)]


def try_parse(label: str, frequency: str | None = None) -> Period | PeriodError:
    try:
        return parse_period(label, frequency)
    except PeriodError as error:
        return error


PERIOD_COLUMNS = {
    "period": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "period_kind": pl.String,
    "period_error": pl.String,
}


def parse_labels(labels: pl.Series, frequencies: pl.Series | None = None) -> pl.DataFrame:
    """Parse each distinct (label, frequency) pair of a column once.

    Returns one row per pair with the canonical label, dates, kind and, for a label that
    is not a period, the reason. Join it back on `raw_period` and `frequency`.
    """
    frequencies = frequencies if frequencies is not None else pl.Series("frequency", [None] * labels.len(), pl.String)
    pairs = pl.DataFrame({"raw_period": labels, "frequency": frequencies}, schema={"raw_period": pl.String, "frequency": pl.String})
    pairs = pairs.filter(pl.col("raw_period").is_not_null()).unique()
    raws, freqs = pairs["raw_period"].to_list(), pairs["frequency"].to_list()
    parsed = [try_parse(raw, freq) for raw, freq in zip(raws, freqs, strict=True)]
    return pl.DataFrame(
        {
            "raw_period": raws,
            "frequency": freqs,
            "period": [p.label if isinstance(p, Period) else None for p in parsed],
            "period_start": [p.start if isinstance(p, Period) else None for p in parsed],
            "period_end": [p.end if isinstance(p, Period) else None for p in parsed],
            "period_kind": [str(p.kind) if isinstance(p, Period) else None for p in parsed],
            "period_error": [p.reason if isinstance(p, PeriodError) else None for p in parsed],
            "period_ambiguous": [isinstance(p, PeriodError) and p.ambiguous for p in parsed],
        },
        schema={"raw_period": pl.String, "frequency": pl.String, **PERIOD_COLUMNS, "period_ambiguous": pl.Boolean},
    )


def period_order(labels: list[str]) -> list[str]:
    """Canonical labels sorted along the shared time axis."""
    return [p.label for p in sorted({parse_period(label) for label in labels})]

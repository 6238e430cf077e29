"""Confidence intervals by unit, and comparisons with a parent area, as public-health profiles show them.

Two registries decide everything here:

- `METHODS`: each statistical method by name, with its words and reference (the
  Definitions page and the README are written from it);
- `UNITS`: what each catalogue unit means for statistics: which method gives its
  interval, whether a child's figure may be compared with its parent's, and whether a
  parent figure may be derived from the children's numerators and denominators.

The comparison rule is Fingertips': the parent's value inside the child's 95% interval
is `similar`; outside it, `better` or `worse` by the KPI's polarity, or `higher` or
`lower` for a KPI without one. Anything else is `not_compared`, with the reason as data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

Z95 = 1.959963984540054  # the standard normal 97.5th percentile: two-sided 95%
ALPHA = 0.05
BYAR_MIN_EVENTS = 10  # below this many events a rate takes exact Poisson limits, as PHE's phe_rate does

FINGERTIPS = "Fingertips methods: https://fingertips.phe.org.uk/profile/guidance"
PHE_GUIDE = "Public Health England, Technical Guide: Confidence Intervals (2018)"


@dataclass(frozen=True)
class Method:
    """One way of putting a 95% interval round a figure."""

    name: str
    title: str
    used_for: str
    words: str
    reference: str


METHODS: dict[str, Method] = {m.name: m for m in (
    Method(
        "wilson", "Wilson score interval", "percentages with a numerator and a denominator",
        "Out of the denominator, the numerator met the measure. The interval is the range of true percentages "
        "that could well have produced this many out of this many; it stays between 0% and 100% and is "
        "lopsided near either end, as it should be for small groups.",
        f"Wilson EB (1927), J Am Stat Assoc 22:209–212; {PHE_GUIDE}, section on proportions; "
        f"PHEindicatormethods phe_proportion; {FINGERTIPS}",
    ),
    Method(
        "byar", "Byar's method", "rates per N (per 1,000, or per unit) with a numerator and a denominator",
        "The events counted are treated as a Poisson count: Byar's approximation gives the range of true counts "
        "that could well have produced the number seen, and each end is divided by the denominator and "
        f"multiplied by N (the catalogue's `per`). With fewer than {BYAR_MIN_EVENTS} events the exact Poisson "
        "limits are used instead, as PHE does, because Byar's approximation is poor for so few.",
        f"Breslow NE, Day NE (1987), Statistical methods in cancer research II, IARC; {PHE_GUIDE}, section on "
        f"rates; PHEindicatormethods phe_rate and byars_lower/byars_upper; {FINGERTIPS}",
    ),
    Method(
        "poisson_exact", "Exact Poisson limits (Garwood)", "counts, and rates with fewer than 10 events",
        "A count of events is treated as a Poisson count, and the limits are the exact ones from the chi-square "
        "distribution: the lowest and highest true averages that could still have produced the count seen "
        "at least 2.5% of the time.",
        f"Garwood F (1936), Biometrika 28:437–442; {PHE_GUIDE}, section on counts; {FINGERTIPS}",
    ),
    Method(
        "none", "No interval", "plain numbers, and figures without a numerator and denominator",
        "A number without a denominator (an average, a cost, a score) says nothing about how much it could vary "
        "by chance, so no interval is drawn and the area is not called better or worse than another.",
        f"{PHE_GUIDE}",
    ),
)}


@dataclass(frozen=True)
class UnitRule:
    """What a catalogue unit means for intervals and comparisons."""

    method: str  # a key of METHODS
    compared_with_parent: bool  # False: a child's figure is part of the parent's total
    derivable: bool  # a parent figure may be derived from the children's numerators and denominators


UNITS: dict[str, UnitRule] = {
    "percent": UnitRule("wilson", compared_with_parent=True, derivable=True),
    "rate": UnitRule("byar", compared_with_parent=True, derivable=True),
    "count": UnitRule("poisson_exact", compared_with_parent=False, derivable=False),
    "number": UnitRule("none", compared_with_parent=True, derivable=False),
}

PART_OF_A_TOTAL = "part of a total"

COMPARISON_RULE = (
    "An area is compared with its parent (a locality with the City) as Fingertips does: when the parent's figure lies inside "
    "the area's 95% interval the two are similar; outside it, the area is better or worse according to the KPI's polarity, or "
    "higher or lower for a KPI with no polarity. Like is compared only with like: the parent's figure must be for the same "
    "period, either published or derived from every area's numerator and denominator for that period (a parent that publishes "
    "the KPI is compared only on its own figures, and no figure is derived when any area lacks a numerator or a denominator). "
    "An area's count is part of the parent's total, so it is never compared with it and no gap is shown. Otherwise the area "
    "is marked \"not compared\", with the reason."
)

COMPARISONS = ("better", "similar", "worse", "higher", "lower", "not_compared")


# ---- exact Poisson limits, on the distinct counts ---------------------------------------


def _lgamma(a: np.ndarray) -> np.ndarray:
    return np.array([math.lgamma(v) for v in a.tolist()], dtype=np.float64)


_BLOCK = 64  # series terms summed per numpy step
_EPS = 1e-17
_CF_BELOW = 100.0  # shapes below this take the continued fraction for Q; above, a finite sum
_QUANTILE_TOL = 1e-13  # relative: P itself carries rounding of about 1e-14


def _ratio_series(first: np.ndarray, ratio, limit: int) -> np.ndarray:
    """Σ tₙ where t₀ = `first` and tₙ = tₙ₋₁ · ratio(rows, n), summed a block of terms at a time.

    `ratio(rows, n)` gives the ratios for the still-unconverged `rows` and the term
    numbers `n` (a row vector); a row stops once its last term is negligible.
    """
    total = first.copy()
    carry = first.copy()
    rows = np.flatnonzero(first != 0)
    n0 = 1
    while rows.size and n0 < limit:
        n = np.arange(n0, n0 + _BLOCK, dtype=np.float64)[None, :]
        terms = carry[rows, None] * np.cumprod(ratio(rows, n), axis=1)
        total[rows] += terms.sum(axis=1)
        carry[rows] = terms[:, -1]
        rows = rows[np.abs(carry[rows]) > np.abs(total[rows]) * _EPS]
        n0 += _BLOCK
    return total


def _gamma_pq(a: np.ndarray, x: np.ndarray, lga: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regularised incomplete gamma P(a, x) and Q(a, x) = 1 − P, and where P was the one summed directly.

    P by its power series where x < a + 1 (Numerical Recipes §6.2). Elsewhere Q: for
    a small shape by the continued fraction (modified Lentz), for a large one by the
    finite sum Q(a, x) = Σₖ xᵃ⁻ᵏ e⁻ˣ / Γ(a − k + 1), whose terms fall fast when x > a.
    The other of the pair is one minus it, so each is accurate where it is small.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_front = np.where(x > 0, a * np.log(np.where(x > 0, x, 1.0)) - x - lga, -np.inf)
    front = np.exp(log_front)  # xᵃ e⁻ˣ / Γ(a)
    limit = 400 + int(12 * math.sqrt(float(np.max(a, initial=1.0))))
    use_series = x < a + 1
    use_sum = ~use_series & (a >= _CF_BELOW)
    use_cf = ~use_series & ~use_sum
    # P = front/a · Σ xⁿ / ((a+1)…(a+n))
    series = _ratio_series(np.where(use_series & (x > 0), 1.0, 0.0), lambda r, n: x[r, None] / (a[r, None] + n), limit)
    p_series = np.where(use_series & (x > 0), front / a * series, 0.0)
    # Q = front/x · Σ (a−1)(a−2)…(a−k)/xᵏ, stopped where the factors reach zero
    downward = _ratio_series(np.where(use_sum, 1.0, 0.0), lambda r, n: np.clip(a[r, None] - n, 0.0, None) / x[r, None], limit)
    q_sum = np.where(use_sum, front / np.where(x > 0, x, 1.0) * downward, 0.0)
    q_cf = _gamma_q_fraction(a, x, front, use_cf, limit)
    q_direct = np.where(use_sum, q_sum, q_cf)
    p = np.where(use_series, p_series, 1 - q_direct)
    q = np.where(use_series, 1 - p_series, q_direct)
    return p, q, use_series


def _gamma_q_fraction(a: np.ndarray, x: np.ndarray, front: np.ndarray, rows_mask: np.ndarray, limit: int) -> np.ndarray:
    """Q(a, x) by its continued fraction (modified Lentz), for the rows in `rows_mask`."""
    out = np.zeros_like(x)
    rows = np.flatnonzero(rows_mask)
    if rows.size == 0:
        return out
    aa, xx = a[rows], x[rows]
    tiny = 1e-300
    b = xx + 1 - aa
    c = np.full_like(xx, 1 / tiny)
    d = 1.0 / np.where(b == 0, tiny, b)
    h = d.copy()
    active = np.ones_like(xx, dtype=bool)
    for i in range(1, limit):
        an = -i * (i - aa)
        b = b + 2
        d_new = an * d + b
        d_new = 1 / np.where(np.abs(d_new) < tiny, tiny, d_new)
        c_new = b + an / c
        c_new = np.where(np.abs(c_new) < tiny, tiny, c_new)
        delta = c_new * d_new
        d, c = np.where(active, d_new, d), np.where(active, c_new, c)
        h = np.where(active, h * delta, h)
        active = active & (np.abs(delta - 1) > _EPS)
        if not active.any():
            break
    out[rows] = front[rows] * h
    return out


def gamma_quantile(probability: float, shape: np.ndarray) -> np.ndarray:
    """The `probability` quantile of Gamma(shape, 1), for every shape > 0.

    Newton steps from the Wilson–Hilferty approximation, each kept inside a bracket
    that holds the root (a bisection step when Newton would leave it); only the
    shapes not yet converged are worked again.
    """
    a = np.asarray(shape, dtype=np.float64)
    y = np.empty_like(a)
    if a.size == 0:
        return y
    lga = _lgamma(a)
    z = _normal_quantile(probability)
    guess = a * (1 - 1 / (9 * a) + z / (3 * np.sqrt(a))) ** 3
    low = np.zeros_like(a)
    high = a + 40 * np.sqrt(a) + 60
    y = np.where((guess > low) & (guess < high), guess, (low + high) / 2)
    rows = np.arange(a.size)
    for _ in range(200):
        ar, yr, lr, hr = a[rows], y[rows], low[rows], high[rows]
        p, q, direct_p = _gamma_pq(ar, yr, lga[rows])
        miss = np.where(direct_p, p - probability, (1 - probability) - q)  # P(a, y) − probability, from the accurate side
        lr = np.where(miss < 0, yr, lr)
        hr = np.where(miss > 0, yr, hr)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            newton = yr - miss / np.exp((ar - 1) * np.log(yr) - yr - lga[rows])
        inside = np.isfinite(newton) & (newton >= lr) & (newton <= hr)  # a step below the last digit leaves y where it is
        y_next = np.where(miss == 0, yr, np.where(inside, newton, (lr + hr) / 2))
        # Steps below _QUANTILE_TOL of y only trade one rounding of P for another.
        done = (np.abs(y_next - yr) <= _QUANTILE_TOL * np.abs(y_next)) | (hr - lr <= _QUANTILE_TOL * hr)
        y[rows], low[rows], high[rows] = y_next, lr, hr
        rows = rows[~done]
        if rows.size == 0:
            break
    return y


def _normal_quantile(p: float) -> float:
    """The standard normal quantile, by bisection on erfc (a starting point only)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def poisson_limits(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) 95% limits for Poisson counts: χ²(0.025; 2x)/2 and χ²(0.975; 2x+2)/2.

    Worked once per distinct count; the lower limit of a count of 0 is 0. Missing or
    negative counts give NaN.
    """
    x = np.asarray(counts, dtype=np.float64)
    ok = np.isfinite(x) & (x >= 0)
    distinct, where = np.unique(np.where(ok, x, 0.0), return_inverse=True)
    lower = np.zeros_like(distinct)
    positive = distinct > 0
    lower[positive] = gamma_quantile(ALPHA / 2, distinct[positive])
    upper = gamma_quantile(1 - ALPHA / 2, distinct + 1)
    return np.where(ok, lower[where], np.nan), np.where(ok, upper[where], np.nan)


def _poisson_expr(events: pl.Expr) -> pl.Expr:
    """Exact Poisson limits of a column of counts, as a struct of `low` and `high`."""

    def limits(series: pl.Series) -> pl.Series:
        low, high = poisson_limits(series.cast(pl.Float64).fill_null(float("nan")).to_numpy())
        return pl.DataFrame({"low": low, "high": high}).select(
            pl.struct(pl.col("low").fill_nan(None), pl.col("high").fill_nan(None)).alias(series.name)).to_series()

    return events.map_batches(limits, return_dtype=pl.Struct({"low": pl.Float64, "high": pl.Float64}))


# ---- intervals as Polars expressions -------------------------------------------------------


def wilson_limits(numerator: pl.Expr, denominator: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """The Wilson score interval of numerator ÷ denominator, as proportions (0–1)."""
    n = denominator
    p = numerator / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * ((p * (1 - p) / n + z**2 / (4 * n**2)).sqrt()) / (1 + z**2 / n)
    return centre - half, centre + half


def byar_limits(events: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """Byar's approximation to the 95% limits of a Poisson count."""
    x, x1 = events, events + 1
    low = x * (1 - 1 / (9 * x) - z / (3 * x.sqrt())) ** 3
    high = x1 * (1 - 1 / (9 * x1) + z / (3 * x1.sqrt())) ** 3
    return low, high


def wilson_exprs(numerator: str = "numerator", denominator: str = "denominator", scale: float = 100.0, z: float = Z95) -> list[pl.Expr]:
    """The Wilson score interval for a proportion, as `ci_low` and `ci_high` (in percent by default)."""
    n = pl.col(denominator)
    low, high = wilson_limits(pl.col(numerator), n, z)
    valid = n.is_not_null() & (n > 0) & pl.col(numerator).is_not_null()
    return [pl.when(valid).then(low * scale).alias("ci_low"), pl.when(valid).then(high * scale).alias("ci_high")]


def scale_expr() -> pl.Expr:
    """What numerator ÷ denominator is multiplied by to give the value: 100 for a percentage, `per` for a rate."""
    return pl.when(pl.col("unit") == "percent").then(pl.lit(100.0)).when(pl.col("unit") == "rate").then(pl.col("per").cast(pl.Float64))


def _no_interval_reason() -> pl.Expr:
    """Why a row gets no interval, in words (null when it gets one)."""
    unit, num, den = pl.col("unit"), pl.col("numerator"), pl.col("denominator")
    fraction = unit.is_in(["percent", "rate"])
    return (
        pl.when(unit == "number").then(pl.lit("a number without a denominator has no interval"))
        .when(~unit.is_in(list(UNITS))).then(pl.lit("unknown unit"))
        .when(unit == "count").then(
            pl.when(pl.col("value").is_null() | pl.col("value").is_nan() | (pl.col("value") < 0)).then(pl.lit("no count to put an interval round")))
        .when((unit == "rate") & (pl.col("per").is_null() | (pl.col("per") <= 0))).then(pl.lit("the catalogue gives no 'per' for this rate"))
        .when(fraction & num.is_null() & den.is_null()).then(pl.lit("no numerator and denominator"))
        .when(fraction & den.is_null()).then(pl.lit("numerator without denominator"))
        .when(fraction & num.is_null()).then(pl.lit("denominator without numerator"))
        .when(fraction & (den <= 0)).then(pl.lit("the denominator is zero"))
        .when(fraction & (num < 0)).then(pl.lit("the numerator is negative"))
        .when((unit == "percent") & (num > den)).then(pl.lit("numerator larger than denominator"))
    )


def interval_exprs() -> list[list[pl.Expr]]:
    """Stages of expressions giving `method`, `low`, `high` and `interval_reason`, by the KPI's unit.

    Reads `unit`, `value`, `numerator`, `denominator` and `per`. Apply the stages in order
    (or call `with_intervals`): the exact Poisson limits are worked once per distinct count.
    """
    unit, num, den = pl.col("unit"), pl.col("numerator").cast(pl.Float64), pl.col("denominator").cast(pl.Float64)
    reason = pl.col("interval_reason")
    events = pl.when(unit == "count").then(pl.col("value")).when(unit == "rate").then(num)
    method = (
        pl.when(reason.is_not_null()).then(pl.lit("none"))
        .when((unit == "rate") & (num < BYAR_MIN_EVENTS)).then(pl.lit("poisson_exact"))
        .otherwise(unit.replace_strict({u: r.method for u, r in UNITS.items()}, default="none", return_dtype=pl.String))
    )
    w_low, w_high = wilson_limits(num, den)
    b_low, b_high = byar_limits(num)
    per_unit = pl.col("per").cast(pl.Float64) / den
    chosen = pl.col("method")

    def limit(wilson: pl.Expr, byar: pl.Expr, side: str) -> pl.Expr:
        exact = pl.col("_exact").struct.field(side)
        return (
            pl.when(chosen == "wilson").then(wilson * 100)
            .when(chosen == "byar").then(byar * per_unit)
            .when(chosen == "poisson_exact").then(pl.when(unit == "rate").then(exact * per_unit).otherwise(exact))
        )

    low, high = limit(w_low, b_low, "low"), limit(w_high, b_high, "high")
    return [
        [_no_interval_reason().alias("interval_reason")],
        [method.alias("method")],
        [_poisson_expr(pl.when(pl.col("method") == "poisson_exact").then(events)).alias("_exact")],
        [low.alias("low"), high.alias("high")],
    ]


def with_intervals(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """`frame` with `method`, `low`, `high` and `interval_reason` (see `interval_exprs`)."""
    for stage in interval_exprs():
        frame = frame.with_columns(stage)
    return frame.drop("_exact")


# ---- the comparison rule -----------------------------------------------------------------


def compare_exprs() -> list[pl.Expr]:
    """`comparison` with the parent and, when not compared, the `reason`.

    Reads `unit`, `polarity`, `low`, `high`, `interval_reason`, `parent_value` and
    `parent_reason` (null when the parent's figure is for the same period). In order: a
    count is part of its parent's total; no interval, no judgement; no parent figure of
    the same period, no judgement; then Fingertips' rule.
    """
    parent = pl.col("parent_value")
    above, below = pl.col("low") > parent, pl.col("high") < parent
    polarity = pl.col("polarity")
    higher_good, lower_good = polarity == "higher_is_better", polarity == "lower_is_better"
    part = pl.col("unit").replace_strict({u: not r.compared_with_parent for u, r in UNITS.items()}, default=False, return_dtype=pl.Boolean)
    reason = (
        pl.when(part).then(pl.lit(PART_OF_A_TOTAL))
        .when(pl.col("low").is_null() | pl.col("high").is_null()).then(pl.coalesce(pl.col("interval_reason"), pl.lit("no interval")))
        .when(parent.is_null() | pl.col("parent_reason").is_not_null()).then(pl.coalesce(pl.col("parent_reason"), pl.lit("no figure to compare with")))
    )
    comparison = (
        pl.when(pl.col("reason").is_not_null()).then(pl.lit("not_compared"))
        .when(~(above | below)).then(pl.lit("similar"))
        .when((above & higher_good) | (below & lower_good)).then(pl.lit("better"))
        .when((above & lower_good) | (below & higher_good)).then(pl.lit("worse"))
        .when(above).then(pl.lit("higher"))
        .otherwise(pl.lit("lower"))
    )
    return [reason.alias("reason"), comparison.alias("comparison")]


def with_comparison(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    reason, comparison = compare_exprs()
    return frame.with_columns(reason).with_columns(comparison)


def methods_table() -> pl.DataFrame:
    """The registry as the Definitions page and README list it."""
    units = {m: ", ".join(u for u, r in UNITS.items() if r.method == m) for m in METHODS}
    return pl.DataFrame([
        {"Method": m.title, "Name": m.name, "Units": units[m.name] or "–", "Used for": m.used_for, "In plain words": m.words, "Reference": m.reference}
        for m in METHODS.values()
    ])

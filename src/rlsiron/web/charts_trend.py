"""'If the trend continues': a straight line through a person's own ferritin on iron.

Ordinary least squares on the ferritin results drawn since the current iron course began,
x in days since the first of them. The band is the prediction interval for one new result:

    y0 ± t(1 - α/2; n - 2) · s · sqrt(1 + 1/n + (x0 - x̄)² / Sxx)

with s² = Σ residual² / (n - 2) and Sxx = Σ (x - x̄)² (any regression text, e.g. Montgomery,
Peck & Vining, Introduction to Linear Regression Analysis, §2.5). numpy and scipy are not
installed, so the sums are plain Python and Student's t comes from its closed-form
distribution function for whole degrees of freedom (Abramowitz & Stegun 26.7.3-4), inverted
by bisection.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rlsiron.core.models import Assessment, IronTherapy, LabValue

# A line has two parameters (intercept and slope): two points fit it exactly and leave no
# residual to estimate the scatter from, so one more is the fewest with a prediction interval.
_LINE_PARAMETERS: Final = 2
MIN_TREND_POINTS: Final = _LINE_PARAMETERS + 1
# How far past the latest result the line is drawn: far enough to see where it heads, near
# enough that a straight line still summarises the results (the band widens with distance).
# A drawing choice, not a clinical interval (retest intervals live in numbers.txt).
TREND_HORIZON: Final = dt.timedelta(days=90)
# The share of new results the band should hold if nothing changes.
PREDICTION_LEVEL: Final = 0.95
# The band is curved, so it is drawn through one point a week.
_STEP: Final = dt.timedelta(weeks=1)
# Bisection halves the bracket each time: this many steps reach double precision.
_BISECTIONS: Final = 64


@dataclass(frozen=True, slots=True)
class TrendPoint:
    date: dt.date
    fit: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Trend:
    """The fitted line (slope per day), the points it is drawn through and what to say."""

    course: IronTherapy
    used: tuple[LabValue, ...]
    slope_per_day: float
    points: tuple[TrendPoint, ...]
    target: float
    reaches_target: dt.date | None
    caveat: str


def ongoing_course(courses: Sequence[IronTherapy], as_of: dt.date) -> IronTherapy | None:
    """The latest-started iron course going on at `as_of` (no end, or ending on or after it)."""
    going = [c for c in courses if c.started <= as_of and (c.ended is None or c.ended >= as_of)]
    return max(going, key=lambda c: c.started, default=None)


def on_therapy_ferritin(assessment: Assessment, course: IronTherapy) -> tuple[LabValue, ...]:
    """Exact, plausible ferritin results drawn on or after the course began, oldest first."""
    return tuple(
        sorted(
            (
                lab
                for lab in (*assessment.labs, *assessment.history)
                if lab.test == "ferritin"
                and lab.qualifier == "="
                and lab.plausible
                and course.started <= lab.date <= assessment.as_of
            ),
            key=lambda lab: lab.date,
        )
    )


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` (a whole number >= 1) degrees of freedom."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    series, term = 1.0, 1.0
    if df % 2:  # odd
        for k in range(1, (df - 1) // 2):
            term *= 2 * k / (2 * k + 1) * cos2
            series += term
        tail = math.sin(theta) * math.cos(theta) * series if df > 1 else 0.0
        inside = 2 / math.pi * (theta + tail)
    else:
        for k in range(1, df // 2):
            term *= (2 * k - 1) / (2 * k) * cos2
            series += term
        inside = math.sin(theta) * series
    return (1 + inside) / 2


def t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p, for p in [0.5, 1): bisection on the distribution function."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if t_cdf(middle, df) < p else (low, middle)
    return (low + high) / 2


def _caveat(used: int, course: IronTherapy) -> str:
    return (
        f"If the trend continues: a straight line through your {used} ferritin results since "
        f"the iron course began on {course.started:%d %b %Y}. The shaded band is where a next "
        f"result would fall {PREDICTION_LEVEL:.0%} of the time if nothing changed. Ferritin "
        "does not rise in a straight line, and a new dose, an infusion or an illness change "
        "it: this is not a forecast of your next result."
    )


def fit_trend(used: Sequence[LabValue], course: IronTherapy, target: float) -> Trend | None:
    """The least-squares line and its prediction band; None when the points cannot carry one."""
    if len({lab.date for lab in used}) < MIN_TREND_POINTS:
        return None
    first = used[0].date
    days = [float((lab.date - first).days) for lab in used]
    values = [lab.value for lab in used]
    slope, intercept = statistics.linear_regression(days, values)
    n, mean = len(days), statistics.fmean(days)
    sxx = sum((x - mean) ** 2 for x in days)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(days, values, strict=True))
    spread = math.sqrt(residual / (n - _LINE_PARAMETERS))
    t = t_quantile((1 + PREDICTION_LEVEL) / 2, n - _LINE_PARAMETERS)
    end = used[-1].date + TREND_HORIZON
    reaches = _crossing(first, slope, intercept, target, (used[-1].date, end))
    end = reaches or end
    points = []
    day = used[-1].date  # drawn onward from the latest result: the fit, not a redrawn past
    while True:
        x = float((day - first).days)
        fit = intercept + slope * x
        half = t * spread * math.sqrt(1 + 1 / n + (x - mean) ** 2 / sxx)
        points.append(TrendPoint(day, fit, max(fit - half, 0.0), fit + half))
        if day >= end:
            break
        day = min(day + _STEP, end)
    return Trend(course, tuple(used), slope, tuple(points), target, reaches, _caveat(n, course))


def _crossing(
    first: dt.date, slope: float, intercept: float, target: float, span: tuple[dt.date, dt.date]
) -> dt.date | None:
    """The day within `span` the rising line meets `target`; None when it does not there."""
    if slope <= 0:
        return None
    day = (target - intercept) / slope
    if not (span[0] - first).days <= day <= (span[1] - first).days:
        return None
    return first + dt.timedelta(days=math.ceil(day))


def ferritin_trend(
    assessment: Assessment, iron_therapy: Sequence[IronTherapy], target: float
) -> Trend | None:
    """The trend line while on iron, or None: no course going on, or too few results on it."""
    course = ongoing_course(iron_therapy, assessment.as_of)
    if course is None:
        return None
    return fit_trend(on_therapy_ferritin(assessment, course), course, target)

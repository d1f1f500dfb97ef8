"""One-sided values ("<5", ">60") compare three-valued: true, false, or undetermined."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.readings import Qualifier, Reading

finite = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
qualifiers = st.sampled_from(["=", "<", "<=", ">", ">="])


def _possible_values(r: Reading) -> list[float]:
    """Points inside the interval the true value lies in, including its edges where closed."""
    v = r.value
    step = max(abs(v) * 1e-6, 1e-6)
    return {
        "=": [v],
        "<": [v - step, v - 1, v - 1e3],
        "<=": [v, v - step, v - 1e3],
        ">": [v + step, v + 1, v + 1e3],
        ">=": [v, v + step, v + 1e3],
    }[r.qualifier]


@given(finite, qualifiers, finite)
def test_a_settled_comparison_holds_for_every_value_the_reading_allows(
    value: float, qualifier: Qualifier, limit: float
) -> None:
    r = Reading(value, qualifier)
    checks = [
        (r.lt(limit), lambda x: x < limit),
        (r.le(limit), lambda x: x <= limit),
        (r.gt(limit), lambda x: x > limit),
        (r.ge(limit), lambda x: x >= limit),
    ]
    for answer, truth in checks:
        if answer is not None:
            assert all(truth(x) == answer for x in _possible_values(r))


@given(finite, finite)
def test_exact_readings_always_compare_like_numbers(value: float, limit: float) -> None:
    r = Reading(value)
    assert (r.lt(limit), r.le(limit), r.gt(limit), r.ge(limit)) == (
        value < limit,
        value <= limit,
        value > limit,
        value >= limit,
    )


def test_ferritin_below_5_is_settled_below_75_but_ferritin_below_100_is_not() -> None:
    assert Reading(5, "<").le(75) is True
    assert Reading(100, "<").le(75) is None
    assert Reading(100, "<").lt(100) is True
    assert Reading(60, ">").ge(60) is True
    assert Reading(60, ">=").gt(60) is None


def test_scaling_keeps_the_side_and_the_text_shows_it() -> None:
    r = Reading(2.0, "<").scaled(10)
    assert r == Reading(20.0, "<")
    assert str(r) == "<20"
    assert math.isclose(Reading(7.8).scaled(1.61145).value, 12.569, rel_tol=1e-4)

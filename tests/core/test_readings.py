"""One-sided values ("<5", ">60") compare three-valued: true, false, or undetermined."""

from __future__ import annotations

import math

import pytest
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


def test_readings_do_not_order_or_unpack_like_tuples() -> None:
    # A one-sided "<5" is neither less nor greater than 4: ordering would be a guess.
    with pytest.raises(TypeError):
        _ = Reading(5, "<") < Reading(4)  # type: ignore[operator]
    with pytest.raises(TypeError):
        _value, _qualifier = Reading(5)  # type: ignore[misc]
    assert Reading(5) != (5.0, "=")
    assert Reading(5, "<") == Reading(5, "<")
    assert len({Reading(5), Reading(5.0)}) == 1


@pytest.mark.parametrize(
    ("reported", "factor", "limit", "below"),
    [
        # REFERENCE: magnesium 1.7 mg/dL is 0.70 mmol/L at its precision, not 0.6994.
        pytest.param(Reading(1.7, "=", 1), 0.411437, 0.70, False, id="mg-1.7-mg/dL-not-low"),
        pytest.param(Reading(1.6, "=", 1), 0.411437, 0.70, True, id="mg-1.6-mg/dL-low"),
        pytest.param(Reading(1.69, "=", 2), 0.411437, 0.70, True, id="mg-1.69-mg/dL-low"),
        # Hb 7.8 mmol/L is 12.57 g/dL: rounding must not push it up to 13 (anaemic man).
        pytest.param(Reading(7.8, "=", 1), 1.61145, 13.0, True, id="hb-7.8-mmol/L-below-13"),
        pytest.param(Reading(8.1, "=", 1), 1.61145, 13.0, False, id="hb-8.1-mmol/L-not-below-13"),
    ],
)
def test_a_converted_value_is_compared_at_its_reported_precision(
    reported: Reading, factor: float, limit: float, below: bool
) -> None:
    converted = reported.scaled(factor)
    assert converted.lt(limit) is below
    assert converted.value == reported.value * factor  # the exact figure is kept


def test_an_unconverted_value_compares_exactly_as_typed() -> None:
    assert Reading(74.9, "=", 1).scaled(1.0).le(75) is True
    assert Reading(75.04, "=", 2).le(75) is False

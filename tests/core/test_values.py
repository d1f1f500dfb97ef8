"""Lab values as typed or printed: numbers and one-sided bounds, and what is refused."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.labs.values import parse_value
from rlsiron.errors import ValueFormatError


@pytest.mark.parametrize(
    ("raw", "value", "qualifier"),
    [
        (18, 18.0, "="),
        (18.5, 18.5, "="),
        ("18", 18.0, "="),
        (" 18.5 ", 18.5, "="),
        ("0.5", 0.5, "="),
        (".5", 0.5, "="),
        ("1e-3", 0.001, "="),
        ("<5", 5.0, "<"),
        ("< 5", 5.0, "<"),
        (">60", 60.0, ">"),
        ("≥ 3", 3.0, ">="),
        (">=3", 3.0, ">="),
        ("<=0.5", 0.5, "<="),
        ("≤0.5", 0.5, "<="),
        ("=7", 7.0, "="),
        ("\u00a0<\u00a05\u00a0", 5.0, "<"),
    ],
)
def test_parse_value_reads_numbers_and_one_sided_bounds(
    raw: float | str, value: float, qualifier: str
) -> None:
    reading = parse_value(raw, field="labs[0].value")
    assert (reading.value, reading.qualifier) == (value, qualifier)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (True, "number"),
        (False, "number"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        (-math.inf, "finite"),
        (10**400, "finite"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1e999", "too large"),
        ("<", "not a number"),
        ("5<", "not a number"),
        ("1 8", "not a number"),
        ("1,5", "point"),
        ("1,500", "point"),
        ("<1,5", "point"),
        ("5-10", "range"),
        ("5 – 10", "range"),
    ],
)
def test_parse_value_refuses_what_is_not_one_clear_number(raw: object, says: str) -> None:
    with pytest.raises(ValueFormatError) as caught:
        parse_value(raw, field="labs[3].value")  # type: ignore[arg-type]
    assert caught.value.field == "labs[3].value"
    assert caught.value.value is raw
    assert says in str(caught.value)


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_parse_value_reads_back_any_printed_float(value: float) -> None:
    exact, bound = parse_value(str(value), field="v"), parse_value(f"<{value!r}", field="v")
    assert (exact.value, exact.qualifier) == (value, "=")
    assert (bound.value, bound.qualifier) == (value, "<")


@given(st.one_of(st.text(), st.text(alphabet="0123456789.,+-−eE<>=≤≥ \t%")))
def test_parse_value_fails_only_with_value_format_error(text: str) -> None:
    try:
        reading = parse_value(text, field="v")
    except ValueFormatError:
        return
    assert math.isfinite(reading.value)


@pytest.mark.parametrize(
    ("raw", "decimals"),
    [("1.7", 1), ("1.70", 2), ("75", 0), ("<0.5", 1), ("1e-3", 3), (12.6, 1), (28, 0)],
)
def test_parse_value_keeps_the_decimals_the_value_was_reported_with(
    raw: str | float, decimals: int
) -> None:
    assert parse_value(raw, field="v").decimals == decimals

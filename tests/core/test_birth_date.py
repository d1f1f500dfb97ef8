"""A person given by birth date, as records give it, has the age of the assessment day."""

from __future__ import annotations

import datetime as dt

import pytest

from rlsiron import RlsironError, parse_input


def _document(**person: object) -> dict[str, object]:
    return {"person": {"sex": "female", **person}}


@pytest.mark.parametrize(
    ("as_of", "age"),
    [
        pytest.param(dt.date(2026, 9, 15), 43, id="the-day-before-the-birthday"),
        pytest.param(dt.date(2026, 9, 16), 44, id="on-the-birthday"),
        pytest.param(dt.date(2026, 9, 17), 44, id="the-day-after"),
    ],
)
def test_age_is_completed_years_on_the_assessment_day(as_of: dt.date, age: int) -> None:
    person = parse_input(_document(birth_date="1982-09-16"), as_of=as_of).person
    assert person.age_years == age


def test_a_leap_day_birthday_counts_on_the_first_of_march() -> None:
    born = "2008-02-29"
    assert (
        parse_input(_document(birth_date=born), as_of=dt.date(2026, 2, 28)).person.age_years == 17
    )
    assert parse_input(_document(birth_date=born), as_of=dt.date(2026, 3, 1)).person.age_years == 18


def test_a_child_under_five_also_gets_completed_months_for_the_who_cut_offs() -> None:
    person = parse_input(_document(birth_date="2024-01-20"), as_of=dt.date(2026, 1, 19)).person
    assert (person.age_years, person.age_months) == (1, 23)
    older = parse_input(_document(birth_date="2020-01-20"), as_of=dt.date(2026, 1, 19)).person
    assert older.age_months is None


def test_an_age_that_contradicts_the_birth_date_is_an_error_naming_both() -> None:
    with pytest.raises(RlsironError) as caught:
        parse_input(_document(birth_date="1982-09-16", age_years=40), as_of=dt.date(2026, 11, 24))
    (problem,) = caught.value.problems
    assert problem.location == "person.age_years"
    assert "1982-09-16" in problem.message and problem.received == 40


def test_a_birth_date_after_the_assessment_day_is_an_error() -> None:
    with pytest.raises(RlsironError) as caught:
        parse_input(_document(birth_date="2027-01-01"), as_of=dt.date(2026, 11, 24))
    assert caught.value.problems[0].location == "person.birth_date"


def test_without_an_assessment_day_a_birth_date_alone_is_not_enough() -> None:
    with pytest.raises(RlsironError) as caught:
        parse_input(_document(birth_date="1982-09-16"))
    assert [p.location for p in caught.value.problems] == ["person.age_years"]

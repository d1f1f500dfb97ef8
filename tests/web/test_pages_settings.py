"""The settings page: every fact the engine reads, each group through its own form, on both
databases. What a person sees (the checked answer, the value in the field, the message at
the field) and what reaches the engine (`store.as_input`) are both checked; "not given" is
a real answer that stays unknown, and one group's form never changes another's facts."""

from __future__ import annotations

import re
from html import unescape
from typing import Any, Final

import pytest
from fastapi import FastAPI

from rlsiron.core.models import RlsCriteria
from rlsiron.store import as_input
from rlsiron.store.schemas import MOST_PREGNANCY_WEEKS
from tests.web.conftest import FACTS, TODAY, Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form

SETTINGS: Final = "/settings"
# One answer for every group, none of them the default; each form as a browser sends it.
EVERY_GROUP: Final[dict[str, dict[str, Any]]] = {
    "pregnancy": {"pregnancy_weeks": "12", "pregnancy_on": "2026-02-01", "postmenopausal": "no"},
    "kidney": {"kidney": "dialysis"},
    "diet": {"diet": "vegan"},
    "symptoms": {"symptoms": ["pale_skin", "cold_extremities"]},
    "rls-criteria": {
        "urge": "yes",
        "rest": "yes",
        "movement_relief": "no",
        "evening": "yes",
        "not_mimic": "",
    },
}
# Another answer for each group, to change one while the others stay.
OTHER_ANSWERS: Final[dict[str, dict[str, Any]]] = {
    "facts": {"sex": "female", "birth_date": "1975-01-31"},
    "pregnancy": {"pregnancy_weeks": "", "pregnancy_on": "", "postmenopausal": "yes"},
    "kidney": {"kidney": "ckd"},
    "diet": {"diet": "pescatarian"},
    "symptoms": {"symptoms": ["weakness"]},
    "rls-criteria": {
        "urge": "no",
        "rest": "",
        "movement_relief": "",
        "evening": "",
        "not_mimic": "yes",
    },
}
# The facts OTHER_ANSWERS changes, by group, as the API shows the facts (sex stays female:
# a pregnancy is stored, and a man's would be refused).
CHANGED_BY: Final = {
    "facts": ("birth_date",),
    "pregnancy": ("pregnancy", "postmenopausal"),
    "kidney": ("kidney",),
    "diet": ("diet",),
    "symptoms": ("symptoms",),
    "rls-criteria": ("rls_criteria",),
}


def save(visitor: Visitor, group: str, data: dict[str, Any]) -> None:
    response = post_form(visitor, f"/settings/{group}", data, SETTINGS)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/settings#{group}-section"


def refused(visitor: Visitor, group: str, data: dict[str, Any]) -> tuple[str, Markup]:
    """The form sent and refused: the page again (422) with its problems."""
    response = post_form(visitor, f"/settings/{group}", data, SETTINGS)
    assert response.status_code == 422, response.text
    return response.text, Markup(response.text)


def error_at(page: str, field: str) -> str:
    """The message shown at a field (its `<field>-error` paragraph), "" when none."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    return unescape(found.group(1)) if found else ""


def checked(markup: Markup, group: str) -> list[str]:
    """The ids of the checked radio buttons or checkboxes of a fieldset's group."""
    return [
        a["id"]
        for a in markup.all("input")
        if a.get("type") in ("radio", "checkbox")
        and a["id"].startswith(f"{group}-")
        and "checked" in a
    ]


def stored_facts(visitor: Visitor) -> dict[str, Any]:
    facts: dict[str, Any] = visitor.call("GET", "/api/v1/me").json()["facts"]
    return facts


def person_id(visitor: Visitor) -> int:
    found: Any = visitor.call("GET", "/api/v1/me").json()["id"]
    assert isinstance(found, int)
    return found


# ---------------------------------------------------------------- round trips


def test_every_fact_round_trips_through_the_forms_and_reaches_the_engine(any_app: FastAPI) -> None:
    visitor = form_visitor(any_app)
    for group, data in EVERY_GROUP.items():
        save(visitor, group, data)

    _, markup = get(visitor, SETTINGS)
    assert markup.by_id("pregnancy_weeks")["value"] == "12"
    assert markup.by_id("pregnancy_on")["value"] == "2026-02-01"
    assert checked(markup, "postmenopausal") == ["postmenopausal-no"]
    assert checked(markup, "kidney") == ["kidney-dialysis"]
    assert checked(markup, "diet") == ["diet-vegan"]
    assert checked(markup, "symptoms") == ["symptoms-pale_skin", "symptoms-cold_extremities"]
    assert checked(markup, "rls-urge") == ["rls-urge-yes"]
    assert checked(markup, "rls-movement_relief") == ["rls-movement_relief-no"]
    assert checked(markup, "rls-not_mimic") == ["rls-not_mimic-not-given"]
    # Four weeks on from the day the weeks were given.
    page_text = visitor.call("GET", SETTINGS).text
    assert "12 weeks on 2026-02-01; that is 16 weeks today" in page_text

    inp = as_input(any_app.state.rlsiron.db, person_id(visitor), TODAY)
    assert inp.person is not None
    assert (inp.person.kidney, inp.person.pregnancy_weeks) == ("dialysis", 16)
    assert inp.person.postmenopausal is False
    assert inp.diet == "vegan"
    assert inp.symptoms == ("pale_skin", "cold_extremities")
    assert inp.rls is not None
    assert inp.rls.criteria == RlsCriteria(
        urge=True, rest=True, movement_relief=False, evening=True, not_mimic=None
    )


def test_not_given_stays_unknown(app: FastAPI) -> None:
    visitor = form_visitor(app)
    _, markup = get(visitor, SETTINGS)
    for group in (
        "postmenopausal",
        "kidney",
        "diet",
        *(f"rls-{n}" for n in RlsCriteria.model_fields),
    ):
        assert checked(markup, group) == [f"{group}-not-given"], group
    assert checked(markup, "symptoms") == []

    for group, data in EVERY_GROUP.items():
        save(visitor, group, data)
    cleared = {"pregnancy_weeks": "", "pregnancy_on": "", "postmenopausal": ""}
    save(visitor, "pregnancy", cleared)
    save(visitor, "kidney", {"kidney": ""})
    save(visitor, "diet", {"diet": ""})
    save(visitor, "symptoms", {})  # no box ticked: the browser sends no field
    save(visitor, "rls-criteria", dict.fromkeys(RlsCriteria.model_fields, ""))

    facts = stored_facts(visitor)
    assert facts["pregnancy"] is None and facts["postmenopausal"] is None  # not False
    assert facts["kidney"] is None and facts["diet"] is None
    assert facts["symptoms"] == []
    assert facts["rls_criteria"] == dict.fromkeys(RlsCriteria.model_fields)
    inp = as_input(app.state.rlsiron.db, person_id(visitor), TODAY)
    assert inp.person is not None
    assert (inp.person.kidney, inp.person.postmenopausal, inp.person.pregnancy_weeks) == (
        None,
        None,
        None,
    )
    assert inp.diet is None and inp.symptoms == ()
    assert inp.rls is None  # no criterion known, no diary: nothing about RLS is claimed


def test_changing_one_group_keeps_every_other_fact(any_app: FastAPI) -> None:
    visitor = form_visitor(any_app)
    for group, data in EVERY_GROUP.items():
        save(visitor, group, data)
    for group, data in OTHER_ANSWERS.items():
        before = stored_facts(visitor)
        save(visitor, group, data)
        after = stored_facts(visitor)
        changed = {key for key in after if after[key] != before[key]}
        assert changed == set(CHANGED_BY[group]), group


def test_a_pregnancy_without_a_day_counts_from_today(app: FastAPI) -> None:
    visitor = form_visitor(app)
    save(visitor, "pregnancy", {"pregnancy_weeks": "20", "pregnancy_on": ""})
    assert stored_facts(visitor)["pregnancy"] == {"weeks": 20, "on": TODAY.isoformat()}


# ---------------------------------------------------------------- problems at their fields


def test_a_pregnancy_for_a_man_is_refused_at_the_field(app: FastAPI) -> None:
    visitor = form_visitor(app)
    save(visitor, "facts", {"sex": "male", "birth_date": FACTS["birth_date"]})
    html, markup = refused(visitor, "pregnancy", {"pregnancy_weeks": "12", "pregnancy_on": ""})
    assert markup.by_id("pregnancy_weeks")["aria-invalid"] == "true"
    assert markup.by_id("pregnancy_weeks")["value"] == "12"  # what was given, shown again
    assert "not female" in error_at(html, "pregnancy_weeks")
    assert markup.by_id("pregnancy-errors")["role"] == "alert"
    assert stored_facts(visitor)["pregnancy"] is None


def test_a_man_cannot_be_made_of_a_pregnant_woman_without_clearing_the_pregnancy(
    app: FastAPI,
) -> None:
    visitor = form_visitor(app)
    save(visitor, "pregnancy", {"pregnancy_weeks": "12", "pregnancy_on": "2026-02-01"})
    html, markup = refused(visitor, "facts", {"sex": "male", "birth_date": FACTS["birth_date"]})
    assert markup.by_id("sex")["aria-invalid"] == "true"
    assert "not female" in error_at(html, "sex")
    assert stored_facts(visitor)["sex"] == "female"


@pytest.mark.parametrize(
    ("weeks", "day", "field", "words"),
    [
        (str(MOST_PREGNANCY_WEEKS + 1), "", "pregnancy_weeks", "less than or equal"),
        ("-1", "", "pregnancy_weeks", "greater than or equal"),
        ("twelve", "", "pregnancy_weeks", "valid integer"),
        ("12.5", "", "pregnancy_weeks", "valid integer"),
        ("", "2026-02-01", "pregnancy_weeks", "a day is given"),
        ("12", "2026-13-01", "pregnancy_on", "date"),
    ],
)
def test_bad_weeks_and_days_are_shown_at_their_field(
    app: FastAPI, weeks: str, day: str, field: str, words: str
) -> None:
    visitor = form_visitor(app)
    html, markup = refused(visitor, "pregnancy", {"pregnancy_weeks": weeks, "pregnancy_on": day})
    assert markup.by_id(field)["aria-invalid"] == "true"
    assert words in error_at(html, field), error_at(html, field)
    assert set(markup.by_id(field)["aria-describedby"].split()) >= {f"{field}-error"}
    assert stored_facts(visitor)["pregnancy"] is None


@pytest.mark.parametrize(
    ("group", "data", "field", "words"),
    [
        ("kidney", {"kidney": "liver"}, "kidney", "normal, ckd, dialysis"),
        ("diet", {"diet": "carnivore"}, "diet", "omnivore"),
        ("symptoms", {"symptoms": ["weakness", "itching"]}, "symptoms", "pale_skin"),
        ("rls-criteria", {"urge": "perhaps"}, "rls-urge", "boolean"),
        ("pregnancy", {"postmenopausal": "perhaps"}, "postmenopausal", "boolean"),
    ],
)
def test_a_value_outside_the_vocabulary_is_refused_at_its_fieldset(
    app: FastAPI, group: str, data: dict[str, Any], field: str, words: str
) -> None:
    visitor = form_visitor(app)
    before = stored_facts(visitor)
    html, markup = refused(visitor, group, data)
    fieldset = markup.by_id(field)
    assert fieldset["aria-invalid"] == "true" and f"{field}-error" in fieldset["aria-describedby"]
    assert words in error_at(html, field), error_at(html, field)
    assert stored_facts(visitor) == before


def test_a_kidney_status_the_conditions_contradict_is_refused_at_the_field(app: FastAPI) -> None:
    visitor = Visitor(app).sign_up()
    assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    added = visitor.call("POST", "/api/v1/me/conditions", json={"text": "on haemodialysis"})
    assert added.status_code == 201, added.text
    html, _ = refused(visitor, "kidney", {"kidney": "normal"})
    assert "contradicts the condition 'on haemodialysis'" in error_at(html, "kidney")
    save(visitor, "kidney", {"kidney": "dialysis"})
    assert stored_facts(visitor)["kidney"] == "dialysis"


def test_the_page_with_problems_keeps_the_forms_accessible(app: FastAPI) -> None:
    """Every field labelled, every fieldset with its legend first, every aria-describedby
    pointing at something there, and the summary's links at fields that exist."""
    visitor = form_visitor(app)
    html, markup = refused(visitor, "rls-criteria", {"urge": "perhaps", "rest": "often"})
    ids = {a.get("id") for _, a in markup.elements}
    labelled = {a["for"] for a in markup.all("label")}
    for field in markup.all("input") + markup.all("select"):
        if field.get("type") != "hidden":
            assert field["id"] in labelled, field
    tags = [tag for tag, _ in markup.elements]
    for index, tag in enumerate(tags):
        if tag == "fieldset":
            assert tags[index + 1] == "legend"
    for _, attributes in markup.elements:
        assert set(attributes.get("aria-describedby", "").split()) <= ids
    links = re.findall(r'<a href="#([^"]+)">', html.split('id="rls-criteria-errors"')[1])
    assert links[:2] == ["rls-urge", "rls-rest"] and {"rls-urge", "rls-rest"} <= ids
    assert "style=" not in html and "<script>" not in html


# ---------------------------------------------------------------- the rest of the page


@pytest.mark.parametrize("group", sorted(OTHER_ANSWERS))
def test_a_facts_form_without_the_csrf_field_is_refused(app: FastAPI, group: str) -> None:
    visitor = form_visitor(app)
    before = stored_facts(visitor)
    assert visitor.call("POST", f"/settings/{group}", data=OTHER_ANSWERS[group]).status_code == 403
    assert stored_facts(visitor) == before


def test_an_unknown_group_is_not_found(app: FastAPI) -> None:
    visitor = form_visitor(app)
    assert post_form(visitor, "/settings/liver", {"liver": "fine"}, SETTINGS).status_code == 404


def test_the_page_says_what_the_display_settings_do_and_links_the_account(app: FastAPI) -> None:
    visitor = form_visitor(app)
    html = visitor.call("GET", SETTINGS).text
    explained = html.split('id="display-explained"')[1].split("</ul>")[0]
    assert "the AASM 2024 guideline" in explained and "ferritin-below-50" in explained
    assert "Units:" in explained and "charts" in explained
    _, markup = get(visitor, SETTINGS)
    assert markup.by_id("account-link")["href"] == "/account"

"""Recognising medicines that may worsen RLS in the free text people type."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge.medications import (
    CATALOGUE,
    DRUG_CLASSES,
    LIFESTYLE_FACTORS,
    DrugClass,
    MedicationMatch,
    Medicine,
    match_medications,
)

GENERICS = {med.generic for med in CATALOGUE}
CLASSES = {c.id: c for c in DRUG_CLASSES}


def _found(*entries: str) -> list[tuple[str, str | None, str]]:
    return [(m.generic, m.brand, m.drug_class.id) for m in match_medications(entries)]


def _generics(entry: str) -> list[str]:
    return [m.generic for m in match_medications([entry])]


# --- The catalogue as a whole ---------------------------------------------------------


@pytest.mark.parametrize("med", CATALOGUE, ids=lambda med: med.generic)
def test_every_generic_is_recognised_in_a_realistic_entry(med: Medicine) -> None:
    generic = med.generic
    (match,) = match_medications([f"{generic.upper()} hydrochloride 10 mg tablets, at night"])
    assert (match.generic, match.brand) == (generic, None)


@pytest.mark.parametrize(
    ("brand", "generic"),
    [(brand, med.generic) for med in CATALOGUE for brand in med.brands],
)
def test_every_brand_is_recognised_and_reported_as_the_brand(brand: str, generic: str) -> None:
    matches = match_medications([f"{brand} 25mg at bedtime"])
    assert (generic, brand) in [(m.generic, m.brand) for m in matches]


@pytest.mark.parametrize(
    ("synonym", "generic"),
    [(syn, med.generic) for med in CATALOGUE for syn in med.synonyms],
)
def test_every_other_generic_name_is_recognised(synonym: str, generic: str) -> None:
    assert _found(f"{synonym} 4 mg") == [(generic, None, _class_of(generic))]


def _class_of(generic: str) -> str:
    return next(med.drug_class.id for med in CATALOGUE if med.generic == generic)


def test_each_generic_has_one_row() -> None:
    assert len(GENERICS) == len(CATALOGUE)


def test_only_combination_products_are_listed_under_two_generics() -> None:
    owners: dict[str, set[str]] = {}
    for med in CATALOGUE:
        for name in (med.generic, *med.synonyms, *med.brands):
            owners.setdefault(re.sub(r"[^a-z]", "", name.lower()), set()).add(med.generic)
    shared = {name: gens for name, gens in owners.items() if len(gens) > 1}
    assert shared == {"symbyax": {"olanzapine", "fluoxetine"}}


def test_every_class_is_used_and_every_row_uses_a_listed_class() -> None:
    assert {med.drug_class for med in CATALOGUE} == set(DRUG_CLASSES)
    assert len(CLASSES) == len(DRUG_CLASSES)


def test_only_dopamine_agonists_and_levodopa_carry_augmentation() -> None:
    augmentation = {c.id for c in DRUG_CLASSES if c.effect == "augmentation"}
    assert augmentation == {"dopamine_agonist", "levodopa"}
    assert {c.effect for c in DRUG_CLASSES} == {"may_worsen", "augmentation"}


def test_bupropion_the_lower_risk_antidepressant_is_not_in_the_catalogue() -> None:
    assert "bupropion" not in GENERICS
    assert all("wellbutrin" not in b.lower() for med in CATALOGUE for b in med.brands)


def test_lifestyle_factors_are_named_apart_from_medicines() -> None:
    assert LIFESTYLE_FACTORS == ("alcohol", "caffeine", "nicotine")
    assert match_medications(list(LIFESTYLE_FACTORS)) == ()


# --- Wording and sources (REFERENCE.md "Wording rules") ----------------------------------


@pytest.mark.parametrize("drug_class", DRUG_CLASSES, ids=lambda c: c.id)
def test_every_class_cites_reference_sources(drug_class: DrugClass) -> None:
    assert drug_class.sources
    assert set(drug_class.sources) <= {"AASM-2024", "MAYO-2021"}


# Words that would make the person change a medicine by themselves.
_SELF_CHANGE = re.compile(
    r"\b(stop\w*|start\w*|quit\w*|discontinu\w*|reduc\w*|increas\w*|lower\w*|rais\w*|"
    r"doubl\w*|halv\w*|skip\w*|taper\w*|cut\w*|wean\w*|switch\w*|withdraw\w*)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("drug_class", DRUG_CLASSES, ids=lambda c: c.id)
def test_discuss_text_sends_the_person_to_a_professional_and_never_to_a_change(
    drug_class: DrugClass,
) -> None:
    discuss = drug_class.discuss
    assert "stop taking" not in discuss.lower()
    assert "stop your" not in discuss.lower()
    assert _SELF_CHANGE.search(discuss) is None, discuss
    assert re.search(r"\b(prescriber|doctor|pharmacist)\b", discuss)
    assert discuss.startswith("Ask ")


@pytest.mark.parametrize("drug_class", DRUG_CLASSES, ids=lambda c: c.id)
def test_why_and_discuss_are_one_lay_sentence_each(drug_class: DrugClass) -> None:
    for text in (drug_class.why, drug_class.discuss):
        assert text.endswith(".")
        assert ". " not in text
        assert "stop taking" not in text.lower()


def test_the_self_change_check_catches_what_it_is_meant_to() -> None:
    assert _SELF_CHANGE.search("Reduce the dose slowly.")
    assert _SELF_CHANGE.search("You could stop it at night.")
    assert _SELF_CHANGE.search("Ask before switching.")
    assert _SELF_CHANGE.search("Ask your prescriber; make no change on your own.") is None


# --- Vignettes V26 and V27 -----------------------------------------------------------


def test_v26_antihistamine_and_ssri_may_worsen_rls() -> None:
    matches = match_medications(["diphenhydramine 50 mg at night", "sertraline"])
    assert [(m.entry, m.generic, m.drug_class.id, m.drug_class.effect) for m in matches] == [
        ("diphenhydramine 50 mg at night", "diphenhydramine", "sedating_antihistamine",
         "may_worsen"),
        ("sertraline", "sertraline", "ssri", "may_worsen"),
    ]  # fmt: skip


def test_v27_pramipexole_is_an_augmentation_risk() -> None:
    (match,) = match_medications(["pramipexole 0.25 mg"])
    assert (match.generic, match.drug_class.id, match.drug_class.effect) == (
        "pramipexole",
        "dopamine_agonist",
        "augmentation",
    )


def test_the_contract_example_list() -> None:
    assert _found("sertraline 50 mg", "Benadryl") == [
        ("sertraline", None, "ssri"),
        ("diphenhydramine", "Benadryl", "sedating_antihistamine"),
    ]


# --- What people type ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "generic"),
    [
        ("sertraline 50 mg", "sertraline"),
        ("Zoloft 50mg tablets", "sertraline"),
        ("SERTRALINE HCL", "sertraline"),
        ("sertraline hydrochloride 100mg od", "sertraline"),
        ("Sertraline(50mg)", "sertraline"),
        ("diphenhydramine 50 mg at night", "diphenhydramine"),
        ("quetiapine XR 25mg", "quetiapine"),
        ("Seroquel XL 50 mg", "quetiapine"),
        ("carbidopa/levodopa 25/100", "levodopa"),
        ("Sinemet CR 25-100", "levodopa"),
        ("co-careldopa 12.5mg/50mg", "levodopa"),
        ("Co careldopa", "levodopa"),
        ("L-dopa", "levodopa"),
        ("lithium carbonate 400 mg", "lithium"),
        ("Priadel 200mg MR", "lithium"),
        ("escitalopram oxalate 10mg", "escitalopram"),
        ("citalopram 20 mg", "citalopram"),
        ("Effexor XR 75mg", "venlafaxine"),
        ("Efexor-XL 150", "venlafaxine"),
        ("mirtazapine 15mg nocte", "mirtazapine"),
        ("Remeron SolTab", "mirtazapine"),
        ("amitriptyline 10mg for nerve pain", "amitriptyline"),
        ("chlorphenamine maleate 4mg", "chlorpheniramine"),
        ("Chlor-Trimeton 4 hour", "chlorpheniramine"),
        ("chlor trimeton", "chlorpheniramine"),
        ("ChlorTrimeton", "chlorpheniramine"),
        ("Piriton tablets", "chlorpheniramine"),
        ("hydroxyzine pamoate 25 mg", "hydroxyzine"),
        ("promethazine 25mg as needed", "promethazine"),
        ("doxylamine succinate", "doxylamine"),
        ("metoclopramide 10mg before meals", "metoclopramide"),
        ("Stemetil 5mg", "prochlorperazine"),
        ("Neupro patch 2mg/24h", "rotigotine"),
        ("ropinirole XL 4 mg", "ropinirole"),
        ("Mirapex ER 0.375", "pramipexole"),
        ("aripiprazole (Abilify) 5 mg", "aripiprazole"),
        ("haloperidol decanoate injection", "haloperidol"),
        ("Ser-traline", "sertraline"),
    ],
)
def test_doses_forms_salts_and_punctuation_are_tolerated(entry: str, generic: str) -> None:
    assert _generics(entry) == [generic]


@pytest.mark.parametrize(
    ("entry", "brand"),
    [
        ("Advil PM", "Advil PM"),
        ("advil pm caplets", "Advil PM"),
        ("Advil P.M.", "Advil PM"),
        ("Tylenol PM extra strength", "Tylenol PM"),
        ("TylenolPM", "Tylenol PM"),
        ("ZzzQuil 50mg", "ZzzQuil"),
        ("Unisom SleepGels", "Unisom SleepGels"),
        ("Unisom Sleep Gels", "Unisom SleepGels"),
        ("Benadryl allergy", "Benadryl"),
    ],
)
def test_diphenhydramine_brands_and_night_time_combinations(entry: str, brand: str) -> None:
    assert _found(entry) == [("diphenhydramine", brand, "sedating_antihistamine")]


def test_plain_unisom_is_the_doxylamine_product() -> None:
    assert _found("Unisom SleepTabs") == [
        ("doxylamine", "Unisom SleepTabs", "sedating_antihistamine")
    ]
    assert _generics("Unisom 25mg") == ["doxylamine"]


def test_a_combination_gives_one_match_per_generic_in_the_order_typed() -> None:
    assert _generics("perphenazine/amitriptyline 2-25") == ["perphenazine", "amitriptyline"]
    assert _generics("olanzapine + fluoxetine") == ["olanzapine", "fluoxetine"]
    assert _found("Symbyax 6/25") == [
        ("fluoxetine", "Symbyax", "ssri"),
        ("olanzapine", "Symbyax", "antipsychotic"),
    ]


def test_a_generic_named_twice_in_one_entry_gives_one_match_with_its_brand() -> None:
    assert _found("Tylenol PM (diphenhydramine 25 mg)") == [
        ("diphenhydramine", "Tylenol PM", "sedating_antihistamine")
    ]
    assert _found("sertraline (Zoloft)") == [("sertraline", "Zoloft", "ssri")]


def test_entries_that_differ_only_in_case_or_spacing_count_once() -> None:
    matches = match_medications(["Sertraline 50 mg", "SERTRALINE 50mg", "sertraline, 50 mg"])
    assert [m.entry for m in matches] == ["Sertraline 50 mg"]


def test_different_entries_for_the_same_generic_each_give_a_match() -> None:
    matches = match_medications(["sertraline 50 mg", "Zoloft"])
    assert [(m.entry, m.generic, m.brand) for m in matches] == [
        ("sertraline 50 mg", "sertraline", None),
        ("Zoloft", "sertraline", "Zoloft"),
    ]


def test_matches_keep_input_order_and_skip_entries_that_match_nothing() -> None:
    entries = ["metformin 500mg", "Requip 1mg", "ferrous sulfate", "Seroquel", "Benadryl"]
    assert [m.entry for m in match_medications(entries)] == ["Requip 1mg", "Seroquel", "Benadryl"]


def test_a_match_is_a_value_object() -> None:
    (match,) = match_medications(["Zoloft"])
    assert match == MedicationMatch("Zoloft", "sertraline", "Zoloft", CLASSES["ssri"])
    with pytest.raises(AttributeError):
        match.generic = "other"  # type: ignore[misc]


def test_entries_are_taken_to_be_medicines() -> None:
    # Decision: the field lists medicines, so no context words are second-guessed.
    assert _generics("lithium battery") == ["lithium"]


# --- What must not match -------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "   ",
        "\t\n",
        "bupropion 150 mg XL",
        "Wellbutrin XL",
        "Zyban",
        "metformin 500 mg",
        "ibuprofen 400mg",
        "Advil",
        "Advil Liqui-Gels",
        "Tylenol",
        "Motrin IB",
        "levothyroxine 75 mcg",
        "iron",
        "ferrous sulfate 325 mg",
        "ferrous fumarate",
        "vitamin C",
        "Ferinject",
        "gabapentin",
        "pregabalin",
        "cetirizine",
        "loratadine",
        "fexofenadine",
        "Claritin",
        "Zyrtec",
        "Allegra",
        "Reactine",
        "Piriteze",
        "domperidone",
        "ondansetron",
        "methyldopa",
        "hydralazine",
        "hydroxychloroquine",
        "carbidopa",
        "dexchlorpheniramine",
        "serotonin",
        "clonazepam",
        "lorazepam",
        "melatonin",
        "magnesium",
        "DayQuil",
        "alcohol",
        "caffeine",
    ],
)
def test_medicines_not_in_the_catalogue_and_empty_entries_match_nothing(entry: str) -> None:
    assert match_medications([entry]) == ()


def test_similar_looking_medicines_are_not_confused() -> None:
    assert _generics("metformin") == []  # not metoclopramide
    assert _generics("duloxetine 30mg") == ["duloxetine"]  # not fluoxetine
    assert _generics("escitalopram") == ["escitalopram"]  # not also citalopram
    assert _generics("promazine") == ["promazine"]  # not promethazine
    assert _generics("desvenlafaxine") == ["desvenlafaxine"]  # not venlafaxine


def test_an_empty_list_matches_nothing() -> None:
    assert match_medications([]) == ()


def test_a_single_string_is_refused_rather_than_read_letter_by_letter() -> None:
    with pytest.raises(TypeError):
        match_medications("sertraline")


# --- Misspellings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "generic"),
    [
        ("sertaline 50mg", "sertraline"),
        ("setraline", "sertraline"),
        ("quetiepine", "quetiapine"),
        ("amitryptyline", "amitriptyline"),
        ("mirtazepine", "mirtazapine"),
        ("hydroxizine", "hydroxyzine"),
        ("diphenydramine", "diphenhydramine"),
        ("pramipexol", "pramipexole"),
        ("ropinerole", "ropinirole"),
        ("levadopa", "levodopa"),
        ("lithum", "lithium"),
        ("duloxitine", "duloxetine"),
        ("metaclopramide", "metoclopramide"),
    ],
)
def test_a_common_misspelling_of_a_generic_is_recognised(typed: str, generic: str) -> None:
    assert _found(typed) == [(generic, None, _class_of(generic))]


@pytest.mark.parametrize(
    "typed",
    [
        "serotonin",  # sertraline 0.63
        "ability",  # Abilify: brands must be spelt right
        "moderate",  # Modecate
        "benadril",  # Benadryl
        "tablets",
        "capsules",
        "hydrochloride",
        "extended release",
        "xchlorpheniramine",  # a different first letter is never a typo we guess at
    ],
)
def test_ordinary_words_and_near_brands_are_not_taken_for_misspellings(typed: str) -> None:
    assert match_medications([typed]) == ()


# --- Properties ----------------------------------------------------------------------


@given(st.lists(st.text(max_size=60), max_size=8))
def test_never_raises_and_every_match_names_a_catalogue_generic(entries: list[str]) -> None:
    matches = match_medications(entries)
    positions = [entries.index(m.entry) for m in matches]
    assert positions == sorted(positions)
    for m in matches:
        assert m.generic in GENERICS
        assert m.drug_class is CLASSES[m.drug_class.id]


_NAMES = sorted({n for med in CATALOGUE for n in (med.generic, *med.brands)})


@given(
    st.sampled_from(_NAMES),
    st.sampled_from(["", " 10 mg", " 0.5mg tablets", " (morning)", " XR 25mg", ", at night"]),
    st.sampled_from(["", "take ", "I use "]),
)
def test_any_catalogue_name_is_found_whatever_surrounds_it(
    name: str, suffix: str, prefix: str
) -> None:
    generics = {m.generic for m in match_medications([f"{prefix}{name.upper()}{suffix}"])}
    owners = {med.generic for med in CATALOGUE if name in (med.generic, *med.brands)}
    assert owners <= generics

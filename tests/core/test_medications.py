"""Recognising medicines that matter for RLS and iron in the free text people type."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge import medications
from rlsiron.core.knowledge.medications import (
    CATALOGUE,
    DRUG_CLASSES,
    DrugClass,
    MedicationMatch,
    Medicine,
    match_medications,
    parse_drug_classes,
    parse_medicines,
)
from rlsiron.pipe_table import DataFileError
from tests.core.test_vocabulary import typed_like

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
    assert {c.effect for c in DRUG_CLASSES} == {
        "may_worsen",
        "augmentation",
        "reduces_iron_absorption",
    }


def test_only_proton_pump_inhibitors_reduce_iron_absorption() -> None:
    # They are not RLS worseners: the engine must not report them as such.
    ppi = {c.id for c in DRUG_CLASSES if c.effect == "reduces_iron_absorption"}
    assert ppi == {"proton_pump_inhibitor"}
    assert {m.generic for m in CATALOGUE if m.drug_class.id == "proton_pump_inhibitor"} == {
        "omeprazole",
        "esomeprazole",
        "lansoprazole",
        "dexlansoprazole",
        "pantoprazole",
        "rabeprazole",
    }


def test_bupropion_the_lower_risk_antidepressant_is_not_in_the_catalogue() -> None:
    assert "bupropion" not in GENERICS
    assert all("wellbutrin" not in b.lower() for med in CATALOGUE for b in med.brands)


def test_lifestyle_factors_are_not_medicines() -> None:
    # The plan's lifestyle section names them; the medicine list must not.
    assert match_medications(["alcohol", "caffeine", "nicotine", "nicotine patch"]) == ()


# --- Wording and sources (REFERENCE.md "Wording rules") ----------------------------------


@pytest.mark.parametrize("drug_class", DRUG_CLASSES, ids=lambda c: c.id)
def test_every_class_cites_the_sources_of_its_claim(drug_class: DrugClass) -> None:
    # RLS worseners and augmentation: REFERENCE.md "Medicines"; PPIs: its additions.
    expected = (
        {"BSG-2021"}
        if drug_class.effect == "reduces_iron_absorption"
        else {"AASM-2024", "MAYO-2021"}
    )
    assert set(drug_class.sources) == expected


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


@given(
    st.sampled_from(_NAMES).flatmap(
        lambda name: st.tuples(
            st.just(name), typed_like(name, before=("", "take "), after=("", " 10 mg", " XR"))
        )
    )
)
def test_any_catalogue_name_is_found_however_it_is_typed(case: tuple[str, str]) -> None:
    name, typed = case
    owners = {med.generic for med in CATALOGUE if name in (med.generic, *med.brands)}
    assert owners <= {m.generic for m in match_medications([typed])}


# --- Proton-pump inhibitors (REFERENCE.md additions: long-term PPIs and oral iron) ------


@pytest.mark.parametrize(
    ("entry", "generic", "brand"),
    [
        ("omeprazole 20mg daily", "omeprazole", None),
        ("Prilosec OTC", "omeprazole", "Prilosec"),
        ("Losec MUPS 20 mg", "omeprazole", "Losec"),
        ("esomeprazole magnesium 40mg", "esomeprazole", None),
        ("Nexium 24HR", "esomeprazole", "Nexium"),
        ("lansoprazole 30 mg", "lansoprazole", None),
        ("Prevacid SoluTab", "lansoprazole", "Prevacid"),
        ("Zoton FasTab", "lansoprazole", "Zoton"),
        ("dexlansoprazole", "dexlansoprazole", None),
        ("Dexilant 60", "dexlansoprazole", "Dexilant"),
        ("pantoprazole 40 mg", "pantoprazole", None),
        ("Protonix", "pantoprazole", "Protonix"),
        ("Somac 20", "pantoprazole", "Somac"),
        ("rabeprazole", "rabeprazole", None),
        ("AcipHex", "rabeprazole", "Aciphex"),
        ("Pariet 10mg", "rabeprazole", "Pariet"),
        ("omeprazol", "omeprazole", None),  # misspelt generic
        ("lanzoprazole", "lansoprazole", None),
    ],
)
def test_proton_pump_inhibitors_are_recognised(entry: str, generic: str, brand: str | None) -> None:
    assert _found(entry) == [(generic, brand, "proton_pump_inhibitor")]


def test_proton_pump_inhibitors_with_similar_names_are_not_confused() -> None:
    assert _generics("esomeprazole") == ["esomeprazole"]  # not also omeprazole
    assert _generics("dexlansoprazole") == ["dexlansoprazole"]  # not also lansoprazole
    assert _generics("pantoprazole/domperidone") == ["pantoprazole"]


@pytest.mark.parametrize(
    "entry", ["ranitidine", "famotidine", "Pepcid", "Zantac", "Gaviscon", "Tums", "Rennie"]
)
def test_other_stomach_medicines_are_not_proton_pump_inhibitors(entry: str) -> None:
    assert match_medications([entry]) == ()


def test_the_proton_pump_inhibitor_class_cites_bsg_and_does_not_claim_to_worsen_rls() -> None:
    (ppi,) = [c for c in DRUG_CLASSES if c.id == "proton_pump_inhibitor"]
    assert (ppi.effect, ppi.sources) == ("reduces_iron_absorption", ("BSG-2021",))
    assert "RLS" not in ppi.why and "RLS" not in ppi.discuss


# --- The data files and their loaders -------------------------------------------------


def test_the_catalogue_is_read_from_the_files_on_first_use() -> None:
    assert medications.CATALOGUE is CATALOGUE
    with pytest.raises(AttributeError, match="no attribute 'LIFESTYLE_FACTORS'"):
        _ = medications.LIFESTYLE_FACTORS


_CLASSES = "# c\nid | label | effect | why | discuss | sources\n"
_OK_CLASS = "x | X | may_worsen | Why. | Ask. | AASM-2024\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x | X | worsens | Why. | Ask. | AASM-2024", "column 'effect' is 'worsens'"),
        ("x | X | may_worsen | Why. | Ask. | AASM-2099", "unknown source ids"),
        ("x | X | may_worsen | | Ask. | AASM-2024", "column 'why' is empty"),
        ("x | X | may_worsen | Why. | Ask. |", "column 'sources' is empty"),
        (_OK_CLASS + "x | Y | augmentation | Why. | Ask. | AASM-2024", "already defined at line 3"),
        ("x | X | may_worsen | Why. | Ask.", "5 cells where the header has 6"),
    ],
)
def test_a_malformed_class_row_is_refused_naming_file_and_line(row: str, message: str) -> None:
    text = _CLASSES + row + "\n"
    with pytest.raises(DataFileError, match=message) as caught:
        parse_drug_classes(text, "drug_classes.txt")
    assert str(caught.value).startswith(f"drug_classes.txt:{text.count(chr(10))}:")


_MEDICINES = "# m\ngeneric | class | brands | other names | note\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("drugone | y | | |", "unknown class 'y'"),
        ("drugone | x | A; A | |", "the name 'A' is listed twice"),
        ("drugone | x | Drug-One | |", "the name 'Drug-One' is listed twice"),
        ("drugone | x | ++ | |", "the name '[+][+]' has no letters"),
        ("drugone | x | | |\ndrugone | x | | |", "already defined at line 3"),
        ("drugone | x | |", "4 cells where the header has 5"),
    ],
)
def test_a_malformed_medicine_row_is_refused_naming_file_and_line(row: str, message: str) -> None:
    classes = parse_drug_classes(_CLASSES + _OK_CLASS)
    text = _MEDICINES + row + "\n"
    with pytest.raises(DataFileError, match=message) as caught:
        parse_medicines(text, classes, "medicines.txt")
    assert str(caught.value).startswith(f"medicines.txt:{text.count(chr(10))}:")


def test_a_well_formed_catalogue_is_read() -> None:
    classes = parse_drug_classes(_CLASSES + _OK_CLASS)
    (med,) = parse_medicines(
        _MEDICINES + "drugone | x | Brand A; Brand B | drug 1 | a note\n", classes
    )
    assert med == Medicine("drugone", classes[0], ("Brand A", "Brand B"), ("drug 1",))

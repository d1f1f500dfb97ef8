"""Medicines that matter for RLS and iron, recognised in the free text people type.

The knowledge is data a clinician reviews line by line: `data/drug_classes.txt` (what a
class does, the lay wording, the sources) and `data/medicines.txt` (one row per generic
with its class, brands and other names; its header explains why some brands are left
out). The assessment only turns matches into findings (`meds.may_worsen_rls`,
`meds.augmentation_risk`, and for proton-pump inhibitors `iron.oral_poorly_absorbed`) and
the plan; no drug knowledge lives in `if` statements.

Names are matched by the shared word matcher (`vocabulary.py`): words, not substrings;
doses and forms ignored; split or hyphenated names joined back, never across a comma,
slash, plus or bracket; misspellings accepted for generic names of 6+ letters only, never
for brands. Entries are taken to be medicines: "lithium battery" matches lithium, and an
entry that names a medicine only to deny it ("no sertraline") still matches.

`CATALOGUE` and `DRUG_CLASSES` are read from the files on first access, so importing this
module reads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

from rlsiron.core.knowledge.sources import check_sources
from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.vocabulary import Term, Vocabulary, key, words
from rlsiron.pipe_table import parse_table, unique

Effect = Literal["may_worsen", "augmentation", "reduces_iron_absorption"]

CLASSES_FILE = "drug_classes.txt"
MEDICINES_FILE = "medicines.txt"
_CLASS_COLUMNS = ("id", "label", "effect", "why", "discuss", "sources")
_MEDICINE_COLUMNS = ("generic", "class", "brands", "other names", "note")


@dataclass(frozen=True, slots=True)
class DrugClass:
    """A group of medicines that share the same effect and the same advice."""

    id: str
    label: str
    effect: Effect
    why: str
    """One lay sentence: how the class can worsen RLS, what augmentation is, or why iron
    tablets may work less well."""
    discuss: str
    """One lay sentence on what to raise with the prescriber; never a change to make alone."""
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Medicine:
    """One catalogue row: a generic name, its class and the names people type for it.

    `synonyms` are other non-proprietary names (UK/INN spellings, combination names such
    as co-careldopa). A brand listed under two generics is a combination product.
    """

    generic: str
    drug_class: DrugClass
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MedicationMatch:
    """A catalogue medicine recognised in one entry of the person's medicine list."""

    entry: str
    generic: str
    brand: str | None
    drug_class: DrugClass


CATALOGUE: tuple[Medicine, ...]
"""Every row of `data/medicines.txt`, in file order."""
DRUG_CLASSES: tuple[DrugClass, ...]
"""Every row of `data/drug_classes.txt`, in file order."""


def __getattr__(name: str) -> object:
    """Read the data files when `CATALOGUE` or `DRUG_CLASSES` is first used (PEP 562)."""
    if name == "CATALOGUE":
        return _catalogue()[1]
    if name == "DRUG_CLASSES":
        return _catalogue()[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_drug_classes(text: str, file: str = CLASSES_FILE) -> tuple[DrugClass, ...]:
    """The classes of a `drug_classes.txt` text; a bad row raises `DataFileError`."""
    classes: list[DrugClass] = []
    for class_id, row in unique(parse_table(text, file, _CLASS_COLUMNS), "id"):
        for column in _CLASS_COLUMNS:
            if not row[column]:
                raise row.error(f"column {column!r} is empty")
        sources = check_sources(row.words("sources"), row.where)
        effect: Effect = row.choice("effect", get_args(Effect))
        classes.append(
            DrugClass(class_id, row["label"], effect, row["why"], row["discuss"], sources)
        )
    return tuple(classes)


def parse_medicines(
    text: str, classes: Sequence[DrugClass], file: str = MEDICINES_FILE
) -> tuple[Medicine, ...]:
    """The catalogue of a `medicines.txt` text, whose classes must be among `classes`."""
    by_id = {c.id: c for c in classes}
    catalogue: list[Medicine] = []
    for generic, row in unique(parse_table(text, file, _MEDICINE_COLUMNS), "generic"):
        drug_class = by_id.get(row["class"])
        if drug_class is None:
            raise row.error(f"unknown class {row['class']!r}; classes: {', '.join(by_id)}")
        brands, synonyms = row.items("brands"), row.items("other names")
        seen: set[str] = set()
        for name in (generic, *synonyms, *brands):
            if not key(name):
                raise row.error(f"the name {name!r} has no letters or digits")
            if key(name) in seen:
                raise row.error(f"the name {name!r} is listed twice")
            seen.add(key(name))
        catalogue.append(Medicine(generic, drug_class, brands, synonyms))
    return tuple(catalogue)


@cache
def _catalogue() -> tuple[tuple[DrugClass, ...], tuple[Medicine, ...]]:
    classes = parse_drug_classes(data_text(CLASSES_FILE))
    return classes, parse_medicines(data_text(MEDICINES_FILE), classes)


@cache
def _vocabulary() -> tuple[Vocabulary[str], Mapping[str, Medicine]]:
    """The names' index and each generic's row, built on first use."""
    catalogue = _catalogue()[1]
    terms: list[Term[str]] = []
    for med in catalogue:
        terms += [Term(name, med.generic, fuzzy=True) for name in (med.generic, *med.synonyms)]
        terms += [Term(brand, med.generic) for brand in med.brands]
    return Vocabulary(terms), {med.generic: med for med in catalogue}


def match_medications(entries: Sequence[str]) -> tuple[MedicationMatch, ...]:
    """Recognise catalogue medicines in the person's list, in input order.

    One match per (entry, generic): a combination product ("carbidopa/levodopa",
    "Symbyax") gives one match per catalogue generic it names, in the order typed. The
    brand is the first brand of that generic the entry names, if any ("sertraline
    (Zoloft)" is Zoloft). Entries that differ only in case, spacing or punctuation count
    as one; different entries naming the same generic ("sertraline", "Zoloft 50 mg") each
    give a match, so group by `generic` for one finding per medicine.
    """
    if isinstance(entries, str):
        raise TypeError("match_medications takes a sequence of entries, not a single string")
    if not entries:
        return ()
    vocabulary, medicines = _vocabulary()
    seen: set[tuple[tuple[str, ...], str]] = set()
    matches: list[MedicationMatch] = []
    for entry in entries:
        same_entry = words(entry)
        for generic, terms in vocabulary.find(entry).items():
            if (same_entry, generic) in seen:
                continue
            seen.add((same_entry, generic))
            med = medicines[generic]
            brand = next((t for t in terms if t in med.brands), None)
            matches.append(MedicationMatch(entry, generic, brand, med.drug_class))
    return tuple(matches)

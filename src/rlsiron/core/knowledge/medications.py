"""Medicines that may worsen RLS, recognised in the free text people type for them.

The catalogue below is data a clinician can review line by line: one row per generic
name with its class and the brand names people actually type (US, UK, EU, Canada,
Australia). The class carries the effect, the lay wording and the source ids, so the
assessment only turns matches into findings (`meds.may_worsen_rls`,
`meds.augmentation_risk`) and the plan; no drug knowledge lives in `if` statements.

Matching is deliberately conservative, because a false "this worsens your RLS" is
worse than a miss that the clinician catches on review:
- words, not substrings: "Advil" (ibuprofen) is not "Advil PM", "metformin" is not
  "metoclopramide", "dexchlorpheniramine" is not "chlorpheniramine";
- doses, forms, salts and release codes are simply extra words and are ignored;
- a name split or hyphenated differently ("Chlor-Trimeton", "Tylenol P.M.") is joined
  back, but never across a comma, slash, plus or bracket;
- a misspelling is accepted only for a word of 6+ letters that starts with the same
  letter and is at least `_FUZZY_CUTOFF` similar to exactly one generic's name; brands
  are short and word-like ("Abilify" ~ "ability"), so they must be spelt right.
Entries are taken to be medicines: "lithium battery" matches lithium, and an entry
that names a medicine only to deny it ("no sertraline") still matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal, TypeAlias

Effect = Literal["may_worsen", "augmentation"]


@dataclass(frozen=True, slots=True)
class DrugClass:
    """A group of medicines that share the same effect on RLS and the same advice."""

    id: str
    label: str
    effect: Effect
    why: str
    """One lay sentence: how the class can worsen RLS, or what augmentation is."""
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


_SOURCES: Final = ("AASM-2024", "MAYO-2021")

# Every sentence is shown to the person as written; keep them lay and never tell the
# person to stop, start or change a dose on their own (REFERENCE.md, "Wording rules").
_ANTIDEPRESSANT_DISCUSS: Final = (
    "Ask your prescriber whether this antidepressant could be adding to your RLS symptoms "
    "and what the options are; make no change to it on your own."
)
_AUGMENTATION_DISCUSS: Final = (
    "Ask your prescriber to check for augmentation at each review; make no change to this "
    "medicine on your own, as sudden changes can make RLS much worse."
)

SEDATING_ANTIHISTAMINE: Final = DrugClass(
    id="sedating_antihistamine",
    label="sedating antihistamine",
    effect="may_worsen",
    why=(
        "Sedating antihistamines, found in many allergy remedies and night-time sleep aids, "
        "can make RLS symptoms worse."
    ),
    discuss=(
        "Ask a pharmacist or your doctor whether an allergy or sleep remedy without a "
        "sedating antihistamine would suit you."
    ),
    sources=_SOURCES,
)
SSRI: Final = DrugClass(
    id="ssri",
    label="SSRI antidepressant",
    effect="may_worsen",
    why=(
        "SSRI antidepressants can make RLS symptoms worse in some people; bupropion is an "
        "antidepressant less often linked to this."
    ),
    discuss=_ANTIDEPRESSANT_DISCUSS,
    sources=_SOURCES,
)
SNRI: Final = DrugClass(
    id="snri",
    label="SNRI antidepressant",
    effect="may_worsen",
    why=(
        "SNRI antidepressants, also used for nerve pain, can make RLS symptoms worse in some "
        "people; bupropion is an antidepressant less often linked to this."
    ),
    discuss=_ANTIDEPRESSANT_DISCUSS,
    sources=_SOURCES,
)
TRICYCLIC: Final = DrugClass(
    id="tricyclic",
    label="tricyclic antidepressant",
    effect="may_worsen",
    why=(
        "Tricyclic antidepressants, also used in low doses for pain and sleep, can make RLS "
        "symptoms worse; bupropion is an antidepressant less often linked to this."
    ),
    discuss=_ANTIDEPRESSANT_DISCUSS,
    sources=_SOURCES,
)
# A class of its own because the sources single it out as a strong offender.
MIRTAZAPINE: Final = DrugClass(
    id="mirtazapine",
    label="antidepressant (mirtazapine)",
    effect="may_worsen",
    why=(
        "Mirtazapine is one of the antidepressants most strongly linked to worsening RLS; "
        "bupropion is an antidepressant less often linked to this."
    ),
    discuss=_ANTIDEPRESSANT_DISCUSS,
    sources=_SOURCES,
)
ANTIPSYCHOTIC: Final = DrugClass(
    id="antipsychotic",
    label="antipsychotic (dopamine blocker)",
    effect="may_worsen",
    why=(
        "Antipsychotic medicines block dopamine, a brain chemical involved in RLS, and can "
        "make symptoms worse."
    ),
    discuss=(
        "Ask your prescriber whether this medicine could be adding to your RLS symptoms; "
        "make no change to it on your own."
    ),
    sources=_SOURCES,
)
DOPAMINE_BLOCKING_ANTIEMETIC: Final = DrugClass(
    id="dopamine_blocking_antiemetic",
    label="anti-sickness medicine that blocks dopamine",
    effect="may_worsen",
    why=(
        "Some anti-sickness medicines block dopamine, a brain chemical involved in RLS, and "
        "can make symptoms worse."
    ),
    discuss=(
        "Ask your doctor or pharmacist whether another anti-sickness medicine would suit you; "
        "make no change to a prescribed one on your own."
    ),
    sources=_SOURCES,
)
LITHIUM: Final = DrugClass(
    id="lithium",
    label="lithium (mood stabiliser)",
    effect="may_worsen",
    why="Lithium, used for mood disorders, can make RLS symptoms worse in some people.",
    discuss=(
        "Ask your prescriber whether lithium could be adding to your RLS symptoms; make no "
        "change to it on your own, as lithium needs careful monitoring."
    ),
    sources=_SOURCES,
)
DOPAMINE_AGONIST: Final = DrugClass(
    id="dopamine_agonist",
    label="dopamine agonist",
    effect="augmentation",
    why=(
        "Taken for a long time, dopamine agonists can cause augmentation: RLS symptoms come on "
        "earlier in the day, grow stronger or spread to other parts of the body."
    ),
    discuss=_AUGMENTATION_DISCUSS,
    sources=_SOURCES,
)
LEVODOPA: Final = DrugClass(
    id="levodopa",
    label="levodopa",
    effect="augmentation",
    why=(
        "Taken for a long time, levodopa can cause augmentation: RLS symptoms come on earlier "
        "in the day, grow stronger or spread to other parts of the body."
    ),
    discuss=_AUGMENTATION_DISCUSS,
    sources=_SOURCES,
)

DRUG_CLASSES: Final[tuple[DrugClass, ...]] = (
    SEDATING_ANTIHISTAMINE,
    SSRI,
    SNRI,
    TRICYCLIC,
    MIRTAZAPINE,
    ANTIPSYCHOTIC,
    DOPAMINE_BLOCKING_ANTIEMETIC,
    LITHIUM,
    DOPAMINE_AGONIST,
    LEVODOPA,
)

# Not medicines, so not in the catalogue: the plan's lifestyle section names them
# (REFERENCE.md, AASM-2024, MAYO-2021).
LIFESTYLE_FACTORS: Final[tuple[str, ...]] = ("alcohol", "caffeine", "nicotine")

# fmt: off
# Brands are left out when one name means different generics in different markets
# ("Sominex": diphenhydramine in the US, promethazine in the UK). "Unisom" alone is the
# doxylamine product (US SleepTabs, Australia); "Unisom SleepGels" is diphenhydramine.
# UK "Benadryl Allergy" products contain acrivastine or cetirizine (not sedating): a
# UK "Benadryl" therefore matches by design and is left to the clinician's review.
CATALOGUE: Final[tuple[Medicine, ...]] = (
    # generic            class                   brands (and other names)
    Medicine("diphenhydramine", SEDATING_ANTIHISTAMINE, brands=(
        "Benadryl", "Nytol", "ZzzQuil", "Unisom SleepGels", "Simply Sleep", "Sleep-Eze",
        "Tylenol PM", "Advil PM", "Motrin PM", "Aleve PM", "Excedrin PM", "Panadol Night")),
    Medicine("doxylamine", SEDATING_ANTIHISTAMINE, brands=(
        "Unisom SleepTabs", "Unisom", "Restavit", "Dozile", "NyQuil",
        "Diclegis", "Bonjesta", "Diclectin", "Xonvea")),
    Medicine("chlorpheniramine", SEDATING_ANTIHISTAMINE, synonyms=("chlorphenamine",), brands=(
        "Piriton", "Chlor-Trimeton", "Aller-Chlor", "Chlor-Tripolon")),
    Medicine("hydroxyzine", SEDATING_ANTIHISTAMINE, brands=("Atarax", "Vistaril", "Ucerax")),
    Medicine("promethazine", SEDATING_ANTIHISTAMINE, brands=(
        "Phenergan", "Avomine", "Night Nurse")),

    Medicine("sertraline", SSRI, brands=("Zoloft", "Lustral")),
    Medicine("fluoxetine", SSRI, brands=("Prozac", "Sarafem", "Lovan", "Symbyax")),
    Medicine("citalopram", SSRI, brands=("Celexa", "Cipramil")),
    Medicine("escitalopram", SSRI, brands=("Lexapro", "Cipralex")),
    Medicine("paroxetine", SSRI, brands=("Paxil", "Seroxat", "Aropax", "Pexeva", "Brisdelle")),
    Medicine("fluvoxamine", SSRI, brands=("Luvox", "Faverin", "Fevarin")),

    Medicine("venlafaxine", SNRI, brands=("Effexor", "Efexor")),
    Medicine("duloxetine", SNRI, brands=("Cymbalta", "Yentreve")),
    Medicine("desvenlafaxine", SNRI, brands=("Pristiq",)),
    Medicine("levomilnacipran", SNRI, brands=("Fetzima",)),
    Medicine("milnacipran", SNRI, brands=("Savella",)),

    Medicine("amitriptyline", TRICYCLIC, brands=("Elavil", "Endep")),
    Medicine("nortriptyline", TRICYCLIC, brands=("Pamelor", "Aventyl", "Allegron")),
    Medicine("imipramine", TRICYCLIC, brands=("Tofranil",)),
    Medicine("clomipramine", TRICYCLIC, brands=("Anafranil",)),
    Medicine("doxepin", TRICYCLIC, brands=("Sinequan", "Silenor")),
    Medicine("dosulepin", TRICYCLIC, synonyms=("dothiepin",), brands=("Prothiaden",)),
    Medicine("desipramine", TRICYCLIC, brands=("Norpramin",)),
    Medicine("trimipramine", TRICYCLIC, brands=("Surmontil",)),
    Medicine("protriptyline", TRICYCLIC, brands=("Vivactil",)),
    Medicine("lofepramine", TRICYCLIC),

    Medicine("mirtazapine", MIRTAZAPINE, brands=("Remeron", "Zispin", "Avanza")),

    Medicine("haloperidol", ANTIPSYCHOTIC, brands=("Haldol", "Serenace")),
    Medicine("chlorpromazine", ANTIPSYCHOTIC, brands=("Thorazine", "Largactil")),
    Medicine("promazine", ANTIPSYCHOTIC),
    Medicine("fluphenazine", ANTIPSYCHOTIC, brands=("Modecate", "Prolixin")),
    Medicine("perphenazine", ANTIPSYCHOTIC, brands=("Trilafon",)),
    Medicine("trifluoperazine", ANTIPSYCHOTIC, brands=("Stelazine",)),
    Medicine("olanzapine", ANTIPSYCHOTIC, brands=("Zyprexa", "Symbyax")),
    Medicine("quetiapine", ANTIPSYCHOTIC, brands=("Seroquel",)),
    Medicine("risperidone", ANTIPSYCHOTIC, brands=("Risperdal",)),
    Medicine("paliperidone", ANTIPSYCHOTIC, brands=("Invega", "Xeplion")),
    Medicine("aripiprazole", ANTIPSYCHOTIC, brands=("Abilify",)),
    Medicine("ziprasidone", ANTIPSYCHOTIC, brands=("Geodon", "Zeldox")),
    Medicine("lurasidone", ANTIPSYCHOTIC, brands=("Latuda",)),
    Medicine("clozapine", ANTIPSYCHOTIC, brands=("Clozaril", "Clopine", "Denzapine")),
    Medicine("amisulpride", ANTIPSYCHOTIC, brands=("Solian",)),

    Medicine("metoclopramide", DOPAMINE_BLOCKING_ANTIEMETIC, brands=("Reglan", "Maxolon")),
    Medicine("prochlorperazine", DOPAMINE_BLOCKING_ANTIEMETIC, brands=(
        "Stemetil", "Compazine", "Buccastem")),

    Medicine("lithium", LITHIUM, brands=(
        "Lithobid", "Priadel", "Camcolit", "Liskonum", "Carbolith", "Lithicarb", "Quilonum")),

    Medicine("pramipexole", DOPAMINE_AGONIST, brands=(
        "Mirapex", "Mirapexin", "Sifrol", "Oprymea")),
    Medicine("ropinirole", DOPAMINE_AGONIST, brands=("Requip", "Adartrel")),
    Medicine("rotigotine", DOPAMINE_AGONIST, brands=("Neupro",)),
    Medicine("levodopa", LEVODOPA, synonyms=("L-dopa", "co-careldopa", "co-beneldopa"), brands=(
        "Sinemet", "Madopar", "Prolopa", "Rytary", "Stalevo", "Duodopa", "Duopa", "Kinson",
        "Inbrija")),
)
# fmt: on

# A misspelt word must be this similar (difflib ratio) to one generic: "sertaline" and
# "quetiepine" pass (0.95, 0.90); "serotonin" vs sertraline (0.63), "domperidone" vs
# risperidone (0.73) and "duloxetine" vs fluoxetine (0.80) do not.
_FUZZY_CUTOFF: Final = 0.85
_FUZZY_MIN_LENGTH: Final = 6
# Longest run of words joined back into one name ("Unisom Sleep Gels", "Advil P.M.").
_MAX_SPAN: Final = 4

_WORD = re.compile(r"[^\W\d_]+|\d+")
# Marks that separate products or notes; a name is never joined across them.
_BREAK = re.compile(r"[^\w\s.'’-]+")

# A name's words joined ("chlortrimeton") -> the (generic, brand) pairs it stands for.
_Index: TypeAlias = Mapping[str, tuple[tuple[str, str | None], ...]]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


@cache
def _index() -> tuple[_Index, Mapping[str, tuple[str, ...]], Mapping[str, DrugClass]]:
    """Build the lookups once, on first use, so importing the module stays cheap.

    Returns the exact index, the single-word names fit for fuzzy matching (grouped by
    first letter) and each generic's class.
    """
    exact: dict[str, list[tuple[str, str | None]]] = {}
    fuzzy: dict[str, set[str]] = {}
    for med in CATALOGUE:
        names: list[tuple[str, str | None]] = [(med.generic, None)]
        names += [(s, None) for s in med.synonyms] + [(b, b) for b in med.brands]
        for name, brand in names:
            words = _words(name)
            key = "".join(words)
            exact.setdefault(key, []).append((med.generic, brand))
            if brand is None and len(words) == 1 and len(key) >= _FUZZY_MIN_LENGTH:
                fuzzy.setdefault(key[0], set()).add(key)
    return (
        {k: tuple(v) for k, v in exact.items()},
        {k: tuple(sorted(v)) for k, v in fuzzy.items()},
        {med.generic: med.drug_class for med in CATALOGUE},
    )


def _fuzzy(word: str, index: _Index, vocab: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The single-word name `word` is a misspelling of, or [] if none or ambiguous."""
    if len(word) < _FUZZY_MIN_LENGTH:
        return []
    from difflib import get_close_matches  # only when needed: keeps CLI start-up light

    close = get_close_matches(word, vocab.get(word[0], ()), n=3, cutoff=_FUZZY_CUTOFF)
    # Close to names of different medicines: guessing would be a coin toss.
    meanings = {frozenset(generic for generic, _ in index[key]) for key in close}
    return close[:1] if len(meanings) == 1 else []


def _find(entry: str) -> dict[str, str | None]:
    """Generics named in one entry, in order of appearance, each with its first brand."""
    index, vocab, _ = _index()
    found: dict[str, str | None] = {}
    for chunk in _BREAK.split(entry):
        words = _words(chunk)
        i = 0
        while i < len(words):
            hits: tuple[tuple[str, str | None], ...] = ()
            for span in range(min(_MAX_SPAN, len(words) - i), 0, -1):
                hits = index.get("".join(words[i : i + span]), ())
                if hits:
                    i += span
                    break
            else:
                hits = tuple(pair for key in _fuzzy(words[i], index, vocab) for pair in index[key])
                i += 1
            for generic, brand in hits:
                if found.get(generic) is None:
                    found[generic] = brand
    return found


def match_medications(entries: Sequence[str]) -> tuple[MedicationMatch, ...]:
    """Recognise catalogue medicines in the person's list, in input order.

    One match per (entry, generic): a combination product ("carbidopa/levodopa",
    "Symbyax") gives one match per catalogue generic it names. Entries that differ only in
    case, spacing or punctuation count as one; different entries naming the same generic
    ("sertraline", "Zoloft 50 mg") each give a match, so group by `generic` for one
    finding per medicine.
    """
    if isinstance(entries, str):
        raise TypeError("match_medications takes a sequence of entries, not a single string")
    classes = _index()[2]
    seen: set[tuple[tuple[str, ...], str]] = set()
    matches: list[MedicationMatch] = []
    for entry in entries:
        same_entry = tuple(_words(entry))
        for generic, brand in _find(entry).items():
            if (same_entry, generic) in seen:
                continue
            seen.add((same_entry, generic))
            matches.append(MedicationMatch(entry, generic, brand, classes[generic]))
    return tuple(matches)

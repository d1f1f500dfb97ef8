"""The order hooks: iron products among the draft orders, and the cards that check them.

`draftOrders` is read leniently, from the plain JSON: the hooks' own R4 examples do not pass
strict validation (a NutritionOrder without `intent`, a MedicationRequest with STU3's dosage),
and an order check must not fail on a field it does not read. Medication orders are
MedicationRequest (STU3, R4) and MedicationOrder (DSTU2); the medicine is named by its
CodeableConcept, a referenced (or contained) Medication, or the reference's display. Orders
being cancelled, stopped or completed give no iron and are passed over. For order-select only
the selected orders are checked, as the hook asks.

An iron order gets a card only when the engine has something to say against going ahead:
- a finding flagged `safety_stop` in findings.toml (TSAT at or above the limit,
  haemochromatosis, very high ferritin, an overload pattern...) or a contraindicated decision:
  critical;
- the engine's reasons to test first (`_PANEL_FIRST`: the panel missing, stale, drawn too soon
  after an infusion, discordant, or in a suspect unit) or a test-first decision: warning.
Otherwise no card: the ordering clinician is not interrupted to be told nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from rlsiron import Assessment, FindingCode
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.vocabulary import Term, Vocabulary
from rlsiron.core.models import Finding
from rlsiron.io.cdshooks.cards import (
    decision_section,
    decision_words,
    escaped,
    findings_section,
    fit,
    info_card,
    join,
    new_card,
    not_used_section,
    profile_source,
    results_section,
    sources_section,
)
from rlsiron.io.cdshooks.models import Card
from rlsiron.io.cdshooks.record import Outcome
from rlsiron.io.fhir_fields import Resource, displays, mapping, mappings, text
from rlsiron.pipe_table import parse_table, unique

PRODUCTS_FILE: Final = "iron_products.txt"
_COLUMNS: Final = ("product", "gives iron", "brands", "other names", "note")
ORDER_TYPES: Final = frozenset({"MedicationRequest", "MedicationOrder"})
_NOT_GIVEN: Final = frozenset({"cancelled", "entered-in-error", "stopped", "completed"})
# The engine's reasons to test before iron, beside the test_first decision itself.
_PANEL_FIRST: Final = frozenset(
    {
        FindingCode.LABS_MISSING,
        FindingCode.LABS_STALE,
        FindingCode.LABS_AFTER_IV_IRON,
        FindingCode.LABS_TSAT_DISCORDANT,
        FindingCode.LABS_UNIT_SUSPECT,
    }
)


@dataclass(frozen=True, slots=True)
class IronOrder:
    """A draft order that gives iron: its reference, its medicine as written, the product."""

    reference: str
    text: str
    product: str


@dataclass(frozen=True, slots=True)
class _Products:
    names: Vocabulary[str]
    iron: frozenset[str]  # the products that give iron; the others are named after it


@cache
def _products() -> _Products:
    """The products of iron_products.txt, read on first use."""
    package = resources.files(__name__.rpartition(".")[0])
    data = package.joinpath(PRODUCTS_FILE).read_text(encoding="utf-8")
    terms: list[Term[str]] = []
    iron: set[str] = set()
    for product, row in unique(parse_table(data, PRODUCTS_FILE, _COLUMNS), "product"):
        terms += [Term(name, product, fuzzy=True) for name in (product, *row.items("other names"))]
        terms += [Term(brand, product) for brand in row.items("brands")]
        if row.choice("gives iron", ("yes", "no")) == "yes":
            iron.add(product)
    return _Products(Vocabulary(terms), frozenset(iron))


def iron_product(name: str) -> str | None:
    """The iron product a medicine's name names; None when it names none, or names a
    medicine that gives no iron ("Deferasirox (iron chelator)")."""
    products = _products()
    found = products.names.find(name)
    if not found or not products.iron.issuperset(found):
        return None
    return next(iter(found))


def iron_orders(
    bundle: Mapping[str, object], selections: Sequence[str] | None
) -> tuple[IronOrder, ...]:
    """The iron orders of a draftOrders Bundle; with `selections`, only the selected ones."""
    found: list[IronOrder] = []
    for entry in mappings(bundle.get("entry")):
        order = mapping(entry.get("resource"))
        kind = text(order.get("resourceType")) if order is not None else None
        if order is None or kind not in ORDER_TYPES or text(order.get("status")) in _NOT_GIVEN:
            continue
        ident = text(order.get("id"))
        reference = f"{kind}/{ident}" if ident else str(kind)
        if selections is not None and reference not in selections:
            continue
        for name in _medicine_names(order):
            product = iron_product(name)
            if product is not None:
                found.append(IronOrder(reference, name, product))
                break
    return tuple(found)


def _medicine_names(order: Resource) -> list[str]:
    """Every name the order gives its medicine, the most specific first."""
    names: list[str] = []
    for concept in (order.get("medicationCodeableConcept"), _medication_code(order)):
        found = mapping(concept)
        if found is not None:
            names += [n for n in (text(found.get("text")), *displays(found)) if n is not None]
    display = text((mapping(order.get("medicationReference")) or {}).get("display"))
    return [*names, display] if display else names


def _medication_code(order: Resource) -> object:
    """The code of the Medication the order references, when the order contains it."""
    reference = text((mapping(order.get("medicationReference")) or {}).get("reference"))
    if reference is None or not reference.startswith("#"):
        return None
    for contained in mappings(order.get("contained")):
        if contained.get("id") == reference[1:]:
            return contained.get("code")
    return None


def order_cards(orders: Sequence[IronOrder], outcome: Outcome) -> tuple[Card, ...]:
    """One card per iron order when the engine advises against going ahead, else none."""
    a = outcome.assessment
    if a is None:
        return tuple(
            info_card(
                f"{_named(order)} order: iron status not checked; the record lacks what it needs",
                "What is missing or could not be read",
                outcome.not_assessed + outcome.not_used,
            )
            for order in orders
        )
    reasons = sorted(
        (f for f in a.findings if _stops(f) or f.code in _PANEL_FIRST),
        key=lambda f: not _stops(f),
    )
    if not reasons and a.iron_therapy.decision not in ("contraindicated", "test_first"):
        return ()
    return tuple(_card(order, a, reasons, outcome.not_used) for order in orders)


def _stops(finding: Finding) -> bool:
    return "safety_stop" in FINDINGS[finding.code].flags


def _card(order: IronOrder, a: Assessment, reasons: list[Finding], not_used: Sequence[str]) -> Card:
    critical = a.iron_therapy.decision == "contraindicated" or any(map(_stops, reasons))
    headline = reasons[0].title if reasons else decision_words(a)
    named = _named(order)
    detail = join(
        f"**Order:** {escaped(order.reference)}: {escaped(order.text)}",
        decision_section(a),
        results_section(a),
        findings_section(reasons),
        not_used_section(not_used),
        sources_section([*a.iron_therapy.sources, *(s for f in reasons for s in f.sources)]),
        f"*{a.disclaimer}*",
    )
    summary = fit(f"{named} order: {headline}", f"{named} order: {decision_words(a)}")
    return new_card(
        summary, "critical" if critical else "warning", detail, profile_source(a.profile)
    )


def _named(order: IronOrder) -> str:
    return order.product[:1].upper() + order.product[1:]

"""The clinical numbers, read from the data files a clinician reviews (`data/*.txt`).

`thresholds.txt` holds every cut-off a value is compared with, `numbers.txt` the other
clinical numbers, and small tables hold the WHO haemoglobin cut-offs, the iron RDA, the
IRLS bands, the assay equivalents and the profiles. This module only reads and checks
them; nothing else in the package writes a clinical number as a literal (a test checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal, get_args

from rlsiron.core.knowledge.sources import check_sources
from rlsiron.core.knowledge.table import load_table
from rlsiron.core.readings import Reading
from rlsiron.pipe_table import Row, unique

Op = Literal["<", "<=", ">", ">="]
Evidence = Literal["P", "S", "U"]

_OPS: tuple[Op, ...] = get_args(Op)
_EVIDENCE: tuple[Evidence, ...] = get_args(Evidence)
_OP_TEXT: Mapping[Op, str] = MappingProxyType({"<": "<", "<=": "≤", ">": ">", ">=": "≥"})
UNIT_TEXT: Mapping[str, str] = MappingProxyType(
    {"ug/L": "µg/L", "umol/L": "µmol/L", "mL/min/1.73m2": "mL/min/1.73 m²"}
)


@cache
def _described(op: Op, value: float, unit: str) -> str:
    """Made once per threshold: explanations quote thresholds many times an assessment."""
    return f"{_OP_TEXT[op]} {value:g} {UNIT_TEXT.get(unit, unit)}".rstrip()


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number with its comparison: `holds(x)` is "x <op> value", three-valued."""

    id: str
    value: float
    unit: str
    op: Op
    meaning: str
    sources: tuple[str, ...]
    evidence: Evidence

    def holds(self, reading: Reading | None) -> bool | None:
        if reading is None:
            return None
        match self.op:
            case "<":
                return reading.lt(self.value)
            case "<=":
                return reading.le(self.value)
            case ">":
                return reading.gt(self.value)
            case ">=":
                return reading.ge(self.value)

    def describe(self) -> str:
        """E.g. "≤ 75 µg/L", for explanations a person reads."""
        return _described(self.op, self.value, self.unit)


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A plain number (not compared against a lab value directly) with its source."""

    id: str
    value: float
    unit: str
    meaning: str
    sources: tuple[str, ...]
    evidence: Evidence


def _evidence(row: Row) -> Evidence:
    return row.choice("evidence", _EVIDENCE)


def _sources(row: Row) -> tuple[str, ...]:
    return check_sources(row.words("sources"), row.where)


def _threshold(row: Row) -> Threshold:
    return Threshold(
        id=row["id"],
        value=row.number("value"),
        unit=row["unit"],
        op=row.choice("op", _OPS),
        meaning=row["meaning"],
        sources=_sources(row),
        evidence=_evidence(row),
    )


def _cutoff(row: Row) -> Cutoff:
    return Cutoff(
        row["id"], row.number("value"), row["unit"], row["meaning"], _sources(row), _evidence(row)
    )


_COLUMNS = ("id", "op", "value", "unit", "evidence", "sources", "meaning")
THRESHOLDS: Mapping[str, Threshold] = MappingProxyType(
    {key: _threshold(row) for key, row in unique(load_table("thresholds.txt", _COLUMNS), "id")}
)
NUMBERS: Mapping[str, Cutoff] = MappingProxyType(
    {
        key: _cutoff(row)
        for key, row in unique(
            load_table("numbers.txt", ("id", "value", "unit", "evidence", "sources", "meaning")),
            "id",
        )
    }
)


def threshold(id: str) -> Threshold:
    """The row named `id`; a KeyError here is a programming error, not user input."""
    return THRESHOLDS[id]


def number(id: str) -> Cutoff:
    return NUMBERS[id]


# --- small tables -----------------------------------------------------------------------


def _upper(row: Row, column: str) -> float:
    value = row.optional_number(column)
    return float("inf") if value is None else value


@dataclass(frozen=True, slots=True)
class HbCutoff:
    """WHO-HB-2024: anaemia when Hb (g/dL) is below `g_dl` for this group."""

    group: str
    basis: Literal["pregnancy_weeks", "months", "years"]
    first: float
    last: float
    sex: str | None
    g_dl: float
    sources: tuple[str, ...]
    evidence: Evidence


def _hb(row: Row) -> HbCutoff:
    basis: Literal["pregnancy_weeks", "months", "years"] = row.choice(
        "basis", ("pregnancy_weeks", "months", "years")
    )
    sex = row.choice("sex", ("female", "male", "-"))
    return HbCutoff(
        group=row["group"],
        basis=basis,
        first=row.number("from"),
        last=_upper(row, "to"),
        sex=None if sex == "-" else sex,
        g_dl=row.number("hb_g_dl"),
        sources=_sources(row),
        evidence=_evidence(row),
    )


HB_CUTOFFS: tuple[HbCutoff, ...] = tuple(
    _hb(row)
    for row in load_table(
        "hb_cutoffs.txt",
        ("group", "basis", "from", "to", "sex", "hb_g_dl", "evidence", "sources"),
    )
)


@dataclass(frozen=True, slots=True)
class Rda:
    """DRI-2001: the iron RDA for a state (pregnancy, lactation or neither), sex and age."""

    state: str | None
    sex: str | None
    first: float
    last: float
    mg: float


def _rda(row: Row) -> Rda:
    state = row.choice("state", ("pregnancy", "lactation", "-"))
    sex = row.choice("sex", ("female", "male", "-"))
    _sources(row)
    return Rda(
        None if state == "-" else state,
        None if sex == "-" else sex,
        row.number("from"),
        _upper(row, "to"),
        row.number("mg"),
    )


RDA: tuple[Rda, ...] = tuple(
    _rda(row)
    for row in load_table("rda.txt", ("state", "sex", "from", "to", "mg", "evidence", "sources"))
)


@dataclass(frozen=True, slots=True)
class IrlsBand:
    """IRLS-2003: a band of the 0-40 total; `significant` = at least moderate distress."""

    band: str
    first: int
    last: int
    label: str
    significant: bool


def _band(row: Row) -> IrlsBand:
    _sources(row)
    return IrlsBand(
        row["band"],
        int(row.number("from")),
        int(row.number("to")),
        row["label"],
        row.choice("significant", ("yes", "no")) == "yes",
    )


IRLS_BANDS: tuple[IrlsBand, ...] = tuple(
    _band(row)
    for row in load_table(
        "irls_bands.txt", ("band", "from", "to", "label", "significant", "evidence", "sources")
    )
)
IRLS_MAX = IRLS_BANDS[-1].last
IRLS_ITEMS = int(number("irls.items").value)
IRLS_ITEM_MAX = IRLS_MAX // IRLS_ITEMS

# ASSAY-116: (Roche, Beckman) points, starting at the origin.
ASSAY_POINTS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    *sorted(
        (row.number("roche"), row.number("beckman"))
        for row in load_table("assay_equivalents.txt", ("beckman", "roche", "evidence", "sources"))
        if _sources(row)
    ),
)


@dataclass(frozen=True, slots=True)
class Profile:
    """A named rule set (rules.toml rows may belong to some profiles only)."""

    id: str
    aliases: tuple[str, ...]
    label: str
    sources: tuple[str, ...]


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        key: Profile(
            key, tuple(w for w in row.words("aliases") if w != "-"), row["label"], _sources(row)
        )
        for key, row in unique(
            load_table("profiles.txt", ("id", "aliases", "label", "sources")), "id"
        )
    }
)
PROFILE_IDS: Mapping[str, str] = MappingProxyType(
    {name: p.id for p in PROFILES.values() for name in (p.id, *p.aliases)}
)

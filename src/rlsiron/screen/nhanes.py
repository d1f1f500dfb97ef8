"""NHANES 2017-2018 ferritin as screener input, and the worked example's summary.

The raw CDC files (SAS transport: FERTIN_J ferritin, DEMO_J demographics and survey weights;
`../shared/data/nhanes/raw_xpt/`, PROVENANCE.md beside it) become (a) the screener's labs and
patients tables, one ferritin row per participant, and (b) the share of participants in each
ferritin band by sex and age, weighted by the exam weight WTMEC2YR (the US population the
sample stands for) and unweighted (the sample itself), with counts.

How NHANES maps to the contract: sex from RIAGENDR (1 male, 2 female); age from RIDAGEYR
(80 means 80 and over); ferritin LBXFER in ng/mL (= ug/L), as printed; pregnancy from RIDEXPRG
(asked of women 20-44): 1 (pregnant at the exam) gives `pregnancy_weeks` PREGNANT_WEEKS_UNKNOWN,
2 (not pregnant), 3 (could not be determined) and a missing code give null. Exam dates are not
public, so every draw is dated DRAW_DATE, the last day of the cycle, and the example is read as
of that day. Nothing else is known: kidney, conditions, medicines, menopause and iron courses
are null. The 2017-2018 files here hold no serum iron, TIBC or TSAT, so the RLS iron criterion
can rest on ferritin only; the engine itself says `test_first` without a TSAT (rule
labs.missing), which `indicated_share` reports as not indicated.

Band edges are the core's thresholds, so a band means what the rules mean: < 15 is WHO iron
deficiency (ferritin.who_deficient), < 50 the patient-education threshold
(ferritin.rls_indicated_50), <= 75 the AASM criterion (ferritin.rls_indicated) and <= 100 the
top of the AASM IV-only band (ferritin.iv_band_upper). An edge value belongs to the side its
threshold holds on: 15 and 50 start a band ("15 to < 50"), 75 and 100 end one ("50 to <= 75").

pandas (a development dependency) reads the XPT files and is imported inside the functions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pyarrow as pa

from rlsiron.core.knowledge.thresholds import Threshold, threshold
from rlsiron.core.labs.units import canonical_factor
from rlsiron.core.readings import Reading
from rlsiron.pipe_table import DataFileError
from rlsiron.screen.synthetic import (
    FITTED_BASES,
    AgeBand,
    labs_schema,
    patients_schema,
    shape,
    shape_rows,
    shapes,
)

if TYPE_CHECKING:
    import pandas as pd

Sex = Literal["female", "male"]
FERRITIN_FILE: Final = "FERTIN_J.XPT"
DEMOGRAPHICS_FILE: Final = "DEMO_J.XPT"
WOMEN_PANEL_FILE: Final = "nhanes_women_iron_panel_slim.csv"
# The day every NHANES draw is dated, and the example's as-of day (exam dates are not public).
DRAW_DATE: Final = dt.date.fromisoformat("2018-12-31")
# RIDEXPRG 1 says pregnant, not since when. The engine needs a number of weeks to know a
# pregnancy; 0 says "pregnant" and, for haemoglobin, picks the first-trimester cut-off.
PREGNANT_WEEKS_UNKNOWN: Final = 0
FERRITIN_TEST: Final = "Ferritin"
FERRITIN_UNIT: Final = "ng/mL"  # LBXFER, as NHANES reports it

_SEX_CODES: Final[Mapping[float, Sex]] = {1.0: "male", 2.0: "female"}
_PREGNANT, _NOT_PREGNANT = 1.0, 2.0  # RIDEXPRG codes
_ALL: Final = "all"


@dataclass(frozen=True, slots=True)
class Participant:
    """One NHANES participant with a ferritin result."""

    seqn: int
    sex: Sex
    age_years: int  # 80 means 80 and over
    pregnancy_code: int | None  # RIDEXPRG: 1 pregnant, 2 not, 3 not determined
    weight: float  # WTMEC2YR
    ferritin: float  # LBXFER, ng/mL = ug/L

    @property
    def patient_id(self) -> str:
        return str(self.seqn)

    @property
    def pregnant(self) -> bool:
        return self.pregnancy_code == _PREGNANT


@dataclass(frozen=True, slots=True)
class NhanesFerritin:
    """The participants with a ferritin result, and how many rows FERTIN_J holds in all."""

    participants: tuple[Participant, ...]
    ferritin_rows: int


def _read_xpt(path: Path) -> pd.DataFrame:
    import pandas as pd

    frame: pd.DataFrame = pd.read_sas(path, format="xport")
    return frame


def read_ferritin(raw_dir: Path) -> NhanesFerritin:
    """FERTIN_J joined to DEMO_J by SEQN; participants without a ferritin result left out."""
    ferritin = _read_xpt(raw_dir / FERRITIN_FILE)
    demographics = _read_xpt(raw_dir / DEMOGRAPHICS_FILE)
    joined = ferritin.merge(demographics, on="SEQN", how="left", validate="one_to_one")
    if joined["RIAGENDR"].isna().any():
        raise DataFileError(FERRITIN_FILE, "a SEQN has no row in DEMO_J")
    measured = joined[joined["LBXFER"].notna()]
    participants = tuple(
        Participant(
            seqn=int(row.SEQN),
            sex=_SEX_CODES[row.RIAGENDR],
            age_years=int(row.RIDAGEYR),
            pregnancy_code=None if math.isnan(row.RIDEXPRG) else int(row.RIDEXPRG),
            weight=float(row.WTMEC2YR),
            ferritin=float(row.LBXFER),
        )
        for row in measured.itertuples(index=False)
    )
    return NhanesFerritin(participants, len(ferritin))


# --- the screener's tables ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreenerTables:
    """The contract's labs and patients tables, and each participant's survey weight."""

    labs: pa.Table
    patients: pa.Table
    weights: pa.Table  # patient_id, weight (WTMEC2YR)
    as_of: dt.date


def _printed(value: float) -> str:
    """LBXFER as NHANES prints it: up to two decimals, no trailing zeros ("36.6", "1.04")."""
    return f"{value:g}"


def screener_tables(participants: Sequence[Participant]) -> ScreenerTables:
    """One ferritin row and one patient row per participant (see the module docstring)."""
    ids = [p.patient_id for p in participants]
    count = len(participants)
    labs = pa.table(
        {
            "patient_id": ids,
            "test": [FERRITIN_TEST] * count,
            "value": [_printed(p.ferritin) for p in participants],
            "unit": [FERRITIN_UNIT] * count,
            "date": [DRAW_DATE] * count,
            "assay": pa.nulls(count, pa.string()),
        },
        schema=labs_schema(date_strings=False),
    )
    nothing = pa.nulls(count)
    patients = pa.table(
        {
            "patient_id": ids,
            "sex": [p.sex for p in participants],
            "age_years": [p.age_years for p in participants],
            "pregnancy_weeks": [
                PREGNANT_WEEKS_UNKNOWN if p.pregnant else None for p in participants
            ],
            "postmenopausal": nothing,
            "kidney": nothing,
            "conditions": nothing,
            "medicines": nothing,
            "iron_route": nothing,
            "iron_started": nothing,
            "iron_ended": nothing,
        },
        schema=patients_schema(),
    )
    weights = pa.table({"patient_id": ids, "weight": [p.weight for p in participants]})
    return ScreenerTables(labs, patients, weights, DRAW_DATE)


# --- bands and groups ---------------------------------------------------------------------------

BAND_EDGES: Final = (
    "ferritin.who_deficient",
    "ferritin.rls_indicated_50",
    "ferritin.rls_indicated",
    "ferritin.iv_band_upper",
)
_UPPER_OPS: Final = ("<", "<=")


def _edges() -> tuple[Threshold, ...]:
    edges = tuple(threshold(name) for name in BAND_EDGES)
    values = [edge.value for edge in edges]
    if any(e.op not in _UPPER_OPS or e.unit != "ug/L" for e in edges) or values != sorted(values):
        raise DataFileError("thresholds.txt", f"{BAND_EDGES} are no longer rising upper bounds")
    return edges


def band_labels() -> tuple[str, ...]:
    """The bands as the rules read their edges: "< 15", "15 to < 50", "50 to ≤ 75", ..."""
    edges = _edges()
    labels = []
    previous: Threshold | None = None
    for edge in (*edges, None):
        lower = "" if previous is None else f"{previous.value:g}"
        if previous is not None and previous.op == "<=":
            lower = f"> {lower}"
        upper = "" if edge is None else f"{'<' if edge.op == '<' else '≤'} {edge.value:g}"
        labels.append(" to ".join(part for part in (lower, upper) if part))
        previous = edge
    return tuple(labels)


def ferritin_band(ferritin: Reading) -> int | None:
    """The band's index (0 lowest); None when a one-sided result straddles an edge."""
    for index, edge in enumerate(_edges()):
        holds = edge.holds(ferritin)
        if holds is None:
            return None
        if holds:
            return index
    return len(BAND_EDGES)


def _reading(participant: Participant) -> Reading:
    text = _printed(participant.ferritin)
    decimals = len(text.partition(".")[2])
    factor = canonical_factor("ferritin", FERRITIN_UNIT, field="unit")
    return Reading(participant.ferritin, "=", decimals).scaled(factor)


def summary_age_bands(participants: Sequence[Participant]) -> tuple[tuple[str, int, int], ...]:
    """(label, first, last) per band; edges from thresholds.txt and synthetic_shapes.txt.

    Bands start at the youngest age measured, at each `summary.age_band_from` row, at the
    core's age.pediatric (adults) and age.menopause_default (women counted postmenopausal).
    Labels give the ages found in the data ("1-5": no ferritin was measured at 6-11; "65+":
    80 is NHANES's code for 80 and over).
    """
    ages = sorted({p.age_years for p in participants})
    starts = sorted(
        {
            ages[0],
            int(threshold("age.pediatric").value),
            int(threshold("age.menopause_default").value),
            *(int(row.value) for row in shape_rows("summary.age_band_from")),
        }
    )
    bands = []
    for first, following in zip(starts, [*starts[1:], ages[-1] + 1], strict=True):
        inside = [a for a in ages if first <= a < following]
        if not inside:
            continue
        last = following - 1
        label = f"{inside[0]}+" if inside[-1] == ages[-1] else f"{inside[0]}-{inside[-1]}"
        bands.append((label, first, last))
    return tuple(bands)


@dataclass(frozen=True, slots=True)
class GroupShares:
    """Participants of one sex and age band, by category: counts and shares (0 to 1)."""

    sex: str  # "female", "male" or "all"
    ages: str  # a band label or "all"
    n: int
    population: float  # the sum of the weights: the people the group stands for
    counts: tuple[int, ...]
    unweighted: tuple[float, ...]
    weighted: tuple[float, ...]


def _groups(participants: Sequence[Participant]) -> list[tuple[str, str, list[Participant]]]:
    bands = summary_age_bands(participants)
    groups = []
    for sex in ("female", "male", _ALL):
        of_sex = [p for p in participants if sex in (_ALL, p.sex)]
        for label, first, last in (*bands, (_ALL, 0, math.inf)):
            members = [p for p in of_sex if first <= p.age_years <= last]
            groups.append((sex, label, members))
    return groups


def _shares(
    participants: Sequence[Participant],
    category: Callable[[Participant], int | None],
    categories: int,
) -> tuple[GroupShares, ...]:
    """Shares of each category per group; a participant whose category is None is left out."""
    out = []
    for sex, ages, members in _groups(participants):
        counted = [(p, c) for p in members if (c := category(p)) is not None]
        counts = [0] * categories
        weights = [0.0] * categories
        for participant, c in counted:
            counts[c] += 1
            weights[c] += participant.weight
        n, population = len(counted), sum(weights)
        out.append(
            GroupShares(
                sex,
                ages,
                n,
                population,
                tuple(counts),
                tuple(c / n if n else math.nan for c in counts),
                tuple(w / population if population else math.nan for w in weights),
            )
        )
    return tuple(out)


def band_shares(participants: Sequence[Participant]) -> tuple[GroupShares, ...]:
    """Share of participants in each ferritin band (`band_labels`), by sex and age band."""
    return _shares(participants, lambda p: ferritin_band(_reading(p)), len(BAND_EDGES) + 1)


def criterion_threshold(participant: Participant) -> Threshold:
    """The ferritin cut-off of the rule group the engine puts the participant in.

    Pregnancy comes before childhood, as in rules.toml; NHANES does not say who is on
    dialysis, so no one is put in that group.
    """
    if participant.pregnant:
        return threshold("ferritin.pregnancy_indicated")
    if threshold("age.pediatric").holds(Reading(participant.age_years)):
        return threshold("ferritin.pediatric_indicated")
    return threshold("ferritin.rls_indicated")


_MET, _NOT_MET = 0, 1


def ferritin_criterion_shares(participants: Sequence[Participant]) -> tuple[GroupShares, ...]:
    """Share whose ferritin meets the ferritin part of their group's RLS iron criterion.

    Category 0 is "met". Without a TSAT this is the whole criterion as far as ferritin can
    say; the engine would still ask for a TSAT before deciding (module docstring).
    """

    def met(p: Participant) -> int | None:
        holds = criterion_threshold(p).holds(_reading(p))
        return None if holds is None else (_MET if holds else _NOT_MET)

    return _shares(participants, met, 2)


def indicated_share(
    participants: Sequence[Participant], decisions: Mapping[str, str | None] | pa.Table
) -> tuple[GroupShares, ...]:
    """Share with the decision `indicated`, from per-participant decisions of the screener.

    `decisions` maps patient_id (the SEQN as text) to the engine's decision, or is a table
    with columns patient_id and decision. Category 0 is "indicated"; participants with no
    decision are left out.
    """
    if isinstance(decisions, pa.Table):
        decisions = dict(
            zip(
                decisions.column("patient_id").to_pylist(),
                decisions.column("decision").to_pylist(),
                strict=True,
            )
        )
    given: Mapping[str, str | None] = decisions

    def indicated(p: Participant) -> int | None:
        decision = given.get(p.patient_id)
        if decision is None:
            return None
        return _MET if decision == "indicated" else _NOT_MET

    return _shares(participants, indicated, 2)


# --- fitting the generator's shapes -------------------------------------------------------------


def _weighted_mean_sd(values: Any, weights: Any) -> tuple[float, float]:
    import numpy as np

    mean = float(np.average(values, weights=weights))
    return mean, float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


@dataclass(frozen=True, slots=True)
class LineFit:
    """One predictor of a least-squares fit: the intercept, its slope, the residual SD."""

    intercept: float
    slope: float
    residual_sd: float


def _least_squares(y: Any, *predictors: Any) -> tuple[LineFit, ...]:
    """The fit of y on the predictors (with an intercept), one LineFit per predictor."""
    import numpy as np

    design = np.column_stack([np.ones(len(y)), *predictors])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual_sd = float(np.std(y - design @ coefficients))
    intercept = float(coefficients[0])
    return tuple(LineFit(intercept, float(c), residual_sd) for c in coefficients[1:])


def _in_band(frame: pd.DataFrame, band: AgeBand) -> Any:
    inside = (frame["RIDAGEYR"] >= band.first) & (frame["RIDAGEYR"] <= band.last)
    if band.sex is not None:
        inside &= frame["RIAGENDR"] == (2.0 if band.sex == "female" else 1.0)
    return inside


def fit_shapes(raw_dir: Path, women_panel_csv: Path) -> dict[tuple[str, str], float]:
    """Every fitted row of synthetic_shapes.txt, refitted from the NHANES files.

    Keys are (parameter, for) as in the file. DEMO_J and FERTIN_J fits are weighted by
    WTMEC2YR; the women's panel file has no weights and is fitted by least squares.
    """
    import numpy as np
    import pandas as pd

    demographics = _read_xpt(raw_dir / DEMOGRAPHICS_FILE)
    examined = demographics[(demographics["WTMEC2YR"] > 0) & (demographics["RIDAGEYR"] >= 1)]
    ferritin = _read_xpt(raw_dir / FERRITIN_FILE).merge(demographics, on="SEQN")
    ferritin = ferritin[ferritin["LBXFER"].notna()].assign(ln=lambda f: np.log(f["LBXFER"]))
    not_pregnant = ferritin[ferritin["RIDEXPRG"] != _PREGNANT]
    panel = pd.read_csv(women_panel_csv)
    panel = panel[panel["RIDEXPRG"] != _PREGNANT]
    ln_ferritin = np.log(panel["LBXFER"])

    fitted: dict[tuple[str, str], float] = {}
    total_weight = examined["WTMEC2YR"].sum()
    for row in shape_rows("population.share"):
        fitted[(row.parameter, row.key)] = float(
            examined.loc[_in_band(examined, row.band), "WTMEC2YR"].sum() / total_weight
        )
    for row in shape_rows("ferritin.ln_mean"):
        if row.basis in FITTED_BASES:
            group = not_pregnant[_in_band(not_pregnant, row.band)]
            mean, sd = _weighted_mean_sd(group["ln"], group["WTMEC2YR"])
            fitted[("ferritin.ln_mean", row.key)] = mean
            fitted[("ferritin.ln_sd", row.key)] = sd
    (pregnancy,) = shape_rows("pregnancy.share")
    women = examined[_in_band(examined, pregnancy.band)]
    known = women[women["RIDEXPRG"].isin([_PREGNANT, _NOT_PREGNANT])]
    fitted[("pregnancy.share", pregnancy.key)] = float(
        np.average(known["RIDEXPRG"] == _PREGNANT, weights=known["WTMEC2YR"])
    )
    (shift,) = shape_rows("pregnancy.ferritin_ln_shift")
    group = ferritin[_in_band(ferritin, shift.band)]
    means = {
        code: _weighted_mean_sd(g["ln"], g["WTMEC2YR"])[0] for code, g in group.groupby("RIDEXPRG")
    }
    fitted[("pregnancy.ferritin_ln_shift", shift.key)] = means[_PREGNANT] - means[_NOT_PREGNANT]

    tsat = panel["LBDPCT"].notna()
    knee = math.log(shape("tsat.ferritin_knee"))
    below, above = _least_squares(
        np.log(panel.loc[tsat, "LBDPCT"]).to_numpy(),
        np.minimum(ln_ferritin[tsat], knee).to_numpy(),
        np.maximum(ln_ferritin[tsat] - knee, 0.0).to_numpy(),
    )
    tibc_y, tibc_x = _tibc_pairs(panel, ln_ferritin)
    (tibc,) = _least_squares(tibc_y.to_numpy(), tibc_x.to_numpy())
    fitted |= {
        ("tsat.ln_intercept", "-"): below.intercept,
        ("tsat.ln_slope", "-"): below.slope,
        ("tsat.ln_slope_above_knee", "-"): above.slope,
        ("tsat.ln_residual_sd", "-"): below.residual_sd,
        ("tibc.ln_intercept", "-"): tibc.intercept,
        ("tibc.ln_slope", "-"): tibc.slope,
        ("tibc.ln_residual_sd", "-"): tibc.residual_sd,
    }
    hb = panel["LBXHGB"].notna()
    knee = math.log(shape("hemoglobin.ferritin_knee"))
    (hemoglobin,) = _least_squares(
        panel.loc[hb, "LBXHGB"].to_numpy(), np.minimum(ln_ferritin[hb], knee).to_numpy()
    )
    fitted |= {
        ("hemoglobin.intercept", "-"): hemoglobin.intercept,
        ("hemoglobin.slope", "-"): hemoglobin.slope,
        ("hemoglobin.residual_sd", "-"): hemoglobin.residual_sd,
    }
    expected = {key for key, row in shapes().items() if row.basis in FITTED_BASES}
    if set(fitted) != expected:
        raise DataFileError("synthetic_shapes.txt", f"fitted rows differ: {set(fitted) ^ expected}")
    return fitted


def _tibc_pairs(panel: pd.DataFrame, ln_ferritin: Any) -> tuple[Any, Any]:
    """ln TIBC in umol/L (LBXTIB is ug/dL, converted with the core's factor) and ln ferritin."""
    import numpy as np

    measured = panel["LBXTIB"].notna()
    factor = canonical_factor("tibc", "ug/dL", field="unit")
    return np.log(panel.loc[measured, "LBXTIB"] * factor), ln_ferritin[measured]


def fitted_rows(fitted: Mapping[tuple[str, str], float]) -> Iterable[str]:
    """The refit as data-file cells (parameter | for | value), for pasting after a refit."""
    for (parameter, key), value in fitted.items():
        yield f"{parameter:<28} | {key:<14} | {value:.4g}"

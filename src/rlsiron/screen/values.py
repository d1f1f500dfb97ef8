"""Per person, the named values of values.txt, computed as the engine's context computes them.

The engine builds these names in `core.assessment.context` from one person's panel; here
the same definitions run over every person at once: the latest usable result of each test
on or before the day, the TSAT from its newest source (reported, calculated, estimated),
both TSATs of one draw, eGFR from creatinine (CKD-EPI 2021, with the core's numbers), the
iron course and the panel's age. A quantity is two columns (`compiler.compared`,
`compiler.qualifier`); a derived result (a calculated TSAT, an eGFR) is exact, compared at
full precision, as the engine's `Reading` without decimals is.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, NamedTuple

import ibis
import ibis.expr.types as ir

from rlsiron.core.assessment.monitoring import PANEL_TESTS
from rlsiron.core.knowledge.thresholds import NUMBERS, THRESHOLDS
from rlsiron.core.labs.units import TIBC_UMOL_PER_TRANSFERRIN_G, canonical_factor
from rlsiron.screen.compiler import compared, qualifier

# The tests the named values read; the latest of each is kept per person.
USED_TESTS: Final = (
    "ferritin",
    "tsat",
    "iron",
    "tibc",
    "uibc",
    "transferrin",
    "hemoglobin",
    "crp",
    "egfr",
    "creatinine",
)
_PERCENT: Final = 100.0


def _latest_column(key: str, part: str) -> str:
    return f"{key}_{part}"


def latest_results(rows: ir.Table) -> ir.Table:
    """One row per person: the latest result of each used test (value, compared,
    qualifier, date, plausible), the newest iron-panel draw of any age, and data-quality
    facts, from the readable rows dated on or before the day."""
    current = rows.filter(rows.reason.isnull() & ~rows.future)
    order = [ibis.desc(current.drawn), ibis.desc(current.row)]
    ranked = current.filter(current.analyte.isin(USED_TESTS)).mutate(
        rank=ibis.row_number().over(group_by=[current.patient_id, current.analyte], order_by=order)
    )
    latest = ranked.filter(ranked["rank"] == 0)
    aggregates: dict[str, ir.Value] = {}
    for key in USED_TESTS:
        this = latest.analyte == key
        aggregates[_latest_column(key, "v")] = latest.value.max(where=this)
        aggregates[_latest_column(key, "c")] = latest.compared.max(where=this)
        aggregates[_latest_column(key, "q")] = latest.qualifier.max(where=this)
        aggregates[_latest_column(key, "d")] = latest.drawn.max(where=this)
        aggregates[_latest_column(key, "ok")] = latest.plausible.cast("int8").max(where=this)
    aggregates["any_implausible"] = (~latest.plausible).cast("int8").max()
    per_person = latest.group_by("patient_id").aggregate(**aggregates)
    panel = (
        current.filter(current.analyte.isin(tuple(PANEL_TESTS)))
        .group_by("patient_id")
        .aggregate(last_panel_draw=current.drawn.max())
    )
    future = (
        rows.filter(rows.reason.isnull() & rows.future)
        .group_by("patient_id")
        .aggregate(future_rows=ibis._.count())
    )
    joined = per_person.outer_join(panel, "patient_id")
    joined = joined.mutate(patient_id=joined.patient_id.fill_null(joined.patient_id_right)).drop(
        "patient_id_right"
    )
    joined = joined.outer_join(future, "patient_id")
    return joined.mutate(patient_id=joined.patient_id.fill_null(joined.patient_id_right)).drop(
        "patient_id_right"
    )


class _Quantity(NamedTuple):
    """A quantity's columns while they are being computed."""

    value: ir.FloatingValue
    compared: ir.FloatingValue
    qualifier: ir.StringValue

    def where(self, condition: ir.BooleanValue) -> _Quantity:
        nothing = ibis.null("float64")
        return _Quantity(
            condition.ifelse(self.value, nothing),
            condition.ifelse(self.compared, nothing),
            condition.ifelse(self.qualifier, ibis.null("string")),
        )

    def columns(self, name: str) -> dict[str, ir.Value]:
        return {compared(name): self.compared, qualifier(name): self.qualifier}


def _exact(value: ir.FloatingValue) -> _Quantity:
    return _Quantity(value, value, value.isnull().ifelse(ibis.null("string"), ibis.literal("=")))


def _result(table: ir.Table, key: str) -> _Quantity:
    return _Quantity(
        table[_latest_column(key, "v")],
        table[_latest_column(key, "c")],
        table[_latest_column(key, "q")],
    )


def _usable(table: ir.Table, key: str) -> _Quantity:
    """The latest result unless it is implausible in its unit (then unknown)."""
    return _result(table, key).where(table[_latest_column(key, "ok")] == 1)


def holds_exact(column: ir.NumericValue, threshold_id: str) -> ir.BooleanValue:
    """A threshold of thresholds.txt applied to an exact number (an age in years)."""
    row = THRESHOLDS[threshold_id]
    match row.op:
        case "<":
            return column < row.value
        case "<=":
            return column <= row.value
        case ">":
            return column > row.value
        case ">=":
            return column >= row.value


def _days(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    return later.delta(earlier, unit="day")


def named_values(people: ir.Table, as_of: dt.date) -> ir.Table:
    """`people` (patients joined with latest results and person facts) plus every named
    value of values.txt that does not depend on the decision."""
    day = ibis.literal(as_of)
    t = people
    ferritin = _usable(t, "ferritin")
    # TSAT: the reported one, a calculated one (iron / TIBC, iron / (iron + UIBC)), or an
    # estimate from transferrin; the newest draw wins, and the reported one on a tie.
    reported_ok = (t.tsat_ok == 1).fill_null(False)
    iron_ok = ((t.iron_ok == 1) & (t.iron_q == "=")).fill_null(False)

    def same_draw(key: str) -> ir.BooleanValue:
        return (
            (t[_latest_column(key, "ok")] == 1)
            & (t[_latest_column(key, "d")] == t.iron_d)
            & (t[_latest_column(key, "q")] == "=")
        ).fill_null(False)

    binding = ibis.cases(
        (same_draw("tibc"), t.tibc_v),
        (same_draw("uibc"), t.iron_v + t.uibc_v),
        (same_draw("transferrin"), t.transferrin_v * TIBC_UMOL_PER_TRANSFERRIN_G),
        else_=ibis.null("float64"),
    )
    source = ibis.cases(
        (same_draw("tibc") | same_draw("uibc"), ibis.literal("calculated")),
        (same_draw("transferrin"), ibis.literal("estimated")),
        else_=ibis.null("string"),
    )
    computed_ok = (iron_ok & (binding > 0)).fill_null(False)
    computed = _exact(ibis.least(t.iron_v / binding * _PERCENT, _PERCENT)).where(computed_ok)
    reported = _result(t, "tsat").where(reported_ok)
    use_reported = reported_ok & (~computed_ok | (t.tsat_d >= t.iron_d)).fill_null(True)
    use_computed = ~use_reported & computed_ok
    tsat = _Quantity(
        *(
            ibis.cases((use_reported, r), (use_computed, c), else_=ibis.null(r.type()))
            for r, c in zip(reported, computed, strict=True)
        )
    )
    tsat_date = ibis.cases(
        (use_reported, t.tsat_d), (use_computed, t.iron_d), else_=ibis.null("date")
    )
    tsat_source = ibis.cases(
        (use_reported, ibis.literal("reported")), (use_computed, source), else_=ibis.null("string")
    )
    pair = reported_ok & computed_ok & (source == "calculated") & (t.iron_d == t.tsat_d)
    pair = pair.fill_null(False)
    reported_high = reported.compared >= computed.compared
    high = _Quantity(
        *(
            ibis.cases((pair & reported_high, r), (pair, c), else_=u)
            for r, c, u in zip(reported, computed, tsat, strict=True)
        )
    )
    low = _Quantity(
        *(
            ibis.cases((pair & reported_high, c), (pair, r), else_=u)
            for r, c, u in zip(reported, computed, tsat, strict=True)
        )
    )
    gap = _exact((reported.compared - computed.compared).abs()).where(
        pair & (reported.qualifier == "=")
    )

    age = t.age_years.cast("float64")
    female = t.sex == "female"
    egfr = _usable(t, "egfr")
    creatinine = _usable(t, "creatinine")
    estimated_egfr = _exact(_ckd_epi(creatinine.value, age, female)).where(
        (creatinine.qualifier == "=")
        & (creatinine.value > 0)
        & ~holds_exact(t.age_years, "age.pediatric")
    )
    egfr_used = _Quantity(
        *(
            egfr.compared.notnull().ifelse(measured, estimate)
            for measured, estimate in zip(egfr, estimated_egfr, strict=True)
        )
    )
    # The iron course a recheck follows: the last infusion, or an ongoing oral course.
    started = t.iron_started
    iv = ((t.iron_route == "iv") & (started <= day)).fill_null(False)
    oral = (
        (t.iron_route == "oral")
        & (started <= day)
        & (t.iron_ended.isnull() | (t.iron_ended >= day))
    ).fill_null(False)
    course_start = (iv | oral).ifelse(started, ibis.null("date"))
    ferritin_date = t.ferritin_d
    oldest = ibis.least(ferritin_date, tsat_date)
    newest = ibis.greatest(ferritin_date, tsat_date)
    infusion = (iv & (started <= newest)).fill_null(False)
    on_iron_ferritin = ferritin.where((ferritin_date >= course_start).fill_null(False))
    postmenopausal = female & t.postmenopausal.fill_null(
        holds_exact(t.age_years, "age.menopause_default")
    )
    return t.mutate(
        **ferritin.columns("ferritin"),
        **tsat.columns("tsat"),
        **high.columns("tsat_max"),
        **low.columns("tsat_min"),
        **gap.columns("tsat_gap"),
        **_usable(t, "hemoglobin").columns("hemoglobin"),
        **_usable(t, "crp").columns("crp"),
        **egfr_used.columns("egfr"),
        **on_iron_ferritin.columns("ferritin_on_iron"),
        **_exact(age).columns("age"),
        **_exact(_days(day, oldest).cast("float64")).columns("panel_age"),
        **_exact(_days(newest, started).cast("float64")).where(infusion).columns("days_after_iv"),
        female=female,
        pregnant=t.pregnancy_weeks.notnull(),
        postmenopausal=postmenopausal,
        on_oral_iron=oral,
        tsat_estimated=(tsat_source == "estimated").fill_null(False),
        tsat_date=tsat_date,
        course_route=ibis.cases(
            (iv, ibis.literal("IV")), (oral, ibis.literal("oral")), else_=ibis.null("string")
        ),
        course_start=course_start,
        panel_date=oldest,
    )


def _number(id: str) -> float:
    return NUMBERS[id].value


def _ckd_epi(
    creatinine: ir.FloatingValue, age: ir.FloatingValue, female: ir.BooleanValue
) -> ir.FloatingValue:
    """CKD-EPI 2021 (race-free), as `core.assessment.context._egfr_from_creatinine`."""
    mg_dl = creatinine / canonical_factor("creatinine", "mg/dL", field="creatinine")
    kappa = female.ifelse(_number("egfr.ckd_epi.kappa_female"), _number("egfr.ckd_epi.kappa_male"))
    alpha = female.ifelse(_number("egfr.ckd_epi.alpha_female"), _number("egfr.ckd_epi.alpha_male"))
    ratio = mg_dl / kappa
    return (
        _number("egfr.ckd_epi.constant")
        * ibis.least(ratio, 1.0).pow(alpha)
        * ibis.greatest(ratio, 1.0).pow(_number("egfr.ckd_epi.high_exponent"))
        * ibis.literal(_number("egfr.ckd_epi.age_base")).pow(age)
        * female.ifelse(_number("egfr.ckd_epi.female_factor"), 1.0)
    )

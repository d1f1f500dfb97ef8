"""The personal app's charts: thresholds from the table, points in order, the trend, output."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from altair.vegalite.v6.schema import load_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from rlsiron import assess, parse_input
from rlsiron.core.knowledge.thresholds import IRLS_BANDS, PROFILES, THRESHOLDS
from rlsiron.core.models import Assessment, DiaryEntry, IronTherapy
from rlsiron.web import charts
from rlsiron.web.charts import (
    IrlsScore,
    ferritin_trend_of,
    ferritin_tsat_chart,
    hemoglobin_chart,
    symptom_chart,
    to_svg,
)
from rlsiron.web.charts_trend import MIN_TREND_POINTS, PREDICTION_LEVEL, t_quantile

AS_OF = dt.date(2025, 6, 10)
COURSE = IronTherapy(route="oral", started=dt.date(2025, 1, 1))


VEGA_LITE_SCHEMA = Draft7Validator(load_schema())


def to_vega_lite(chart: charts.Chart) -> dict[str, Any]:
    """The app's spec, after the schema Altair ships has said it is valid Vega-Lite (the app
    does not validate on each view; the tests do, for every chart they build)."""
    spec = charts.to_vega_lite(chart)
    VEGA_LITE_SCHEMA.validate(spec)
    assert set(data_names(spec)) <= set(spec["datasets"]), "a layer names a missing dataset"
    return spec


def data_names(spec: object) -> Iterator[str]:
    """The named datasets the layers of a specification draw from."""
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and "name" in data:
            yield data["name"]
        for value in spec.values():
            yield from data_names(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from data_names(value)


def lab(test: str, value: float, unit: str, date: dt.date) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": date.isoformat()}


def panel(date: dt.date, ferritin: float, tsat: float, hb: float) -> list[dict[str, Any]]:
    return [
        lab("ferritin", ferritin, "ng/mL", date),
        lab("tsat", tsat, "%", date),
        lab("hemoglobin", hb, "g/dL", date),
    ]


def assessed(
    labs: Sequence[dict[str, Any]],
    *,
    profile: str = "aasm-2024",
    as_of: dt.date = AS_OF,
    courses: Sequence[IronTherapy] = (),
) -> Assessment:
    document = {
        "profile": profile,
        "person": {"age_years": 40, "sex": "female"},
        "labs": list(labs),
        "iron_therapy": [c.model_dump(mode="json") for c in courses],
    }
    return assess(parse_input(document), as_of=as_of)


def rows(spec: Any) -> Iterator[dict[str, Any]]:
    """Every data row anywhere in a specification (inline `values` or top-level `datasets`)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "values" and isinstance(value, list):
                yield from value
            elif key == "datasets":
                for dataset in value.values():
                    yield from dataset
            else:
                yield from rows(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from rows(item)


def threshold_values(spec: dict[str, Any]) -> dict[str, float]:
    return {row["threshold"]: row["value"] for row in rows(spec) if "threshold" in row}


THREE_PANELS = [
    *panel(dt.date(2025, 3, 1), 30, 17, 12.2),
    *panel(dt.date(2024, 11, 1), 22, 15, 11.9),
    *panel(dt.date(2025, 5, 20), 41, 19, 12.4),
]


# ---------------------------------------------------------------- thresholds


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("units", ["conventional", "si"])
def test_the_lines_are_the_threshold_tables_values(profile: str, units: Any) -> None:
    spec = to_vega_lite(ferritin_tsat_chart(assessed(THREE_PANELS, profile=profile), units=units))
    drawn = threshold_values(spec)
    for threshold_id, value in drawn.items():
        assert value == THRESHOLDS[threshold_id].value, threshold_id
    oral = "ferritin.rls_indicated" if profile == "aasm-2024" else "ferritin.rls_indicated_50"
    other = "ferritin.rls_indicated_50" if profile == "aasm-2024" else "ferritin.rls_indicated"
    expected = {
        oral,
        "ferritin.iv_band_upper",
        "ferritin.trial_ceiling",
        "tsat.rls_indicated",
        "tsat.contraindicated",
    }
    assert set(drawn) == expected
    assert other not in drawn


def test_the_safety_line_is_marked_and_labelled() -> None:
    spec = to_vega_lite(ferritin_tsat_chart(assessed(THREE_PANELS), units="conventional"))
    safety = [row for row in rows(spec) if row.get("kind") == "safety"]
    assert [row["threshold"] for row in safety] == ["tsat.contraindicated"]
    limit = THRESHOLDS["tsat.contraindicated"].value
    assert safety[0]["text"].startswith(f"≥ {limit:g} %")


def test_ferritin_is_shown_in_the_unit_chosen() -> None:
    conventional = to_vega_lite(ferritin_tsat_chart(assessed(THREE_PANELS), units="conventional"))
    si = to_vega_lite(ferritin_tsat_chart(assessed(THREE_PANELS), units="si"))
    assert {r["label"] for r in rows(conventional) if r.get("test") == "ferritin"} == {
        "22 ng/mL",
        "30 ng/mL",
        "41 ng/mL",
    }
    assert {r["label"] for r in rows(si) if r.get("test") == "ferritin"} == {
        "22 µg/L",
        "30 µg/L",
        "41 µg/L",
    }


def test_hemoglobin_in_si_is_converted_with_its_cutoff() -> None:
    spec = to_vega_lite(hemoglobin_chart(assessed(THREE_PANELS), units="si"))
    labels = [r["label"] for r in rows(spec) if r.get("test") == "hemoglobin"]
    assert labels == ["119 g/L", "122 g/L", "124 g/L"]
    (cutoff,) = [r for r in rows(spec) if r.get("threshold") == "anemia"]
    assert "g/L" in cutoff["text"]


# ---------------------------------------------------------------- points


@pytest.mark.parametrize("test", ["ferritin", "tsat", "hemoglobin"])
def test_three_panels_give_three_points_per_series_in_date_order(test: str) -> None:
    a = assessed(THREE_PANELS)
    chart = hemoglobin_chart(a, units="conventional") if test == "hemoglobin" else None
    spec = to_vega_lite(chart or ferritin_tsat_chart(a, units="conventional"))
    dates = [r["date"] for r in rows(spec) if r.get("test") == test]
    assert dates == ["2024-11-01", "2025-03-01", "2025-05-20"]


def test_a_calculated_tsat_is_marked() -> None:
    draw = dt.date(2025, 5, 20)
    labs = [
        lab("ferritin", 30, "ng/mL", draw),
        lab("iron", 10, "umol/L", draw),
        lab("tibc", 60, "umol/L", draw),
    ]
    spec = to_vega_lite(ferritin_tsat_chart(assessed(labs), units="conventional"))
    (tsat,) = [r for r in rows(spec) if r.get("test") == "tsat"]
    assert tsat["source"] == "calculated"
    assert tsat["label"].endswith("(calculated)")
    shapes = [
        enc["shape"]["scale"]
        for enc in _encodings(spec)
        if isinstance(enc.get("shape"), dict) and "scale" in enc["shape"]
    ]
    assert shapes
    for scale in shapes:
        shape_of = dict(zip(scale["domain"], scale["range"], strict=True))
        assert shape_of["calculated"] != shape_of["reported"]
        assert shape_of["estimated"] != shape_of["reported"]


def _encodings(spec: Any) -> Iterator[dict[str, Any]]:
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict):
            yield spec["encoding"]
        for value in spec.values():
            yield from _encodings(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _encodings(item)


# ---------------------------------------------------------------- trend


def on_iron(days: Sequence[int], values: Sequence[float]) -> list[dict[str, Any]]:
    return [
        lab("ferritin", v, "ng/mL", COURSE.started + dt.timedelta(days=d))
        for d, v in zip(days, values, strict=True)
    ] + [lab("tsat", 18, "%", COURSE.started + dt.timedelta(days=days[-1]))]


DAYS = [14, 60, 100, 150]
FERRITIN = [20.0, 31.0, 38.0, 52.0]


def test_the_trend_appears_with_enough_points_on_iron_and_its_slope_is_least_squares() -> None:
    a = assessed(on_iron(DAYS, FERRITIN), courses=[COURSE])
    trend = ferritin_trend_of(a, [COURSE])
    assert trend is not None
    mean_x, mean_y = sum(DAYS) / len(DAYS), sum(FERRITIN) / len(FERRITIN)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(DAYS, FERRITIN, strict=True)) / sum(
        (x - mean_x) ** 2 for x in DAYS
    )
    assert trend.slope_per_day == pytest.approx(slope)
    spec = to_vega_lite(ferritin_tsat_chart(a, units="conventional", iron_therapy=[COURSE]))
    drawn = [r for r in rows(spec) if "fit" in r]
    assert len(drawn) >= 2
    first, last = drawn[0], drawn[-1]
    days = (dt.date.fromisoformat(last["date"]) - dt.date.fromisoformat(first["date"])).days
    assert (last["fit"] - first["fit"]) / days == pytest.approx(slope)
    assert all(r["low"] <= r["fit"] <= r["high"] for r in drawn)
    assert "not a forecast" in trend.caveat
    assert "If the trend continues" in " ".join(_subtitles(spec))


def _subtitles(spec: Any) -> Iterator[str]:
    if isinstance(spec, dict):
        subtitle = spec.get("subtitle")
        if isinstance(subtitle, list):
            yield from subtitle
        for value in spec.values():
            yield from _subtitles(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _subtitles(item)


def test_the_band_is_the_prediction_interval() -> None:
    a = assessed(on_iron(DAYS, FERRITIN), courses=[COURSE])
    trend = ferritin_trend_of(a, [COURSE])
    assert trend is not None
    n = len(DAYS)
    mean_x = sum(DAYS) / n
    intercept = sum(FERRITIN) / n - trend.slope_per_day * mean_x
    residual = sum(
        (y - intercept - trend.slope_per_day * x) ** 2 for x, y in zip(DAYS, FERRITIN, strict=True)
    )
    point = trend.points[0]
    x0 = (point.date - COURSE.started).days  # the band does not depend on where x starts
    sxx = sum((x - mean_x) ** 2 for x in DAYS)
    half = (
        t_quantile((1 + PREDICTION_LEVEL) / 2, n - 2)
        * (residual / (n - 2)) ** 0.5
        * (1 + 1 / n + (x0 - mean_x) ** 2 / sxx) ** 0.5
    )
    assert point.high - point.fit == pytest.approx(half)


def test_no_trend_with_too_few_points_on_iron() -> None:
    few = MIN_TREND_POINTS - 1
    a = assessed(on_iron(DAYS[-few:], FERRITIN[-few:]), courses=[COURSE])
    assert ferritin_trend_of(a, [COURSE]) is None
    spec = to_vega_lite(ferritin_tsat_chart(a, units="conventional", iron_therapy=[COURSE]))
    assert not [r for r in rows(spec) if "fit" in r]


def test_results_before_the_course_do_not_count() -> None:
    before = [lab("ferritin", 15, "ng/mL", COURSE.started - dt.timedelta(days=d)) for d in (9, 3)]
    few = MIN_TREND_POINTS - 1
    a = assessed([*before, *on_iron(DAYS[-few:], FERRITIN[-few:])], courses=[COURSE])
    assert ferritin_trend_of(a, [COURSE]) is None


def test_no_trend_when_the_course_has_ended() -> None:
    ended = IronTherapy(route="oral", started=COURSE.started, ended=AS_OF - dt.timedelta(days=1))
    a = assessed(on_iron(DAYS, FERRITIN), courses=[ended])
    assert ferritin_trend_of(a, [ended]) is None


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (10, 2.2281)]
)
def test_students_t_matches_the_printed_table(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


# ---------------------------------------------------------------- symptoms


def test_the_irls_bands_come_from_the_table() -> None:
    scores = [IrlsScore(dt.date(2025, 1, 1), 24), IrlsScore(dt.date(2025, 4, 1), 15)]
    diary = [DiaryEntry(date=dt.date(2025, 1, 7), nights_affected=5, severity=6)]
    spec = to_vega_lite(symptom_chart(irls=scores, diary=diary))
    bands = [r for r in rows(spec) if "band" in r and "low" in r]
    assert [(r["band"], r["low"]) for r in bands] == [(b.label, b.first) for b in IRLS_BANDS]
    assert bands[-1]["high"] == IRLS_BANDS[-1].last
    assert [r["total"] for r in rows(spec) if "total" in r] == [24, 15]
    assert {r["value"] for r in rows(spec) if "measure" in r} == {5, 6}


# ---------------------------------------------------------------- output


def test_the_svg_renders_offline_with_its_axis_titles() -> None:
    a = assessed(on_iron(DAYS, FERRITIN), courses=[COURSE])
    svg = to_svg(ferritin_tsat_chart(a, units="conventional", iron_therapy=[COURSE]))
    assert svg.lstrip().startswith("<svg")
    for title in ("Ferritin (ng/mL)", "Transferrin saturation (%)", "Date"):
        assert title in svg


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=AS_OF)
results = st.lists(
    st.tuples(
        dates,
        st.floats(min_value=1, max_value=2000, allow_nan=False),
        st.floats(min_value=1, max_value=100, allow_nan=False),
        st.floats(min_value=3, max_value=20, allow_nan=False),
    ),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results=results, units=st.sampled_from(["conventional", "si"]), on_iron=st.booleans())
def test_any_dated_values_give_a_valid_spec(
    results: list[tuple[dt.date, float, float, float]], units: Any, on_iron: bool
) -> None:
    labs = [row for d, f, t, hb in results for row in panel(d, round(f, 1), round(t, 1), hb)]
    courses = [IronTherapy(route="oral", started=dt.date(2000, 1, 1))] if on_iron else []
    a = assessed(labs, courses=courses)
    to_vega_lite(ferritin_tsat_chart(a, units=units, iron_therapy=courses))  # validates
    to_vega_lite(hemoglobin_chart(a, units=units))


diary_entries = st.builds(
    DiaryEntry,
    date=dates,
    nights_affected=st.integers(min_value=0, max_value=7),
    severity=st.integers(min_value=0, max_value=10),
)


@settings(max_examples=15, deadline=None)
@given(
    irls=st.lists(st.builds(IrlsScore, dates, st.integers(min_value=0, max_value=40)), max_size=6),
    diary=st.lists(diary_entries, max_size=6),
)
def test_any_symptom_history_gives_a_valid_spec(
    irls: list[IrlsScore], diary: list[DiaryEntry]
) -> None:
    spec = to_vega_lite(symptom_chart(irls=irls, diary=diary))  # validated against the schema
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")

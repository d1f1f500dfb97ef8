"""The personal app's charts: Vega-Lite specifications built from the contract's models.

Pure functions: an `Assessment` (and the records the contract's input carries) in, an Altair
chart out; `to_vega_lite` gives the JSON the page hands to vega-embed, `to_svg` the picture
the PDF report prints, rendered offline by vl-convert (it bundles Vega). The same chart
serves both, so the dashboard and the report cannot show different lines.

Every band and threshold line is read from the rule table and `thresholds.txt`
(`charts_guides`); the trend while on iron is `charts_trend`; the shared layers are
`charts_layers`.

A person's results are named datasets (Vega-Lite's top-level `datasets`), not inline
values: the layout of a chart (its layers, bands, lines, titles) depends only on a few
choices (units, profile, rule group, whether there is a trend), so it is built by Altair
once per choice and kept, and a page view only adds its rows. Building the layout with the
rows inline cost about 300 ms for ten years of panels, mostly Altair deep-copying them.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, NamedTuple

import altair as alt
import vl_convert
from annotated_types import Le

from rlsiron.core.knowledge.thresholds import IRLS_BANDS, IRLS_MAX
from rlsiron.core.models import Assessment, DiaryEntry, IronTherapy, ProfileId
from rlsiron.core.rules.display import show_number
from rlsiron.web.charts_guides import ferritin_guides, group_of, trend_target, tsat_guides
from rlsiron.web.charts_layers import (
    HEIGHT,
    POINT_COLOUR,
    WIDTH,
    Row,
    Scale,
    Units,
    guide_layers,
    layered,
    result_rows,
    results,
    results_layer,
    rule_layer,
    trend_layer,
    trend_rows,
)
from rlsiron.web.charts_trend import Trend, ferritin_trend

# The caveat under the ferritin chart, wrapped to the chart's width (characters a line).
_CAVEAT_WIDTH: Final = 96
# The IRLS bands are the panel's only colour, so they can be stronger than the iron bands.
_IRLS_OPACITY: Final = 0.35
# vl-convert bundles several Vega-Lite versions: use the one Altair's schema was built for.
_VEGA_LITE: Final = ".".join(alt.SCHEMA_VERSION.removeprefix("v").split(".")[:2])
# Layouts kept: a few per profile, group and unit system, plus one per distinct trend caveat.
_LAYOUTS_KEPT: Final = 256


@dataclass(frozen=True)
class Chart:
    """A chart: its layout (shared between views: never changed) and this person's rows."""

    layout: Mapping[str, Any]
    datasets: Mapping[str, Sequence[Row]]


class IrlsScore(NamedTuple):
    """An IRLS total on a day (the store's IRLS records; the contract holds only the latest)."""

    date: dt.date
    total: int


def ferritin_trend_of(
    assessment: Assessment, iron_therapy: Sequence[IronTherapy] = ()
) -> Trend | None:
    """The 'if the trend continues' line, or None (not on iron, or too few results on it).

    The page prints `Trend.caveat` beside the chart; the chart carries it as its subtitle.
    """
    target = trend_target(assessment.profile, group_of(assessment))
    if target is None:
        return None
    return ferritin_trend(assessment, iron_therapy, target)


def _ferritin_layer(
    units: Units, profile: ProfileId, group: str, caveat: str | None
) -> alt.LayerChart:
    """Ferritin against the profile's bands, with the trend's line while on iron."""
    scale = Scale("ferritin", units)
    layers: list[Any] = [*guide_layers(ferritin_guides(profile, group), scale)]
    title = alt.TitleParams("Ferritin", anchor="start")
    if caveat is not None:
        layers.append(trend_layer("trend"))
        title = alt.TitleParams(
            "Ferritin", subtitle=textwrap.wrap(caveat, _CAVEAT_WIDTH), anchor="start"
        )
    layers.append(results_layer("ferritin", scale))
    return layered(*layers).properties(width=WIDTH, height=HEIGHT, title=title)


def _tsat_layer(profile: ProfileId, group: str) -> alt.LayerChart:
    """TSAT against the low band and the safety line (% in every unit system)."""
    scale = Scale("tsat", "conventional")
    guides = tsat_guides(profile, group)
    return layered(*guide_layers(guides, scale), results_layer("tsat", scale)).properties(
        width=WIDTH,
        height=HEIGHT,
        title=alt.TitleParams("Transferrin saturation (TSAT)", anchor="start"),
    )


@lru_cache(maxsize=_LAYOUTS_KEPT)
def _iron_layout(
    units: Units, profile: ProfileId, group: str, caveat: str | None
) -> Mapping[str, Any]:
    chart = alt.VConcatChart(
        vconcat=[_ferritin_layer(units, profile, group, caveat), _tsat_layer(profile, group)],
        resolve=alt.Resolve(
            scale=alt.ScaleResolveMap(x="shared", fill="independent", shape="independent")
        ),
    )
    return chart.to_dict(validate=False)


def ferritin_tsat_chart(
    assessment: Assessment, *, units: Units, iron_therapy: Sequence[IronTherapy] = ()
) -> Chart:
    """Ferritin above TSAT on one time axis: the dashboard's and the report's main chart.

    `iron_therapy` is the contract input's courses (`AssessmentInput.iron_therapy`): the
    assessment says what was decided, not which course is going on. The trend's caveat is
    the ferritin panel's subtitle.
    """
    ferritin = Scale("ferritin", units)
    trend = ferritin_trend_of(assessment, iron_therapy)
    layout = _iron_layout(
        units,
        assessment.profile,
        group_of(assessment),
        None if trend is None else trend.caveat,
    )
    return Chart(
        layout,
        {
            "ferritin": result_rows(results(assessment, "ferritin"), ferritin),
            "tsat": result_rows(results(assessment, "tsat"), Scale("tsat", "conventional")),
            "trend": [] if trend is None else trend_rows(trend, ferritin),
        },
    )


@lru_cache(maxsize=_LAYOUTS_KEPT)
def _hemoglobin_layout(units: Units, cutoff: tuple[float, str] | None) -> Mapping[str, Any]:
    scale = Scale("hemoglobin", units)
    layers: list[Any] = []
    if cutoff is not None:
        value, text = cutoff
        layers.append(
            rule_layer([{"threshold": "anemia", "value": value, "kind": "safety", "text": text}])
        )
    layers.append(results_layer("hemoglobin", scale))
    chart = layered(*layers).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams("Haemoglobin", anchor="start")
    )
    return chart.to_dict(validate=False)


def hemoglobin_chart(assessment: Assessment, *, units: Units) -> Chart:
    """Haemoglobin over time against the WHO anaemia cut-off the assessment applied."""
    scale = Scale("hemoglobin", units)
    cutoff = assessment.anemia.threshold_g_dl
    line = None if cutoff is None else _anaemia_line(assessment, scale, cutoff)
    return Chart(
        _hemoglobin_layout(units, line),
        {"hemoglobin": result_rows(results(assessment, "hemoglobin"), scale)},
    )


def _anaemia_line(assessment: Assessment, scale: Scale, cutoff_g_dl: float) -> tuple[float, str]:
    """The WHO cut-off the assessment used (hb_cutoffs.txt, for the person's group)."""
    value = scale.value(cutoff_g_dl)
    group = f" (WHO, {assessment.anemia.group})" if assessment.anemia.group else " (WHO)"
    return value, f"< {show_number(value, scale.decimals)} {scale.unit_text}: anaemia{group}"


def _irls_bands() -> alt.Chart:
    """The IRLS severity bands of irls_bands.txt, each up to where the next begins."""
    tops = [b.first for b in IRLS_BANDS[1:]] + [IRLS_MAX]
    rows = [
        {"low": b.first, "high": top, "band": b.label}
        for b, top in zip(IRLS_BANDS, tops, strict=True)
    ]
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_rect(opacity=_IRLS_OPACITY)
        .encode(
            y=alt.Y("low:Q", scale=alt.Scale(domain=[0, IRLS_MAX])),
            y2="high:Q",
            fill=alt.Fill(
                "band:N",
                title="IRLS severity",
                sort=[b.label for b in IRLS_BANDS],
                scale=alt.Scale(scheme="oranges"),
            ),
            tooltip=["band:N"],
        )
    )
    return chart


def _irls_panel() -> alt.LayerChart:
    base = alt.Chart(alt.NamedData(name="irls")).encode(
        x=alt.X("date:T", title="Date"),
        y=alt.Y("total:Q", title=f"IRLS total (0-{IRLS_MAX})"),
    )
    points = base.mark_point(filled=True, color=POINT_COLOUR).encode(tooltip=["date:T", "total:Q"])
    return layered(_irls_bands(), base.mark_line(color=POINT_COLOUR), points).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams("IRLS score", anchor="start")
    )


def _bound(field: str) -> int:
    """The diary field's upper bound, from the contract (7 nights, a 0-10 scale)."""
    for m in DiaryEntry.model_fields[field].metadata:
        if isinstance(m, Le) and isinstance(m.le, int):
            return m.le
    raise LookupError(f"DiaryEntry.{field} has no upper bound")


def _diary_measures() -> dict[str, str]:
    return {
        "nights_affected": f"nights with symptoms (of {_bound('nights_affected')})",
        "severity": f"severity (0-{_bound('severity')})",
    }


def _diary_panel() -> alt.LayerChart:
    measures = _diary_measures()
    top = max(_bound(field) for field in measures)
    base = alt.Chart(alt.NamedData(name="diary")).encode(
        x=alt.X("date:T", title="Week ending"),
        y=alt.Y("value:Q", title="Diary", scale=alt.Scale(domain=[0, top])),
        color=alt.Color("measure:N", title="Diary", sort=list(measures.values())),
    )
    points = base.mark_point(filled=True).encode(tooltip=["date:T", "measure:N", "value:Q"])
    return layered(base.mark_line(), points).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams("Symptom diary", anchor="start")
    )


@lru_cache(maxsize=_LAYOUTS_KEPT)
def _symptom_layout(irls: bool, diary: bool) -> Mapping[str, Any]:
    panels = ([_irls_panel()] if irls else []) + ([_diary_panel()] if diary else [])
    chart = alt.VConcatChart(
        vconcat=panels,
        resolve=alt.Resolve(
            scale=alt.ScaleResolveMap(x="shared", color="independent", fill="independent")
        ),
    )
    return chart.to_dict(validate=False)


def symptom_chart(*, irls: Sequence[IrlsScore] = (), diary: Sequence[DiaryEntry] = ()) -> Chart:
    """IRLS totals against the IRLS bands, and the diary's nights and severity, over time.

    A panel is left out when it has nothing to show; with neither, the IRLS panel stays so
    that the page has its axes and bands to show before the first entry.
    """
    measures = _diary_measures()
    return Chart(
        _symptom_layout(bool(irls) or not diary, bool(diary)),
        {
            "irls": [{"date": s.date.isoformat(), "total": s.total} for s in sorted(irls)],
            "diary": [
                {"date": e.date.isoformat(), "measure": words, "value": getattr(e, field)}
                for e in sorted(diary, key=lambda e: e.date)
                for field, words in measures.items()
            ],
        },
    )


def to_vega_lite(chart: Chart) -> dict[str, Any]:
    """The Vega-Lite JSON for vega-embed: the shared layout with this person's rows.

    Not validated here: checking against the schema only finds our own mistakes, which the
    tests look for (every spec they build, and generated ones, are validated against the
    schema Altair ships). The layout's nested parts are shared: read them, never change them.
    """
    return {**chart.layout, "datasets": {**chart.layout.get("datasets", {}), **chart.datasets}}


def to_svg(chart: Chart) -> str:
    """The chart as SVG for the PDF report, rendered offline (no URL may be fetched)."""
    return vl_convert.vegalite_to_svg(
        to_vega_lite(chart), vl_version=_VEGA_LITE, allowed_base_urls=[]
    )

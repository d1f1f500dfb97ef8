"""The personal app's charts: Vega-Lite specifications built from the contract's models.

Pure functions: an `Assessment` (and the records the contract's input carries) in, an Altair
chart out; `to_vega_lite` gives the JSON the page hands to vega-embed, `to_svg` the picture
the PDF report prints, rendered offline by vl-convert (it bundles Vega). The same chart
serves both, so the dashboard and the report cannot show different lines.

Every band and threshold line is read from the rule table and `thresholds.txt`
(`charts_guides`); the trend while on iron is `charts_trend`; the shared layers are
`charts_layers`.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import altair as alt
import vl_convert
from annotated_types import Le

from rlsiron.core.knowledge.thresholds import IRLS_BANDS, IRLS_MAX
from rlsiron.core.models import Assessment, DiaryEntry, IronTherapy
from rlsiron.core.rules.display import show_number
from rlsiron.web.charts_guides import ferritin_guides, group_of, trend_target, tsat_guides
from rlsiron.web.charts_layers import (
    HEIGHT,
    POINT_COLOUR,
    WIDTH,
    Scale,
    Units,
    guide_layers,
    layered,
    result_rows,
    results,
    results_layer,
    rule_layer,
    trend_layer,
)
from rlsiron.web.charts_trend import Trend, ferritin_trend

Chart = alt.LayerChart | alt.VConcatChart

# The caveat under the ferritin chart, wrapped to the chart's width (characters a line).
_CAVEAT_WIDTH: Final = 96
# The IRLS bands are the panel's only colour, so they can be stronger than the iron bands.
_IRLS_OPACITY: Final = 0.35
# vl-convert bundles several Vega-Lite versions: use the one Altair's schema was built for.
_VEGA_LITE: Final = ".".join(alt.SCHEMA_VERSION.removeprefix("v").split(".")[:2])


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


def ferritin_chart(
    assessment: Assessment, *, units: Units, iron_therapy: Sequence[IronTherapy] = ()
) -> alt.LayerChart:
    """Ferritin over time against the profile's bands, with the trend while on iron."""
    scale = Scale("ferritin", units)
    guides = ferritin_guides(assessment.profile, group_of(assessment))
    rows = result_rows(results(assessment, "ferritin"), scale)
    layers: list[Any] = [*guide_layers(guides, scale)]
    trend = ferritin_trend_of(assessment, iron_therapy)
    title = alt.TitleParams("Ferritin", anchor="start")
    if trend is not None:
        layers.append(trend_layer(trend, scale))
        title = alt.TitleParams(
            "Ferritin", subtitle=textwrap.wrap(trend.caveat, _CAVEAT_WIDTH), anchor="start"
        )
    layers.append(results_layer(rows, scale))
    return layered(*layers).properties(width=WIDTH, height=HEIGHT, title=title)


def tsat_chart(assessment: Assessment) -> alt.LayerChart:
    """TSAT over time against the low band and the safety line (% in every unit system)."""
    scale = Scale("tsat", "conventional")
    guides = tsat_guides(assessment.profile, group_of(assessment))
    rows = result_rows(results(assessment, "tsat"), scale)
    return layered(*guide_layers(guides, scale), results_layer(rows, scale)).properties(
        width=WIDTH,
        height=HEIGHT,
        title=alt.TitleParams("Transferrin saturation (TSAT)", anchor="start"),
    )


def ferritin_tsat_chart(
    assessment: Assessment, *, units: Units, iron_therapy: Sequence[IronTherapy] = ()
) -> alt.VConcatChart:
    """Ferritin above TSAT on one time axis: the dashboard's and the report's main chart.

    `iron_therapy` is the contract input's courses (`AssessmentInput.iron_therapy`): the
    assessment says what was decided, not which course is going on.
    """
    ferritin = ferritin_chart(assessment, units=units, iron_therapy=iron_therapy)
    return alt.VConcatChart(
        vconcat=[ferritin, tsat_chart(assessment)],
        resolve=alt.Resolve(
            scale=alt.ScaleResolveMap(x="shared", fill="independent", shape="independent")
        ),
    )


def hemoglobin_chart(assessment: Assessment, *, units: Units) -> alt.LayerChart:
    """Haemoglobin over time against the WHO anaemia cut-off the assessment applied."""
    scale = Scale("hemoglobin", units)
    layers: list[Any] = []
    cutoff = assessment.anemia.threshold_g_dl
    if cutoff is not None:
        layers.append(rule_layer([_anaemia_line(assessment, scale, cutoff)]))
    rows = result_rows(results(assessment, "hemoglobin"), scale)
    layers.append(results_layer(rows, scale))
    return layered(*layers).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams("Haemoglobin", anchor="start")
    )


def _anaemia_line(assessment: Assessment, scale: Scale, cutoff_g_dl: float) -> dict[str, Any]:
    """The WHO cut-off the assessment used (hb_cutoffs.txt, for the person's group)."""
    value = scale.value(cutoff_g_dl)
    group = f" (WHO, {assessment.anemia.group})" if assessment.anemia.group else " (WHO)"
    text = f"< {show_number(value, scale.decimals)} {scale.unit_text}: anaemia{group}"
    return {"threshold": "anemia", "value": value, "kind": "safety", "text": text}


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


def _irls_panel(irls: Sequence[IrlsScore]) -> alt.LayerChart:
    rows = [{"date": s.date.isoformat(), "total": s.total} for s in sorted(irls)]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
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


def _diary_panel(diary: Sequence[DiaryEntry]) -> alt.LayerChart:
    measures = {
        "nights_affected": f"nights with symptoms (of {_bound('nights_affected')})",
        "severity": f"severity (0-{_bound('severity')})",
    }
    rows = [
        {"date": e.date.isoformat(), "measure": words, "value": getattr(e, field)}
        for e in sorted(diary, key=lambda e: e.date)
        for field, words in measures.items()
    ]
    top = max(_bound(field) for field in measures)
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("date:T", title="Week ending"),
        y=alt.Y("value:Q", title="Diary", scale=alt.Scale(domain=[0, top])),
        color=alt.Color("measure:N", title="Diary", sort=list(measures.values())),
    )
    points = base.mark_point(filled=True).encode(tooltip=["date:T", "measure:N", "value:Q"])
    return layered(base.mark_line(), points).properties(
        width=WIDTH, height=HEIGHT, title=alt.TitleParams("Symptom diary", anchor="start")
    )


def symptom_chart(
    *, irls: Sequence[IrlsScore] = (), diary: Sequence[DiaryEntry] = ()
) -> alt.VConcatChart:
    """IRLS totals against the IRLS bands, and the diary's nights and severity, over time.

    A panel is left out when it has nothing to show; with neither, the IRLS panel stays so
    that the page has its axes and bands to show before the first entry.
    """
    panels: list[alt.LayerChart] = []
    if irls or not diary:
        panels.append(_irls_panel(irls))
    if diary:
        panels.append(_diary_panel(diary))
    return alt.VConcatChart(
        vconcat=panels,
        resolve=alt.Resolve(
            scale=alt.ScaleResolveMap(x="shared", color="independent", fill="independent")
        ),
    )


def to_vega_lite(chart: Chart) -> dict[str, Any]:
    """The Vega-Lite JSON for vega-embed.

    Not validated here: checking against the schema costs about a quarter of a chart's time
    on every dashboard view and only finds our own mistakes, which the tests look for (every
    spec they build, and generated ones, are validated against the schema Altair ships).
    """
    return chart.to_dict(validate=False)


def to_svg(chart: Chart) -> str:
    """The chart as SVG for the PDF report, rendered offline (no URL may be fetched)."""
    return vl_convert.vegalite_to_svg(
        to_vega_lite(chart), vl_version=_VEGA_LITE, allowed_base_urls=[]
    )

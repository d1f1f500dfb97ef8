"""The layers every chart is built from: results as points, bands, threshold lines, the trend.

Values arrive in the analyte's canonical unit (the contract's) and leave in the unit the
person chose: ferritin is the same number in µg/L and ng/mL, haemoglobin is converted by the
core's own unit table. Every layer carries its rows inline, so a specification is complete
on its own: the page embeds it and the report renders it with no file or network access.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Literal

import altair as alt

from rlsiron.core.knowledge.thresholds import UNIT_TEXT, Threshold
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.units import convert
from rlsiron.core.models import Assessment, LabValue
from rlsiron.core.rules.display import show_number
from rlsiron.web.charts_guides import Band, BandKind, Guides, Line, LineKind
from rlsiron.web.charts_trend import Trend

Units = Literal["conventional", "si"]
Row = dict[str, Any]

# The unit each system shows; "si" is the lab convention of most of Europe (g/L for Hb).
DISPLAY_UNITS: Final[Mapping[str, Mapping[Units, str]]] = MappingProxyType(
    {
        "ferritin": {"conventional": "ng/mL", "si": "ug/L"},
        "tsat": {"conventional": "%", "si": "%"},
        "hemoglobin": {"conventional": "g/dL", "si": "g/L"},
    }
)
_OP_TEXT: Final = MappingProxyType({"<": "<", "<=": "≤", ">": ">", ">=": "≥"})
_DERIVED_WORDS: Final = MappingProxyType(
    {"reported": "", "calculated": " (calculated)", "estimated": " (estimated)"}
)
_SHAPES: Final = MappingProxyType(
    {"reported": "circle", "calculated": "triangle-up", "estimated": "diamond"}
)
# Per kind, one colour for each band of that kind (oral-or-IV, then IV-only), in order.
_BAND_COLOURS: Final[Mapping[BandKind, tuple[str, ...]]] = MappingProxyType(
    {"indicated": ("#e9a23b", "#c77d1a"), "target": ("#2a9d8f",), "stop": ("#c0392b",)}
)
_LINE_COLOURS: Final[Mapping[LineKind, str]] = MappingProxyType(
    {"decision": "#5c5c5c", "ceiling": "#5c5c5c", "safety": "#b00020"}
)
# Drawing sizes, in pixels (none of them a clinical number).
WIDTH: Final = 560
HEIGHT: Final = 220
_POINT_SIZE: Final = 64
_LABEL_LIFT: Final = 7.5
BAND_OPACITY: Final = 0.18
_TREND_OPACITY: Final = 0.22
_DASHED: Final = (6.5, 3.5)
POINT_COLOUR: Final = "#1d3557"
TEXT_COLOUR: Final = "#333333"


class Scale:
    """One analyte shown in one unit system: the unit's spelling, factor and decimals."""

    def __init__(self, test: str, units: Units) -> None:
        analyte = ANALYTES[test]
        self.test = test
        self.unit = DISPLAY_UNITS[test][units]
        self.factor = convert(test, 1.0, analyte.canonical_unit, self.unit)
        # A factor of ten moves the decimal point: g/dL with one decimal is g/L with none.
        places = max(round(math.log10(self.factor)), 0)
        self.decimals = max(analyte.display_decimals - places, 0)
        self.unit_text = UNIT_TEXT.get(self.unit, self.unit)

    def value(self, canonical: float) -> float:
        return canonical * self.factor

    def shown(self, lab: LabValue) -> str:
        """The value as the person reads it, in their unit ("38 ng/mL", "<5 ng/mL")."""
        if self.factor == 1:
            number = lab.shown
        else:
            side = "" if lab.qualifier == "=" else lab.qualifier
            number = side + show_number(self.value(lab.value), self.decimals)
        return f"{number} {self.unit_text}"

    def threshold(self, threshold: Threshold) -> str:
        """ "≤ 75 ng/mL": the row's own side and number, in the unit shown."""
        number = show_number(self.value(threshold.value), self.decimals)
        return f"{_OP_TEXT[threshold.op]} {number} {self.unit_text}"

    def title(self) -> str:
        return f"{ANALYTES[self.test].display} ({self.unit_text})"


def layered(*charts: alt.Chart | alt.LayerChart) -> alt.LayerChart:
    """Charts drawn over each other (alt.layer's type also admits a facet, never made here)."""
    return alt.LayerChart(layer=list(charts))


def results(assessment: Assessment, test: str) -> list[LabValue]:
    """Every value of `test` (the latest and the history), oldest first."""
    found = [lab for lab in (*assessment.labs, *assessment.history) if lab.test == test]
    return sorted(found, key=lambda lab: (lab.date, lab.source))


def result_rows(values: Iterable[LabValue], scale: Scale) -> list[Row]:
    return [
        {
            "test": lab.test,
            "date": lab.date.isoformat(),
            "value": scale.value(lab.value),
            "label": scale.shown(lab) + _DERIVED_WORDS[lab.source],
            "source": lab.source,
        }
        for lab in values
    ]


def results_layer(dataset: str, scale: Scale) -> alt.LayerChart:
    """The results (the named dataset of `result_rows`) joined in date order, each point
    labelled; derived TSATs shaped apart."""
    base = alt.Chart(alt.NamedData(name=dataset)).encode(
        x=alt.X("date:T", title="Date"),
        y=alt.Y("value:Q", title=scale.title(), scale=alt.Scale(zero=False)),
    )
    sources = list(_SHAPES)
    shape = alt.Shape(
        "source:N",
        title="Result",
        scale=alt.Scale(domain=sources, range=[_SHAPES[s] for s in sources]),
    )
    return layered(
        # One line per source: a calculated TSAT is not joined to the reported one of its day.
        base.mark_line(color=POINT_COLOUR).encode(detail="source:N"),
        base.mark_point(filled=True, size=_POINT_SIZE, color=POINT_COLOUR).encode(
            shape=shape, tooltip=[alt.Tooltip("date:T", title="Date"), "label:N", "source:N"]
        ),
        base.mark_text(baseline="bottom", dy=-_LABEL_LIFT, color=TEXT_COLOUR).encode(
            text="label:N"
        ),
    )


def _colour(bands: Sequence[Band], index: int) -> str:
    kind = bands[index].kind
    same = sum(b.kind == kind for b in bands[:index])
    palette = _BAND_COLOURS[kind]
    return palette[min(same, len(palette) - 1)]


def band_layer(bands: Sequence[Band], scale: Scale) -> alt.Chart:
    """Shaded stretches of the value axis, named in the legend."""
    rows = [
        {"low": scale.value(b.low), "high": scale.value(b.high), "band": b.label, "kind": b.kind}
        for b in bands
    ]
    labels = [b.label for b in bands]
    colours = [_colour(bands, i) for i in range(len(bands))]
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_rect(opacity=BAND_OPACITY)
        .encode(
            y="low:Q",
            y2="high:Q",
            fill=alt.Fill("band:N", title="Bands", scale=alt.Scale(domain=labels, range=colours)),
            tooltip=["band:N"],
        )
    )
    return chart


def line_rows(lines: Sequence[Line], scale: Scale) -> list[Row]:
    return [
        {
            "threshold": line.threshold.id,
            "value": scale.value(line.threshold.value),
            "kind": line.kind,
            "text": f"{scale.threshold(line.threshold)}: {line.label}",
        }
        for line in lines
    ]


def line_layer(lines: Sequence[Line], scale: Scale) -> alt.LayerChart:
    return rule_layer(line_rows(lines, scale))


def rule_layer(rows: Sequence[Row]) -> alt.LayerChart:
    """The decision thresholds and the safety line, each with its number and meaning.

    Lines use the stroke channel and bands the fill channel, so that the two scales of one
    layered chart stay apart (a shared colour scale would merge their domains).
    """
    base = alt.Chart(alt.InlineData(values=list(rows))).encode(y="value:Q")
    kinds = list(_LINE_COLOURS)
    stroke = alt.Stroke(
        "kind:N", legend=None, scale=alt.Scale(domain=kinds, range=list(_LINE_COLOURS.values()))
    )
    return layered(
        base.mark_rule(strokeWidth=2).encode(stroke=stroke, tooltip=["text:N"]),
        base.mark_text(align="left", baseline="bottom", dx=2, dy=-2, color=TEXT_COLOUR).encode(
            x=alt.value(0), text="text:N"
        ),
    )


def guide_layers(guides: Guides, scale: Scale) -> list[alt.Chart | alt.LayerChart]:
    return [band_layer(guides.bands, scale), line_layer(guides.lines, scale)]


def trend_rows(trend: Trend, scale: Scale) -> list[Row]:
    return [
        {
            "date": p.date.isoformat(),
            "fit": scale.value(p.fit),
            "low": scale.value(p.low),
            "high": scale.value(p.high),
        }
        for p in trend.points
    ]


def trend_layer(dataset: str) -> alt.LayerChart:
    """The dashed 'if the trend continues' line (the named dataset of `trend_rows`) over
    its prediction band."""
    base = alt.Chart(alt.NamedData(name=dataset), description="trend").encode(x="date:T")
    return layered(
        base.mark_area(opacity=_TREND_OPACITY, color=POINT_COLOUR).encode(y="low:Q", y2="high:Q"),
        base.mark_line(strokeDash=list(_DASHED), color=POINT_COLOUR).encode(
            y="fit:Q", tooltip=[alt.Tooltip("fit:Q", title="If the trend continues", format=".0f")]
        ),
    )

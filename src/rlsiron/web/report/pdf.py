"""The report as a PDF (WeasyPrint): A4, page numbers, the disclaimer on every page.

WeasyPrint has no type hints, so everything that touches it is in `_weasyprint_pdf`.
It may fetch only `data:` URLs (the charts): nothing in a report can make it read a file
or reach the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.web.report.html import render_report_html, report_css


def render_report_pdf(
    inp: AssessmentInput,
    assessment: Assessment,
    *,
    charts_svg: Sequence[str] = (),
    generated: dt.datetime,
    person_name: str | None = None,
) -> bytes:
    """The report for the doctor as PDF bytes, from the same document as the HTML."""
    html = render_report_html(
        inp,
        assessment,
        charts_svg=charts_svg,
        generated=generated,
        person_name=person_name,
        stylesheet_href=None,
    )
    return _weasyprint_pdf(html, report_css())


def _weasyprint_pdf(html: str, css: str) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[CSS(string=css, url_fetcher=fetcher)])
    return pdf

"""The report as an HTML document, from one autoescaped Jinja2 template.

The same document is printed by the browser (with a linked stylesheet, as the app's
Content-Security-Policy allows only its own styles) and laid out by WeasyPrint for the PDF
(with the stylesheet handed over directly). Every text from the person or a file is data
in the template, escaped on the way out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.web.report.view import build_report
from rlsiron.web.resources import article_for

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


def render_report_html(
    inp: AssessmentInput,
    assessment: Assessment,
    *,
    charts_svg: Sequence[str] = (),
    generated: dt.datetime,
    person_name: str | None = None,
    stylesheet_href: str | None = STYLESHEET,
) -> str:
    """The report as a page to print from the browser.

    `stylesheet_href` is where the app serves `report_css()`; None leaves the link out (the
    PDF's case). Charts are SVG strings shown as images (data URIs), so the page's
    Content-Security-Policy needs `img-src 'self' data:`.
    """
    report = build_report(
        inp, assessment, charts_svg=charts_svg, generated=generated, person_name=person_name
    )
    return _template().render(r=report, stylesheet_href=stylesheet_href)


def report_css() -> str:
    """The report's stylesheet, shipped inside the package."""
    return files(__package__).joinpath(STYLESHEET).read_text(encoding="utf-8")


@cache
def _template() -> Template:
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals["article_for"] = article_for  # a PDF cannot follow links: the title is named
    return env.get_template(TEMPLATE)

"""The report for the doctor (PDF, or HTML to print) and the next tests as a calendar.

The app calls these three; each takes the contract's models and returns bytes or text.
"""

from __future__ import annotations

from rlsiron.web.report.calendar import next_tests_ics
from rlsiron.web.report.html import render_report_html, report_css
from rlsiron.web.report.pdf import render_report_pdf

__all__ = ["next_tests_ics", "render_report_html", "render_report_pdf", "report_css"]

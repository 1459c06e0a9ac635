"""Reports: the analyst bundle (CSV + data dictionary), the HTML report for management
and analysts, and the progression cards for the caseworker conversation.

Pure renderers (:func:`render_report_html`, :func:`render_card_html`) and writers that
put whole folders in place atomically (:func:`write_analyst_bundle`,
:func:`write_reports`). See docs/reports.md.
"""

from bip_bridge.reports.build import ReportInputs, write_report_folder, write_reports
from bip_bridge.reports.bundle import write_analyst_bundle
from bip_bridge.reports.html import render_card_html, render_report_html

__all__ = [
    "ReportInputs",
    "render_card_html",
    "render_report_html",
    "write_analyst_bundle",
    "write_report_folder",
    "write_reports",
]

"""Reports: the analyst bundle (CSV + data dictionary), the HTML report for management
and analysts, and the progression cards (with one index page per caseworker) for the
caseworker conversation.

Pure renderers (:func:`render_report_html`, :func:`render_card_html`) and writers that
put whole folders in place atomically (:func:`write_analyst_bundle`,
:func:`write_reports`). Card and index paths: :func:`card_path`, :func:`index_path`.
See docs/reports.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bip_bridge.reports.build import ReportInputs, write_report_folder, write_reports
    from bip_bridge.reports.bundle import write_analyst_bundle
    from bip_bridge.reports.card_view import render_card_html
    from bip_bridge.reports.cards import card_path, find_card, index_path
    from bip_bridge.reports.html import render_report_html

# Imported on first use, so that writing the analyst bundle (`analyse`) does not load
# matplotlib and Jinja2, which only the HTML report and the cards need.
_WHERE = {
    "ReportInputs": "build",
    "write_report_folder": "build",
    "write_reports": "build",
    "write_analyst_bundle": "bundle",
    "render_card_html": "card_view",
    "card_path": "cards",
    "find_card": "cards",
    "index_path": "cards",
    "render_report_html": "html",
}

__all__ = [
    "ReportInputs",
    "card_path",
    "find_card",
    "index_path",
    "render_card_html",
    "render_report_html",
    "write_analyst_bundle",
    "write_report_folder",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

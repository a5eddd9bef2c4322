"""Reports: views of a study, of predictions or of a NASICON validation.

Each is rendered as self-contained HTML, a Markdown twin and JSON from one view model.
"""

from .render import render_prediction_report, render_study_report, write_report
from .view import ReportView, build_view

__all__ = ["ReportView", "build_view", "render_prediction_report", "render_study_report", "write_report"]

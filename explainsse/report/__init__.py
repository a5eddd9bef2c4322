"""Reports: views of a study, of predictions or of a NASICON validation.

Each kind builds a :class:`Report` (view model, figures, template, Markdown writer); writing it gives
self-contained HTML, a Markdown twin and JSON from that one view model.
"""

from .document import Report
from .nasicon_report import nasicon_report
from .render import (
           prediction_report,
           render_prediction_report,
           render_study_report,
           study_report,
           write_report,
)
from .view import ReportView, build_view

__all__ = ["Report", "ReportView", "build_view", "nasicon_report", "prediction_report", "render_prediction_report",
           "render_study_report", "study_report", "write_report"]

"""Reports: view model built in Python, jinja2 templates, HTML / Markdown / JSON writers."""

from .context import build_report
from .render import write_report

__all__ = ["build_report", "write_report"]

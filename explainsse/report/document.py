"""One report protocol for every kind (main study, prediction, NASICON validation, screening).

A :class:`Report` is a view model, its figures, an HTML template and a Markdown writer; writing
it gives the HTML page (figures embedded as SVG), ``report.md`` and ``report.json`` from that one
view model, plus ``figures/*.svg``. Each kind only builds its view.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..io import to_jsonable
from .html import embedded_figure, svg_bytes, template_environment


@dataclass(frozen=True)
class Report:
    """A report ready to write.

    Attributes
    ----------
    view : object
        The view model: a dataclass with ``to_dict()`` (:class:`~explainsse.report.view.ReportView`) or a dict.
    figures : dict
        Figure name -> matplotlib Figure (written as SVG, embedded in the HTML).
    template : str
        HTML template (``explainsse/report/templates``).
    markdown : callable
        ``markdown(context, figure_files) -> str``: the Markdown twin of the HTML.
    html_name : str
        File name of the HTML page.
    json_name : str or None
        File name of the view model as JSON (None: the kind writes its own JSON).
    """

    view: object
    figures: dict
    template: str
    markdown: Callable[[dict, dict], str]
    html_name: str = "index.html"
    json_name: str | None = "report.json"

    def context(self) -> dict:
        """The view model as plain data (templates, Markdown and JSON all read this)."""
        return self.view.to_dict() if hasattr(self.view, "to_dict") else self.view

    def write(self, folder: str | Path) -> dict:
        """Write the figures, the HTML page, ``report.md`` and the JSON into the existing ``folder``.

        Returns
        -------
        dict
            The context written.
        """
        folder = Path(folder)
        context = self.context()
        (folder / "figures").mkdir(exist_ok=True)
        embedded, files = {}, {}
        for name, figure in self.figures.items():
            svg = svg_bytes(figure)
            (folder / "figures" / f"{name}.svg").write_bytes(svg)
            files[name] = f"figures/{name}.svg"
            embedded[name] = embedded_figure(name, svg)
        html = template_environment().get_template(self.template).render(c=context, figs=embedded,
                                                                         fig_names=list(self.figures))
        (folder / self.html_name).write_text(html, encoding="utf-8")
        (folder / "report.md").write_text(self.markdown(context, files), encoding="utf-8")
        if self.json_name:
            (folder / self.json_name).write_text(json.dumps(to_jsonable(context), indent=1, default=str),
                                                 encoding="utf-8")
        return context


__all__ = ["Report"]

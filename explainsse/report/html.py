"""The one HTML environment of every report kind: Jinja templates, filters, embedded SVG figures."""

from __future__ import annotations

import base64
import io

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ..formatting import ordinal
from .figures import PLAIN_TEXT


def split_text(summary: dict) -> str:
    """The train/test split of a data card: ``"98 / 23"``, or that there is none (cross-validation only)."""
    if not (summary.get("train") or summary.get("test")):
        return "none (cross-validation on the rows used)"
    return f"{summary['train']} / {summary['test']}"


def template_environment() -> Environment:
    """The Jinja environment of every report template (autoescaped, strict about undefined names)."""
    env = Environment(loader=PackageLoader("explainsse.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    env.filters["ordinal"] = ordinal
    env.filters["split_text"] = split_text
    return env


def svg_bytes(figure) -> bytes:
    """SVG bytes of ``figure``, with text kept as text.

    Text stays selectable and searchable, and is 3x faster to write than glyph outlines; the
    browser draws it with its sans-serif font. A fixed hash salt makes the element ids, and so
    the file, the same on every run.
    """
    import matplotlib  # heavy: loaded when a figure is written

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "explainsse", **PLAIN_TEXT}):  # tick labels are made at draw time
        figure.savefig(buf, format="svg", metadata={"Date": None}, dpi=110)  # dpi: rasterized scatter layers
    return buf.getvalue()


def embedded_figure(name: str, svg: bytes) -> Markup:
    """``<figure>`` with ``svg`` inlined as a data URI (``name`` escaped as the alt text)."""
    data = base64.b64encode(svg).decode("ascii")
    return Markup('<figure><img alt="{}" src="data:image/svg+xml;base64,{}"></figure>').format(
        escape(name.replace("_", " ")), data)


__all__ = ["embedded_figure", "split_text", "svg_bytes", "template_environment"]

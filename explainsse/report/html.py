"""The one HTML environment of every report kind: Jinja templates, filters, embedded SVG figures."""

from __future__ import annotations

import base64
import io
import re

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ..formatting import ordinal
from .figures import PLAIN_TEXT, TOOLTIPS


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
    tips = getattr(figure, TOOLTIPS, None)
    return _with_titles(buf.getvalue(), tips) if tips else buf.getvalue()


_SVG, _XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"


def _with_titles(svg: bytes, tips: dict) -> bytes:
    """Add a ``<title>`` (hover tooltip) to each point of the scatter groups named in ``tips``.

    Matplotlib writes a scatter with a gid as ``<g id=gid>`` holding one ``<use>`` (or ``<path>``)
    per drawn point, in data order; a group whose count differs is left without titles. The
    labels are escaped by ElementTree.
    """
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(svg)
    for group in root.iter(f"{{{_SVG}}}g"):
        labels = tips.get(group.get("id"))
        if not labels:
            continue
        marks = [el for el in group.iter(f"{{{_SVG}}}use")] or [el for el in group.iter(f"{{{_SVG}}}path")]
        if len(marks) != len(labels):
            continue
        for mark, label in zip(marks, labels):
            ET.SubElement(mark, f"{{{_SVG}}}title").text = label
    return b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                                     xml_declaration=False)


def _inline_svg(name: str, svg: bytes) -> str:
    """The SVG as markup for inlining in HTML: no XML prolog, every id prefixed with ``name`` (figures
    share one document, and matplotlib's ids repeat across figures)."""
    text = svg.decode("utf-8")
    text = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # Dublin Core / RDF: not needed inline
    text = re.sub(r'\s+xmlns:(?!xlink)\w+="[^"]*"', "", text)
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    if ids:
        prefix = re.sub(r"[^A-Za-z0-9_-]", "_", name) + "-"
        names = "|".join(sorted((re.escape(i) for i in ids), key=len, reverse=True))
        text = re.sub(rf'(\bid="|url\(#|href="#)({names})(?=["\)])', lambda m: m.group(1) + prefix + m.group(2), text)
    return text


def embedded_figure(name: str, svg: bytes) -> Markup:
    """``<figure>`` with ``svg`` inlined as a data URI (``name`` escaped as the alt text); a figure whose
    points carry tooltips is inlined as SVG markup instead, so the browser shows them on hover."""
    if b'<g id="points' in svg and b"<title>" in svg:
        return Markup('<figure aria-label="{}">{}</figure>').format(escape(name.replace("_", " ")),
                                                                    Markup(_inline_svg(name, svg)))
    data = base64.b64encode(svg).decode("ascii")
    return Markup('<figure><img alt="{}" src="data:image/svg+xml;base64,{}"></figure>').format(
        escape(name.replace("_", " ")), data)


__all__ = ["embedded_figure", "split_text", "svg_bytes", "template_environment"]

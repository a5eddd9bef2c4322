"""The one Markdown writer of every report kind (main, prediction, NASICON, screening).

Every cell and sentence that carries user or data text goes through :func:`md_cell`: no raw
HTML, links, images or table breaks survive, and spreadsheet formula prefixes are neutralised.
"""

from __future__ import annotations

import re

from ..io import neutralize_text

#: Characters that Markdown (or the HTML it may carry) would interpret, and what they become
#: (``>`` opens no tag, so "higher x -> higher y" stays readable).
_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", "|": "\\|", "`": "\\`", "\\": "\\\\",
               "\n": " ", "\r": " "}
#: A cell that starts with a signed number (``-0.32 [-0.44, -0.15]``, ``-`` alone is no number).
_LEADING_NUMBER = re.compile(r"[-+]?(\d|\.\d)")
#: A closing bracket that would make a link or an image (``](``, ``][``, ``]:``).
_MD_LINK = re.compile(r"\](?=[(\[:])")


def md_cell(value) -> str:
    r"""``value`` as inert Markdown text: no raw HTML, links, images, code spans or table breaks.

    Spreadsheet formula prefixes are neutralised too (a Markdown table is often pasted into one).
    Brackets that cannot form a link (``1.65 [1.32, 1.99]``) stay as they are.

    Examples
    --------
    >>> md_cell("<script>alert(1)</script>")
    '&lt;script>alert(1)&lt;/script>'
    >>> print(md_cell("![x](http://e.org/a.png) 1.65 [1.32, 1.99]"))
    !\[x\](http://e.org/a.png) 1.65 [1.32, 1.99]
    """
    text = "".join(_MD_ESCAPES.get(ch, ch) for ch in str(value))
    text = _MD_LINK.sub("\\\\]", text).replace("![", "!\\[")
    if _LEADING_NUMBER.match(text):  # "-0.32 [-0.44, -0.15]" is a number to read, not a formula to quote
        return text
    return neutralize_text(text)



def md_table(rows: list[dict]) -> list[str]:
    """Markdown table lines (header from the first row's keys; cells neutralised and escaped)."""
    if not rows:
        return []
    keys = list(rows[0])
    return (["| " + " | ".join(md_cell(k) for k in keys) + " |", "|" + "---|" * len(keys)]
            + ["| " + " | ".join(md_cell(r[k]) for k in keys) + " |" for r in rows])


def md_image(alt: str, path: str) -> str:
    """A Markdown image line for a figure file written by the report (``alt`` escaped)."""
    return f"![{md_cell(alt)}]({path})"


def md_lines(*blocks) -> str:
    """Join lines and lists of lines into one Markdown document (one trailing newline)."""
    out: list[str] = []
    for block in blocks:
        out.extend([block] if isinstance(block, str) else block)
    return "\n".join(out).rstrip() + "\n"


__all__ = ["md_cell", "md_image", "md_lines", "md_table"]
